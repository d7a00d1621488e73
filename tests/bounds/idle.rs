//! Thousands of idle connections: the server stays up, serves others, and
//! closes the idle ones after its request and keep-alive timeouts.

use std::time::Duration;

use crate::server::mib;
use crate::slow::drip;
use crate::slow_clients::{assert_all_cut_off, latency_summary, summary, under_attack, GIVE_UP};

const IDLE: usize = 2_000;

/// The most file descriptors the server had open while `until` was running.
fn sample_fds(
    pid: u32,
    until: tokio::sync::watch::Receiver<bool>,
) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut most = 0;
        while !*until.borrow() {
            let open = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
            most = most.max(open);
            std::thread::sleep(Duration::from_millis(100));
        }
        most
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_are_closed_and_others_served() {
    let hard = crate::server::raise_fd_limit();
    assert!(
        hard >= 3 * IDLE as u64,
        "this test holds {IDLE} connections on each side: it needs a hard open-file \
         limit (ulimit -Hn) of {}, not {hard}",
        3 * IDLE
    );
    // Started as a service manager would start it; 2,000 connections need
    // about 4,000 descriptors, so the server must raise its own limit.
    let mut server = crate::server::start_with_soft_fd_limit(1024).await;
    let (soft, hard) = server.fd_limit();
    assert_eq!(
        soft, hard,
        "the server raises its open-file limit to the hard one"
    );
    let baseline = server.rss();
    let baseline_fds = server.open_fds();
    println!(
        "idle: open-file limit of the server {soft} (started at 1024), baseline {baseline}, \
         {baseline_fds} fds"
    );
    server.reset_peak();
    let (stop, until) = tokio::sync::watch::channel(false);
    let fds = sample_fds(server.pid(), until);
    // Half never send a byte; half send one request and then idle in keep-alive.
    // Connecting in bursts of 200 keeps within the listen backlog, whose
    // overflow would leave half-open connections the server never saw.
    let kept_alive = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
    let mut attack = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        if i % 200 == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (prefix, answered_first) = if i % 2 == 0 {
            (Vec::new(), false)
        } else {
            (kept_alive.clone(), true)
        };
        attack.push(tokio::spawn(drip(
            server.addr(),
            prefix,
            answered_first,
            Vec::new(),
            Duration::from_secs(1),
            GIVE_UP,
        )));
    }
    let (ended, latencies) = under_attack(&server, attack).await;
    stop.send(true).unwrap();
    let most_fds = fds.join().unwrap();
    let after = server.rss();
    println!(
        "idle: {}; meanwhile {}; at most {most_fds} server fds; after {after}, peak growth {:.1} MiB",
        summary(&ended),
        latency_summary(&latencies),
        mib(after.peak_kib.saturating_sub(baseline.now_kib)),
    );
    assert_all_cut_off("idle", &ended);
    assert!(server.exited().is_none(), "the server died");

    let client = server.client();
    server.healthz(&client).await.unwrap();
    server.login(&client).await.unwrap();
    println!(
        "idle: afterwards {} fds, {}",
        server.open_fds(),
        server.rss()
    );
}
