//! A small in-memory cache of public GraphQL responses.
//!
//! Public content changes rarely and is read often, so identical anonymous queries (same text,
//! operation, variables and negotiated locale) within `graphql.cache_ttl_ms` are answered from
//! memory. Writes made by this process clear it at once (`invalidate`); writes made by another
//! process (`chorus demo load`, a second server) show within the TTL. Only successful query
//! responses are kept, never errors or mutations; nothing is written to disk, and entries expire.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// Responses larger than this are not kept.
const MAX_ENTRY_BYTES: usize = 256 * 1024;

pub struct ResponseCache {
    ttl: Duration,
    max_entries: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, (Instant, Bytes)>,
    /// Insertion order, for evicting the oldest entry when full.
    order: VecDeque<String>,
}

impl ResponseCache {
    pub fn new(ttl: Duration, max_entries: usize) -> ResponseCache {
        ResponseCache { ttl, max_entries, inner: Mutex::new(Inner::default()) }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_entries > 0
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

    pub fn get(&self, key: &str) -> Option<Bytes> {
        if !self.enabled() {
            return None;
        }
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match inner.entries.get(key) {
            Some((at, body)) if at.elapsed() < self.ttl => Some(body.clone()),
            _ => None,
        }
    }

    pub fn put(&self, key: String, body: Bytes) {
        if !self.enabled() || body.len() > MAX_ENTRY_BYTES {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.entries.insert(key.clone(), (Instant::now(), body)).is_none() {
            inner.order.push_back(key);
        }
        while inner.entries.len() > self.max_entries {
            match inner.order.pop_front() {
                Some(oldest) => {
                    inner.entries.remove(&oldest);
                }
                None => break,
            }
        }
        // Keep the order queue from growing with keys already evicted by expiry replacement.
        if inner.order.len() > self.max_entries * 2 {
            let Inner { entries, order } = &mut *inner;
            order.retain(|k| entries.contains_key(k));
        }
    }

    /// Forgets everything: called after any write by this process.
    pub fn invalidate(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.entries.clear();
        inner.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_are_bounded_and_invalidate() {
        let c = ResponseCache::new(Duration::from_millis(50), 2);
        c.put("a".into(), Bytes::from_static(b"1"));
        assert_eq!(c.get("a").as_deref(), Some(&b"1"[..]));
        c.put("b".into(), Bytes::from_static(b"2"));
        c.put("c".into(), Bytes::from_static(b"3"));
        assert!(c.get("a").is_none(), "oldest evicted");
        assert!(c.get("c").is_some());
        c.invalidate();
        assert!(c.get("c").is_none());
        c.put("d".into(), Bytes::from_static(b"4"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(c.get("d").is_none(), "expired");
        let off = ResponseCache::new(Duration::ZERO, 10);
        off.put("x".into(), Bytes::from_static(b"1"));
        assert!(off.get("x").is_none());
    }

    #[test]
    fn keys_separate_their_parts() {
        assert_ne!(ResponseCache::key("ab", None, "", "en"), ResponseCache::key("a", Some("b"), "", "en"));
        assert_ne!(ResponseCache::key("q", None, "{}", "en"), ResponseCache::key("q", None, "{}", "fr"));
    }
}
