//! Slowloris, bounded: slow connections are cut off while others are served.

use std::time::Duration;

use futures_util::future::join_all;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::server::{mib, Server};
use crate::slow::{drip, steady_keep_alive, Ended};

const EVERY: Duration = Duration::from_secs(1);
/// Beyond every deadline the server sets (the longest is 30 s, for a request
/// body): a connection still open then is held.
pub const GIVE_UP: Duration = Duration::from_secs(40);

/// Runs `attack` while a normal client checks health and logs in, in a loop;
/// returns how the attack's connections ended and the normal latencies.
pub async fn under_attack(
    server: &Server,
    attack: Vec<JoinHandle<Ended>>,
) -> (Vec<Ended>, Vec<Duration>) {
    let attack = tokio::spawn(join_all(attack));
    let client = server.client();
    let mut latencies = Vec::new();
    while !attack.is_finished() {
        let start = Instant::now();
        server.healthz(&client).await.unwrap();
        latencies.push(start.elapsed());
        let start = Instant::now();
        server.login(&client).await.unwrap();
        latencies.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ended = attack
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    latencies.sort();
    (ended, latencies)
}

/// Every attacking connection was accepted, and the server ended it.
pub fn assert_all_cut_off(name: &str, ended: &[Ended]) {
    let refused = ended.iter().filter(|e| !e.connected).count();
    assert_eq!(refused, 0, "{name}: {refused} connections refused");
    let held = ended.iter().filter(|e| !e.by_server).count();
    assert_eq!(held, 0, "{name}: {held} connections held for {GIVE_UP:?}");
}

pub fn summary(ended: &[Ended]) -> String {
    let mut after: Vec<Duration> = ended.iter().map(|e| e.after).collect();
    after.sort();
    let mut statuses: Vec<String> = ended
        .iter()
        .map(|e| e.status.map_or("closed".to_owned(), |s| s.to_string()))
        .collect();
    statuses.sort();
    statuses.dedup();
    format!(
        "{} of {} cut off by the server ({}), {:?} to {:?} after connecting",
        ended.iter().filter(|e| e.by_server).count(),
        ended.len(),
        statuses.join(", "),
        after.first().unwrap(),
        after.last().unwrap(),
    )
}

pub fn latency_summary(latencies: &[Duration]) -> String {
    format!(
        "{} normal requests (healthz, login) served, median {:?}, slowest {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    )
}

/// One kind of slow connection, `n` times.
struct Slow {
    n: usize,
    prefix: String,
    answered_first: bool,
    trickle: Vec<u8>,
}

async fn run(name: &str, kinds: Vec<Slow>) {
    let server = crate::server::start().await;
    let baseline = server.rss();
    server.reset_peak();
    let attack = kinds
        .iter()
        .flat_map(|kind| {
            (0..kind.n).map(|_| {
                tokio::spawn(drip(
                    server.addr(),
                    kind.prefix.clone().into_bytes(),
                    kind.answered_first,
                    kind.trickle.clone(),
                    EVERY,
                    GIVE_UP,
                ))
            })
        })
        .collect();
    let (stop, until) = tokio::sync::watch::channel(false);
    let steady = tokio::spawn(steady_keep_alive(server.addr(), until));
    let (ended, latencies) = under_attack(&server, attack).await;
    stop.send(true).unwrap();
    let steady = steady.await.unwrap();
    let after = server.rss();
    println!(
        "slow {name}: {}; meanwhile {}, and {steady:?} on one kept-alive connection; \
         baseline {baseline}, after {after}, peak growth {:.1} MiB",
        summary(&ended),
        latency_summary(&latencies),
        mib(after.peak_kib.saturating_sub(baseline.now_kib)),
    );
    assert_all_cut_off(name, &ended);
    steady.expect("a client that keeps its connection busy is never cut off");
    let client = server.client();
    server.healthz(&client).await.unwrap();
    server.login(&client).await.unwrap();
}

/// Header lines that never end the head: 100 s of dripping.
fn endless_headers() -> String {
    "X-a: b\r\n".repeat(100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_sent_one_byte_a_second_is_cut_off() {
    run(
        "head",
        vec![Slow {
            n: 500,
            prefix: "POST /auth/login HTTP/1.1\r\nHost: localhost\r\n".to_owned(),
            answered_first: false,
            trickle: endless_headers().into_bytes(),
        }],
    )
    .await;
}

/// actix times only the first head of a connection; conn_deadline the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_request_head_on_a_kept_alive_connection_is_cut_off() {
    run(
        "keep-alive head",
        vec![Slow {
            n: 200,
            prefix: "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".to_owned(),
            answered_first: true,
            trickle: format!("GET /healthz HTTP/1.1\r\n{}", endless_headers()).into_bytes(),
        }],
    )
    .await;
}

/// actix does not time request bodies; conn_deadline does. Both framings in
/// one run: each takes the full 30 s request deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_one_byte_a_second_is_cut_off() {
    let head = "POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";
    run(
        "body (Content-Length and chunked)",
        vec![
            Slow {
                n: 100,
                prefix: format!("{head}Content-Length: 1000\r\n\r\n"),
                answered_first: false,
                trickle: vec![b'a'; 1000],
            },
            Slow {
                n: 100,
                prefix: format!("{head}Transfer-Encoding: chunked\r\n\r\n"),
                answered_first: false,
                trickle: "1\r\na\r\n".repeat(100).into_bytes(),
            },
        ],
    )
    .await;
}
