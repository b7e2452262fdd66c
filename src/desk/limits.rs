//! Flood limits: keyed token buckets (governor), answered with 429 and `Retry-After`. Each
//! limiter forgets keys that have been quiet long enough when pruned (`prune`, every minute),
//! so memory follows the traffic, not its history.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::nanos::Nanos;
use governor::state::keyed::{HashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::StateStore;
use governor::{Quota, RateLimiter};

use std::sync::Arc;

use super::limit_store::{Bucket, LimitStore};
use crate::config::LimitSettings;

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

/// The public forms' limits: per client address, and per reader address, counted where
/// `limits.store` says.
pub struct FormLimits {
    per_ip: Bucket,
    per_email: Bucket,
}

impl FormLimits {
    pub fn new(settings: &LimitSettings, store: &Arc<LimitStore>) -> FormLimits {
        FormLimits {
            per_ip: Bucket::per_minute(store, "form_ip", settings.form_per_ip_per_minute),
            per_email: Bucket::per_hour(store, "form_reader", settings.form_per_email_per_hour),
        }
    }

    /// Takes one post from the client's bucket: an IPv4 address, or an IPv6 /64 (one
    /// subscriber's whole network, which an attacker holding one address holds too).
    pub async fn check_client(&self, ip: IpAddr) -> Result<(), u64> {
        let client = crate::config::networks::subscriber(ip).to_string();
        self.per_ip.check(&client).await
    }

    /// Takes one post from the reader's bucket, by mailbox (plus tags folded).
    pub async fn check_reader(&self, email: &crate::domain::ReaderEmail) -> Result<(), u64> {
        self.per_email.check(&email.mailbox()).await
    }

    pub fn prune(&self) {
        self.per_ip.prune();
        self.per_email.prune();
    }

    /// Forgets a reader's count (their address is being erased), here and in the shared store;
    /// whether anything was held (`None` when the shared store could not be asked).
    pub async fn forget_reader(&self, email: &crate::domain::ReaderEmail) -> Option<bool> {
        self.per_email.forget(&email.mailbox()).await
    }

    /// How many readers' counts this instance holds in memory.
    pub fn readers_counted(&self) -> usize {
        self.per_email.memory_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_then_says_when_to_come_back_and_pruning_keeps_busy_keys() {
        let limiter: Limiter<&str> = Limiter::per_hour(2);
        assert!(limiter.check(&"a").is_ok());
        assert!(limiter.check(&"a").is_ok());
        let wait = limiter.check(&"a").unwrap_err();
        assert!((1..=1800).contains(&wait), "{wait}");
        assert!(limiter.check(&"b").is_ok(), "keys are separate");
        limiter.prune();
        // Both buckets are still being refilled: nothing to forget yet.
        assert_eq!(limiter.len(), 2);
        assert!(limiter.check(&"a").is_err());
        // Forgetting a key gives it a full bucket again, and leaves the others.
        assert!(limiter.forget(&"a"));
        assert!(!limiter.forget(&"a"));
        assert_eq!(limiter.len(), 1);
        assert!(limiter.check(&"a").is_ok());
    }
}
