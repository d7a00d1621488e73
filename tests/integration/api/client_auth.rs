//! Client authentication (RFC 6749 §2.3): one method per request, Basic credentials
//! percent-decoded, an id without its secret refused; introspection only for clients
//! registered for it (RFC 7662 §2.1).

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::paths;

const EMAIL: &str = "carol@example.com";
const PASSWORD: &str = "carol-password-1234";

async fn error_of(res: Response, status: StatusCode, code: &str) {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
}

both_engines! {
    async fn basic_and_form_credentials_together_are_invalid_request(app) {
        let (id, secret) = app.register_client(json!({"scopes": ["read"]})).await;
        let (other_id, other_secret) = app.register_client(json!({"scopes": ["write"]})).await;
        let conflicting = [
            ("grant_type", "client_credentials"),
            ("client_id", other_id.as_str()),
            ("client_secret", other_secret.as_str()),
        ];
        let res = app.token(&conflicting, Some((&id, &secret))).await;
        error_of(res, StatusCode::BAD_REQUEST, "invalid_request").await;

        // The same credentials twice are still two methods.
        let twice = [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", secret.as_str())];
        let res = app.token(&twice, Some((&id, &secret))).await;
        error_of(res, StatusCode::BAD_REQUEST, "invalid_request").await;

        // Repeating only the Basic client_id in the form names the same client: one method.
        let named = [("grant_type", "client_credentials"), ("client_id", id.as_str())];
        let res = app.token(&named, Some((&id, &secret))).await;
        assert_eq!(res.status(), StatusCode::OK);

        // RFC 6749 §3.1: a parameter without a value is as if omitted, so empty form
        // credentials beside Basic are no second method.
        let empty = [("grant_type", "client_credentials"), ("client_id", ""), ("client_secret", "")];
        let res = app.token(&empty, Some((&id, &secret))).await;
        assert_eq!(res.status(), StatusCode::OK);

        for path in [paths::REVOKE, paths::INTROSPECT] {
            let form = [("token", "x"), ("client_id", other_id.as_str()), ("client_secret", other_secret.as_str())];
            let res = app.oauth_form(path, &form, Some((&id, &secret)), None).await;
            error_of(res, StatusCode::BAD_REQUEST, "invalid_request").await;
        }
    }
}

both_engines! {
    async fn a_registered_client_id_without_its_secret_is_invalid_client(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let (id, _) = app.register_client(json!({"scopes": ["read"]})).await;
        // Before, this silently became a first-party grant.
        let form = [("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD), ("client_id", id.as_str())];
        let res = app.token(&form, None).await;
        assert!(res.headers().contains_key("www-authenticate"));
        error_of(res, StatusCode::UNAUTHORIZED, "invalid_client").await;

        let form = [("grant_type", "client_credentials"), ("client_id", id.as_str())];
        error_of(app.token(&form, None).await, StatusCode::UNAUTHORIZED, "invalid_client").await;

        let form = [("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD), ("client_id", "no-such-client")];
        error_of(app.token(&form, None).await, StatusCode::UNAUTHORIZED, "invalid_client").await;

        let form = [("grant_type", "client_credentials"), ("client_secret", "a-secret-without-an-id")];
        error_of(app.token(&form, None).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
}

both_engines! {
    async fn basic_credentials_are_form_urlencoded_before_base64(app) {
        let (id, secret) = app.register_client(json!({"scopes": ["read"]})).await;
        // RFC 6749 §2.3.1: each part is application/x-www-form-urlencoded first. Encode
        // every character, as a client may, so the server must decode to match.
        let encode = |s: &str| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
        let form = [("grant_type", "client_credentials")];
        let res = app.token(&form, Some((&encode(&id), &encode(&secret)))).await;
        assert_eq!(res.status(), StatusCode::OK);

        let res = app.token(&form, Some((&id, "%zz"))).await;
        error_of(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
}

both_engines! {
    async fn only_clients_registered_for_introspection_may_introspect(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let login = app.login(EMAIL, PASSWORD).await;
        let access = login.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();

        let plain = app.register_client(json!({"scopes": ["read"]})).await;
        let res = app.introspect(&[("token", &access)], Some((&plain.0, &plain.1)), None).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized_client");
        assert!(body.get("active").is_none() && body.get("roles").is_none(), "{body}");

        let resource_server = app.register_client(json!({"scopes": [], "introspection": true})).await;
        let res = app
            .introspect(&[("token", &access)], Some((&resource_server.0, &resource_server.1)), None)
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap()["active"], true);

        // An admin bearer keeps the right.
        let admin = app.admin_token().await;
        let res = app.introspect(&[("token", &access)], None, Some(&admin)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn a_client_kept_in_memory_still_has_its_secret_checked(app) {
        let (id, secret) = app.register_client(json!({"scopes": ["read"]})).await;
        let grant = [("grant_type", "client_credentials")];
        // The first grant reads the record; the next ones find it in memory.
        assert_eq!(app.token(&grant, Some((&id, &secret))).await.status(), StatusCode::OK);
        let wrong = format!("{secret}x");
        for bad in [wrong.as_str(), "", &secret[..secret.len() - 1]] {
            let res = app.token(&grant, Some((&id, bad))).await;
            error_of(res, StatusCode::UNAUTHORIZED, "invalid_client").await;
        }
        assert_eq!(app.token(&grant, Some((&id, &secret))).await.status(), StatusCode::OK);
        // A client registered after others were kept is found at once.
        let (new_id, new_secret) = app.register_client(json!({"scopes": ["read"]})).await;
        assert_eq!(app.token(&grant, Some((&new_id, &new_secret))).await.status(), StatusCode::OK);
    }
}
