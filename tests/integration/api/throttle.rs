//! Login throttling under concurrency: an attempt is reserved before its password is
//! hashed, so parallel guesses get no more checks than sequential ones, on one replica
//! or several. A 401 means a password was checked; a 429 means none was.

use std::sync::Arc;

use futures_util::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sqlx::Row;
use tessera::clock::Clock;
use tessera::domain::UnixTime;
use tessera::sessions::{give_back, settle_failure, Limit};
use tessera::storage::Reservation;

use crate::both_engines;
use crate::common::*;

const EMAIL: &str = "frank@example.com";
const PASSWORD: &str = "frank-password-1234";
const WRONG: &str = "wrong-password-1234";
/// The account limit: 5 failures in 15 minutes.
const ACCOUNT_LIMIT: usize = 5;
const GUESSES: usize = 30;

async fn login(app: &TestApp, email: &str, password: &str) -> Response {
    app.login_with(&TestApp::fresh_client(), email, password)
        .await
}

/// Seconds from a 429's `Retry-After`, after checking its JSON error body.
async fn throttled(res: Response) -> u64 {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry_after > 0);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    retry_after
}

/// Sends `GUESSES` wrong passwords for `EMAIL` at once, spread over `replicas`;
/// returns how many were checked (401) after asserting the rest were throttled.
async fn guess_at_once(replicas: &[&TestApp]) -> usize {
    let guesses = (0..GUESSES).map(|i| login(replicas[i % replicas.len()], EMAIL, WRONG));
    let answers = join_all(guesses).await;
    let mut checked = 0;
    for res in answers {
        if res.status() == StatusCode::UNAUTHORIZED {
            checked += 1;
        } else {
            throttled(res).await;
        }
    }
    checked
}

async fn stored_failures(app: &TestApp, subject_prefix: &str) -> i64 {
    sqlx::query("SELECT CAST(COALESCE(SUM(failures), 0) AS BIGINT) AS n FROM login_throttle WHERE subject LIKE $1")
        .bind(format!("{subject_prefix}%"))
        .fetch_one(&app.app.db.pool)
        .await
        .unwrap()
        .get::<i64, _>("n")
}

both_engines! {
    async fn thirty_concurrent_wrong_guesses_get_at_most_five_password_checks(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let checked = guess_at_once(&[&app]).await;
        assert!(checked <= ACCOUNT_LIMIT, "{checked} of {GUESSES} concurrent guesses were checked");
        assert!(checked > 0, "the first guesses are checked");

        // Throttled now: the right password is not checked either.
        let right = login(&app, EMAIL, PASSWORD).await;
        assert!(set_cookie(&right, "tessera_refresh").is_none());
        let retry_after = throttled(right).await;
        assert!(retry_after <= 300, "the account block is 5 minutes: {retry_after}");

        // Retry-After is honest: once it has passed, the right password logs in.
        app.clock.advance(retry_after as i64 + 1);
        assert_eq!(login(&app, EMAIL, PASSWORD).await.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn two_replicas_share_the_limit(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let second = spawn_on(app.db.clone(), app.engine, &[], app.clock.clone()).await;
        let checked = guess_at_once(&[&app, &second]).await;
        assert!(checked <= ACCOUNT_LIMIT, "{checked} of {GUESSES} guesses over two replicas were checked");
        throttled(login(&second, EMAIL, PASSWORD).await).await;
        throttled(login(&app, EMAIL, PASSWORD).await).await;
    }
}

both_engines! {
    async fn a_burst_of_right_passwords_for_one_account_all_log_in(app) {
        // More at once than the account limit: each success gives its reservation
        // back, so the burst waits its turn instead of locking the account.
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let logins = join_all((0..ACCOUNT_LIMIT * 2).map(|_| login(&app, EMAIL, PASSWORD))).await;
        for res in logins {
            assert_eq!(res.status(), StatusCode::OK);
        }
        assert_eq!(stored_failures(&app, "account:").await, 0);
        assert_eq!(stored_failures(&app, "ip:").await, 0, "successes give the address reservation back");
    }
}

both_engines! {
    async fn a_success_gives_back_the_address_reservation(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        assert_eq!(login(&app, "nobody@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(stored_failures(&app, "ip:").await, 1, "a failure counts against the address");
        for _ in 0..3 {
            assert_eq!(login(&app, EMAIL, PASSWORD).await.status(), StatusCode::OK);
        }
        assert_eq!(stored_failures(&app, "ip:").await, 1, "successes count nothing against the address");
        assert_eq!(stored_failures(&app, "account:").await, 1, "only the unknown account's failure");
    }
}

both_engines! {
    async fn a_refused_address_gives_back_the_account_reservation(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        // Fifty different accounts block the address (50 in 15 minutes).
        for i in 0..50 {
            let res = login(&app, &format!("guess-{i}@example.com"), WRONG).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "guess {i}");
        }
        for _ in 0..ACCOUNT_LIMIT + 1 {
            throttled(login(&app, EMAIL, PASSWORD).await).await;
        }
        assert_eq!(stored_failures(&app, &format!("account:{EMAIL}")).await, 0, "no password was checked, so nothing counts");

        // Once the address block ends, the account is not blocked by those refusals.
        app.clock.advance(15 * 60 + 1);
        assert_eq!(login(&app, EMAIL, PASSWORD).await.status(), StatusCode::OK);
    }
}

/// One step of a scripted sequence, run against the store and the model alike.
#[derive(Debug, Clone, Copy)]
enum Step {
    Reserve(i64),
    Settle,
    GiveBack,
}

both_engines! {
    async fn the_stored_rule_is_the_documented_rule(app) {
        // The SQL against `Limit::reserve`, `settle_failure` and `give_back`, step by
        // step: verdicts and stored counters must agree.
        let limit = Limit { failures: 3, window: 100, block: 50 };
        let store = Arc::clone(&app.store);
        let subject = "account:model@example.com";
        use Step::*;
        // Times near the real clock, where housekeeping leaves throttle rows alone.
        let t = app.clock.unix();
        let script = [
            Reserve(t), Reserve(t + 1), Reserve(t + 2), Reserve(t + 3), // 3 pending: busy
            Settle, Reserve(t + 4),                                     // still 2 pending
            Settle, Settle, Reserve(t + 5),                             // 3 failures: blocked until t + 55
            Reserve(t + 30),                                            // still blocked, nothing counted
            Reserve(t + 55),                                            // the block ended: a new window
            GiveBack, Reserve(t + 56), Reserve(t + 57), Reserve(t + 58), // given back: room for 3
            Reserve(t + 59),                                            // busy
            Reserve(t + 160),                                           // the window passed: a new one
            Settle, GiveBack,                                           // older window's tickets change nothing
        ];
        let mut model = None;
        let mut tickets: Vec<i64> = Vec::new();
        for (i, step) in script.into_iter().enumerate() {
            match step {
                Reserve(now) => {
                    let (expected, next) = limit.reserve(model, now);
                    let got = store.reserve_attempt(subject, UnixTime::from_secs(now), limit.failures, limit.window, limit.block).await.unwrap();
                    assert_eq!(got, expected, "step {i}: {step:?}");
                    if let Reservation::Reserved { window_start } = got {
                        tickets.push(window_start);
                    }
                    model = next;
                }
                Settle => {
                    let ticket = tickets.remove(0);
                    store.settle_failure(subject, UnixTime::from_secs(ticket)).await.unwrap();
                    model = settle_failure(model, ticket);
                }
                GiveBack => {
                    let ticket = tickets.remove(0);
                    store.give_back_attempt(subject, UnixTime::from_secs(ticket)).await.unwrap();
                    model = give_back(model, ticket);
                }
            }
            let stored = store.throttle_counter(subject).await.unwrap();
            assert_eq!(stored, model, "step {i}: {step:?}");
        }
    }
}
