//! Client registration for the code flow: types, exact redirect URIs, the grants each
//! client may use, reading and removing clients, and clients registered before any of
//! this keeping what they could do.

use std::sync::Arc;

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::*;

const EMAIL: &str = "dana@example.com";
const PASSWORD: &str = "dana-password-1234";
const APP: &str = "https://app.example.com/callback";

async fn error_of(res: Response, status: StatusCode, code: &str) -> String {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    body["error_description"].as_str().unwrap_or("").to_owned()
}

async fn create(app: &TestApp, body: Value) -> Response {
    let admin = app.admin_token().await;
    app.admin_create_client(Some(&admin), &body).await
}

both_engines! {
    async fn a_public_client_gets_no_secret_and_reads_back_without_one(app) {
        let res = create(&app, json!({
            "name": "SPA", "type": "public", "scopes": ["openid", "email"],
            "redirect_uris": [APP, "http://127.0.0.1:5173/cb"],
            "post_logout_redirect_uris": ["https://app.example.com/bye"],
        })).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let created: Value = res.json().await.unwrap();
        assert!(created.get("client_secret").is_none(), "{created}");
        assert_eq!(created["type"], "public");
        assert_eq!(created["grant_types"], json!(["authorization_code", "refresh_token"]));
        let id = created["client_id"].as_str().unwrap();

        let admin = app.admin_token().await;
        let res = app.admin_client(id, &admin).await;
        assert_eq!(res.status(), StatusCode::OK);
        let read: Value = res.json().await.unwrap();
        assert_eq!(read["redirect_uris"], json!([APP, "http://127.0.0.1:5173/cb"]));
        assert_eq!(read["post_logout_redirect_uris"], json!(["https://app.example.com/bye"]));
        assert_eq!(read["first_party"], false);

        let list: Value = app.get_with_token(paths::ADMIN_CLIENTS, &admin).await.json().await.unwrap();
        let ids: Vec<&str> = list["clients"].as_array().unwrap().iter().map(|c| c["client_id"].as_str().unwrap()).collect();
        assert!(ids.contains(&id), "{list}");
    }
}

both_engines! {
    async fn a_confidential_clients_secret_is_shown_once_and_never_read_back(app) {
        let res = create(&app, json!({"name": "web", "redirect_uris": [APP], "first_party": true})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let created: Value = res.json().await.unwrap();
        let secret = created["client_secret"].as_str().unwrap();
        assert!(secret.len() >= 43, "256 bits");
        assert_eq!(
            created["grant_types"],
            json!(["authorization_code", "refresh_token", "client_credentials"]),
            "the password grant is never a default"
        );
        let admin = app.admin_token().await;
        let text = app.admin_client(created["client_id"].as_str().unwrap(), &admin).await.text().await.unwrap();
        assert!(!text.contains(secret) && !text.contains("secret"), "{text}");
        let list = app.get_with_token(paths::ADMIN_CLIENTS, &admin).await.text().await.unwrap();
        assert!(!list.contains(secret), "{list}");
    }
}

both_engines! {
    async fn registrations_that_would_open_a_hole_are_refused_with_the_reason(app) {
        for (body, named) in [
            (json!({"name": "x", "redirect_uris": ["http://app.example.com/cb"]}), "http"),
            (json!({"name": "x", "redirect_uris": ["https://app.example.com/cb#top"]}), "fragment"),
            (json!({"name": "x", "redirect_uris": ["/callback"]}), "absolute"),
            (json!({"name": "x", "redirect_uris": ["javascript:alert(1)"]}), "https"),
            (json!({"name": "x", "redirect_uris": ["https://user:pw@app.example.com/"]}), "user information"),
            (json!({"name": "x", "post_logout_redirect_uris": ["http://evil.example/"], "grant_types": ["client_credentials"]}), "post_logout_redirect_uris"),
            (json!({"name": "x"}), "redirect"),
            (json!({"name": "x", "type": "public", "redirect_uris": [APP], "grant_types": ["client_credentials"]}), "client_credentials"),
            (json!({"name": "x", "type": "public", "redirect_uris": [APP], "introspection": true}), "introspect"),
            (json!({"name": "x", "type": "trusted", "redirect_uris": [APP]}), "trusted"),
            (json!({"name": "x", "redirect_uris": [APP], "grant_types": ["implicit"]}), "implicit"),
        ] {
            let why = error_of(create(&app, body.clone()).await, StatusCode::BAD_REQUEST, "invalid_request").await;
            assert!(why.contains(named), "{body}: {why}");
        }
        let too_many: Vec<String> = (0..21).map(|i| format!("https://app.example.com/{i}")).collect();
        error_of(create(&app, json!({"name": "x", "redirect_uris": too_many})).await, StatusCode::BAD_REQUEST, "invalid_request").await;
        // Not an admin: nothing is registered.
        let user_token = {
            app.create_user(EMAIL, PASSWORD, &[]).await;
            app.access_token(EMAIL, PASSWORD).await
        };
        let res = app.admin_create_client(Some(&user_token), &json!({"name": "x", "redirect_uris": [APP]})).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = app.get(paths::ADMIN_CLIENTS).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}

both_engines! {
    async fn a_client_uses_only_the_grants_it_is_registered_for(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        // The default confidential client: no password grant.
        let created: Value = create(&app, json!({"name": "web", "redirect_uris": [APP]})).await.json().await.unwrap();
        let (id, secret) = (created["client_id"].as_str().unwrap(), created["client_secret"].as_str().unwrap());
        let res = app.password_grant(EMAIL, PASSWORD, None, Some((id, secret))).await;
        let why = error_of(res, StatusCode::BAD_REQUEST, "unauthorized_client").await;
        assert!(why.contains("password"), "{why}");
        let res = app.token(&[("grant_type", "client_credentials")], Some((id, secret))).await;
        assert_eq!(res.status(), StatusCode::OK);

        // Enabled by name, it works.
        let (pid, psecret) = app.register_client(json!({"grant_types": ["password", "refresh_token"]})).await;
        let res = app.password_grant(EMAIL, PASSWORD, None, Some((&pid, &psecret))).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.token(&[("grant_type", "client_credentials")], Some((&pid, &psecret))).await;
        error_of(res, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    }
}

both_engines! {
    async fn a_public_client_names_itself_but_never_sends_a_secret(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let created: Value = create(&app, json!({
            "name": "native", "type": "public", "redirect_uris": ["http://127.0.0.1/cb"],
            "grant_types": ["authorization_code", "refresh_token", "password"],
        })).await.json().await.unwrap();
        let id = created["client_id"].as_str().unwrap();

        let form = [("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD), ("client_id", id)];
        let res = app.token(&form, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        let refresh = res.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();

        // A secret for a client that has none fails like a wrong one.
        let res = app.password_grant(EMAIL, PASSWORD, None, Some((id, "made-up-secret"))).await;
        error_of(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        // The family is the client's: without its id the refresh fails...
        let res = app.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)], None).await;
        error_of(res, StatusCode::BAD_REQUEST, "invalid_grant").await;
        // ... and with it the refresh works.
        let res = app.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", id)], None).await;
        assert_eq!(res.status(), StatusCode::OK);
        // No client credentials grant for a client that proves nothing.
        let res = app.token(&[("grant_type", "client_credentials"), ("client_id", id)], None).await;
        error_of(res, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    }
}

both_engines! {
    async fn a_removed_client_is_gone_at_once_and_its_sessions_die(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let (id, secret) = app.register_client(json!({"scopes": ["read"]})).await;
        let res = app.password_grant(EMAIL, PASSWORD, None, Some((&id, &secret))).await;
        let body: Value = res.json().await.unwrap();
        let access = body["access_token"].as_str().unwrap().to_owned();
        // Used once, so this replica holds the client in its cache.
        assert_eq!(app.token(&[("grant_type", "client_credentials")], Some((&id, &secret))).await.status(), StatusCode::OK);

        let admin = app.admin_token().await;
        assert_eq!(app.admin_remove_client(&id, &admin).await.status(), StatusCode::NO_CONTENT);
        assert!(app.metrics_scrape().await.contains("tessera_families_revoked_total{reason=\"client_removed\"} 1"));
        assert_eq!(app.admin_client(&id, &admin).await.status(), StatusCode::NOT_FOUND);
        error_of(app.admin_remove_client(&id, &admin).await, StatusCode::NOT_FOUND, "not_found").await;

        let res = app.token(&[("grant_type", "client_credentials")], Some((&id, &secret))).await;
        error_of(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        // The user's session granted to it is revoked, so its access token is dead too.
        assert_eq!(app.introspect_as_admin(&access).await["active"], false);
        assert_eq!(app.me(&access).await.status(), StatusCode::UNAUTHORIZED);
        // Ids that no client can have are simply not found.
        for odd in ["%00", "..", &"x".repeat(300)] {
            let status = app.admin_client(odd, &admin).await.status();
            assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{odd}: {status}");
        }
    }
}

/// A client registered before migration 0006 keeps the grants it had.
async fn legacy_client_keeps_working(engine: Engine) {
    let Some(db) = TestDatabase::create(engine).await else {
        return eprintln!("skipped: set {POSTGRES_ENV} to run on PostgreSQL");
    };
    let secret = "a-secret-from-before-the-code-flow";
    let hash = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes())
        .as_ref()
        .to_vec();
    let insert = "INSERT INTO clients (id, name, secret_hash, scopes, introspection, created_at) \
                  VALUES ('legacy', 'legacy', $1, 'read', 0, 1)";
    db.migrated_before(engine, 6, &[(insert.to_owned(), vec![hash])])
        .await;
    let app = spawn_on(
        Arc::new(db),
        engine,
        &[],
        Arc::new(tessera::clock::ManualClock::default()),
    )
    .await;
    app.create_user(EMAIL, PASSWORD, &[]).await;
    let res = app
        .token(
            &[("grant_type", "client_credentials")],
            Some(("legacy", secret)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .password_grant(EMAIL, PASSWORD, Some("read"), Some(("legacy", secret)))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let admin = app.admin_token().await;
    let read: Value = app
        .admin_client("legacy", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["type"], "confidential");
    assert_eq!(
        read["grant_types"],
        json!(["password", "refresh_token", "client_credentials"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_registered_before_the_code_flow_keeps_its_grants_sqlite() {
    legacy_client_keeps_working(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_registered_before_the_code_flow_keeps_its_grants_postgres() {
    legacy_client_keeps_working(Engine::Postgres).await;
}
