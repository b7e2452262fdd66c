//! Staff authentication: passwords, sign-in with lockout, sessions and their timeouts.

mod csrf;
mod password;
mod throttle;
pub(crate) mod token;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};

pub use password::{HashError, Hasher, Lane};
use throttle::ClientKeys;
pub use throttle::{lockout, sweep, Lockout};
pub use token::{hex, keyed_hash, new_token, same_secret, token_hash};

use crate::config::AuthSettings;
use crate::db::staff::{self as store, NewSession, UserRow};
use crate::db::{self, DbError, Pool};
use crate::domain::ReaderEmail;

pub use crate::desk::caller::Caller;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong e-mail or password, unknown or disabled account: one answer for all.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Missing, unknown, expired or revoked token.
    #[error("not signed in")]
    Unauthenticated,
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A fresh session for the client.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub expires_at: NaiveDateTime,
    pub user: crate::desk::views::Account,
}

/// What sign-in needs: settings, the hasher, the per-IP limiter and the clients' keys.
pub struct Auth {
    pub settings: AuthSettings,
    pub hasher: Hasher,
    per_ip: Arc<crate::desk::limit_store::Bucket>,
    clients: ClientKeys,
    /// Keys the console's form tokens (`csrf.rs`).
    csrf_key: Vec<u8>,
}

impl Auth {
    /// `ip_hash_key` is the deployment's `privacy.ip_hash_key`: clients are kept as its hashes.
    /// The per-IP limit counts in `limits`' store.
    pub fn new(
        settings: AuthSettings,
        ip_hash_key: &str,
        limits: &Arc<crate::desk::limit_store::LimitStore>,
    ) -> Result<Auth, HashError> {
        Ok(Auth {
            hasher: Hasher::new(settings.max_concurrent_hashes)?,
            per_ip: Arc::new(crate::desk::limit_store::Bucket::per_minute(
                limits,
                "signin_ip",
                settings.login_per_ip_per_minute,
            )),
            clients: ClientKeys::new(ip_hash_key),
            csrf_key: ip_hash_key.as_bytes().to_vec(),
            settings,
        })
    }

    /// Forgets the sign-in limiter's quiet addresses.
    pub fn prune_limits(&self) {
        self.per_ip.prune();
    }

    /// Deletes the throttle's expired rows.
    pub async fn sweep(&self, pool: &Pool) -> Result<usize, DbError> {
        sweep(pool, &self.settings).await
    }

    /// Checks the credentials and opens a session.
    pub async fn login(
        &self,
        pool: &Pool,
        email: &str,
        password: &str,
        ip: Option<IpAddr>,
    ) -> Result<Issued, AuthError> {
        if let Some(ip) = ip {
            if let Err(retry_after_secs) = self.per_ip.check(&ip.to_string()).await {
                return Err(AuthError::TooManyAttempts { retry_after_secs });
            }
        }
        // No account has an address that is malformed or over 254 characters: refuse it as any
        // failed sign-in, before the database and the hashing threads, and count nothing (there
        // is nothing to protect, and nothing to store).
        let Ok(address) = ReaderEmail::parse(email) else {
            return Err(AuthError::InvalidCredentials);
        };
        let email = address.folded();
        let client = self.clients.key(ip);
        let now = db::now();
        let gate = throttle::gate(pool, &self.settings, &email, &client, now).await?;
        // An account waiting for its invitation has no password: it signs in by none, in the
        // time any unknown address takes.
        let user = gate
            .user
            .as_ref()
            .filter(|u| u.active && u.password_hash != crate::db::invitations::NO_PASSWORD);
        // Over-long input cannot be a password here: refuse it without hashing.
        let plausible = password.len() <= crate::domain::Password::MAX * 4;
        let lane = if gate.known { Lane::Known } else { Lane::Open };
        let matches = plausible
            && self
                .hasher
                .verify(password, user.map(|u| u.password_hash.as_str()), lane)
                .await?;
        match user {
            Some(user) if matches => self.open_session(pool, &email, &client, user.clone()).await,
            _ => {
                throttle::record_failure(pool, &self.settings, &email, &client, &gate, now).await?;
                Err(AuthError::InvalidCredentials)
            }
        }
    }

    /// Opens the session, unless the credentials just checked changed meanwhile: then the
    /// sign-in fails as with a wrong password.
    async fn open_session(
        &self,
        pool: &Pool,
        email: &str,
        client: &str,
        user: UserRow,
    ) -> Result<Issued, AuthError> {
        let token = new_token();
        let now = db::now();
        let expires_at = now + Duration::minutes(i64::from(self.settings.absolute_timeout_minutes));
        let session = NewSession {
            id: uuid::Uuid::now_v7().to_string(),
            token_hash: token_hash(&token),
            user_id: user.id.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at,
        };
        let (email, client) = (email.to_owned(), client.to_owned());
        let version = user.credentials_version;
        let opened = db::run(pool, move |conn| {
            store::open_session(conn, &session, version, &email, &client)
        })
        .await?;
        if !opened {
            return Err(AuthError::InvalidCredentials);
        }
        Ok(Issued {
            token,
            expires_at,
            user: user.into(),
        })
    }

    /// The staff member a bearer token stands for, if the session is alive.
    pub async fn authenticate(&self, pool: &Pool, token: &str) -> Result<Caller, AuthError> {
        let hash = token_hash(token);
        let now = db::now();
        let idle = Duration::minutes(i64::from(self.settings.idle_timeout_minutes));
        let found = db::run(pool, move |conn| {
            let Some((session, user)) = store::session_by_token(conn, &hash)? else {
                return Ok(None);
            };
            let alive = session.revoked_at.is_none()
                && session.expires_at > now
                && session.last_seen_at + idle > now
                && user.active;
            if !alive {
                return Ok(None);
            }
            // Recording every request would make each read a write; a tenth of the idle
            // timeout is precision enough, and a session in use never comes near its end.
            if now - session.last_seen_at > idle / 10 {
                // Best effort: a busy database must not sign anyone out.
                if let Err(e) = store::touch_session(conn, &session.id, now) {
                    tracing::warn!(error = %e, "session last-seen time not updated");
                }
            }
            Ok(Some((session, user)))
        })
        .await?;
        let (session, user) = found.ok_or(AuthError::Unauthenticated)?;
        let role = user.role;
        Ok(Caller {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role,
            active: user.active,
            session_id: session.id,
            locale: user.locale,
        })
    }

    pub async fn logout(&self, pool: &Pool, session_id: &str) -> Result<(), AuthError> {
        let id = session_id.to_owned();
        db::run(pool, move |conn| {
            store::revoke_session(conn, &id, db::now())
        })
        .await?;
        Ok(())
    }
}
