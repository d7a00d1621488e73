//! A scrape after real traffic: every contract family present and moved, and
//! (when `promtool` is installed, as CI installs it) valid exposition format.

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_engines;
use crate::common::*;

const FAMILIES: &[&str] = &[
    "tessera_tokens_issued_total",
    "tessera_refresh_rotations_total",
    "tessera_refresh_reuse_detected_total",
    "tessera_families_revoked_total",
    "tessera_key_rotations_total",
    "tessera_signing_keys",
    "tessera_login_failures_total",
    "tessera_http_requests_total",
    "tessera_http_request_duration_seconds",
];

fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no series {series}"))
}

/// Checks the exposition with `promtool check metrics` when CI configured it.
fn promtool_accepts(scrape: &str) {
    match std::env::var("TESSERA_TEST_PROMTOOL")
        .ok()
        .filter(|p| !p.is_empty())
    {
        Some(promtool) => {
            use std::io::Write;
            use std::process::{Command, Stdio};
            let mut child = Command::new(promtool)
                .args(["check", "metrics"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("promtool runs");
            child
                .stdin
                .take()
                .unwrap()
                .write_all(scrape.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            let report = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.status.success(), "promtool check metrics: {report}");
        }
        None => eprintln!(
            "promtool not configured (TESSERA_TEST_PROMTOOL): exposition format not checked"
        ),
    }
}

async fn scrape(app: &TestApp) -> String {
    app.metrics_scrape().await
}

/// Sends one request with `method` over a raw connection (clients refuse odd
/// methods) and returns the status line of the answer.
async fn raw_request(app: &TestApp, method: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
        paths::HEALTHZ
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut reply),
    )
    .await
    .expect("the server answers and closes")
    .unwrap();
    String::from_utf8_lossy(&reply)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

both_engines! {
    async fn unknown_methods_share_one_label(app) {
        let long = "X".repeat(2_000);
        for method in ["FOOA1", long.as_str()] {
            let status = raw_request(&app, method).await;
            assert!(status.starts_with("HTTP/1.1 4"), "{} answered: {status}", &method[..5]);
        }
        assert_eq!(app.healthz().await.status(), StatusCode::OK);
        let scrape = scrape(&app).await;
        assert!(!scrape.contains("FOOA1"), "no raw method in a label");
        assert!(!scrape.contains("XXXXXXXX"), "no raw 2,000-character method in a label");
        assert!(scrape.contains("method=\"other\""), "odd methods count as `other`");
        assert_eq!(value(&scrape, "tessera_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"), 1.0);
        promtool_accepts(&scrape);
    }
}

/// Label values known in advance, listed here by hand so that a change in the code
/// shows up as a failing test, not as a dashboard that silently lost a series.
const KNOWN_AT_ZERO: &[&str] = &[
    "tessera_key_rotations_total{trigger=\"admin\"}",
    "tessera_key_rotations_total{trigger=\"schedule\"}",
    "tessera_key_rotations_total{trigger=\"revocation\"}",
    "tessera_families_revoked_total{reason=\"reuse\"}",
    "tessera_families_revoked_total{reason=\"logout\"}",
    "tessera_families_revoked_total{reason=\"revoked\"}",
    "tessera_families_revoked_total{reason=\"revoke_sessions\"}",
    "tessera_families_revoked_total{reason=\"user_disabled\"}",
    "tessera_families_revoked_total{reason=\"client_removed\"}",
    "tessera_tokens_issued_total{alg=\"ES256\",grant=\"password\"}",
    "tessera_tokens_issued_total{alg=\"ES256\",grant=\"refresh_token\"}",
    "tessera_tokens_issued_total{alg=\"ES256\",grant=\"client_credentials\"}",
    "tessera_tokens_issued_total{alg=\"ES256\",grant=\"authorization_code\"}",
    "tessera_tokens_issued_total{alg=\"RS256\",grant=\"password\"}",
    "tessera_tokens_issued_total{alg=\"RS256\",grant=\"refresh_token\"}",
    "tessera_tokens_issued_total{alg=\"RS256\",grant=\"client_credentials\"}",
    "tessera_tokens_issued_total{alg=\"RS256\",grant=\"authorization_code\"}",
];

both_engines! {
    async fn a_fresh_scrape_shows_every_known_series_at_zero(app) {
        let scrape = scrape(&app).await;
        for series in KNOWN_AT_ZERO {
            assert_eq!(value(&scrape, series), 0.0, "{series}");
        }
        promtool_accepts(&scrape);
    }
}

both_engines! {
    async fn a_scrape_after_traffic_shows_every_family(app) {
        let admin = app.admin_token().await;
        app.login(ADMIN_EMAIL, "wrong-password-123").await;
        let login = app
            .token(&[("grant_type", "password"), ("username", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)], None)
            .await;
        let first = login.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();
        let refresh = |token: String| {
            let app = &app;
            async move { app.token(&[("grant_type", "refresh_token"), ("refresh_token", &token)], None).await }
        };
        assert_eq!(refresh(first.clone()).await.status(), StatusCode::OK);
        assert_eq!(refresh(first).await.status(), StatusCode::BAD_REQUEST, "reuse");
        app.clock.advance(app.app.keys.policy().publication_wait());
        let rotated = app.client.post(app.url(paths::ADMIN_KEYS_ROTATE)).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(rotated.status(), StatusCode::OK);
        app.get(&paths::admin_user("12345")).await;

        let scrape = scrape(&app).await;
        for family in FAMILIES {
            assert!(scrape.contains(&format!("# TYPE {family} ")), "family {family} is exposed");
        }
        assert!(value(&scrape, "tessera_tokens_issued_total{alg=\"ES256\",grant=\"password\"}") >= 2.0);
        assert_eq!(value(&scrape, "tessera_tokens_issued_total{alg=\"ES256\",grant=\"refresh_token\"}"), 1.0);
        assert_eq!(value(&scrape, "tessera_refresh_rotations_total"), 1.0);
        assert_eq!(value(&scrape, "tessera_refresh_reuse_detected_total"), 1.0);
        assert_eq!(value(&scrape, "tessera_families_revoked_total{reason=\"reuse\"}"), 1.0);
        assert_eq!(value(&scrape, "tessera_key_rotations_total{trigger=\"admin\"}"), 1.0);
        assert_eq!(value(&scrape, "tessera_signing_keys{state=\"previous\"}"), 1.0);
        assert_eq!(value(&scrape, "tessera_login_failures_total"), 1.0);
        assert!(value(&scrape, "tessera_http_requests_total{method=\"POST\",route=\"/oauth/token\",status=\"200\"}") >= 2.0);
        assert_eq!(value(&scrape, "tessera_http_requests_total{method=\"GET\",route=\"/admin/users/{id}\",status=\"401\"}"), 1.0, "route pattern, not the raw path");
        // Label sets only: a sample's value (a byte count, a timestamp) may hold the digits.
        let labels: Vec<&str> = scrape
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| Some(line.split_once('{')?.1.rsplit_once('}')?.0))
            .collect();
        assert!(!labels.is_empty(), "the scrape has labelled samples");
        assert!(!labels.iter().any(|l| l.contains("12345")), "no raw ids in labels");
        let age = value(&scrape, "tessera_signing_key_age_seconds");
        assert!((0.0..60.0).contains(&age), "the key promoted by the rotation is fresh: {age}");
        assert!(scrape.contains("process_resident_memory_bytes"), "process metrics");
        assert!(scrape.contains("tessera_db_pool_connections"), "pool gauges");

        promtool_accepts(&scrape);
    }
}
