//! Password hashing: argon2id with the OWASP parameters, on a few dedicated threads (so at most
//! that many run at once, off the async threads), and the same work for an unknown account as
//! for a wrong password.
//!
//! Dedicated threads rather than the blocking pool: each hash allocates 19 MiB, and the
//! allocator keeps such blocks per thread, so hashing on the blocking pool's many threads grew
//! the process to 700 MiB under a sign-in load; a fixed handful of threads caps that.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::cell::RefCell;

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version};

use crate::domain::Password;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot stayed busy: answer 503 rather than queue without end.
    #[error("too many password checks at once")]
    Busy,
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// How long a sign-in waits for its hash before giving up.
const SLOT_WAIT: Duration = Duration::from_secs(5);
/// Hashes that may wait for a thread; beyond that, answer "busy" at once.
const QUEUE: usize = 64;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Hasher {
    jobs: SyncSender<Job>,
    /// A real hash of a random password, checked when the account does not exist.
    dummy: Arc<str>,
}

impl Hasher {
    pub fn new(max_concurrent: usize) -> Result<Hasher, HashError> {
        let random: String = uuid::Uuid::new_v4().simple().to_string();
        let dummy = hash_now(&random)?;
        let (jobs, queue) = sync_channel::<Job>(QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..max_concurrent.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&queue))
                .map_err(|e| HashError::Failed(e.to_string()))?;
        }
        Ok(Hasher {
            jobs,
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
            .on_blocking_pool(move || verify_now(&password, &hash))
            .await?;
        Ok(known && matches)
    }

    async fn on_blocking_pool<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(f());
        });
        self.jobs.try_send(job).map_err(|_| HashError::Busy)?;
        tokio::time::timeout(SLOT_WAIT, result)
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Failed("hashing thread stopped".into()))
    }
}

/// A hashing thread: runs jobs until every `Hasher` handle is gone.
fn work(queue: &Mutex<Receiver<Job>>) {
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

thread_local! {
    /// The 19 MiB of working memory a hash needs, kept by each hashing thread and reused, so
    /// a flood of sign-ins costs no allocation at all.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Checks a password against a stored PHC string, with the thread's reusable memory.
fn verify_now(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::new(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = parsed
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .unwrap_or(Version::V0x13);
    let blocks_needed = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < blocks_needed {
            blocks.resize(blocks_needed, Block::default());
        }
        argon2.hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut blocks[..blocks_needed],
        )
    });
    // Constant time: the comparison does not stop at the first differing byte.
    computed.is_ok()
        && out.len() == expected.as_bytes().len()
        && out
            .iter()
            .zip(expected.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
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
