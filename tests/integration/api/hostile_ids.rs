//! Identifiers from requests (client ids, e-mails, user ids, kids, scopes, names) are
//! checked before they reach SQL: NUL, control characters, invalid UTF-8, 10k
//! characters and look-alikes get the same 4xx on both engines, never a 5xx.

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::both_engines;
use crate::common::*;

/// Every hostile identifier, as text a form or JSON body can carry.
fn hostile() -> Vec<String> {
    vec![
        "\0".into(),
        "client\0id".into(),
        "\u{7}\u{1b}[2J".into(),
        "line\r\nbreak".into(),
        "x".repeat(10_000),
        // Cyrillic and full-width look-alikes of "admin".
        "аdmin".into(),
        "ａｄｍｉｎ".into(),
        "\u{202e}nimda".into(),
        "' OR 1=1 --".into(),
    ]
}

/// A hostile string, shortened for an assertion message.
fn shown(s: &str) -> String {
    format!("{:?}", s.chars().take(24).collect::<String>())
}

fn percent_encoded(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Sends a form body as raw bytes, so that it can hold what is not UTF-8.
async fn raw_form(app: &TestApp, path: &str, body: &str) -> StatusCode {
    Client::new()
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
}

fn assert_client_error(status: StatusCode, what: &str) {
    assert!(status.is_client_error(), "{what}: {status}");
}

both_engines! {
    async fn hostile_client_ids_are_refused_as_invalid_client(app) {
        for id in hostile() {
            let form = [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", "s")];
            for path in [paths::TOKEN, paths::REVOKE, paths::INTROSPECT] {
                let mut form = form.to_vec();
                form.push(("token", "t"));
                let res = app.oauth_form(path, &form, None, None).await;
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path} client_id={}", shown(&id));
            }
            let basic = app
                .token(&[("grant_type", "client_credentials")], Some((&percent_encoded(&id), "s")))
                .await;
            assert_eq!(basic.status(), StatusCode::UNAUTHORIZED, "Basic {}", shown(&id));
        }
        // Bytes that are not UTF-8 at all.
        for path in [paths::TOKEN, paths::REVOKE, paths::INTROSPECT] {
            let status = raw_form(&app, path, "grant_type=client_credentials&client_id=%FF%FE&client_secret=s&token=t").await;
            assert_client_error(status, path);
        }
    }
}

both_engines! {
    async fn hostile_emails_and_scopes_are_refused_without_a_server_error(app) {
        let admin = app.admin_token().await;
        for text in hostile() {
            let login = app.post_json(paths::LOGIN, None, &json!({"email": text, "password": "some-password-1234"})).await;
            assert_eq!(login.status(), StatusCode::UNAUTHORIZED, "login {}", shown(&text));
            let grant = [("grant_type", "password"), ("username", text.as_str()), ("password", "some-password-1234")];
            let res = app.token(&grant, None).await;
            assert_client_error(res.status(), "password grant username");
            let grant = [("grant_type", "password"), ("username", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("scope", text.as_str())];
            let res = app.token(&grant, None).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "scope {}", shown(&text));

            let user = json!({"email": text, "password": "long-enough-password", "roles": [text]});
            let res = app.admin_create_user(Some(&admin), &user).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "new user {}", shown(&text));
            let client = json!({"name": "ok", "scopes": [text], "grant_types": ["client_credentials"]});
            let res = app.admin_create_client(Some(&admin), &client).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "client scope {}", shown(&text));
            let client = json!({"name": text, "scopes": [], "grant_types": ["client_credentials"]});
            let res = app.admin_create_client(Some(&admin), &client).await;
            assert!(res.status() == StatusCode::CREATED || res.status() == StatusCode::BAD_REQUEST, "client name {}: {}", shown(&text), res.status());
        }
        for text in ["\0", "a\u{1}b", "tab\there"] {
            let res = app.admin_create_client(Some(&admin), &json!({"name": text, "grant_types": ["client_credentials"]})).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "client name {}", shown(text));
        }
        let status = raw_form(&app, paths::TOKEN, "grant_type=password&username=%FF&password=x").await;
        assert_client_error(status, "username not UTF-8");
    }
}

both_engines! {
    async fn hostile_user_ids_and_kids_in_paths_are_not_found(app) {
        let admin = app.admin_token().await;
        for id in hostile() {
            let encoded = percent_encoded(&id);
            let res = app.get_with_token(&paths::admin_user(&encoded), &admin).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "GET user {}", shown(&id));
            for action in ["revoke-sessions", "disable"] {
                let res = app.post_json(&paths::admin_user_action(&encoded, action), Some(&admin), &json!({})).await;
                assert_eq!(res.status(), StatusCode::NOT_FOUND, "{action} {}", shown(&id));
            }
            let res = app.admin_revoke_key(&encoded, &admin).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "revoke key {}", shown(&id));
        }
        // The admin's session is untouched by all of that.
        assert_eq!(app.me(&admin).await.status(), StatusCode::OK);
    }
}
