//! Login rate limiting, per account (never per client address, which Chorus does not record).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed logins allowed per account within a window; further attempts wait for the window to
/// pass, whether or not the password is right, so guessing cannot continue in the background.
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> LoginLimiter {
        LoginLimiter { max_failures, window, failures: Mutex::new(HashMap::new()) }
    }

    fn recent<'a>(&self, map: &'a mut HashMap<String, VecDeque<Instant>>, key: &str) -> &'a mut VecDeque<Instant> {
        let q = map.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|t| t.elapsed() >= self.window) {
            q.pop_front();
        }
        q
    }

    /// Whether another attempt for this account may be made now.
    pub fn allowed(&self, key: &str) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let allowed = self.recent(&mut map, key).len() < self.max_failures;
        // Forget idle accounts so the map cannot grow without bound.
        if map.len() > 100_000 {
            map.retain(|_, q| q.back().is_some_and(|t| t.elapsed() < self.window));
        }
        allowed
    }

    pub fn record_failure(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        self.recent(&mut map, key).push_back(Instant::now());
    }

    pub fn reset(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_an_account_for_the_window() {
        let l = LoginLimiter::new(2, Duration::from_millis(50));
        assert!(l.allowed("a"));
        l.record_failure("a");
        l.record_failure("a");
        assert!(!l.allowed("a"));
        assert!(l.allowed("b"), "other accounts are not affected");
        std::thread::sleep(Duration::from_millis(60));
        assert!(l.allowed("a"));
        l.record_failure("a");
        l.reset("a");
        l.record_failure("a");
        assert!(l.allowed("a"));
    }
}
