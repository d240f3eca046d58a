//! The `chorus` binary: everything lives in the library.

/// mimalloc rather than the system allocator: under a long mixed load glibc's per-thread arenas
/// kept growing (see the soak benchmark in `docs/BENCHMARKS.md`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    chorus::cli::main()
}
