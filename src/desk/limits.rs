//! Flood limits: keyed token buckets (governor), answered with 429 and `Retry-After`. Each
//! limiter forgets keys that have been quiet long enough when pruned (`prune`, every minute),
//! so memory follows the traffic, not its history.

use std::net::IpAddr;
use std::sync::Arc;

pub use super::limiter::Limiter;

use super::limit_store::{Bucket, LimitStore};
use crate::config::LimitSettings;

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
