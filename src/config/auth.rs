//! `[auth]`: staff sessions and sign-in throttling, and their check.

use serde::Deserialize;

use super::check::at_least;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// A session ends after this long without use…
    pub idle_timeout_minutes: u32,
    /// …and after this long in any case.
    pub absolute_timeout_minutes: u32,
    /// Password hashes computed at once (each takes ~19 MiB and a core for ~15 ms).
    pub max_concurrent_hashes: usize,
    /// Failed sign-ins to one address from one client before that client is locked out of it…
    pub lockout_threshold: i32,
    /// …for this long, doubling with each further failure, up to the maximum.
    pub lockout_base_seconds: u32,
    pub lockout_max_seconds: u32,
    /// Failed sign-ins to one account per hour, all clients together, after which only the
    /// clients it signed in from in the last 30 days may still try.
    pub account_failures_per_hour: u32,
    /// Sign-in attempts allowed per client IP and minute.
    pub login_per_ip_per_minute: u32,
    /// Whether the console's cookies carry `Secure` (sent over HTTPS only); production
    /// refuses `false`.
    pub cookie_secure: bool,
}

impl AuthSettings {
    pub(super) fn check(&self, problems: &mut Vec<String>) {
        at_least(
            problems,
            &[
                (
                    "auth.absolute_timeout_minutes",
                    u64::from(self.absolute_timeout_minutes),
                    1,
                ),
                (
                    "auth.lockout_base_seconds",
                    u64::from(self.lockout_base_seconds),
                    1,
                ),
                (
                    "auth.lockout_max_seconds",
                    u64::from(self.lockout_max_seconds),
                    1,
                ),
            ],
        );
        if self.lockout_threshold < 1 {
            problems.push("auth.lockout_threshold: at least 1".into());
        }
        if self.idle_timeout_minutes < 5 {
            problems.push(format!(
                "auth.idle_timeout_minutes: at least 5 (is {}): a session in use is marked \
                 so only every tenth of the timeout, and shorter timeouts sign out staff \
                 between two clicks",
                self.idle_timeout_minutes
            ));
        }
        if self.account_failures_per_hour < 1 {
            problems.push("auth.account_failures_per_hour: at least 1".into());
        }
        if self.max_concurrent_hashes == 0 || self.login_per_ip_per_minute == 0 {
            problems.push(
                "auth.max_concurrent_hashes and auth.login_per_ip_per_minute: at least 1".into(),
            );
        }
    }
}
