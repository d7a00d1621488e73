//! A burst of logins (Argon2 takes 19 MiB per hash) leaves the server's
//! memory where it was: the allocator gives the blocks back.

use futures_util::future::join_all;

use crate::server::mib;

const ROUNDS: usize = 3;
const CONCURRENT: usize = 16;
/// Retained hash blocks would be 19 MiB per allocator arena, and a 2-core
/// machine has up to 16 arenas; a few MiB of caches is all that may stay.
const RETAINED_BOUND_MIB: f64 = 64.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_logins_does_not_stay_resident() {
    let server = crate::server::start().await;
    let client = server.client();
    server.login(&client).await.unwrap();
    let before = server.rss();
    server.reset_peak();
    for _ in 0..ROUNDS {
        for login in join_all((0..CONCURRENT).map(|_| server.login(&client))).await {
            login.unwrap();
        }
    }
    let after = server.rss();
    let retained = mib(after.now_kib.saturating_sub(before.now_kib));
    println!(
        "logins: {} logins, {CONCURRENT} at a time: before {before}, after {after}, \
         retained {retained:.1} MiB",
        ROUNDS * CONCURRENT
    );
    assert!(
        retained < RETAINED_BOUND_MIB,
        "{retained:.1} MiB stayed resident after {} logins",
        ROUNDS * CONCURRENT
    );
}
