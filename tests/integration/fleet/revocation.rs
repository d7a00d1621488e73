//! Revocation reaching a fleet: verifiers built on tessera-verify, two replicas on one
//! PostgreSQL database, keys rotating as fast as the lifecycle allows, and sessions
//! refreshed, logged out and revoked on either replica. No revoked token may verify
//! later than the list's ttl + 5 s after its revocation was answered, and no valid
//! token may ever be refused.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use super::rotator;
use super::status_checker::{self, Ledger, Tracked};
use crate::common::session::browser_session;
use crate::common::{paths, spawn_app_with, spawn_on, Engine, TestApp, POSTGRES_ENV};

const VERIFIERS: usize = 4;
const USERS: usize = 3;
const STREAM: Duration = Duration::from_secs(30);
const STATUS_TTL: Duration = Duration::from_secs(2);
/// The bound a verifier caching lists for their ttl is held to.
const DEADLINE: Duration = Duration::from_secs(STATUS_TTL.as_secs() + 5);
const PASSWORD: &str = "fleet-password-1234";

const SETTINGS: [(&str, &str); 5] = [
    ("TESSERA__KEYS__JWKS_MAX_AGE", "2s"),
    ("TESSERA__KEYS__RELOAD_INTERVAL", "1s"),
    ("TESSERA__TOKENS__ACCESS_TTL", "12s"),
    ("TESSERA__KEYS__ROTATION_INTERVAL", "0"),
    ("TESSERA__STATUS_LIST__TTL", "2s"),
];

/// One login session the producer holds.
struct Family {
    user: usize,
    refresh: String,
    csrf: String,
    sid: String,
}

fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn track(ledger: &Ledger, token: String, user: usize, replica: usize) -> String {
    let claims = claims_of(&token);
    let sid = claims["sid"].as_str().unwrap().to_owned();
    let left = claims["exp"].as_i64().unwrap() - chrono::Utc::now().timestamp();
    ledger.lock().unwrap().push(Tracked {
        token,
        user,
        sid: sid.clone(),
        exp: Instant::now() + Duration::from_secs(left.max(0) as u64),
        replica,
        revoke_sent: None,
        revoked_at: None,
        how: "",
    });
    sid
}

async fn login(app: &TestApp, ledger: &Ledger, user: usize, replica: usize) -> Family {
    let email = format!("fleet-status{user}@example.com");
    let s = browser_session(
        app.login_with(&TestApp::fresh_client(), &email, PASSWORD)
            .await,
    )
    .await;
    let sid = track(ledger, s.access, user, replica);
    Family {
        user,
        refresh: s.refresh,
        csrf: s.csrf,
        sid,
    }
}

/// Marks what a revocation kills: `hit` says which tokens.
fn mark(
    ledger: &Ledger,
    hit: impl Fn(&Tracked) -> bool,
    how: &'static str,
    sent: Instant,
    done: Instant,
) {
    for t in ledger
        .lock()
        .unwrap()
        .iter_mut()
        .filter(|t| hit(t) && t.revoke_sent.is_none())
    {
        t.revoke_sent = Some(sent);
        t.revoked_at = Some(done);
        t.how = how;
    }
}

#[derive(Default, Debug)]
struct Produced {
    refreshes: u64,
    logouts: u64,
    revoke_sessions: u64,
    errors: Vec<String>,
}

/// Refreshes, logs out and revokes on alternating replicas, one step at a time, so
/// that every token is issued before any revocation that should reach it is sent.
async fn produce(
    replicas: &[TestApp],
    ledger: Ledger,
    user_ids: Vec<String>,
    until: Instant,
) -> Produced {
    let mut out = Produced::default();
    let mut families = Vec::new();
    for user in 0..USERS {
        families.push(login(&replicas[user % 2], &ledger, user, user % 2).await);
    }
    let mut step = 0usize;
    while Instant::now() < until {
        step += 1;
        let r = step % 2;
        let app = &replicas[r];
        let f = step % families.len();
        if step % 11 == 0 {
            let user = families[f].user;
            let admin = app.admin_token().await;
            let sent = Instant::now();
            let res = app.admin_revoke_sessions(&user_ids[user], &admin).await;
            if !res.status().is_success() {
                out.errors
                    .push(format!("revoke-sessions answered {}", res.status()));
            }
            mark(
                &ledger,
                |t| t.user == user,
                "revoke-sessions",
                sent,
                Instant::now(),
            );
            out.revoke_sessions += 1;
            for family in families.iter_mut().filter(|x| x.user == user) {
                *family = login(app, &ledger, user, r).await;
            }
        } else if step % 5 == 0 {
            let family = &families[f];
            let sent = Instant::now();
            let res = TestApp::fresh_client()
                .post(app.url(paths::LOGOUT))
                .header(
                    "Cookie",
                    format!(
                        "tessera_refresh={}; tessera_csrf={}",
                        family.refresh, family.csrf
                    ),
                )
                .header("X-CSRF-Token", &family.csrf)
                .send()
                .await
                .unwrap();
            if !res.status().is_success() {
                out.errors.push(format!("logout answered {}", res.status()));
            }
            let sid = family.sid.clone();
            mark(&ledger, |t| t.sid == sid, "logout", sent, Instant::now());
            out.logouts += 1;
            let user = family.user;
            families[f] = login(app, &ledger, user, r).await;
        } else {
            let family = &mut families[f];
            let res = app
                .refresh_with(&TestApp::fresh_client(), &family.refresh, &family.csrf)
                .await;
            if res.status() != StatusCode::OK {
                out.errors
                    .push(format!("refresh answered {}", res.status()));
                continue;
            }
            let s = browser_session(res).await;
            track(&ledger, s.access, family.user, r);
            family.refresh = s.refresh;
            family.csrf = s.csrf;
            out.refreshes += 1;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_reach_a_fleet_of_tessera_verify_verifiers_within_ttl_plus_5s() {
    let Some(a) = spawn_app_with(Engine::Postgres, &SETTINGS).await else {
        eprintln!("skipped: set {POSTGRES_ENV} to run the fleet on PostgreSQL");
        return;
    };
    let b = spawn_on(a.db.clone(), Engine::Postgres, &SETTINGS, a.clock.clone()).await;
    let replicas = [a, b];
    let started = Instant::now();
    let mut user_ids = Vec::new();
    for user in 0..USERS {
        let created = replicas[user % 2]
            .create_user(&format!("fleet-status{user}@example.com"), PASSWORD, &[])
            .await;
        user_ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let issuer = replicas[0].app.settings.issuer.clone();
    let addresses: Vec<String> = replicas.iter().map(|r| r.address.clone()).collect();
    let ledger = Ledger::default();
    let until = Instant::now() + STREAM;
    let verifiers = status_checker::verifiers(&issuer, &addresses, VERIFIERS);
    let stats = verifiers.clone();
    let checker = tokio::spawn(status_checker::run(
        verifiers,
        ledger.clone(),
        DEADLINE,
        until,
    ));

    let (produced, rotations) = tokio::join!(
        produce(&replicas, ledger.clone(), user_ids, until),
        rotator::run(&replicas, until)
    );
    let outcome = checker.await.unwrap();
    let tracked = ledger.lock().unwrap().len();
    let revoked = ledger
        .lock()
        .unwrap()
        .iter()
        .filter(|t| t.revoke_sent.is_some())
        .count();
    let fetches = stats
        .iter()
        .map(|v| v.stats())
        .fold((0, 0, 0, 0), |acc, s| {
            (
                acc.0 + s.jwks_fetched,
                acc.1 + s.jwks_not_modified,
                acc.2 + s.lists_fetched,
                acc.3 + s.lists_not_modified,
            )
        });
    eprintln!(
        "status fleet: {:.1}s; {tracked} tokens ({revoked} revoked): {produced:?}\n\
         rotations {:?}; {VERIFIERS} verifiers: {} verified, {} refused as revoked ({} past the \
         {DEADLINE:?} deadline); accepted at most {:?} after a revocation's answer, first refusal at \
         most {:?} after it; JWKS {} fetched, {} revalidated; lists {} fetched, {} revalidated; {} failures",
        started.elapsed().as_secs_f64(),
        rotations.by_alg,
        outcome.verified,
        outcome.refused_revoked,
        outcome.past_deadline,
        outcome.max_accepted_after,
        outcome.max_refusal_delay,
        fetches.0,
        fetches.1,
        fetches.2,
        fetches.3,
        outcome.failures.len(),
    );
    for failure in outcome.failures.iter().take(20) {
        eprintln!("  {failure}");
    }
    assert!(
        produced.errors.is_empty(),
        "the producer failed: {:?}",
        produced.errors
    );
    assert!(
        outcome.failures.is_empty(),
        "{} verifications judged wrong (listed above)",
        outcome.failures.len()
    );
    assert!(
        rotations.violations.is_empty(),
        "rotations: {:#?}",
        rotations.violations
    );
    // Coverage: a stalled stream or rotator cannot pass as "no failures".
    assert!(produced.logouts > 0 && produced.revoke_sessions > 0 && produced.refreshes > 0);
    assert!(
        outcome.past_deadline > 0,
        "no revoked token was presented past its deadline"
    );
    assert!(
        rotations.by_alg.values().sum::<u64>() >= 2,
        "too few rotations: {:?}",
        rotations.by_alg
    );
}
