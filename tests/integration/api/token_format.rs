//! Refresh tokens carry a MAC; one of the earlier 43-character form (256 random bits,
//! keyed by their SHA-256 alone) planted on a database that never issued that form is
//! refused even though its row exists. (Tokens of the earlier forms on a database that
//! did issue them: `refresh_mac.rs`.)

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;

use crate::both_engines;
use crate::common::*;

const EMAIL: &str = "hana@example.com";
const PASSWORD: &str = "hana-password-1234";

/// (status, body) of a refresh-token grant.
async fn refresh(app: &TestApp, token: &str) -> (StatusCode, Value) {
    let res = app
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", token)],
            None,
        )
        .await;
    (res.status(), res.json().await.unwrap())
}

/// Stores `token` in the app's only family the way a release before the time-led
/// keys did, and returns that family's id.
async fn plant_legacy_token(app: &TestApp, token: &str) -> String {
    let key = ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec();
    let now = tessera::clock::Clock::unix(app.clock.as_ref());
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    let family: String = sqlx::query_scalar("SELECT id FROM refresh_families")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(key)
        .bind(&family)
        .bind(now)
        .bind(now + 3600)
        .execute(&mut conn)
        .await
        .unwrap();
    family
}

both_engines! {
    async fn a_token_of_an_earlier_form_is_refused_where_that_form_was_never_issued(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let res = app
            .token(&[("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD)], None)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        let issued = body["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(issued.len(), 72, "{body}");
        let legacy = URL_SAFE_NO_PAD.encode([0x5au8; 32]);
        plant_legacy_token(&app, &legacy).await;

        let (status, body) = refresh(&app, &legacy).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_grant");
        let (status, body) = refresh(&app, &issued).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
