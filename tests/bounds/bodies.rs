//! 5 MB request bodies are refused with 413 without being buffered.

use std::time::Duration;

use futures_util::future::join_all;

use crate::common::paths;
use crate::raw::{exchange, head, Body, Outcome};
use crate::server::{mib, Server};

const FIVE_MB: usize = 5 * 1024 * 1024;
const CONCURRENT: usize = 50;
/// 50 bodies of 5 MB buffered at once would be 250 MiB; refusing them must
/// cost the server a small fraction of that.
const GROWTH_BOUND_MIB: f64 = 64.0;

#[derive(Clone, Copy, Debug)]
enum Framing {
    ContentLength,
    Chunked,
}

#[derive(Clone, Copy, Debug)]
enum Target {
    Login,
    TokenForm,
    AdminUsers,
}

fn request(server: &Server, target: Target, framing: Framing, admin: &str) -> (Vec<u8>, Body) {
    let (path, mut extra) = match target {
        Target::Login => (
            paths::LOGIN,
            vec!["Content-Type: application/json".to_owned()],
        ),
        Target::TokenForm => (
            paths::TOKEN,
            vec!["Content-Type: application/x-www-form-urlencoded".to_owned()],
        ),
        Target::AdminUsers => (
            paths::ADMIN_USERS,
            vec![
                "Content-Type: application/json".to_owned(),
                format!("Authorization: Bearer {admin}"),
            ],
        ),
    };
    let body = match framing {
        Framing::ContentLength => {
            extra.push(format!("Content-Length: {FIVE_MB}"));
            Body::Bytes { len: FIVE_MB }
        }
        Framing::Chunked => {
            extra.push("Transfer-Encoding: chunked".to_owned());
            Body::Chunked { len: FIVE_MB }
        }
    };
    (head("POST", path, &server.addr(), &extra), body)
}

const CASES: [(Target, Framing); 6] = [
    (Target::Login, Framing::ContentLength),
    (Target::Login, Framing::Chunked),
    (Target::TokenForm, Framing::ContentLength),
    (Target::TokenForm, Framing::Chunked),
    (Target::AdminUsers, Framing::ContentLength),
    (Target::AdminUsers, Framing::Chunked),
];

fn assert_413(outcome: &Outcome, what: &str) {
    let Outcome::Response(reply) = outcome else {
        panic!("{what}: no response, {outcome:?}");
    };
    assert_eq!(reply.status, 413, "{what}: {}", reply.head);
    let (code, _) = reply
        .json_error()
        .unwrap_or_else(|| panic!("{what}: not the JSON error body: {reply:?}"));
    assert_eq!(code, "invalid_request", "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_megabyte_bodies_get_413_without_being_buffered() {
    let server = crate::server::start().await;
    let client = server.client();
    let admin = server.login(&client).await.unwrap();
    let baseline = server.rss();
    println!("bodies: baseline {baseline}");

    for (target, framing) in CASES {
        let what = format!("{target:?} {framing:?}");
        let (head, body) = request(&server, target, framing, &admin);
        let (outcome, took) = exchange(&server.addr(), head, body, Duration::from_secs(20)).await;
        assert_413(&outcome, &what);
        println!("bodies: {what}: 413 in {took:?}");
    }

    // Neither Content-Length nor chunked: HTTP/1.1 says the body is empty, so
    // the 5 MB that follow are a malformed next request.
    let unframed = head(
        "POST",
        paths::LOGIN,
        &server.addr(),
        &["Content-Type: application/json".to_owned()],
    );
    let (outcome, took) = exchange(
        &server.addr(),
        unframed,
        Body::Bytes { len: FIVE_MB },
        Duration::from_secs(20),
    )
    .await;
    match &outcome {
        Outcome::Response(r) => {
            assert_eq!(r.status, 400, "an empty body is a bad request: {}", r.head);
            assert!(r.json_error().is_some(), "{r:?}");
        }
        other => panic!("unframed: no response, {other:?}"),
    }
    println!("bodies: unframed 5 MB after the head: 400 in {took:?}");

    server.reset_peak();
    let before = server.rss();
    let attacks = (0..CONCURRENT).map(|i| {
        let (target, framing) = CASES[i % CASES.len()];
        let (head, body) = request(&server, target, framing, &admin);
        let addr = server.addr();
        async move {
            let (outcome, took) = exchange(&addr, head, body, Duration::from_secs(30)).await;
            assert_413(&outcome, &format!("concurrent {target:?} {framing:?}"));
            took
        }
    });
    let mut took: Vec<Duration> = join_all(attacks).await;
    took.sort();
    let after = server.rss();
    let growth = mib(after.peak_kib.saturating_sub(before.now_kib));
    println!(
        "bodies: {CONCURRENT} concurrent 5 MB bodies: all 413, median {:?}, slowest {:?}; \
         before {before}, after {after}, peak growth {growth:.1} MiB",
        took[took.len() / 2],
        took[took.len() - 1],
    );
    assert!(
        growth < GROWTH_BOUND_MIB,
        "the server grew by {growth:.1} MiB refusing {CONCURRENT} bodies of 5 MB"
    );

    server.healthz(&client).await.unwrap();
    server.login(&client).await.unwrap();
    println!("bodies: still serving, {}", server.rss());
}
