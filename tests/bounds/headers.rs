//! Oversized request heads get a clean 431 and the server keeps serving.

use std::time::Duration;

use futures_util::future::join_all;

use crate::common::paths;
use crate::raw::{exchange, head, Body, Outcome};
use crate::server::mib;

const WAIT: Duration = Duration::from_secs(20);
const CONCURRENT: usize = 50;

fn many_headers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("X-Filler-{i:05}: value")).collect()
}

/// The server answers `status` and then closes or keeps serving, never hangs.
fn assert_status(outcome: &Outcome, status: u16, what: &str) {
    match outcome {
        Outcome::Response(r) => assert_eq!(r.status, status, "{what}: {}", r.head),
        other => panic!("{what}: no response, {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_get_431_and_the_server_keeps_serving() {
    let server = crate::server::start().await;
    let client = server.client();
    let addr = server.addr();
    println!("headers: baseline {}", server.rss());

    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "10,000 headers",
            head("GET", paths::HEALTHZ, &addr, &many_headers(10_000)),
        ),
        (
            "one 1 MB header",
            head(
                "GET",
                paths::HEALTHZ,
                &addr,
                &[format!("X-Big: {}", "a".repeat(1024 * 1024))],
            ),
        ),
        (
            "a 1 MB URL",
            head(
                "GET",
                &format!("{}?q={}", paths::HEALTHZ, "a".repeat(1024 * 1024)),
                &addr,
                &[],
            ),
        ),
    ];
    for (what, request) in &cases {
        let (outcome, took) = exchange(&addr, request.clone(), Body::None, WAIT).await;
        assert_status(&outcome, 431, what);
        println!("headers: {what}: 431 in {took:?}");
        server.healthz(&client).await.unwrap();
    }

    // The limits leave room for real clients: many headers and a long URL
    // that still fit are served as usual.
    let fits = head("GET", paths::HEALTHZ, &addr, &many_headers(80));
    let (outcome, _) = exchange(&addr, fits, Body::None, WAIT).await;
    assert_status(&outcome, 200, "80 headers");
    let long_url = head(
        "GET",
        &format!("{}?q={}", paths::HEALTHZ, "a".repeat(32 * 1024)),
        &addr,
        &[],
    );
    let (outcome, _) = exchange(&addr, long_url, Body::None, WAIT).await;
    assert_status(&outcome, 200, "a 32 KiB URL");

    server.reset_peak();
    let before = server.rss();
    let attacks = (0..CONCURRENT).map(|i| {
        let (what, request) = cases[i % cases.len()].clone();
        let addr = addr.clone();
        async move {
            let (outcome, _) = exchange(&addr, request, Body::None, WAIT).await;
            assert_status(&outcome, 431, &format!("concurrent {what}"));
        }
    });
    join_all(attacks).await;
    let after = server.rss();
    println!(
        "headers: {CONCURRENT} concurrent oversized heads: all 431; before {before}, after {after}, \
         peak growth {:.1} MiB",
        mib(after.peak_kib.saturating_sub(before.now_kib))
    );

    server.healthz(&client).await.unwrap();
    server.login(&client).await.unwrap();
}
