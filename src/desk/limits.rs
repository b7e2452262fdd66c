//! Flood limits: keyed token buckets (governor), answered with 429 and `Retry-After`. Each
//! limiter forgets keys that have been quiet long enough when pruned (`prune`, every minute),
//! so memory follows the traffic, not its history.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use std::sync::Arc;

use super::limit_store::{Bucket, LimitStore};
use crate::config::LimitSettings;

pub struct Limiter<K: Hash + Eq + Clone>(DefaultKeyedRateLimiter<K>);

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// `n` per minute, all of them at once if need be.
    pub fn per_minute(n: u32) -> Self {
        Limiter(RateLimiter::keyed(Quota::per_minute(
            NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
        )))
    }

    /// `n` per hour, all of them at once if need be.
    pub fn per_hour(n: u32) -> Self {
        Limiter(RateLimiter::keyed(Quota::per_hour(
            NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
        )))
    }

    /// Takes one from the key's bucket, or says in how many seconds one will be there.
    pub fn check(&self, key: &K) -> Result<(), u64> {
        self.0.check_key(key).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }

    /// Forgets the keys whose buckets are full again.
    pub fn prune(&self) {
        self.0.retain_recent();
        self.0.shrink_to_fit();
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
    }
}
