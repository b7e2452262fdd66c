//! A keyed token bucket in memory (governor) that can forget one key: what each instance counts
//! on its own, and what the shared store falls back to when it does not answer.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::nanos::Nanos;
use governor::state::keyed::{HashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::StateStore;
use governor::{Quota, RateLimiter};

pub struct Limiter<K: Hash + Eq + Clone> {
    limiter: RateLimiter<K, Keys<K>, DefaultClock>,
    /// The same keys, reachable to forget one (an erased reader's).
    keys: Arc<HashMapStateStore<K>>,
}

/// governor's keyed store, shared with the limiter so that one key can be forgotten.
struct Keys<K: Hash + Eq + Clone>(Arc<HashMapStateStore<K>>);

impl<K: Hash + Eq + Clone> StateStore for Keys<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for Keys<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        self.0.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn with(quota: Quota) -> Self {
        let keys = Arc::new(HashMapStateStore::default());
        Limiter {
            limiter: RateLimiter::new(quota, Keys(keys.clone()), DefaultClock::default()),
            keys,
        }
    }

    /// `n` per minute, all of them at once if need be.
    pub fn per_minute(n: u32) -> Self {
        Limiter::with(Quota::per_minute(
            NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
        ))
    }

    /// `n` per hour, all of them at once if need be.
    pub fn per_hour(n: u32) -> Self {
        Limiter::with(Quota::per_hour(
            NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
        ))
    }

    /// Forgets one key's count, as if it had never been seen; whether it was there.
    pub fn forget(&self, key: &K) -> bool {
        self.keys.lock().remove(key).is_some()
    }

    /// Takes one from the key's bucket, or says in how many seconds one will be there.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    /// Forgets the keys whose buckets are full again.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.limiter.is_empty()
    }
}
