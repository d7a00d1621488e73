//! kill -9 in the middle of a burst of logins, refreshes and key rotations, then a
//! restart on the same database: the keys are those of the last answered rotation (or
//! of the one in flight), no family is half-rotated, every token the client saw
//! replaced stays dead, every token it was last given still works, and the server is
//! ready at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::db_checks::audit;
use super::session::{self, is_invalid_grant, Reply, Tokens};
use crate::common::paths;
use crate::common::process::{client, TesseraCommand};
use crate::common::{verify_with_jwks, Engine, TestDatabase, ADMIN_EMAIL, ADMIN_PASSWORD};

const PASSWORD: &str = "crash-test-password";
const USERS: usize = 3;
const REFRESHERS: usize = 6;
const LOGINERS: usize = 2;
/// The burst is cut once it has done at least this much.
const MIN_REFRESHES: usize = 60;
const MIN_LOGINS: usize = 4;
const MIN_ROTATIONS: usize = 1;
/// Liveness bound on start-up; the measured time is printed.
const READY_LIMIT: Duration = Duration::from_secs(10);

/// One refresh family as its client knows it.
#[derive(Debug, Clone)]
struct Family {
    /// Tokens this client saw replaced by an answered refresh: dead for good.
    spent: Vec<String>,
    /// The last tokens it was given.
    last: Tokens,
    /// A refresh sent but never answered: the server may or may not have rotated it.
    unanswered: Option<String>,
}

impl Family {
    fn new(last: Tokens) -> Self {
        Self {
            spent: Vec::new(),
            last,
            unanswered: None,
        }
    }
}

#[derive(Default)]
struct Counters {
    refreshes: AtomicUsize,
    logins: AtomicUsize,
    rotations: AtomicUsize,
    due: AtomicBool,
    /// How long the last answered rotation took, in microseconds.
    rotation_micros: AtomicU64,
}

/// What the rotating admin knows of the key set.
#[derive(Debug, Default, Clone)]
struct KeyView {
    /// kid → state, from the last answered rotation (or the listing before the first).
    states: BTreeMap<String, String>,
    /// A rotation was sent and not answered.
    unanswered: bool,
    /// The last refusal, for a failure message.
    last_refusal: String,
}

fn key_states(keys: &Value) -> BTreeMap<String, String> {
    keys.as_array()
        .expect("a key list")
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_owned(),
                k["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn kid_in(states: &BTreeMap<String, String>, state: &str) -> String {
    states
        .iter()
        .find(|(_, s)| *s == state)
        .unwrap_or_else(|| panic!("no {state} key in {states:?}"))
        .0
        .clone()
}

/// `after` is `before` with exactly one more rotation applied: next → current,
/// current → previous, one new next, everything else as it was.
fn rotated_once(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> bool {
    let (next, current) = (kid_in(before, "next"), kid_in(before, "current"));
    let new: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    new.len() == 1
        && after[new[0]] == "next"
        && before.iter().all(|(kid, state)| {
            let expected = if *kid == next {
                "current"
            } else if *kid == current {
                "previous"
            } else {
                state.as_str()
            };
            after.get(kid).map(String::as_str) == Some(expected)
        })
}

fn answered_ok(what: &str, reply: &Reply) -> session::Answer {
    match reply {
        Ok(a) if a.status.is_success() => a.clone(),
        Ok(a) => panic!("{what}: {} {}", a.status, a.body),
        Err(e) => panic!("{what}: no answer: {e}"),
    }
}

async fn admin_token(base: &str) -> String {
    answered_ok(
        "admin login",
        &session::login(&client(), base, ADMIN_EMAIL, ADMIN_PASSWORD).await,
    )
    .tokens
    .unwrap()
    .access
}

async fn admin_keys(base: &str, admin: &str) -> BTreeMap<String, String> {
    let res = client()
        .get(format!("{base}{}", paths::ADMIN_KEYS))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    key_states(&res.json::<Value>().await.unwrap()["keys"])
}

fn email(i: usize) -> String {
    format!("crash-user-{i}@example.com")
}

/// Refreshes one family until it gets no answer (the kill).
async fn refresher(base: String, mut family: Family, counters: Arc<Counters>) -> Family {
    let http = client();
    loop {
        match session::refresh(&http, &base, &family.last.refresh).await {
            Ok(a) if a.status == StatusCode::OK => {
                let old = std::mem::replace(&mut family.last, a.tokens.expect("new tokens"));
                family.spent.push(old.refresh);
                counters.refreshes.fetch_add(1, Ordering::SeqCst);
            }
            Ok(a) => panic!("refresh before the kill: {} {}", a.status, a.body),
            Err(_) => {
                family.unanswered = Some(family.last.refresh.clone());
                return family;
            }
        }
    }
}

/// Logs in until it gets no answer; every answered login is a family.
async fn loginer(base: String, user: String, counters: Arc<Counters>) -> Vec<Family> {
    let http = client();
    let mut families = Vec::new();
    loop {
        match session::login(&http, &base, &user, PASSWORD).await {
            Ok(a) if a.status == StatusCode::OK => {
                families.push(Family::new(a.tokens.expect("tokens")));
                counters.logins.fetch_add(1, Ordering::SeqCst);
            }
            Ok(a) => panic!("login before the kill: {} {}", a.status, a.body),
            Err(_) => return families,
        }
    }
}

/// Rotates keys, each as soon as the lifecycle allows (it waits out `Retry-After`),
/// until it gets no answer. `due` is set while a rotation that should go through is
/// being sent, so that the kill can land in the middle of one.
async fn rotator(base: String, admin: String, view: Arc<Mutex<KeyView>>, counters: Arc<Counters>) {
    let http = client();
    loop {
        let reply =
            session::post_json(&http, &base, paths::ADMIN_KEYS_ROTATE, &admin, json!({})).await;
        counters.due.store(false, Ordering::SeqCst);
        match reply {
            Ok(a) if a.status == StatusCode::OK => {
                view.lock().unwrap().states = key_states(&a.body["keys"]);
                counters.rotations.fetch_add(1, Ordering::SeqCst);
                let micros = u64::try_from(a.latency.as_micros()).unwrap_or(u64::MAX);
                counters.rotation_micros.store(micros, Ordering::SeqCst);
            }
            Ok(a) if a.status == StatusCode::CONFLICT => {
                view.lock().unwrap().last_refusal =
                    format!("{} {} retry-after {:?}", a.status, a.body, a.retry_after);
                // Stored times are whole seconds: one more makes the next attempt due.
                let wait = a.retry_after.and_then(|s| s.parse().ok()).unwrap_or(1);
                tokio::time::sleep(Duration::from_secs(wait + 1)).await;
                counters.due.store(true, Ordering::SeqCst);
            }
            Ok(a) => panic!("rotation before the kill: {} {}", a.status, a.body),
            Err(_) => {
                view.lock().unwrap().unanswered = true;
                return;
            }
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

async fn crash_and_restart(engine: Engine) {
    let Some(db) = TestDatabase::create(engine).await else {
        eprintln!(
            "skipped: set {} to run on PostgreSQL",
            crate::common::POSTGRES_ENV
        );
        return;
    };
    let name = format!("{engine:?}").to_lowercase();
    // A `next` key may sign 3 s after it was stored (nothing to wait for caches, one
    // reload, the slack), so the burst covers a rotation in a few seconds.
    let tessera = TesseraCommand::server(&db.url).envs(&[
        ("TESSERA__KEYS__JWKS_MAX_AGE", "0s"),
        ("TESSERA__KEYS__RELOAD_INTERVAL", "1s"),
    ]);
    let mut server = tessera.start().await;
    let first_start = server.wait_ready(READY_LIMIT).await;
    let base = server.address.clone();
    let admin = admin_token(&base).await;
    for i in 0..USERS {
        answered_ok(
            "create user",
            &session::post_json(
                &client(),
                &base,
                paths::ADMIN_USERS,
                &admin,
                json!({"email": email(i), "password": PASSWORD, "roles": []}),
            )
            .await,
        );
    }
    let view = Arc::new(Mutex::new(KeyView {
        states: admin_keys(&base, &admin).await,
        ..KeyView::default()
    }));
    let counters = Arc::new(Counters::default());
    let mut refreshers = Vec::new();
    for i in 0..REFRESHERS {
        let login = session::login(&client(), &base, &email(i % USERS), PASSWORD).await;
        let family = Family::new(answered_ok("login", &login).tokens.unwrap());
        refreshers.push(tokio::spawn(refresher(
            base.clone(),
            family,
            counters.clone(),
        )));
    }
    let loginers: Vec<_> = (0..LOGINERS)
        .map(|i| tokio::spawn(loginer(base.clone(), email(i % USERS), counters.clone())))
        .collect();
    let rotation = tokio::spawn(rotator(
        base.clone(),
        admin.clone(),
        view.clone(),
        counters.clone(),
    ));

    let burst = Instant::now();
    while counters.refreshes.load(Ordering::SeqCst) < MIN_REFRESHES
        || counters.logins.load(Ordering::SeqCst) < MIN_LOGINS
        || counters.rotations.load(Ordering::SeqCst) < MIN_ROTATIONS
        || !counters.due.load(Ordering::SeqCst)
    {
        let stopped =
            refreshers.iter().any(|t| t.is_finished()) || loginers.iter().any(|t| t.is_finished());
        if stopped || rotation.is_finished() || burst.elapsed() > Duration::from_secs(120) {
            server.kill();
            for task in refreshers.into_iter() {
                task.await.expect("a refresher");
            }
            for task in loginers.into_iter() {
                task.await.expect("a loginer");
            }
            rotation.await.expect("the rotator");
            panic!(
                "the burst stalled after {:?}: {} refreshes, {} logins, {} rotations; last rotation refusal: {}\n{}",
                burst.elapsed(),
                counters.refreshes.load(Ordering::SeqCst),
                counters.logins.load(Ordering::SeqCst),
                counters.rotations.load(Ordering::SeqCst),
                view.lock().unwrap().last_refusal,
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // Halfway through a rotation as long as the last one: it may or may not commit.
    let halfway = Duration::from_micros(counters.rotation_micros.load(Ordering::SeqCst) / 2);
    tokio::time::sleep(halfway).await;
    server.kill();
    let burst_time = burst.elapsed();

    let mut families = Vec::new();
    for task in refreshers {
        families.push(task.await.unwrap());
    }
    for task in loginers {
        families.extend(task.await.unwrap());
    }
    rotation.await.unwrap();
    let view = view.lock().unwrap().clone();

    // What the crash left, before anything could repair it.
    let left = audit(&db.url).await;
    assert_eq!(
        left.live_families_without_one_live_token, 0,
        "half-rotated families: {left:?}"
    );
    assert_eq!(
        left.spent_tokens_without_one_child, 0,
        "spent tokens never replaced: {left:?}"
    );
    assert_eq!(
        left.families_without_tokens, 0,
        "half-created families: {left:?}"
    );
    assert_eq!((left.current_keys, left.next_keys), (1, 1), "{left:?}");

    let mut server = tessera.start().await;
    let restart = server.wait_ready(READY_LIMIT).await;
    let base = server.address.clone();
    let http = client();

    // Keys: the last answered rotation's set, or that set rotated once more.
    let admin = admin_token(&base).await;
    let after = admin_keys(&base, &admin).await;
    let rotation_committed = if after == view.states {
        false
    } else {
        assert!(
            view.unanswered && rotated_once(&view.states, &after),
            "keys after the restart {after:?}\nare neither those of the last answered rotation {:?}\nnor one more rotation (one was in flight: {})",
            view.states,
            view.unanswered
        );
        true
    };
    let jwks = answered_ok("jwks", &session::get(&http, &base, paths::JWKS).await).body;
    let mut published: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    published.sort();
    let expected: Vec<String> = after
        .iter()
        .filter(|(_, s)| matches!(s.as_str(), "next" | "current" | "previous"))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        published, expected,
        "the JWKS publishes every key that was published"
    );
    // The current key was unsealed and signs: a fresh token carries its kid and verifies.
    let fresh = admin_token(&base).await;
    let claims = verify_with_jwks(&jwks, &fresh).expect("a new token verifies with the JWKS");
    assert!(claims["sub"].is_string(), "{claims}");
    let header: Value = {
        use base64::Engine as _;
        let h = fresh.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        header["kid"],
        kid_in(&after, "current"),
        "the current key signs"
    );

    // Sessions.
    let mut stats = SessionStats::default();
    for family in &families {
        check_family(&http, &base, &jwks, family, &mut stats).await;
    }
    eprintln!(
        "[faults] crash/{name}: burst of {} before kill -9 ({} into a rotation): {} refreshes, {} logins, {} rotations (one in flight: {}, committed: {})",
        ms(burst_time),
        ms(halfway),
        counters.refreshes.load(Ordering::SeqCst),
        counters.logins.load(Ordering::SeqCst),
        counters.rotations.load(Ordering::SeqCst),
        view.unanswered,
        rotation_committed,
    );
    eprintln!(
        "[faults] crash/{name}: database after the kill: {} families ({} revoked), {} tokens ({} spent), 0 half-rotated",
        left.families, left.revoked_families, left.tokens, left.spent_tokens
    );
    eprintln!(
        "[faults] crash/{name}: after restart: {} families checked, {} last-given tokens still work, {} spent tokens refused, {} unanswered refreshes ({} had rotated, {} had not)",
        families.len(),
        stats.still_working,
        stats.spent_refused,
        stats.unanswered,
        stats.unanswered_rotated,
        stats.unanswered - stats.unanswered_rotated,
    );
    eprintln!(
        "[faults] crash/{name}: /readyz 200 {} after spawn at first start, {} after the restart",
        ms(first_start),
        ms(restart)
    );
    server.kill();
}

#[derive(Default)]
struct SessionStats {
    still_working: usize,
    spent_refused: usize,
    unanswered: usize,
    unanswered_rotated: usize,
}

async fn check_family(
    http: &reqwest::Client,
    base: &str,
    jwks: &Value,
    family: &Family,
    stats: &mut SessionStats,
) {
    let refuse = |what: &str, reply: &Reply| match reply {
        Ok(a) if is_invalid_grant(a) => {}
        Ok(a) => panic!(
            "{what}: expected 401 invalid_grant, got {} {}",
            a.status, a.body
        ),
        Err(e) => panic!("{what}: no answer: {e}"),
    };
    match &family.unanswered {
        None => {
            // Tokens issued before the kill are still honoured: no key and no row was lost.
            verify_with_jwks(jwks, &family.last.access)
                .expect("an access token from before the kill verifies");
            answered_ok(
                "/auth/me with an access token from before the kill",
                &session::me(http, base, &family.last.access).await,
            );
            let next = answered_ok(
                "the last refresh token given before the kill",
                &session::refresh(http, base, &family.last.refresh).await,
            )
            .tokens
            .unwrap();
            stats.still_working += 1;
            // Its spent parent (or, for a family that never rotated, the token just spent)
            // is refused and takes the family down with it.
            let spent = family.spent.first().unwrap_or(&family.last.refresh);
            refuse(
                "a spent token after the restart",
                &session::refresh(http, base, spent).await,
            );
            refuse(
                "the family's newest token after reuse of a spent one",
                &session::refresh(http, base, &next.refresh).await,
            );
            let me = session::me(http, base, &next.access).await.unwrap();
            assert_eq!(
                me.status,
                StatusCode::UNAUTHORIZED,
                "an access token of a revoked family"
            );
        }
        Some(token) => {
            // Rotated before the kill or not: either answer is right, a 5xx is not.
            stats.unanswered += 1;
            let a = session::refresh(http, base, token).await.unwrap();
            if is_invalid_grant(&a) {
                stats.unanswered_rotated += 1;
            } else {
                assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            }
        }
    }
    for spent in &family.spent {
        refuse(
            "a token the client saw replaced",
            &session::refresh(http, base, spent).await,
        );
        stats.spent_refused += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_mid_burst_loses_nothing_and_half_rotates_nothing() {
    crash_and_restart(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_9_mid_burst_loses_nothing_and_half_rotates_nothing() {
    crash_and_restart(Engine::Postgres).await;
}
