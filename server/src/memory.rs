//! The process allocator's settings. The binaries allocate with mimalloc (`main.rs`); this sets
//! how long it keeps memory that was freed before giving it back to the OS.
//!
//! mimalloc 3 keeps a freed page for a second (`purge_delay`, 1,000 ms) before it decommits it.
//! Under load, a server frees and allocates thousands of response buffers, rows and GraphQL values a
//! second across its threads, so a second's worth of freed pages stayed resident: the SQLite
//! server held 104-111 MB under the varied read benchmark, 93-96 with a delay of 0 or 10 ms, 98
//! with this build (`docs/BENCHMARKS.md`), for up to a tenth of a millisecond more CPU per
//! request. [`PURGE_DELAY_MS`] (mimalloc 2's default) keeps a page long enough to be reused by
//! the next requests, not for a whole second.
//!
//! `mi_option_set` takes the option's index in mimalloc 3's `mi_option_t`, which the bindings do
//! not name for version 3; a test checks the index against mimalloc's defaults around it.
#![allow(unsafe_code)]

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_t`.
const PURGE_DELAY: mi_option_t = 15;

/// How long, in milliseconds, a freed page stays with the allocator before it is decommitted.
pub const PURGE_DELAY_MS: i64 = 10;

/// Sets the allocator's settings; called once as a server starts (again is harmless). When the
/// process allocates with something else (tests), this changes only mimalloc's unused heap.
pub fn tune_allocator() {
    // SAFETY: `mi_option_set` stores a value in mimalloc's option table; any value is valid for
    // this option (negative: never purge), and mimalloc reads options atomically.
    unsafe { mi_option_set(PURGE_DELAY, PURGE_DELAY_MS as std::ffi::c_long) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::mi_option_get;

    #[test]
    fn the_purge_delay_index_is_mimallocs() {
        // The options after `purge_delay` have distinctive defaults in mimalloc 3:
        // use_numa_nodes 0, disallow_os_alloc 0, os_tag 100, max_errors 32, max_warnings 32.
        // SAFETY: reading an option by index; every index below mimalloc's option count is valid.
        let get = |i: mi_option_t| unsafe { mi_option_get(i) };
        assert_eq!([get(16), get(17), get(18), get(19), get(20)], [0, 0, 100, 32, 32]);
        // Its own default is 1,000 ms unless a server in this process set it.
        let before = get(PURGE_DELAY);
        assert!(before == 1000 || before == PURGE_DELAY_MS as std::ffi::c_long, "{before}");
        tune_allocator();
        assert_eq!(get(PURGE_DELAY), PURGE_DELAY_MS as std::ffi::c_long);
    }
}
