//! Password hashing: argon2id with the OWASP parameters, on the blocking pool, a bounded number
//! at a time, and the same work for an unknown account as for a wrong password.

use std::sync::Arc;
use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::domain::Password;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot stayed busy: answer 503 rather than queue without end.
    #[error("too many password checks at once")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// How long a sign-in waits for a hashing slot before giving up.
const SLOT_WAIT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    /// A real hash of a random password, checked when the account does not exist.
    dummy: Arc<str>,
}

impl Hasher {
    pub fn new(max_concurrent: usize) -> Result<Hasher, HashError> {
        let random: String = uuid::Uuid::new_v4().simple().to_string();
        let dummy = hash_now(&random)?;
        Ok(Hasher {
            slots: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy: dummy.into(),
        })
    }

    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let password = password.as_str().to_owned();
        self.on_blocking_pool(move || hash_now(&password)).await?
    }

    /// True when `password` matches `stored`; with no stored hash, checks the dummy and says
    /// no, taking the same time.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, HashError> {
        let known = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy.to_string(), str::to_owned);
        let password = password.to_owned();
        let matches = self
            .on_blocking_pool(move || {
                Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            })
            .await?;
        Ok(known && matches)
    }

    async fn on_blocking_pool<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _slot = tokio::time::timeout(SLOT_WAIT, self.slots.acquire())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Busy)?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| HashError::Failed(e.to_string()))
    }
}

fn hash_now(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hasher = Hasher::new(1).unwrap();
        let pw = Password::parse("correct horse battery".into()).unwrap();
        let hash = hasher.hash(&pw).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher
            .verify("correct horse battery", Some(&hash))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse battery", Some(&hash))
            .await
            .unwrap());
        assert!(!hasher.verify("correct horse battery", None).await.unwrap());
    }
}
