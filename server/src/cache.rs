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

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::watch;

/// Responses larger than this are not kept.
const MAX_ENTRY_BYTES: usize = 256 * 1024;

pub struct ResponseCache {
    ttl: Duration,
    max_entries: usize,
    inner: Mutex<Inner>,
}

enum Slot {
    Ready(Instant, Bytes),
    /// Being computed by a leader; followers wait on the channel.
    Pending(watch::Receiver<Option<Bytes>>),
}

#[derive(Default)]
struct Inner {
    slots: HashMap<String, Slot>,
    /// Insertion order of ready entries, for evicting the oldest when full.
    order: VecDeque<String>,
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
}

impl ResponseCache {
    pub fn new(ttl: Duration, max_entries: usize) -> ResponseCache {
        ResponseCache { ttl, max_entries, inner: Mutex::new(Inner::default()) }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_entries > 0
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
        match inner.slots.get(&key) {
            Some(Slot::Ready(at, body)) if at.elapsed() < self.ttl => return Lookup::Hit(body.clone()),
            Some(Slot::Pending(rx)) => return Lookup::Wait(rx.clone()),
            _ => {}
        }
        let (tx, rx) = watch::channel(None);
        inner.slots.insert(key.clone(), Slot::Pending(rx));
        Lookup::Lead(Leader { cache: self, key, tx: Some(tx) })
    }

    fn store(&self, key: String, body: Bytes) {
        let mut inner = self.lock();
        inner.slots.insert(key.clone(), Slot::Ready(Instant::now(), body));
        inner.order.push_back(key);
        while inner.order.len() > self.max_entries {
            let Some(oldest) = inner.order.pop_front() else { break };
            if matches!(inner.slots.get(&oldest), Some(Slot::Ready(..))) && !inner.order.contains(&oldest) {
                inner.slots.remove(&oldest);
            }
        }
    }

    /// Forgets everything: called after any write by this process.
    pub fn invalidate(&self) {
        let mut inner = self.lock();
        inner.slots.retain(|_, slot| matches!(slot, Slot::Pending(_)));
        inner.order.clear();
    }
}

impl Leader<'_> {
    /// Publishes the computed response (`None` when it must not be cached, such as an error).
    pub fn finish(mut self, body: Option<Bytes>) {
        match body.filter(|b| b.len() <= MAX_ENTRY_BYTES) {
            Some(body) => {
                self.cache.store(self.key.clone(), body.clone());
                if let Some(tx) = self.tx.take() {
                    let _ = tx.send(Some(body));
                }
            }
            None => self.release(),
        }
    }

    fn release(&mut self) {
        if self.tx.take().is_some() {
            let mut inner = self.cache.lock();
            if matches!(inner.slots.get(&self.key), Some(Slot::Pending(_))) {
                inner.slots.remove(&self.key);
            }
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

    fn lead(c: &ResponseCache, key: &str, body: &'static [u8]) {
        match c.lookup(key.into()) {
            Lookup::Lead(l) => l.finish(Some(Bytes::from_static(body))),
            _ => panic!("expected to lead {key}"),
        }
    }

    fn hit(c: &ResponseCache, key: &str) -> Option<Bytes> {
        match c.lookup(key.into()) {
            Lookup::Hit(b) => Some(b),
            _ => None,
        }
    }

    #[test]
    fn entries_expire_are_bounded_and_invalidate() {
        let c = ResponseCache::new(Duration::from_millis(50), 2);
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

    #[tokio::test]
    async fn a_miss_is_computed_once() {
        let c = ResponseCache::new(Duration::from_secs(5), 10);
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
    fn keys_separate_their_parts() {
        assert_ne!(ResponseCache::key("ab", None, "", "en"), ResponseCache::key("a", Some("b"), "", "en"));
        assert_ne!(ResponseCache::key("q", None, "{}", "en"), ResponseCache::key("q", None, "{}", "fr"));
    }
}
