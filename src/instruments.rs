//! What Prometheus scrapes at `/metrics`: counters and histograms kept as things happen, and
//! gauges (the outbox, the pool) read when scraped. Each application owns its recorder, so two
//! instances in one process (the tests) never mix their figures.

use metrics::{Key, Label, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

pub const SUBMISSIONS: &str = "courrier_submissions_total";
pub const HTTP_REQUESTS: &str = "courrier_http_requests_total";
pub const HTTP_DURATION: &str = "courrier_http_request_duration_seconds";
pub const SEND_ATTEMPTS: &str = "courrier_mail_send_attempts_total";
pub const SEND_FAILURES: &str = "courrier_mail_send_failures_total";
pub const OUTBOX_JOBS: &str = "courrier_outbox_jobs";
pub const OUTBOX_OLDEST_PENDING: &str = "courrier_outbox_oldest_pending_age_seconds";
pub const POOL_CONNECTIONS: &str = "courrier_db_pool_connections";
pub const POOL_MAX: &str = "courrier_db_pool_max_connections";
pub const INTAKE_BATCHES: &str = "courrier_intake_batches_total";
pub const INTAKE_BATCHED: &str = "courrier_intake_batched_submissions_total";
pub const INTAKE_BATCH_SPLITS: &str = "courrier_intake_batch_splits_total";
pub const LIMITS_FALLBACK: &str = "courrier_limits_fallback_total";
pub const INBOUND_IDLE: &str = "courrier_inbound_idle";

/// Latency buckets, in seconds: from a cached page to a slow database.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What became of a form post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Invalid,
    Quarantined,
    RateLimited,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Invalid => "invalid",
            Outcome::Quarantined => "quarantined",
            Outcome::RateLimited => "rate_limited",
        }
    }
}

pub struct Instruments {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

static META: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, None);

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    Key::from_parts(
        name,
        labels
            .iter()
            .map(|(k, v)| Label::new(*k, (*v).to_owned()))
            .collect::<Vec<_>>(),
    )
}

/// The methods that get a label of their own; any other is `other`, since a client may send any
/// token as a method and each new label value is a new series kept in memory.
const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

/// The label of a request method: one of `METHODS`, or `other`.
pub fn method_label(method: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

impl Default for Instruments {
    fn default() -> Self {
        Self::new()
    }
}

impl Instruments {
    pub fn new() -> Instruments {
        let builder = PrometheusBuilder::new();
        // Only fails on an empty bucket list.
        let builder = builder
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(HTTP_DURATION.into()),
                LATENCY_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let describe = |name: &'static str, text: &'static str| {
            recorder.describe_counter(name.into(), None, text.into());
        };
        describe(
            SUBMISSIONS,
            "Form posts by form, queue and outcome (accepted, invalid, quarantined, rate_limited)",
        );
        describe(HTTP_REQUESTS, "HTTP requests by method, route and status");
        describe(
            INTAKE_BATCHES,
            "Group-commit transactions of intake (submissions per batch = batched / batches)",
        );
        describe(
            INTAKE_BATCHED,
            "Submissions written by group-commit transactions",
        );
        describe(
            LIMITS_FALLBACK,
            "Limit checks answered by this process's memory because Redis did not answer",
        );
        describe(SEND_ATTEMPTS, "E-mails handed to the transport, by purpose");
        describe(
            SEND_FAILURES,
            "E-mails the transport refused, by purpose and kind (temporary, permanent)",
        );
        recorder.describe_histogram(
            HTTP_DURATION.into(),
            Some(metrics::Unit::Seconds),
            "HTTP request latency by method, route and status".into(),
        );
        for (name, text) in [
            (OUTBOX_JOBS, "Outbox jobs by state (pending, sent, dead)"),
            (
                OUTBOX_OLDEST_PENDING,
                "Age of the oldest pending outbox job, 0 when none",
            ),
            (
                POOL_CONNECTIONS,
                "Database connections by state (idle, in_use)",
            ),
            (POOL_MAX, "The database pool's size"),
            (
                INBOUND_IDLE,
                "1 while this instance's IMAP poller waits in IDLE for new mail, else 0",
            ),
        ] {
            recorder.describe_gauge(name.into(), None, text.into());
        }
        Instruments { recorder, handle }
    }

    pub fn submission(&self, form: &str, queue: &str, outcome: Outcome) {
        self.recorder
            .register_counter(
                &key(
                    SUBMISSIONS,
                    &[
                        ("form", form),
                        ("queue", queue),
                        ("outcome", outcome.as_str()),
                    ],
                ),
                &META,
            )
            .increment(1);
    }

    /// `route` is the route's pattern (or a fixed word), never the path, and the method is one
    /// of a fixed few, so a client cannot add series: every label here is bounded.
    pub fn http_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        let status = status.to_string();
        // One set of labels for both series.
        let counter = key(
            HTTP_REQUESTS,
            &[
                ("method", method),
                ("route", route),
                ("status", status.as_str()),
            ],
        );
        let histogram =
            Key::from_parts(HTTP_DURATION, counter.labels().cloned().collect::<Vec<_>>());
        self.recorder.register_counter(&counter, &META).increment(1);
        self.recorder
            .register_histogram(&histogram, &META)
            .record(seconds);
    }

    /// One group-commit transaction of `size` submissions.
    pub fn intake_batch(&self, size: usize) {
        self.recorder
            .register_counter(&key(INTAKE_BATCHES, &[]), &META)
            .increment(1);
        self.recorder
            .register_counter(&key(INTAKE_BATCHED, &[]), &META)
            .increment(u64::try_from(size).unwrap_or(u64::MAX));
    }

    /// A batch failed by one of its rows, written again one submission at a time.
    pub fn intake_batch_split(&self) {
        self.recorder
            .register_counter(&key(INTAKE_BATCH_SPLITS, &[]), &META)
            .increment(1);
    }

    /// A limit checked in memory because the shared store failed.
    pub fn limits_fallback(&self) {
        self.recorder
            .register_counter(&key(LIMITS_FALLBACK, &[]), &META)
            .increment(1);
    }

    /// The IMAP poller waits in IDLE (or no longer does).
    pub fn inbound_idle(&self, idling: bool) {
        self.gauge(INBOUND_IDLE, &[], if idling { 1.0 } else { 0.0 });
    }

    pub fn send_attempt(&self, purpose: &str) {
        self.recorder
            .register_counter(&key(SEND_ATTEMPTS, &[("purpose", purpose)]), &META)
            .increment(1);
    }

    pub fn send_failure(&self, purpose: &str, permanent: bool) {
        let kind = if permanent { "permanent" } else { "temporary" };
        self.recorder
            .register_counter(
                &key(SEND_FAILURES, &[("purpose", purpose), ("kind", kind)]),
                &META,
            )
            .increment(1);
    }

    pub fn gauge(&self, name: &'static str, labels: &[(&'static str, &str)], value: f64) {
        self.recorder
            .register_gauge(&key(name, labels), &META)
            .set(value);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_label_is_one_of_a_fixed_few() {
        assert_eq!(method_label("PATCH"), "PATCH");
        for odd in ["get", "QWERTYUIOP", "PROPFIND", ""] {
            assert_eq!(method_label(odd), "other", "{odd}");
        }
    }
}
