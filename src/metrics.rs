//! The Prometheus registry and every metric family the contract names.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::domain::{Algorithm, Grant, KeyState, RevocationReason, RotationTrigger};

/// All metrics of one app instance. Each instance has its own registry, so tests
/// that run several apps in one process never see each other's counts.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub tokens_issued: IntCounterVec,
    pub refresh_rotations: IntCounter,
    pub refresh_reuse_detected: IntCounter,
    /// Beyond the contract: how many rotations each group commit carried.
    pub refresh_group_commit_size: Histogram,
    /// Beyond the contract: writer transactions begun by refresh rotations.
    pub refresh_writer_transactions: IntCounter,
    /// Beyond the contract: refresh tokens refused without the writer.
    pub refresh_screened_out: IntCounterVec,
    pub families_revoked: IntCounterVec,
    pub key_rotations: IntCounterVec,
    pub signing_keys: IntGaugeVec,
    pub current_key_age: IntGauge,
    pub login_failures: IntCounter,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub db_pool_connections: IntGaugeVec,
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid metric");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric");
    c
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(c.clone()))
        .expect("unique metric");
    c
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    registry
        .register(Box::new(g.clone()))
        .expect("unique metric");
    g
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("process collector registers once");
        let current_key_age = IntGauge::new(
            "tessera_signing_key_age_seconds",
            "Seconds since the current signing key started signing",
        )
        .expect("valid metric");
        registry
            .register(Box::new(current_key_age.clone()))
            .expect("unique metric");
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "tessera_http_request_duration_seconds",
                "HTTP request latency by route pattern",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["route", "method"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(http_duration.clone()))
            .expect("unique metric");
        let refresh_group_commit_size = Histogram::with_opts(
            HistogramOpts::new(
                "tessera_refresh_group_commit_size",
                "Refresh rotations committed together in one transaction",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
        )
        .expect("valid metric");
        registry
            .register(Box::new(refresh_group_commit_size.clone()))
            .expect("unique metric");
        let metrics = Self {
            refresh_group_commit_size,
            tokens_issued: counter_vec(
                &registry,
                "tessera_tokens_issued_total",
                "Access tokens issued",
                &["grant", "alg"],
            ),
            refresh_rotations: counter(
                &registry,
                "tessera_refresh_rotations_total",
                "Refresh tokens rotated",
            ),
            refresh_writer_transactions: counter(
                &registry,
                "tessera_refresh_writer_transactions_total",
                "Writer transactions begun by refresh rotations (group commits and rotations settled alone)",
            ),
            refresh_screened_out: counter_vec(
                &registry,
                "tessera_refresh_screened_out_total",
                "Refresh tokens refused before the writer: forged (not issued here, no read), unknown, or expired or of a dead family (one read)",
                &["reason"],
            ),
            refresh_reuse_detected: counter(
                &registry,
                "tessera_refresh_reuse_detected_total",
                "Spent refresh tokens presented again (families revoked for it)",
            ),
            families_revoked: counter_vec(
                &registry,
                "tessera_families_revoked_total",
                "Refresh families revoked",
                &["reason"],
            ),
            key_rotations: counter_vec(
                &registry,
                "tessera_key_rotations_total",
                "Signing key rotations",
                &["trigger"],
            ),
            signing_keys: gauge_vec(
                &registry,
                "tessera_signing_keys",
                "Signing keys by lifecycle state",
                &["state"],
            ),
            login_failures: counter(&registry, "tessera_login_failures_total", "Failed logins"),
            http_requests: counter_vec(
                &registry,
                "tessera_http_requests_total",
                "HTTP requests by route pattern, method and status",
                &["route", "method", "status"],
            ),
            db_pool_connections: gauge_vec(
                &registry,
                "tessera_db_pool_connections",
                "Database pool connections by state",
                &["state"],
            ),
            current_key_age,
            http_duration,
            registry,
        };
        metrics.export_known_labels();
        metrics
    }

    /// Creates every series whose label values are known in advance, at 0: a scrape
    /// shows each of them from start-up, and `increase()` sees the first event.
    fn export_known_labels(&self) {
        for trigger in RotationTrigger::ALL {
            self.key_rotations.with_label_values(&[trigger.as_str()]);
        }
        for reason in RevocationReason::ALL {
            self.families_revoked.with_label_values(&[reason.as_str()]);
        }
        for grant in Grant::ALL {
            for alg in Algorithm::ALL {
                self.tokens_issued
                    .with_label_values(&[grant.as_str(), alg.as_str()]);
            }
        }
    }

    /// Sets the key gauges from the key set this replica holds.
    pub fn observe_keys(&self, counts: &std::collections::HashMap<KeyState, usize>) {
        for state in KeyState::ALL {
            let n = counts.get(&state).copied().unwrap_or(0);
            self.signing_keys
                .with_label_values(&[state.as_str()])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// The text exposition of every family.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding into a Vec cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
