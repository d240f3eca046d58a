//! A small in-memory cache of public GraphQL responses.
//!
//! Public content changes rarely and is read often, so identical anonymous queries (same text,
//! operation, variables and negotiated locale) within `graphql.cache_ttl_ms` are answered from
//! memory. Writes made by this process clear it at once (`invalidate`); writes made by another
//! process (`chorus demo load`, a second server) show within the TTL. Only successful query
//! responses are kept, never errors or mutations; nothing is written to disk, and entries expire.
//!
//! A miss is computed once: concurrent requests for the same key wait for the first one instead
//! of all running the same query when an entry expires under load.
//!
//! An answer is kept from the second time it is asked within one TTL (or when requests for it
//! waited on each other), as CDNs' "cache on second hit" does: an answer asked once per TTL or
//! less would expire unread, and a site's varied requests (deep pages, lookups, searches in many
//! languages) are mostly such. Remembering that a key was asked costs a hash and a time stamp, so
//! memory goes to answers that are read again (`docs/BENCHMARKS.md`: the reads benchmark's varied
//! workload kept 14-19 MB of answers nobody read before they expired).
//!
//! A write clears the cache (`invalidate`) and starts a new generation: an answer computed from
//! before the write, finished after it, goes to the requests that waited for it and is not kept,
//! and a request that arrives after the write never waits for such an answer. (Without this, a
//! search still running when a takedown committed could store the taken-down item for a TTL after
//! the editor was told it was gone.)
//!
//! Memory is bounded in bytes (`graphql.cache_max_bytes`, keys and bodies counted) as well as in
//! entries; expired entries are dropped as soon as a request or the periodic sweep sees them, so
//! a burst of distinct answers is given back one TTL later.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::watch;

/// Responses larger than this are not kept.
const MAX_ENTRY_BYTES: usize = 256 * 1024;

pub struct ResponseCache {
    ttl: Duration,
    max_entries: usize,
    max_bytes: usize,
    /// Hashes the keys of the requests remembered as asked (`Inner::asked`).
    hasher: RandomState,
    inner: Mutex<Inner>,
}

/// How many asked keys are remembered per entry the cache may hold.
const ASKED_PER_ENTRY: usize = 4;

enum Slot {
    Ready(Instant, Bytes),
    /// Being computed by a leader (of the generation given); followers wait on the channel.
    Pending(u64, watch::Receiver<Option<Bytes>>),
}

#[derive(Default)]
struct Inner {
    slots: HashMap<String, Slot>,
    /// Ready entries in the order they were stored, which is also the order they expire in (one
    /// TTL for all). An entry stored again appears twice; only the newest stamp owns the slot.
    order: VecDeque<(Instant, String)>,
    /// Bytes of the ready entries (keys and bodies).
    bytes: usize,
    entries: usize,
    /// When each key that missed was last asked (by hash; a collision only keeps an answer one
    /// request early), within the last TTL.
    asked: HashMap<u64, Instant>,
    /// The same, oldest first: an entry whose stamp is no longer the map's was asked again.
    asked_order: VecDeque<(Instant, u64)>,
    /// Counts invalidations: a leader keeps its answer only if none happened since it began.
    generation: u64,
}

impl Inner {
    /// Drops the oldest entry; false when there is none.
    fn evict_oldest(&mut self) -> bool {
        let Some((stamp, key)) = self.order.pop_front() else { return false };
        if matches!(self.slots.get(&key), Some(Slot::Ready(at, _)) if *at == stamp)
            && let Some(Slot::Ready(_, body)) = self.slots.remove(&key)
        {
            self.bytes -= key.len() + body.len();
            self.entries -= 1;
        }
        true
    }

    fn purge_expired(&mut self, ttl: Duration) {
        while self.order.front().is_some_and(|(at, _)| at.elapsed() >= ttl) {
            self.evict_oldest();
        }
        while self.asked_order.front().is_some_and(|(at, _)| at.elapsed() >= ttl) {
            self.forget_oldest_asked();
        }
    }

    fn forget_oldest_asked(&mut self) {
        if let Some((stamp, hash)) = self.asked_order.pop_front()
            && self.asked.get(&hash) == Some(&stamp)
        {
            self.asked.remove(&hash);
        }
    }

    /// Whether the key was asked within the TTL before now; remembers that it is asked now.
    fn asked_before(&mut self, hash: u64, ttl: Duration, capacity: usize) -> bool {
        let now = Instant::now();
        let before = self.asked.insert(hash, now).is_some_and(|at| at.elapsed() < ttl);
        self.asked_order.push_back((now, hash));
        while self.asked_order.len() > capacity {
            self.forget_oldest_asked();
        }
        before
    }
}

/// What the cache holds now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSize {
    pub entries: usize,
    pub bytes: usize,
}

/// What a lookup found.
pub enum Lookup<'a> {
    Hit(Bytes),
    /// Another request is computing this response: wait for it.
    Wait(watch::Receiver<Option<Bytes>>),
    /// This request computes the response and must `finish` it.
    Lead(Leader<'a>),
}

/// The request computing a missing entry. Dropping it unfinished releases the waiters, who then
/// compute the response themselves.
pub struct Leader<'a> {
    cache: &'a ResponseCache,
    key: String,
    tx: Option<watch::Sender<Option<Bytes>>>,
    /// The key was asked within the TTL before: the answer is kept.
    keep: bool,
    /// The cache's generation when this leader began.
    generation: u64,
}

impl ResponseCache {
    pub fn new(ttl: Duration, max_entries: usize, max_bytes: usize) -> ResponseCache {
        ResponseCache { ttl, max_entries, max_bytes, hasher: RandomState::new(), inner: Mutex::new(Inner::default()) }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_entries > 0 && self.max_bytes > 0
    }

    /// Entries and bytes held now.
    pub fn size(&self) -> CacheSize {
        let inner = self.lock();
        CacheSize { entries: inner.entries, bytes: inner.bytes }
    }

    /// Drops expired entries (also done by every lookup; the server sweeps once per TTL too, so
    /// memory is given back when requests stop).
    pub fn sweep(&self) {
        self.lock().purge_expired(self.ttl);
    }

    /// How often the server should sweep.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cache key of one request: every input the response depends on.
    pub fn key(query: &str, operation: Option<&str>, variables: &str, locale: &str) -> String {
        let mut key = String::with_capacity(query.len() + variables.len() + 32);
        for part in [query, operation.unwrap_or_default(), variables, locale] {
            key.push_str(part);
            key.push('\u{0}');
        }
        key
    }

    pub fn lookup(&self, key: String) -> Lookup<'_> {
        let mut inner = self.lock();
        inner.purge_expired(self.ttl);
        match inner.slots.get(&key) {
            Some(Slot::Ready(at, body)) if at.elapsed() < self.ttl => return Lookup::Hit(body.clone()),
            Some(Slot::Pending(_, rx)) => return Lookup::Wait(rx.clone()),
            _ => {}
        }
        let capacity = self.max_entries.saturating_mul(ASKED_PER_ENTRY);
        let keep = inner.asked_before(self.hasher.hash_one(&key), self.ttl, capacity);
        let (tx, rx) = watch::channel(None);
        let generation = inner.generation;
        inner.slots.insert(key.clone(), Slot::Pending(generation, rx));
        Lookup::Lead(Leader { cache: self, key, tx: Some(tx), keep, generation })
    }

    /// Keeps a leader's answer, unless the cache was invalidated since the leader began (the
    /// answer may predate a write); either way the leader's pending slot goes.
    fn store(&self, key: String, body: Bytes, generation: u64) {
        let size = key.len() + body.len();
        let mut inner = self.lock();
        if inner.generation != generation || size > self.max_bytes {
            Self::unpend(&mut inner, &key, generation);
            return;
        }
        let now = Instant::now();
        if let Some(Slot::Ready(_, old)) = inner.slots.insert(key.clone(), Slot::Ready(now, body)) {
            inner.bytes -= key.len() + old.len();
            inner.entries -= 1;
        }
        inner.bytes += size;
        inner.entries += 1;
        inner.order.push_back((now, key));
        while (inner.entries > self.max_entries || inner.bytes > self.max_bytes) && inner.evict_oldest() {}
    }

    /// Drops the pending slot of the leader of `generation` for `key` (not a later leader's).
    fn unpend(inner: &mut Inner, key: &str, generation: u64) {
        if matches!(inner.slots.get(key), Some(Slot::Pending(g, _)) if *g == generation) {
            inner.slots.remove(key);
        }
    }

    fn remove_pending(&self, key: &str, generation: u64) {
        Self::unpend(&mut self.lock(), key, generation);
    }

    /// Forgets everything, answers being computed included (their leaders' requests still get
    /// them; later requests compute afresh): called after any write by this process.
    pub fn invalidate(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.slots.clear();
        inner.order.clear();
        inner.bytes = 0;
        inner.entries = 0;
    }

    /// Keys remembered as asked (tests).
    #[cfg(test)]
    fn asked(&self) -> usize {
        self.lock().asked.len()
    }
}

impl Leader<'_> {
    /// Publishes the computed response (`None` when it must not be cached, such as an error).
    /// The answer is kept when the key was asked within the TTL before, or when other requests
    /// waited for this one (asked twice at once); either way the waiters get it.
    pub fn finish(mut self, body: Option<Bytes>) {
        match body.filter(|b| b.len() <= MAX_ENTRY_BYTES) {
            Some(body) => {
                // The slot holds one receiver; each waiter holds another.
                let waited = self.tx.as_ref().is_some_and(|tx| tx.receiver_count() > 1);
                if self.keep || waited {
                    self.cache.store(self.key.clone(), body.clone(), self.generation);
                    if let Some(tx) = self.tx.take() {
                        let _ = tx.send(Some(body));
                    }
                } else if let Some(tx) = self.tx.take() {
                    self.cache.remove_pending(&self.key, self.generation);
                    let _ = tx.send(Some(body));
                }
            }
            None => self.release(),
        }
    }

    fn release(&mut self) {
        if self.tx.take().is_some() {
            self.cache.remove_pending(&self.key, self.generation);
        }
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        self.release();
    }
}

/// Waits for a leader's response; `None` when the leader gave up.
pub async fn wait(mut rx: watch::Receiver<Option<Bytes>>) -> Option<Bytes> {
    loop {
        if let Some(body) = rx.borrow_and_update().clone() {
            return Some(body);
        }
        if rx.changed().await.is_err() {
            return rx.borrow().clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead_once(c: &ResponseCache, key: &str, body: &'static [u8]) {
        match c.lookup(key.into()) {
            Lookup::Lead(l) => l.finish(Some(Bytes::from_static(body))),
            _ => panic!("expected to lead {key}"),
        }
    }

    /// Asks twice, computing the answer each time: the second is kept.
    fn lead(c: &ResponseCache, key: &str, body: &'static [u8]) {
        lead_once(c, key, body);
        lead_once(c, key, body);
    }

    fn hit(c: &ResponseCache, key: &str) -> Option<Bytes> {
        match c.lookup(key.into()) {
            Lookup::Hit(b) => Some(b),
            _ => None,
        }
    }

    #[test]
    fn entries_expire_are_bounded_and_invalidate() {
        let c = ResponseCache::new(Duration::from_millis(50), 2, 1 << 20);
        lead(&c, "a", b"1");
        assert_eq!(hit(&c, "a").as_deref(), Some(&b"1"[..]));
        lead(&c, "b", b"2");
        lead(&c, "c", b"3");
        assert!(hit(&c, "a").is_none(), "oldest evicted");
        assert!(hit(&c, "c").is_some());
        c.invalidate();
        assert!(hit(&c, "c").is_none());
        lead(&c, "d", b"4");
        std::thread::sleep(Duration::from_millis(60));
        assert!(hit(&c, "d").is_none(), "expired");
    }

    #[test]
    fn memory_is_bounded_in_bytes_and_given_back_after_the_ttl() {
        let c = ResponseCache::new(Duration::from_millis(50), 1000, 10_000);
        static BODY: [u8; 3000] = [b'x'; 3000];
        for k in ["a", "b", "c", "d"] {
            lead(&c, k, &BODY);
        }
        assert_eq!(c.size(), CacheSize { entries: 3, bytes: 3 * 3001 }, "the byte bound evicts the oldest");
        assert!(hit(&c, "a").is_none() && hit(&c, "d").is_some());
        // Stored again: counted once.
        std::thread::sleep(Duration::from_millis(60));
        lead(&c, "d", b"12345");
        assert_eq!(c.size(), CacheSize { entries: 1, bytes: 6 }, "expired entries went when a new one came");
        std::thread::sleep(Duration::from_millis(60));
        c.sweep();
        assert_eq!(c.size(), CacheSize { entries: 0, bytes: 0 }, "the sweep gives everything back");
        // An answer larger than the whole budget is not kept.
        static HUGE: [u8; 20_000] = [b'y'; 20_000];
        lead(&c, "h", &HUGE);
        assert!(hit(&c, "h").is_none());
        assert_eq!(c.size().bytes, 0);
    }

    #[tokio::test]
    async fn a_miss_is_computed_once() {
        let c = ResponseCache::new(Duration::from_secs(5), 10, 1 << 20);
        let Lookup::Lead(leader) = c.lookup("k".into()) else { panic!("first lookup leads") };
        let Lookup::Wait(rx) = c.lookup("k".into()) else { panic!("second lookup waits") };
        let waiter = tokio::spawn(wait(rx));
        leader.finish(Some(Bytes::from_static(b"v")));
        assert_eq!(waiter.await.unwrap().as_deref(), Some(&b"v"[..]));
        // A leader that gives up releases its waiters and leaves no entry behind.
        let Lookup::Lead(leader) = c.lookup("e".into()) else { panic!() };
        let Lookup::Wait(rx) = c.lookup("e".into()) else { panic!() };
        drop(leader);
        assert!(wait(rx).await.is_none());
        assert!(matches!(c.lookup("e".into()), Lookup::Lead(_)));
    }

    #[test]
    fn answers_are_kept_from_the_second_request_within_the_ttl() {
        let c = ResponseCache::new(Duration::from_millis(50), 10, 1 << 20);
        lead_once(&c, "a", b"1");
        assert!(hit(&c, "a").is_none(), "asked once: not kept");
        assert_eq!(c.size().entries, 0);
        lead_once(&c, "b", b"2");
        std::thread::sleep(Duration::from_millis(60));
        lead_once(&c, "b", b"2");
        assert!(hit(&c, "b").is_none(), "asked once per TTL: never kept");
        lead_once(&c, "c", b"3");
        lead_once(&c, "c", b"3");
        assert_eq!(hit(&c, "c").as_deref(), Some(&b"3"[..]), "asked twice within the TTL: kept");
        // Remembering asked keys is bounded, and forgotten after the TTL.
        let small = ResponseCache::new(Duration::from_millis(50), 2, 1 << 20);
        for k in ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10"] {
            lead_once(&small, k, b"x");
        }
        assert_eq!(small.asked(), 2 * ASKED_PER_ENTRY);
        std::thread::sleep(Duration::from_millis(60));
        small.sweep();
        assert_eq!(small.asked(), 0);
    }

    #[tokio::test]
    async fn an_answer_waited_for_is_kept() {
        let c = ResponseCache::new(Duration::from_secs(5), 10, 1 << 20);
        let Lookup::Lead(leader) = c.lookup("w".into()) else { panic!("first lookup leads") };
        let Lookup::Wait(rx) = c.lookup("w".into()) else { panic!("second lookup waits") };
        leader.finish(Some(Bytes::from_static(b"v")));
        assert_eq!(wait(rx).await.as_deref(), Some(&b"v"[..]));
        assert_eq!(hit(&c, "w").as_deref(), Some(&b"v"[..]));
        // Not kept, the waiters still get it and the next request leads.
        let Lookup::Lead(leader) = c.lookup("x".into()) else { panic!() };
        let Lookup::Wait(rx) = c.lookup("x".into()) else { panic!() };
        drop(rx);
        leader.finish(Some(Bytes::from_static(b"y")));
        assert!(matches!(c.lookup("x".into()), Lookup::Lead(_)), "asked once alone: not kept");
    }

    /// An answer computed across a write is not kept, and requests after the write do not wait
    /// for it (it may predate the write).
    #[tokio::test]
    async fn an_answer_begun_before_a_write_is_not_kept() {
        let c = ResponseCache::new(Duration::from_secs(5), 10, 1 << 20);
        lead_once(&c, "k", b"old");
        let Lookup::Lead(before) = c.lookup("k".into()) else { panic!("leads") };
        let Lookup::Wait(waiting) = c.lookup("k".into()) else { panic!("waits") };
        c.invalidate();
        // A request after the write computes afresh instead of waiting for the older answer.
        let Lookup::Lead(after) = c.lookup("k".into()) else { panic!("a request after the write leads") };
        before.finish(Some(Bytes::from_static(b"old")));
        assert_eq!(wait(waiting).await.as_deref(), Some(&b"old"[..]), "who waited before the write gets it");
        assert!(matches!(c.lookup("k".into()), Lookup::Wait(_)), "the older leader left the newer one's slot");
        after.finish(Some(Bytes::from_static(b"new")));
        assert_eq!(hit(&c, "k").as_deref(), Some(&b"new"[..]));
        assert_eq!(c.size().entries, 1);
    }

    #[test]
    fn keys_separate_their_parts() {
        assert_ne!(ResponseCache::key("ab", None, "", "en"), ResponseCache::key("a", Some("b"), "", "en"));
        assert_ne!(ResponseCache::key("q", None, "{}", "en"), ResponseCache::key("q", None, "{}", "fr"));
    }
}
