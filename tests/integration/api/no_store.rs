//! `Cache-Control: no-store` on every response that carries tokens or personal data,
//! its errors included: no shared or browser cache may keep a copy.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::*;

both_engines! {
    async fn token_and_personal_data_responses_are_never_stored(app) {
        let admin = app.admin_token().await;
        let user = app.create_user("cached@example.com", "cached-password-123", &["reader"]).await;
        let id = user["id"].as_str().unwrap().to_owned();
        let login = app.login_with(&TestApp::fresh_client(), "cached@example.com", "cached-password-123").await;
        assert_eq!(login.status(), StatusCode::OK);
        let refresh = cookie_value(&set_cookie(&login, "tessera_refresh").unwrap());
        let csrf = cookie_value(&set_cookie(&login, "tessera_csrf").unwrap());
        let access = login.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let password_grant = [("grant_type", "password"), ("username", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)];
        let c = &app.client;

        let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode)> = vec![
            ("login", c.post(app.url(paths::LOGIN)).json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})), StatusCode::OK),
            ("login, wrong password", c.post(app.url(paths::LOGIN)).json(&json!({"email": ADMIN_EMAIL, "password": "wrong-password-123"})), StatusCode::UNAUTHORIZED),
            ("refresh", TestApp::fresh_client().post(app.url(paths::REFRESH)).header("Cookie", format!("tessera_refresh={refresh}; tessera_csrf={csrf}")).header("X-CSRF-Token", &csrf), StatusCode::OK),
            ("refresh, spent token", TestApp::fresh_client().post(app.url(paths::REFRESH)).header("Cookie", format!("tessera_refresh={refresh}; tessera_csrf={csrf}")).header("X-CSRF-Token", &csrf), StatusCode::UNAUTHORIZED),
            ("me", c.get(app.url(paths::ME)).bearer_auth(&admin), StatusCode::OK),
            ("me, bad token", c.get(app.url(paths::ME)).bearer_auth("not-a-token"), StatusCode::UNAUTHORIZED),
            ("create user", c.post(app.url(paths::ADMIN_USERS)).bearer_auth(&admin).json(&json!({"email": "other@example.com", "password": "other-password-123", "roles": []})), StatusCode::CREATED),
            ("create user, taken", c.post(app.url(paths::ADMIN_USERS)).bearer_auth(&admin).json(&json!({"email": "other@example.com", "password": "other-password-123", "roles": []})), StatusCode::CONFLICT),
            ("get user", c.get(app.url(&paths::admin_user(&id))).bearer_auth(&admin), StatusCode::OK),
            ("get user, unknown", c.get(app.url(&paths::admin_user("nobody"))).bearer_auth(&admin), StatusCode::NOT_FOUND),
            ("introspect", c.post(app.url(paths::INTROSPECT)).bearer_auth(&admin).form(&[("token", access.as_str())]), StatusCode::OK),
            ("revoke sessions", c.post(app.url(&paths::admin_user_action(&id, "revoke-sessions"))).bearer_auth(&admin), StatusCode::OK),
            ("disable user", c.post(app.url(&paths::admin_user_action(&id, "disable"))).bearer_auth(&admin), StatusCode::OK),
            ("create client", c.post(app.url(paths::ADMIN_CLIENTS)).bearer_auth(&admin).json(&json!({"name": "cache test", "scopes": ["read"], "redirect_uris": ["https://app.example.com/cb"]})), StatusCode::CREATED),
            ("get client, unknown", c.get(app.url(&format!("{}/nobody", paths::ADMIN_CLIENTS))).bearer_auth(&admin), StatusCode::NOT_FOUND),
            ("list clients", c.get(app.url(paths::ADMIN_CLIENTS)).bearer_auth(&admin), StatusCode::OK),
            ("token, password grant", TestApp::fresh_client().post(app.url(paths::TOKEN)).form(&password_grant), StatusCode::OK),
            ("token, bad grant", TestApp::fresh_client().post(app.url(paths::TOKEN)).form(&[("grant_type", "refresh_token"), ("refresh_token", "junk")]), StatusCode::BAD_REQUEST),
        ];
        for (what, req, status) in cases {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), status, "{what}");
            let cache = res.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(cache.as_deref(), Some("no-store"), "{what}");
        }

        // Public documents keep their own caching.
        let jwks = app.jwks_response().await;
        assert!(jwks.headers()["cache-control"].to_str().unwrap().starts_with("public, max-age="));
    }
}
