//! Where the flood limits count: in this process, or in Redis so that every instance draws from
//! one quota. In Redis each post is one atomic script (GCRA, the same rule as the in-process
//! buckets: `n` at once, then one every period/n), timed by Redis's own clock so instances
//! whose clocks disagree still agree. When Redis does not answer, each instance counts in its
//! own memory meanwhile: logged, counted (`courrier_limits_fallback_total`) and shown as
//! readiness `degraded`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;

use super::limiter::Limiter;
use crate::config::LimitSettings;
use crate::instruments::Instruments;

/// Takes one from a bucket: 0 when allowed, else the milliseconds until one is there.
/// KEYS[1] holds the bucket's "theoretical arrival time" (ms), which expires once it is full.
const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local fits_at = tat - interval * (burst - 1)
if now < fits_at then return fits_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], next_tat, 'PX', next_tat - now)
return 0
";

/// How long one check waits for Redis before counting in memory instead.
const ANSWER_WITHIN: Duration = Duration::from_millis(250);
/// After a failure, Redis is left alone this long (checks count in memory without waiting).
const REST_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// The shared store: a Redis connection (re-established on its own), the keys' prefix and key,
/// and whether it is answering.
pub struct LimitStore {
    redis: Option<Redis>,
    instruments: Arc<Instruments>,
}

struct Redis {
    connection: ConnectionManager,
    script: redis::Script,
    prefix: String,
    /// Keys are keyed hashes (`privacy.ip_hash_key`): no address is stored in Redis.
    hash_key: String,
    resting_until: Mutex<Option<Instant>>,
    degraded: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[error("limits.store: {0}")]
pub struct StoreError(String);

impl LimitStore {
    /// The store `limits.store` names. Redis is connected lazily: an instance starts (and
    /// counts in memory) while Redis is away.
    pub fn open(
        settings: &LimitSettings,
        hash_key: &str,
        instruments: Arc<Instruments>,
    ) -> Result<Arc<LimitStore>, StoreError> {
        let redis = match settings.store.redis_url() {
            None => None,
            Some(url) => {
                let client = redis::Client::open(url).map_err(|e| StoreError(e.to_string()))?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(ANSWER_WITHIN))
                    .set_response_timeout(Some(ANSWER_WITHIN))
                    .set_number_of_retries(1);
                let connection = ConnectionManager::new_lazy_with_config(client, config)
                    .map_err(|e| StoreError(e.to_string()))?;
                Some(Redis {
                    connection,
                    script: redis::Script::new(TAKE),
                    prefix: settings.store_prefix.clone(),
                    hash_key: hash_key.to_owned(),
                    resting_until: Mutex::new(None),
                    degraded: AtomicBool::new(false),
                })
            }
        };
        Ok(Arc::new(LimitStore { redis, instruments }))
    }

    /// A store that counts in this process only (`limits.store = "memory"`).
    pub fn in_memory(instruments: Arc<Instruments>) -> Arc<LimitStore> {
        Arc::new(LimitStore {
            redis: None,
            instruments,
        })
    }

    /// Whether limits are shared but Redis is not answering (each instance counts alone). Asks
    /// Redis (a PING) unless it failed less than a second ago.
    pub async fn degraded(&self) -> bool {
        let Some(redis) = &self.redis else {
            return false;
        };
        if redis.resting() {
            return true;
        }
        let mut connection = redis.connection.clone();
        let ping = redis::cmd("PING");
        let answer =
            tokio::time::timeout(ANSWER_WITHIN, ping.query_async::<String>(&mut connection)).await;
        match answer {
            Ok(Ok(_)) => redis.answered(),
            Ok(Err(e)) => redis.failed(e.to_string()),
            Err(_) => redis.failed("no answer in time".into()),
        }
        redis.degraded.load(Ordering::Relaxed)
    }
}

impl Redis {
    fn resting(&self) -> bool {
        let now = Instant::now();
        self.resting_until
            .lock()
            .map(|until| until.is_some_and(|t| now < t))
            .unwrap_or(false)
    }

    fn answered(&self) {
        if self.degraded.swap(false, Ordering::Relaxed) {
            tracing::info!("limits store answers again; limits are shared");
        }
    }

    fn failed(&self, reason: String) {
        if let Ok(mut until) = self.resting_until.lock() {
            *until = Some(Instant::now() + REST_AFTER_FAILURE);
        }
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %reason, "limits store unreachable; this instance counts limits alone until it is back");
        }
    }
}

/// One limit: `n` per `period`, in the store, or in memory (the store's fallback, or the only
/// place when `limits.store = "memory"`).
pub struct Bucket {
    name: &'static str,
    interval_ms: u64,
    burst: u32,
    memory: Limiter<String>,
    store: Arc<LimitStore>,
}

impl Bucket {
    pub fn per_minute(store: &Arc<LimitStore>, name: &'static str, n: u32) -> Bucket {
        Bucket::new(
            store,
            name,
            n,
            Duration::from_secs(60),
            Limiter::per_minute(n),
        )
    }

    pub fn per_hour(store: &Arc<LimitStore>, name: &'static str, n: u32) -> Bucket {
        Bucket::new(
            store,
            name,
            n,
            Duration::from_secs(3600),
            Limiter::per_hour(n),
        )
    }

    fn new(
        store: &Arc<LimitStore>,
        name: &'static str,
        n: u32,
        period: Duration,
        memory: Limiter<String>,
    ) -> Bucket {
        let burst = n.max(1);
        let interval_ms = u64::try_from(period.as_millis() / u128::from(burst)).unwrap_or(1);
        Bucket {
            name,
            interval_ms: interval_ms.max(1),
            burst,
            memory,
            store: store.clone(),
        }
    }

    /// Takes one post from `key`'s bucket, or says in how many seconds one will be there.
    pub async fn check(&self, key: &str) -> Result<(), u64> {
        let Some(redis) = &self.store.redis else {
            return self.memory.check(&key.to_owned());
        };
        match self.take(redis, key).await {
            Ok(0) => Ok(()),
            Ok(wait_ms) => Err(wait_ms.div_ceil(1000).max(1)),
            Err(()) => {
                self.store.instruments.limits_fallback();
                self.memory.check(&key.to_owned())
            }
        }
    }

    /// The key of `key`'s bucket in Redis: a keyed hash, never the text itself.
    fn redis_key(&self, redis: &Redis, key: &str) -> String {
        let hashed = super::auth::token::keyed_hash(redis.hash_key.as_bytes(), key);
        format!("{}:limit:{}:{hashed}", redis.prefix, self.name)
    }

    /// Forgets `key`'s count in memory and in the shared store: whether either held one, or
    /// `None` when Redis could not be asked.
    pub async fn forget(&self, key: &str) -> Option<bool> {
        let here = self.memory.forget(&key.to_owned());
        let Some(redis) = &self.store.redis else {
            return Some(here);
        };
        let mut connection = redis.connection.clone();
        let mut del = redis::cmd("DEL");
        del.arg(self.redis_key(redis, key));
        match tokio::time::timeout(ANSWER_WITHIN, del.query_async::<u64>(&mut connection)).await {
            Ok(Ok(n)) => {
                redis.answered();
                Some(here || n > 0)
            }
            Ok(Err(e)) => {
                redis.failed(e.to_string());
                None
            }
            Err(_) => {
                redis.failed("no answer in time".into());
                None
            }
        }
    }

    /// How many keys this instance counts in memory.
    pub fn memory_len(&self) -> usize {
        self.memory.len()
    }

    /// The store's answer, or `Err` (Redis resting or failing: the caller counts in memory).
    async fn take(&self, redis: &Redis, key: &str) -> Result<u64, ()> {
        if redis.resting() {
            return Err(());
        }
        let full_key = self.redis_key(redis, key);
        let mut connection = redis.connection.clone();
        let mut invocation = redis.script.key(full_key);
        invocation.arg(self.interval_ms).arg(self.burst);
        let answer = tokio::time::timeout(
            ANSWER_WITHIN,
            invocation.invoke_async::<u64>(&mut connection),
        )
        .await;
        match answer {
            Ok(Ok(wait_ms)) => {
                redis.answered();
                Ok(wait_ms)
            }
            Ok(Err(e)) => {
                redis.failed(e.to_string());
                Err(())
            }
            Err(_) => {
                redis.failed("no answer in time".into());
                Err(())
            }
        }
    }

    /// Forgets the in-memory keys whose buckets are full again.
    pub fn prune(&self) {
        self.memory.prune();
    }
}
