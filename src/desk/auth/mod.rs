//! Staff authentication: passwords, sign-in with lockout, sessions and their timeouts.

mod password;
mod token;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};

pub use password::{HashError, Hasher};
pub use token::{hex, new_token, same_secret, token_hash};

use crate::config::AuthSettings;
use crate::db::staff::{self as store, NewSession, UserRow};
use crate::db::{self, DbError, Pool};
use crate::domain::Role;

/// A signed-in staff member, as every staff handler sees them.
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub session_id: String,
}

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

/// Lockout length after `failures` failed sign-ins: none below the threshold, then the base
/// doubling with each further failure, capped.
fn lock_for(settings: &AuthSettings, failures: i32) -> Option<Duration> {
    let over = failures - settings.lockout_threshold;
    if over < 0 {
        return None;
    }
    let secs = u64::from(settings.lockout_base_seconds)
        .saturating_mul(1u64 << over.min(30))
        .min(u64::from(settings.lockout_max_seconds));
    Some(Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX)))
}

/// A fresh session for the client.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub expires_at: NaiveDateTime,
    pub user: UserRow,
}

/// What sign-in needs: settings, the hasher and the per-IP limiter.
pub struct Auth {
    pub settings: AuthSettings,
    pub hasher: Hasher,
    per_ip: Arc<crate::desk::limits::Limiter<IpAddr>>,
}

impl Auth {
    pub fn new(settings: AuthSettings) -> Result<Auth, HashError> {
        Ok(Auth {
            hasher: Hasher::new(settings.max_concurrent_hashes)?,
            per_ip: Arc::new(crate::desk::limits::Limiter::per_minute(
                settings.login_per_ip_per_minute,
            )),
            settings,
        })
    }

    /// Forgets the sign-in limiter's quiet addresses.
    pub fn prune_limits(&self) {
        self.per_ip.prune();
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
            if let Err(retry_after_secs) = self.per_ip.check(&ip) {
                return Err(AuthError::TooManyAttempts { retry_after_secs });
            }
        }
        let email = crate::desk::accounts::account_key(email);
        let now = db::now();
        let (locked, user) = if email.chars().any(char::is_control) {
            (None, None)
        } else {
            let email = email.clone();
            db::run(pool, move |conn| {
                Ok((
                    store::locked_until(conn, &email, now)?,
                    store::user_by_email(conn, &email)?,
                ))
            })
            .await?
        };
        if let Some(until) = locked {
            return Err(AuthError::TooManyAttempts {
                retry_after_secs: u64::try_from((until - now).num_seconds())
                    .unwrap_or(0)
                    .max(1),
            });
        }
        let user = user.filter(|u| u.active);
        // Over-long input cannot be a password here: refuse it without hashing.
        let plausible = password.len() <= crate::domain::Password::MAX * 4;
        let matches = plausible
            && self
                .hasher
                .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
                .await?;
        match user {
            Some(user) if matches => self.open_session(pool, &email, user).await,
            _ => {
                if email.chars().any(char::is_control) {
                    // Not an address anyone has; nothing to count it against.
                    return Err(AuthError::InvalidCredentials);
                }
                let settings = self.settings.clone();
                let forget_before =
                    now - Duration::seconds(i64::from(settings.lockout_max_seconds));
                db::run(pool, move |conn| {
                    store::record_failure(conn, &email, now, forget_before, |n| {
                        lock_for(&settings, n)
                    })
                })
                .await?;
                Err(AuthError::InvalidCredentials)
            }
        }
    }

    async fn open_session(
        &self,
        pool: &Pool,
        email: &str,
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
        let email = email.to_owned();
        db::run(pool, move |conn| {
            db::write_tx(conn, |conn| {
                store::clear_failures(conn, &email)?;
                store::create_session(conn, &session)
            })
        })
        .await?;
        Ok(Issued {
            token,
            expires_at,
            user,
        })
    }

    /// The staff member a bearer token stands for, if the session is alive.
    pub async fn authenticate(&self, pool: &Pool, token: &str) -> Result<StaffUser, AuthError> {
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
            // Recording every request would make each read a write; a minute's precision is
            // plenty for a two-hour idle timeout.
            if now - session.last_seen_at > Duration::seconds(60) {
                // Best effort: a busy database must not sign anyone out.
                if let Err(e) = store::touch_session(conn, &session.id, now) {
                    tracing::warn!(error = %e, "session last-seen time not updated");
                }
            }
            Ok(Some((session, user)))
        })
        .await?;
        let (session, user) = found.ok_or(AuthError::Unauthenticated)?;
        let role = Role::parse(&user.role).map_err(|_| AuthError::Unauthenticated)?;
        Ok(StaffUser {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            role,
            session_id: session.id,
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
