//! Password hashing: argon2id with the OWASP parameters, on a few dedicated threads (so at most
//! that many run at once, off the async threads), and the same work for an unknown account as
//! for a wrong password.
//!
//! Dedicated threads rather than the blocking pool: each hash allocates 19 MiB, and the
//! allocator keeps such blocks per thread, so hashing on the blocking pool's many threads grew
//! the process to 700 MiB under a sign-in load; a fixed handful of threads caps that.
//!
//! Two lanes feed the threads. Anyone's sign-in waits in the open lane, which a flood from many
//! addresses can fill (then "busy", 503). Sign-ins from a client the account signed in from
//! lately, and the hashes an admin asks for, take the known lane, which the threads always
//! serve first: an attacker cannot get there without having signed in to that account from
//! there, so staff at their usual places still sign in during a credential-stuffing wave.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
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

/// Which queue a hash waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// A sign-in from a client this account signed in from lately, or an admin's request.
    Known,
    /// Any other sign-in.
    Open,
}

/// How long a sign-in waits for its hash before giving up.
const SLOT_WAIT: Duration = Duration::from_secs(5);
/// Hashes that may wait in each lane; beyond that, answer "busy" at once.
const QUEUE: usize = 64;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Lanes {
    known: VecDeque<Job>,
    open: VecDeque<Job>,
    /// Set when the last `Hasher` handle goes: the threads finish what waits, then stop.
    closed: bool,
}

#[derive(Default)]
struct Queue {
    lanes: Mutex<Lanes>,
    ready: Condvar,
}

/// Closes the queue when the last handle is dropped.
struct Handle {
    queue: Arc<Queue>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Ok(mut lanes) = self.queue.lanes.lock() {
            lanes.closed = true;
        }
        self.queue.ready.notify_all();
    }
}

#[derive(Clone)]
pub struct Hasher {
    inner: Arc<Handle>,
    /// A real hash of a random password, checked when the account does not exist. Made on the
    /// first such check, on a hashing thread: a process that never signs anyone in (a command
    /// line verb, one piped message) never pays for it.
    dummy: Arc<OnceLock<String>>,
}

impl Hasher {
    pub fn new(max_concurrent: usize) -> Result<Hasher, HashError> {
        let queue = Arc::new(Queue::default());
        for n in 0..max_concurrent.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&queue))
                .map_err(|e| HashError::Failed(e.to_string()))?;
        }
        Ok(Hasher {
            inner: Arc::new(Handle { queue }),
            dummy: Arc::new(OnceLock::new()),
        })
    }

    /// A new password's hash; asked by an admin or the command line, so in the known lane.
    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let password = password.as_str().to_owned();
        self.on_hashing_thread(Lane::Known, move || hash_now(&password))
            .await?
    }

    /// True when `password` matches `stored`; with no stored hash, checks the dummy and says
    /// no, taking the same time.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
        lane: Lane,
    ) -> Result<bool, HashError> {
        let known = stored.is_some();
        let stored = stored.map(str::to_owned);
        let dummy = self.dummy.clone();
        let password = password.to_owned();
        let matches = self
            .on_hashing_thread(lane, move || {
                let hash = match stored {
                    Some(hash) => hash,
                    None => dummy_hash(&dummy)?,
                };
                Ok(verify_now(&password, &hash))
            })
            .await??;
        Ok(known && matches)
    }

    /// Makes the dummy now, on a hashing thread, so that the first unknown address to sign in
    /// waits no longer than the others (`courrier serve` calls it at start).
    pub async fn warm(&self) -> Result<(), HashError> {
        let dummy = self.dummy.clone();
        self.on_hashing_thread(Lane::Known, move || dummy_hash(&dummy).map(|_| ()))
            .await?
    }

    async fn on_hashing_thread<T: Send + 'static>(
        &self,
        lane: Lane,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(f());
        });
        {
            let mut lanes = self
                .inner
                .queue
                .lanes
                .lock()
                .map_err(|_| HashError::Failed("hashing queue poisoned".into()))?;
            let waiting = match lane {
                Lane::Known => &mut lanes.known,
                Lane::Open => &mut lanes.open,
            };
            if waiting.len() >= QUEUE {
                return Err(HashError::Busy);
            }
            waiting.push_back(job);
        }
        self.inner.queue.ready.notify_one();
        tokio::time::timeout(SLOT_WAIT, result)
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Failed("hashing thread stopped".into()))
    }
}

/// A hashing thread: runs jobs, the known lane's first, until every `Hasher` handle is gone.
fn work(queue: &Queue) {
    loop {
        let job = {
            let Ok(mut lanes) = queue.lanes.lock() else {
                return;
            };
            loop {
                if let Some(job) = lanes.known.pop_front().or_else(|| lanes.open.pop_front()) {
                    break job;
                }
                if lanes.closed {
                    return;
                }
                lanes = match queue.ready.wait(lanes) {
                    Ok(l) => l,
                    Err(_) => return,
                };
            }
        };
        job();
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

/// The dummy hash, made once.
fn dummy_hash(dummy: &OnceLock<String>) -> Result<String, HashError> {
    if let Some(hash) = dummy.get() {
        return Ok(hash.clone());
    }
    let random: String = uuid::Uuid::new_v4().simple().to_string();
    let made = hash_now(&random)?;
    Ok(dummy.get_or_init(|| made).clone())
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
            .verify("correct horse battery", Some(&hash), Lane::Open)
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse battery", Some(&hash), Lane::Known)
            .await
            .unwrap());
        assert!(!hasher
            .verify("correct horse battery", None, Lane::Open)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn the_known_lane_is_served_first_even_when_the_open_lane_is_full() {
        use futures_util::FutureExt;
        let hasher = Hasher::new(1).unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        // Hold the only thread, so that nothing leaves the queue while it is filled.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel();
        let h = hasher.clone();
        let blocker = tokio::spawn(async move {
            h.on_hashing_thread(Lane::Open, move || {
                let _ = started.send(());
                let _ = held.recv();
            })
            .await
        });
        running.await.unwrap();
        let mut waiting = Vec::new();
        for n in 0..QUEUE {
            let (h, order) = (hasher.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                h.on_hashing_thread(Lane::Open, move || order.lock().unwrap().push(n))
                    .await
            }));
        }
        let mut refused = false;
        for _ in 0..1000 {
            tokio::task::yield_now().await;
            let probe = hasher.on_hashing_thread(Lane::Open, || ()).now_or_never();
            if matches!(probe, Some(Err(HashError::Busy))) {
                refused = true;
                break;
            }
        }
        assert!(refused, "the open lane never filled");
        let (h, o) = (hasher.clone(), order.clone());
        let known = tokio::spawn(async move {
            h.on_hashing_thread(Lane::Known, move || o.lock().unwrap().push(usize::MAX))
                .await
        });
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        known.await.unwrap().unwrap();
        // Some of the fillers may have found the lane full too; those that queued ran after.
        for w in waiting {
            let _ = w.await.unwrap();
        }
        let order = order.lock().unwrap();
        assert!(order.len() > 1, "{order:?}");
        assert_eq!(order.first(), Some(&usize::MAX));
    }
}
