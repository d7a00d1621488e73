//! Refresh tokens carry a MAC: a token this authority did not issue is refused before
//! any database read (counted as `forged`), and tokens issued before the MAC existed
//! keep working until every family live at that moment has expired.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::Value;

use crate::both_engines;
use crate::common::*;

const EMAIL: &str = "mac@example.com";
const PASSWORD: &str = "mac-password-1234";

fn forged_count(scrape: &str) -> u64 {
    let line = "tessera_refresh_screened_out_total{reason=\"forged\"} ";
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(line))
        .map_or(0, |v| v.trim().parse().unwrap())
}

async fn refresh_grant(app: &TestApp, token: &str) -> reqwest::Response {
    app.token(
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
        None,
    )
    .await
}

both_engines! {
    async fn a_token_with_a_wrong_mac_is_refused_without_spending_the_real_one(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let body: Value = app.password_grant(EMAIL, PASSWORD, None, None).await.json().await.unwrap();
        let real = body["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(real.len(), 72, "{real}");
        let before = forged_count(&app.metrics_scrape().await);

        let mut bytes = URL_SAFE_NO_PAD.decode(&real).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01; // the MAC's last byte
        let wrong_mac = URL_SAFE_NO_PAD.encode(&bytes);
        let res = refresh_grant(&app, &wrong_mac).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
        let res = app.refresh_with(&TestApp::fresh_client(), &wrong_mac, "csrf").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // The shape from before the MAC: no token of it can exist on a new database.
        let unsigned = URL_SAFE_NO_PAD.encode(&bytes[..38]);
        assert_eq!(refresh_grant(&app, &unsigned).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(forged_count(&app.metrics_scrape().await), before + 3);

        // Nothing was spent or revoked: the real token rotates.
        let res = refresh_grant(&app, &real).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

/// A token of the shape issued before the MAC: 6 time bytes and 32 random bytes.
fn unsigned_token() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let mut bytes = ms.to_be_bytes()[2..].to_vec();
    bytes.extend((0..32).map(|i| (i * 7 + 3) as u8));
    URL_SAFE_NO_PAD.encode(bytes)
}

fn lookup_key(token: &str) -> Vec<u8> {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    if token.len() == 43 {
        return digest.as_ref().to_vec();
    }
    let mut key = URL_SAFE_NO_PAD.decode(&token[..8]).unwrap();
    key.extend_from_slice(digest.as_ref());
    key
}

/// A database migrated to just before the MAC, holding a live family with a token of
/// each older shape; then the current binary starts on it.
async fn tokens_from_before_the_mac_keep_working(engine: Engine) {
    let Some(db) = TestDatabase::create(engine).await else {
        return eprintln!("skipped: set {POSTGRES_ENV} to run on PostgreSQL");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let unsigned = unsigned_token();
    let oldest = URL_SAFE_NO_PAD.encode([5u8; 32]);
    let statements: Vec<Seed> = vec![
        (format!("INSERT INTO users (id, email, password_hash, roles, created_at) VALUES ('u1', 'old@example.com', 'x', '', {now})"), vec![]),
        (format!("INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at) VALUES ('f1', 'u1', '', {now}, {})", now + 3600), vec![]),
        (format!("INSERT INTO refresh_families (id, user_id, scope, created_at, expires_at) VALUES ('f2', 'u1', '', {now}, {})", now + 3600), vec![]),
        (format!("INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at) VALUES ($1, 'f1', {now}, {})", now + 3600), vec![lookup_key(&unsigned)]),
        (format!("INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at) VALUES ($1, 'f2', {now}, {})", now + 3600), vec![lookup_key(&oldest)]),
    ];
    db.migrated_before(engine, 13, &statements).await;
    let app = spawn_on(
        Arc::new(db),
        engine,
        &[],
        Arc::new(tessera::clock::ManualClock::default()),
    )
    .await;
    for old in [&unsigned, &oldest] {
        let res = refresh_grant(&app, old).await;
        assert_eq!(res.status(), StatusCode::OK, "{} characters", old.len());
        let child = res.json::<Value>().await.unwrap()["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(child.len(), 72, "the child carries a MAC");
        let res = refresh_grant(&app, &child).await;
        assert_eq!(res.status(), StatusCode::OK);
        let grandchild = res.json::<Value>().await.unwrap()["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        // Spent like any other: presenting it again is reuse, and the family dies.
        assert_eq!(
            refresh_grant(&app, old).await.status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            refresh_grant(&app, &grandchild).await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    // An unknown token of an old shape is still only an unknown token.
    let res = refresh_grant(&app, &URL_SAFE_NO_PAD.encode([6u8; 32])).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Once every family live at the cut-over has expired, the old shapes are refused
    // without a read.
    app.clock.advance(3601);
    let before = forged_count(&app.metrics_scrape().await);
    assert_eq!(
        refresh_grant(&app, &unsigned).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(forged_count(&app.metrics_scrape().await), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_from_before_the_mac_keep_working_until_their_families_expire_sqlite() {
    tokens_from_before_the_mac_keep_working(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_tokens_from_before_the_mac_keep_working_until_their_families_expire_postgres() {
    tokens_from_before_the_mac_keep_working(Engine::Postgres).await;
}
