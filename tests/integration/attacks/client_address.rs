//! Spoofed client addresses: `X-Forwarded-For` and `Forwarded` count only when the peer
//! is a trusted proxy, and then only the rightmost address no trusted proxy wrote. The
//! login throttle and the request log both use that one address.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::paths;
use crate::common::process::TesseraCommand;
use crate::common::{Engine, TestApp, TestDatabase, ADMIN_EMAIL, ADMIN_PASSWORD, POSTGRES_ENV};

/// The test client connects from 127.0.0.1: here that is the ingress.
const BEHIND_PROXY: &[(&str, &str)] = &[("TESSERA__SERVER__TRUSTED_PROXIES", "127.0.0.1/32")];
/// Failures from one address that block it (the default address limit).
const ADDRESS_LIMIT: usize = 50;

/// A login to `/auth/login` carrying `headers`, from a client without cookies.
async fn login(app: &TestApp, headers: &[(&str, &str)], email: &str, password: &str) -> StatusCode {
    let mut req = TestApp::fresh_client()
        .post(app.url(paths::LOGIN))
        .json(&json!({"email": email, "password": password}));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap().status()
}

/// `ADDRESS_LIMIT` wrong logins, each for an account of its own (so no account limit
/// trips), the i-th carrying the headers `headers(i)` gives.
async fn fail_from_address<F>(app: &TestApp, headers: F)
where
    F: Fn(usize) -> Vec<(&'static str, String)>,
{
    for i in 1..=ADDRESS_LIMIT {
        let headers = headers(i);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let status = login(
            app,
            &headers,
            &format!("guess-{i}@example.com"),
            "wrong-password-123",
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "failed attempt {i} ({headers:?})"
        );
    }
}

fn xff(value: &str) -> Vec<(&'static str, String)> {
    vec![("X-Forwarded-For", value.to_owned())]
}

both_engines! {
    async fn without_trusted_proxies_forged_forwarding_headers_do_not_dodge_the_address_limit(app) {
        // Each guess claims another address, in one header or the other.
        fail_from_address(&app, |i| match i % 3 {
            0 => xff(&format!("203.0.113.{i}")),
            1 => vec![("Forwarded", format!("for=198.51.100.{i}"))],
            _ => xff(&format!("2001:db8::{i:x}, 192.0.2.{i}")),
        })
        .await;

        let right = login(&app, &[("X-Forwarded-For", "192.0.2.250")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(right, StatusCode::TOO_MANY_REQUESTS, "the peer address is blocked, whatever the headers say");
    }
}

both_engines! {
    with BEHIND_PROXY;
    async fn behind_a_trusted_proxy_each_client_has_its_own_address_limit(app) {
        fail_from_address(&app, |_| xff("203.0.113.7")).await;

        let blocked = login(&app, &[("X-Forwarded-For", "203.0.113.7")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(blocked, StatusCode::TOO_MANY_REQUESTS, "the client that guessed is blocked");
        let grant = app
            .token(&[("grant_type", "password"), ("username", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)], None)
            .await;
        assert_eq!(grant.status(), StatusCode::OK, "the proxy's own address is not blocked");

        // An attacker who prefixes the chain is still keyed on the address the proxy saw.
        let prefixed = login(&app, &[("X-Forwarded-For", "198.51.100.1, 203.0.113.7")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(prefixed, StatusCode::TOO_MANY_REQUESTS, "a forged prefix does not dodge the block");
        let standard = login(&app, &[("Forwarded", "for=203.0.113.7;proto=https")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(standard, StatusCode::TOO_MANY_REQUESTS, "RFC 7239 Forwarded names the same client");

        // Everyone else behind the same ingress still gets their password checked.
        let other = login(&app, &[("X-Forwarded-For", "203.0.113.8")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(other, StatusCode::OK, "another client behind the proxy logs in");
        let spoofed_victim = login(&app, &[("X-Forwarded-For", "203.0.113.7, 203.0.113.9")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(spoofed_victim, StatusCode::OK, "the rightmost untrusted address decides, not a forged one on its left");
    }
}

both_engines! {
    with BEHIND_PROXY;
    async fn ipv6_clients_are_throttled_by_their_64(app) {
        // A host holds a whole /64: a fresh address per guess must not help.
        fail_from_address(&app, |i| xff(&format!("2001:db8:1:2::{i:x}"))).await;

        let same_64 = login(&app, &[("X-Forwarded-For", "[2001:db8:1:2:ffff::1]:4711")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(same_64, StatusCode::TOO_MANY_REQUESTS, "another address in the same /64 shares the block");
        let quoted = login(&app, &[("Forwarded", "for=\"[2001:db8:1:2::abcd]:80\"")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(quoted, StatusCode::TOO_MANY_REQUESTS, "a quoted Forwarded address in the same /64 too");
        let next_64 = login(&app, &[("X-Forwarded-For", "2001:db8:1:3::1")], ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(next_64, StatusCode::OK, "a neighbouring /64 is someone else");
    }
}

/// The real binary with JSON logs: the request's log lines carry `http.client_ip`.
async fn logged_client_ip(
    engine: Engine,
    overrides: &[(&str, &str)],
    forwarded_for: &str,
) -> Option<String> {
    let db = TestDatabase::create(engine).await?;
    let server = TesseraCommand::server(&db.url)
        // tracing_actix_web too: a request span of the library's own would show here.
        .env(
            "TESSERA__LOG__FILTER",
            "warn,tessera=info,tracing_actix_web=info",
        )
        .envs(overrides)
        .start()
        .await;
    let email = "log-probe@example.com";
    let res = crate::common::process::client()
        .post(server.url(paths::LOGIN))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"email": email, "password": "wrong-password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tail = server.log_tail();
        let line = tail
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["fields"]["message"] == "login failed");
        if let Some(line) = line {
            assert!(
                !tail.contains("198.51.100.66"),
                "the forged address reached the log:\n{tail}"
            );
            let ip = line["span"]["http.client_ip"]
                .as_str()
                .unwrap_or_else(|| panic!("the login's log line names no client_ip:\n{line}"));
            return Some(ip.to_owned());
        }
        assert!(Instant::now() < deadline, "no `login failed` line:\n{tail}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn the_request_log_names_the_decided_address(engine: Engine) {
    let Some(direct) = logged_client_ip(engine, &[], "198.51.100.66").await else {
        eprintln!("skipped: set {POSTGRES_ENV} to run on PostgreSQL");
        return;
    };
    assert_eq!(
        direct, "127.0.0.1",
        "without trusted proxies the log names the peer"
    );
    let proxied = logged_client_ip(engine, BEHIND_PROXY, "198.51.100.66, 203.0.113.7")
        .await
        .unwrap();
    assert_eq!(
        proxied, "203.0.113.7",
        "behind a trusted proxy, the rightmost untrusted address"
    );
}

mod the_request_log_names_the_decided_address {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        the_request_log_names_the_decided_address(Engine::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        the_request_log_names_the_decided_address(Engine::Postgres).await
    }
}
