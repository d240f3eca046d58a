//! Recent results, kept until the index changes.
//!
//! An entry is valid only for the searcher generation it was computed on: every commit that
//! becomes visible (a reload) starts a new generation and empties the cache, so a cached answer
//! is always the answer the index would give now (as Elasticsearch's shard request cache,
//! invalidated on refresh). Entries also expire after a maximum age and the oldest go first when
//! the cache is full.
//!
//! Privacy: entries are keyed by a 128-bit keyed hash of the request (keys drawn at random per
//! process), so the query text itself is not kept; results (with their highlighted words) stay
//! in memory only, for at most the maximum age.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::request::{SearchRequest, SearchResults};

/// How many results to keep, and for how long.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CacheSettings {
    /// 0 turns the cache off.
    pub entries: usize,
    pub max_age: Duration,
}

impl CacheSettings {
    pub const OFF: CacheSettings = CacheSettings { entries: 0, max_age: Duration::ZERO };
}

pub(crate) struct ResultCache {
    settings: CacheSettings,
    keys: (RandomState, RandomState),
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    entries: HashMap<u128, (Instant, SearchResults)>,
    /// Keys in insertion order, for eviction.
    order: VecDeque<u128>,
}

impl ResultCache {
    pub(crate) fn new(settings: CacheSettings) -> ResultCache {
        ResultCache { settings, keys: (RandomState::new(), RandomState::new()), inner: Mutex::new(Inner::default()) }
    }

    fn key(&self, request: &SearchRequest) -> u128 {
        let hash = |state: &RandomState| {
            let mut h = state.build_hasher();
            request.hash(&mut h);
            std::hash::Hasher::finish(&h)
        };
        (u128::from(hash(&self.keys.0)) << 64) | u128::from(hash(&self.keys.1))
    }

    fn enabled(&self) -> bool {
        self.settings.entries > 0 && !self.settings.max_age.is_zero()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, request: &SearchRequest, generation: u64) -> Option<SearchResults> {
        if !self.enabled() {
            return None;
        }
        let key = self.key(request);
        let inner = self.lock();
        if inner.generation != generation {
            return None;
        }
        let (at, results) = inner.entries.get(&key)?;
        (at.elapsed() < self.settings.max_age).then(|| results.clone())
    }

    pub(crate) fn put(&self, request: &SearchRequest, generation: u64, results: &SearchResults) {
        if !self.enabled() {
            return;
        }
        let key = self.key(request);
        let mut inner = self.lock();
        if inner.generation != generation {
            if generation < inner.generation {
                return; // computed on an older searcher than entries already here
            }
            inner.entries.clear();
            inner.order.clear();
            inner.generation = generation;
        }
        let now = Instant::now();
        // The oldest go first: expired ones, then as many as the bound needs.
        while let Some(&oldest) = inner.order.front() {
            let expired = inner.entries.get(&oldest).is_none_or(|(at, _)| now - *at >= self.settings.max_age);
            if !expired && inner.entries.len() < self.settings.entries {
                break;
            }
            inner.order.pop_front();
            inner.entries.remove(&oldest);
        }
        if inner.entries.insert(key, (now, results.clone())).is_none() {
            inner.order.push_back(key);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> SearchRequest {
        SearchRequest { text: text.into(), limit: 10, ..Default::default() }
    }

    fn results(total: usize) -> SearchResults {
        SearchResults { total, ..Default::default() }
    }

    #[test]
    fn entries_belong_to_one_generation_and_are_bounded() {
        let cache = ResultCache::new(CacheSettings { entries: 2, max_age: Duration::from_secs(60) });
        cache.put(&request("a"), 1, &results(1));
        assert_eq!(cache.get(&request("a"), 1).map(|r| r.total), Some(1));
        assert!(cache.get(&request("b"), 1).is_none());
        // Another generation (a commit became visible): nothing cached applies.
        assert!(cache.get(&request("a"), 2).is_none());
        cache.put(&request("b"), 2, &results(2));
        assert!(cache.get(&request("a"), 2).is_none(), "the new generation emptied the cache");
        // A result computed on an older searcher is not kept.
        cache.put(&request("a"), 1, &results(1));
        assert!(cache.get(&request("a"), 1).is_none());
        assert_eq!(cache.len(), 1);
        // Full: the oldest goes.
        cache.put(&request("c"), 2, &results(3));
        cache.put(&request("d"), 2, &results(4));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&request("b"), 2).is_none());
        assert_eq!(cache.get(&request("d"), 2).map(|r| r.total), Some(4));
        // Requests differing in anything but text are different entries.
        let mut paged = request("d");
        paged.offset = 10;
        assert!(cache.get(&paged, 2).is_none());
    }

    #[test]
    fn entries_expire_and_off_means_off() {
        let cache = ResultCache::new(CacheSettings { entries: 10, max_age: Duration::from_millis(30) });
        cache.put(&request("a"), 1, &results(1));
        assert!(cache.get(&request("a"), 1).is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get(&request("a"), 1).is_none());
        let off = ResultCache::new(CacheSettings::OFF);
        off.put(&request("a"), 1, &results(1));
        assert!(off.get(&request("a"), 1).is_none());
    }
}
