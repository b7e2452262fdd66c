//! The console's anti-forgery tokens, derived under a server key so they are checked without
//! storage: per session for signed-in forms (dying with the session), and for the sign-in form,
//! bound to the pre-session cookie's value.

use super::{keyed_hash, same_secret, Auth};

impl Auth {
    /// The token every state-changing console form of this session carries.
    pub fn csrf_token(&self, session_id: &str) -> String {
        keyed_hash(&self.csrf_key, &format!("console-form:{session_id}"))
    }

    /// Whether a posted token is this session's.
    pub fn csrf_matches(&self, session_id: &str, sent: &str) -> bool {
        same_secret(sent, &self.csrf_token(session_id))
    }

    /// The sign-in form's token for this pre-session cookie value. Only the server can derive
    /// it, so a cookie planted from elsewhere (a sibling domain can set one) does not come with
    /// the form value that would pass.
    pub fn signin_token(&self, cookie: &str) -> String {
        keyed_hash(&self.csrf_key, &format!("console-signin:{cookie}"))
    }

    /// Whether a posted sign-in token belongs to this pre-session cookie value.
    pub fn signin_matches(&self, cookie: &str, sent: &str) -> bool {
        !cookie.is_empty() && same_secret(sent, &self.signin_token(cookie))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_belongs_to_one_session() {
        let settings: crate::config::AuthSettings = serde_json::from_value(serde_json::json!({
            "idle_timeout_minutes": 120, "absolute_timeout_minutes": 720,
            "max_concurrent_hashes": 1, "lockout_threshold": 5, "lockout_base_seconds": 30,
            "lockout_max_seconds": 60, "account_failures_per_hour": 100,
            "login_per_ip_per_minute": 30, "cookie_secure": true
        }))
        .unwrap();
        let store = crate::desk::limit_store::LimitStore::in_memory(std::sync::Arc::new(
            crate::instruments::Instruments::new(),
        ));
        let auth = Auth::new(settings, "a-key", &store).unwrap();
        let token = auth.csrf_token("s1");
        assert!(auth.csrf_matches("s1", &token));
        assert!(!auth.csrf_matches("s2", &token));
        assert!(!auth.csrf_matches("s1", ""));
        // The sign-in token is the cookie's under the key, never the cookie itself.
        let cookie = "c".repeat(43);
        assert!(auth.signin_matches(&cookie, &auth.signin_token(&cookie)));
        assert!(!auth.signin_matches(&cookie, &cookie));
        assert!(!auth.signin_matches("", &auth.signin_token("")));
        assert_ne!(auth.signin_token(&cookie), token);
    }
}
