//! Eight downstream verifiers, two replicas on one PostgreSQL database, a continuous
//! stream of tokens and rotations as fast as the lifecycle allows: not one token may
//! fail to verify from a JWKS cache that honours `Cache-Control: max-age`.
//!
//! `revocation` runs a second fleet, of tessera-verify verifiers, against logouts and
//! revoked sessions: revocations reach every verifier within the status list's ttl + 5 s.
//!
//! Owns the verifiers, the token stream and the rotator that drive the fleets. May import
//! `crate::common`; two tests, on PostgreSQL only (two replicas need a shared database).

mod revocation;
mod rotator;
mod status_checker;
mod stream;
mod verifier;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::mpsc::unbounded_channel;

use self::stream::{Credentials, Output, Producer};
use self::verifier::{Stats, Verifier};
use crate::common::paths;
use crate::common::{spawn_app_with, spawn_on, Engine, TestApp, POSTGRES_ENV};

const VERIFIERS: usize = 8;
const PRODUCERS: usize = 2;
/// How long tokens are issued and keys rotated; the held tokens take an access TTL more.
const STREAM: Duration = Duration::from_secs(60);

/// Real-time settings small enough for many rotations in a minute. Rotation is left
/// to the operator (interval 0) so that it runs at the lifecycle's own pace.
const SETTINGS: [(&str, &str); 4] = [
    ("TESSERA__KEYS__JWKS_MAX_AGE", "2s"),
    ("TESSERA__KEYS__RELOAD_INTERVAL", "1s"),
    ("TESSERA__TOKENS__ACCESS_TTL", "10s"),
    ("TESSERA__KEYS__ROTATION_INTERVAL", "0"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_is_invisible_to_a_fleet_of_caching_verifiers() {
    let Some(a) = spawn_app_with(Engine::Postgres, &SETTINGS).await else {
        eprintln!("skipped: set {POSTGRES_ENV} to run the fleet on PostgreSQL");
        return;
    };
    let b = spawn_on(a.db.clone(), Engine::Postgres, &SETTINGS, a.clock.clone()).await;
    let replicas = [a, b];
    let started = Instant::now();
    let admin = replicas[0].admin_token().await;
    let initial: BTreeSet<String> = replicas[0]
        .admin_keys(&admin)
        .await
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();

    let issuer = replicas[0].app.settings.issuer.clone();
    let jwks_urls: Vec<String> = replicas.iter().map(|r| r.url(paths::JWKS)).collect();
    let mut sinks = Vec::new();
    let mut verifiers = Vec::new();
    for i in 0..VERIFIERS {
        let (tx, rx) = unbounded_channel();
        sinks.push(tx);
        let verifier = Verifier::new(format!("verifier {i}"), jwks_urls.clone(), i, &issuer);
        verifiers.push(tokio::spawn(verifier.run(rx)));
    }

    let until = Instant::now() + STREAM;
    let mut producers = Vec::new();
    for i in 0..PRODUCERS {
        let email = format!("fleet{i}@example.com");
        let password = "fleet-password-1234".to_owned();
        replicas[0].create_user(&email, &password, &[]).await;
        let (client_id, client_secret) = replicas[1]
            .register_client(json!({"name": "fleet", "scopes": ["read"], "introspection": true}))
            .await;
        let producer = Producer::new(
            replicas.iter().map(|r| r.address.clone()).collect(),
            Credentials {
                email,
                password,
                client_id,
                client_secret,
            },
        );
        producers.push(tokio::spawn(producer.run(i, until, sinks.clone())));
    }
    // The verifiers finish once the producers, the last holders of a sender, do.
    drop(sinks);

    let rotations = rotator::run(&replicas, until).await;
    let mut stream = Output::default();
    let mut issue_errors = Vec::new();
    for producer in producers {
        match producer.await.unwrap() {
            Ok(out) => {
                for (grant, n) in out.issued {
                    *stream.issued.entry(grant).or_default() += n;
                }
                stream.introspected += out.introspected;
                stream.refusals.extend(out.refusals);
            }
            Err(e) => issue_errors.push(e),
        }
    }
    let mut total = Stats::default();
    let mut kids = BTreeSet::new();
    for verifier in verifiers {
        let stats = verifier.await.unwrap();
        total.fetched += stats.fetched;
        total.not_modified += stats.not_modified;
        total.verified += stats.verified;
        total.max_delay = total.max_delay.max(stats.max_delay);
        total.late_verified += stats.late_verified;
        total.late_missed += stats.late_missed;
        kids.extend(stats.kids);
        total.failures.extend(stats.failures);
    }
    let mut signing_kids: BTreeMap<String, u64> = BTreeMap::new();
    for (_, alg) in &kids {
        *signing_kids.entry(alg.clone()).or_default() += 1;
    }
    let admin = replicas[1].admin_token().await;
    let keys = replicas[1].admin_keys(&admin).await;
    let lifecycle_breaches = breaches(&replicas[1], &keys, &initial);

    eprintln!(
        "fleet: {:.1}s in all, {}s of stream\n\
         tokens issued {:?}; {} introspected active on the other replica, {} not\n\
         rotations {:?}: {} refused as too early, {} refused by the other replica right \
         after, {} late probes rotated, {} admin tokens ran out\n\
         signing keys whose tokens were verified {signing_kids:?}\n\
         {VERIFIERS} verifiers: {} verified on arrival (at most {:.2}s after issuance), {} near expiry ({} held tokens woke \
         too late to try); JWKS {} fetches (200), {} revalidations (304); {} failures",
        started.elapsed().as_secs_f64(),
        STREAM.as_secs(),
        stream.issued,
        stream.introspected,
        stream.refusals.len(),
        rotations.by_alg,
        rotations.too_early,
        rotations.refused_across_replicas,
        rotations.probes_rotated,
        rotations.admin_token_expired,
        total.verified,
        total.max_delay.as_secs_f64(),
        total.late_verified,
        total.late_missed,
        total.fetched,
        total.not_modified,
        total.failures.len(),
    );
    for failure in total.failures.iter().chain(&stream.refusals).take(20) {
        eprintln!("  {failure}");
    }

    assert!(issue_errors.is_empty(), "issuance failed: {issue_errors:?}");
    assert!(
        total.failures.is_empty(),
        "{} verifications failed (the first ones are listed above)",
        total.failures.len()
    );
    assert!(
        stream.refusals.is_empty(),
        "{} fresh tokens were not active on the other replica",
        stream.refusals.len()
    );
    assert!(
        rotations.violations.is_empty(),
        "rotation requests answered wrongly: {:#?}",
        rotations.violations
    );
    assert!(
        lifecycle_breaches.is_empty(),
        "keys signed or retired too early: {lifecycle_breaches:#?}"
    );
    // Coverage, so that a stalled rotator or stream cannot pass as "no failures".
    for alg in ["ES256", "RS256"] {
        assert!(
            rotations.by_alg.get(alg).copied().unwrap_or(0) >= 2,
            "too few {alg} rotations: {:?}",
            rotations.by_alg
        );
        assert!(
            signing_kids.get(alg).copied().unwrap_or(0) >= 2,
            "tokens of too few {alg} keys reached the verifiers: {signing_kids:?}"
        );
    }
    assert!(rotations.refused_across_replicas > 0);
    assert!(total.verified > 0 && total.late_verified > 0 && total.not_modified > 0);
}

fn unix(key: &Value, field: &str) -> Option<i64> {
    key[field]
        .as_str()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp())
}

/// Keys of the run that signed before every replica had served them for
/// `jwks_max_age`, or left the JWKS before `access_ttl + jwks_max_age` after the last
/// replica stopped signing with them: the lifecycle's timetable, read from the key
/// listing rather than from when requests happened to be sent.
fn breaches(app: &TestApp, keys: &[Value], initial: &BTreeSet<String>) -> Vec<String> {
    let policy = app.app.keys.policy();
    let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap();
    let max_age = secs(app.app.settings.keys.jwks_max_age);
    let access_ttl = secs(app.app.settings.tokens.access_ttl);
    let mut out = Vec::new();
    for key in keys {
        let kid = key["kid"].as_str().unwrap();
        let created = unix(key, "created_at").unwrap();
        if let Some(activated) = unix(key, "activated_at") {
            let published = activated - created;
            if !initial.contains(kid) && published < policy.propagation() + max_age {
                out.push(format!("{kid} signed {published}s after it was stored"));
            }
        }
        if let (Some(deactivated), Some(retired)) =
            (unix(key, "deactivated_at"), unix(key, "retired_at"))
        {
            let kept = retired - deactivated;
            if kept < policy.propagation() + access_ttl + max_age {
                out.push(format!(
                    "{kid} left the JWKS {kept}s after it stopped signing"
                ));
            }
        }
    }
    out
}
