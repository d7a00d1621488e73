//! Group commit: refreshes that arrive together are committed together, and each gets
//! the answer it would get alone: plain rotations, a token presented several times at
//! once, a reused token, another client's token and an unknown one, in one burst.
//! Unknown and dead tokens never reach the writer: a flood of them is answered by one
//! read per batch, while the database's write lock is held elsewhere, and legitimate
//! rotations among them all go through.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;

use crate::both_engines;
use crate::common::*;

const EMAIL: &str = "gina@example.com";
const PASSWORD: &str = "gina-password-1234";

type ClientCredentials = (String, String);

async fn create_client(app: &TestApp) -> ClientCredentials {
    let admin = app.admin_token().await;
    let res = app
        .admin_create_client(
            Some(&admin),
            &json!({"name": "mobile", "scopes": [], "grant_types": ["password", "refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    (
        body["client_id"].as_str().unwrap().to_owned(),
        body["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn basic(client: Option<&ClientCredentials>) -> Option<(&str, &str)> {
    client.map(|(id, secret)| (id.as_str(), secret.as_str()))
}

/// A new family's first refresh token (bound to `client` when given).
async fn log_in(app: &TestApp, client: Option<&ClientCredentials>) -> String {
    let res = app
        .token(
            &[
                ("grant_type", "password"),
                ("username", EMAIL),
                ("password", PASSWORD),
            ],
            basic(client),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["refresh_token"].as_str().unwrap().to_owned()
}

/// (status, body) of a refresh-token grant.
async fn refresh(
    app: &TestApp,
    token: &str,
    client: Option<&ClientCredentials>,
) -> (StatusCode, Value) {
    let res = app
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", token)],
            basic(client),
        )
        .await;
    (res.status(), res.json().await.unwrap())
}

/// The value of the sample `name` (labels included, as scraped) on /metrics.
async fn metric(app: &TestApp, name: &str) -> f64 {
    let scrape = app.metrics_scrape().await;
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{name} in {scrape}"))
}

/// (count, sum) of the group-commit size histogram.
async fn group_commits(app: &TestApp) -> (f64, f64) {
    (
        metric(app, "tessera_refresh_group_commit_size_count").await,
        metric(app, "tessera_refresh_group_commit_size_sum").await,
    )
}

const WRITER_TRANSACTIONS: &str = "tessera_refresh_writer_transactions_total";

/// Refresh tokens with a valid MAC that were never issued (as purged ones are): the
/// junk that gets past the MAC to the screening read.
async fn unknown_tokens(app: &TestApp, n: usize) -> Vec<String> {
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        tokens.push(app.unissued_refresh_token().await);
    }
    tokens
}

/// A refresh token whose family was revoked.
async fn dead_token(app: &TestApp) -> String {
    let token = log_in(app, None).await;
    let res = app.revoke(&[("token", &token)], None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    token
}

/// Presents a token that must be refused, the way an attacker can: on /oauth/token,
/// or on /auth/refresh with a CSRF cookie and header of his own choosing. Returns
/// whether it was refused with `invalid_grant`.
async fn present_junk(app: &TestApp, token: &str, on_cookie_route: bool) -> bool {
    if on_cookie_route {
        let res = app
            .refresh_with(&TestApp::fresh_client(), token, "attacker-csrf")
            .await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        status == StatusCode::UNAUTHORIZED && body["error"] == "invalid_grant"
    } else {
        let (status, body) = refresh(app, token, None).await;
        status == StatusCode::BAD_REQUEST && body["error"] == "invalid_grant"
    }
}

/// Holds the database's write lock from outside the app, as a long transaction of
/// another writer would.
enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    async fn take(app: &TestApp) -> Self {
        match app.engine {
            Engine::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
                sqlx::raw_sql("BEGIN IMMEDIATE")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                Self::Sqlite(conn)
            }
            Engine::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
                sqlx::raw_sql("BEGIN; LOCK TABLE refresh_tokens IN EXCLUSIVE MODE")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                Self::Postgres(conn)
            }
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut conn) => sqlx::raw_sql("COMMIT").execute(&mut conn).await.map(drop),
            Self::Postgres(mut conn) => sqlx::raw_sql("COMMIT").execute(&mut conn).await.map(drop),
        }
        .unwrap();
    }
}

both_engines! {
    async fn refreshes_that_queue_together_commit_together_and_each_gets_its_own_answer(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let (owner, other) = (create_client(&app).await, create_client(&app).await);
        let mut plain = Vec::new();
        for _ in 0..8 {
            plain.push(log_in(&app, None).await);
        }
        let repeated = log_in(&app, None).await;
        let bound = log_in(&app, Some(&owner)).await;
        let spent = log_in(&app, None).await;
        let (status, body) = refresh(&app, &spent, None).await;
        assert_eq!(status, StatusCode::OK);
        let spent_child = body["refresh_token"].as_str().unwrap().to_owned();
        let unknown = app.unissued_refresh_token().await;
        let before = group_commits(&app).await;

        // Everything below reaches the queue while the database is locked, so the
        // queue fills and the app commits it in few transactions.
        let lock = WriteLock::take(&app).await;
        let mut burst: Vec<(&str, Option<&ClientCredentials>)> = plain.iter().map(|t| (t.as_str(), None)).collect();
        burst.extend(std::iter::repeat_n((repeated.as_str(), None), 5));
        burst.push((bound.as_str(), Some(&other)));
        burst.push((spent.as_str(), None));
        burst.push((unknown.as_str(), None));
        let presentations = burst.len();
        let answers = join_all(burst.iter().map(|(token, client)| refresh(&app, token, *client)));
        let release = async {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            lock.release().await;
        };
        let (answers, ()) = tokio::join!(answers, release);

        let (plain_answers, rest) = answers.split_at(plain.len());
        let (repeated_answers, rest) = rest.split_at(5);
        for (status, body) in plain_answers {
            assert_eq!(*status, StatusCode::OK, "{body}");
        }
        let winners = repeated_answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(winners, 1, "one of five presentations of a token wins: {repeated_answers:?}");
        for (status, body) in &rest[..3] {
            assert_eq!(*status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"], "invalid_grant", "{body}");
        }

        // Batched, not one commit per rotation.
        let after = group_commits(&app).await;
        assert_eq!(after.1 - before.1, presentations as f64, "every presentation went through the queue");
        assert!(after.0 - before.0 <= 4.0, "{presentations} rotations took {} commits", after.0 - before.0);

        // Each child was stored in its own family and is good exactly once.
        for (_, body) in plain_answers {
            let child = body["refresh_token"].as_str().unwrap();
            assert_eq!(refresh(&app, child, None).await.0, StatusCode::OK);
            assert_eq!(refresh(&app, child, None).await.0, StatusCode::BAD_REQUEST);
        }
        // The repeats were reuse: the winner's family died with them.
        let (_, winner) = repeated_answers.iter().find(|(s, _)| *s == StatusCode::OK).unwrap();
        let winner_child = winner["refresh_token"].as_str().unwrap();
        assert_eq!(refresh(&app, winner_child, None).await.0, StatusCode::BAD_REQUEST);
        // The other client's attempt spent nothing; the reuse killed its family.
        assert_eq!(refresh(&app, &bound, Some(&owner)).await.0, StatusCode::OK);
        assert_eq!(refresh(&app, &spent_child, None).await.0, StatusCode::BAD_REQUEST);
    }
}

both_engines! {
    async fn unknown_and_dead_refresh_tokens_are_refused_without_the_writer(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let dead = dead_token(&app).await;
        let mut junk: Vec<String> = unknown_tokens(&app, 64).await;
        junk.extend(std::iter::repeat_n(dead, 8));
        let before = metric(&app, WRITER_TRANSACTIONS).await;

        // Another writer holds the database: whatever needs the writer waits for it.
        let lock = WriteLock::take(&app).await;
        let answers = tokio::time::timeout(
            Duration::from_secs(3),
            join_all(junk.iter().enumerate().map(|(i, t)| present_junk(&app, t, i % 2 == 1))),
        )
        .await;
        lock.release().await;

        let answers = answers.expect("junk waited for the write lock: it reached the writer");
        assert!(answers.iter().all(|&refused| refused), "{answers:?}");
        assert_eq!(metric(&app, WRITER_TRANSACTIONS).await - before, 0.0);
        assert_eq!(metric(&app, "tessera_refresh_screened_out_total{reason=\"unknown\"}").await, 64.0);
        assert_eq!(metric(&app, "tessera_refresh_screened_out_total{reason=\"dead\"}").await, 8.0);
    }
}

both_engines! {
    async fn a_flood_of_unknown_tokens_costs_legitimate_rotations_no_transaction(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let mut legit = Vec::new();
        for _ in 0..16 {
            legit.push(log_in(&app, None).await);
        }
        let junk: Vec<String> = unknown_tokens(&app, 256).await;
        let before = metric(&app, WRITER_TRANSACTIONS).await;

        let (legit_answers, junk_answers) = tokio::join!(
            join_all(legit.iter().map(|t| refresh(&app, t, None))),
            join_all(junk.iter().enumerate().map(|(i, t)| present_junk(&app, t, i % 2 == 1))),
        );

        for (status, body) in &legit_answers {
            assert_eq!(*status, StatusCode::OK, "{body}");
        }
        assert!(junk_answers.iter().all(|&refused| refused), "{junk_answers:?}");
        let transactions = metric(&app, WRITER_TRANSACTIONS).await - before;
        assert!(
            transactions <= legit.len() as f64,
            "{} rotations among {} unknown tokens began {transactions} writer transactions",
            legit.len(),
            junk.len()
        );
        // Each child was stored and is good exactly once.
        for (_, body) in &legit_answers {
            let child = body["refresh_token"].as_str().unwrap();
            assert_eq!(refresh(&app, child, None).await.0, StatusCode::OK);
            assert_eq!(refresh(&app, child, None).await.0, StatusCode::BAD_REQUEST);
        }
    }
}

both_engines! {
    async fn after_a_long_clean_run_junk_still_takes_no_transaction_of_its_own(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        // More clean batches than a lane screens before it stops screening first
        // (storage::group_commit::screen::CLEAN_RUN is 64): one chain, one rotation at a time.
        let mut token = log_in(&app, None).await;
        for _ in 0..80 {
            let (status, body) = refresh(&app, &token, None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            token = body["refresh_token"].as_str().unwrap().to_owned();
        }
        let before = metric(&app, WRITER_TRANSACTIONS).await;
        let junk: Vec<String> = unknown_tokens(&app, 48).await;
        let answers = join_all(junk.iter().enumerate().map(|(i, t)| present_junk(&app, t, i % 2 == 1))).await;
        assert!(answers.iter().all(|&refused| refused), "{answers:?}");
        // Junk that met no screening first shares a batch's transaction and is then
        // refused by one read, which turns screening first back on: a few shared
        // transactions at most (the batches already formed), never one per token.
        let spent = metric(&app, WRITER_TRANSACTIONS).await - before;
        assert!(spent <= 4.0, "48 junk tokens took {spent} writer transactions");
        assert_eq!(metric(&app, "tessera_refresh_screened_out_total{reason=\"unknown\"}").await, 48.0);
        // The chain is unharmed.
        assert_eq!(refresh(&app, &token, None).await.0, StatusCode::OK);
    }
}
