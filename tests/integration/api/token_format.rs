//! Refresh tokens of the earlier 43-character form (256 random bits, keyed by their
//! SHA-256 alone), still held by clients after an upgrade, rotate like new ones.

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
    async fn a_refresh_token_of_the_earlier_form_rotates_once_into_the_new_form(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let res = app
            .token(&[("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD)], None)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["refresh_token"].as_str().unwrap().len(), 51, "{body}");
        let legacy = URL_SAFE_NO_PAD.encode([0x5au8; 32]);
        let family = plant_legacy_token(&app, &legacy).await;

        let (status, body) = refresh(&app, &legacy).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let child = body["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(child.len(), 51, "the child has the new form: {child}");
        let claims = verify_with_jwks(&app.jwks().await, body["access_token"].as_str().unwrap()).unwrap();
        assert_eq!(claims["sid"], family.as_str(), "the child stays in the legacy token's family");

        // Spent like any other: presenting it again after its child was used is reuse,
        // and the whole family dies.
        let (status, body) = refresh(&app, &child).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let grandchild = body["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(refresh(&app, &legacy).await.0, StatusCode::BAD_REQUEST);
        assert_eq!(refresh(&app, &grandchild).await.0, StatusCode::BAD_REQUEST);
    }
}
