//! The browser flow: `/auth/login`, `/auth/refresh`, `/auth/logout`, `/auth/me`,
//! as a browser and its page script see it.

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::*;

const EMAIL: &str = "alice@example.com";
const PASSWORD: &str = "correct-horse-battery";

/// The attributes of a `Set-Cookie` header, lower-cased, without the name=value pair.
fn attributes(header: &str) -> Vec<String> {
    header
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

fn has_attribute(header: &str, attribute: &str) -> bool {
    attributes(header).iter().any(|a| a == attribute)
}

fn attribute_value(header: &str, name: &str) -> Option<String> {
    attributes(header).into_iter().find_map(|a| {
        let (k, v) = a.split_once('=')?;
        (k.trim() == name).then(|| v.trim().to_owned())
    })
}

/// The browser's own state after a login or a refresh: its jar holds the cookies,
/// the page holds the access token and reads the CSRF cookie.
struct Browser {
    client: Client,
    access: String,
    refresh: String,
    csrf: String,
}

async fn browser_login(app: &TestApp, email: &str, password: &str) -> Browser {
    let client = TestApp::fresh_client();
    let res = app.login_with(&client, email, password).await;
    assert_eq!(res.status(), StatusCode::OK);
    let refresh = cookie_value(&set_cookie(&res, "tessera_refresh").expect("refresh cookie"));
    let csrf = cookie_value(&set_cookie(&res, "tessera_csrf").expect("csrf cookie"));
    let body: Value = res.json().await.unwrap();
    Browser {
        client,
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh,
        csrf,
    }
}

/// POST /auth/refresh from the browser: the jar sends the cookies, the script the header.
async fn refresh_from_jar(app: &TestApp, browser: &Browser, csrf_header: Option<&str>) -> Response {
    let mut req = browser.client.post(app.url(paths::REFRESH));
    if let Some(csrf) = csrf_header {
        req = req.header("X-CSRF-Token", csrf);
    }
    req.send().await.unwrap()
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.me(token).await.status()
}

async fn assert_json_error(res: Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "error bodies are JSON, got {content_type}"
    );
    let body: Value = res.json().await.unwrap();
    assert!(body["error"].is_string(), "error code in {body}");
    assert!(
        body["error_description"].is_string(),
        "error_description in {body}"
    );
    body
}

both_engines! {
    async fn login_sets_the_refresh_and_csrf_cookies_with_the_contract_attributes(app) {
        let user = app.create_user(EMAIL, PASSWORD, &["reader"]).await;
        let res = app.login_with(&TestApp::fresh_client(), EMAIL, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);

        let refresh = set_cookie(&res, "tessera_refresh").expect("tessera_refresh is set");
        assert!(has_attribute(&refresh, "httponly"), "refresh cookie is HttpOnly: {refresh}");
        assert_eq!(attribute_value(&refresh, "samesite").as_deref(), Some("strict"), "{refresh}");
        assert_eq!(attribute_value(&refresh, "path").as_deref(), Some("/auth"), "{refresh}");
        assert!(!has_attribute(&refresh, "secure"), "cookies.secure=false in tests: {refresh}");
        let refresh_value = cookie_value(&refresh);
        assert!(refresh_value.len() >= 43, "at least 256 bits, URL-safe: {refresh_value}");
        assert!(
            refresh_value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "URL-safe refresh token: {refresh_value}"
        );
        assert!(refresh_value.matches('.').count() < 2, "a refresh token is never a JWT");

        let csrf = set_cookie(&res, "tessera_csrf").expect("tessera_csrf is set");
        assert!(!has_attribute(&csrf, "httponly"), "the page script must read the CSRF cookie: {csrf}");
        assert_eq!(attribute_value(&csrf, "path").as_deref(), Some("/"), "{csrf}");
        assert!(!has_attribute(&csrf, "secure"), "{csrf}");
        assert!(!cookie_value(&csrf).is_empty());
        assert_ne!(cookie_value(&csrf), refresh_value, "the CSRF token is not the refresh token");

        let body: Value = res.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        assert!(body.get("refresh_token").is_none(), "the refresh token lives only in the cookie: {body}");
        let access = body["access_token"].as_str().unwrap();
        let claims = verify_with_jwks(&app.jwks().await, access).expect("the access token verifies against the JWKS");
        assert_eq!(claims["sub"], user["id"]);
        assert_eq!(claims["roles"], json!(["reader"]));
        assert!(claims["sid"].is_string(), "user tokens carry their family id: {claims}");
        assert!(!serde_json::to_string(&claims).unwrap().contains(&refresh_value));
    }
}

both_engines! {
    async fn me_returns_sub_email_and_roles(app) {
        let user = app.create_user(EMAIL, PASSWORD, &["reader", "writer"]).await;
        let browser = browser_login(&app, EMAIL, PASSWORD).await;

        let res = app.me(&browser.access).await;
        assert_eq!(res.status(), StatusCode::OK);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["sub"], user["id"]);
        assert_eq!(me["email"], EMAIL);
        assert_eq!(me["roles"], json!(["reader", "writer"]));
        assert!(me.get("password_hash").is_none());

        let anonymous = app.get(paths::ME).await;
        assert!(anonymous.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        assert_json_error(anonymous, StatusCode::UNAUTHORIZED).await;
        let garbage = app.me("not.a.token").await;
        assert!(garbage.headers()["www-authenticate"].to_str().unwrap().contains("error="));
        assert_json_error(garbage, StatusCode::UNAUTHORIZED).await;
    }
}

both_engines! {
    async fn refresh_is_refused_without_the_matching_csrf_header(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let browser = browser_login(&app, EMAIL, PASSWORD).await;

        let missing = refresh_from_jar(&app, &browser, None).await;
        assert!(set_cookie(&missing, "tessera_refresh").is_none(), "no rotation without the header");
        assert_json_error(missing, StatusCode::FORBIDDEN).await;

        let wrong = refresh_from_jar(&app, &browser, Some("not-the-csrf-cookie")).await;
        assert!(set_cookie(&wrong, "tessera_refresh").is_none());
        assert_json_error(wrong, StatusCode::FORBIDDEN).await;

        // A cross-site attacker cannot read the CSRF cookie: a header with no cookie to match fails too.
        let forged = TestApp::fresh_client()
            .post(app.url(paths::REFRESH))
            .header("Cookie", format!("tessera_refresh={}", browser.refresh))
            .header("X-CSRF-Token", &browser.csrf)
            .send()
            .await
            .unwrap();
        assert_json_error(forged, StatusCode::FORBIDDEN).await;

        // The refused attempts spent nothing: the real page still refreshes.
        let ok = refresh_from_jar(&app, &browser, Some(&browser.csrf)).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn refresh_rotates_the_cookie_and_returns_a_working_access_token(app) {
        let user = app.create_user(EMAIL, PASSWORD, &[]).await;
        let browser = browser_login(&app, EMAIL, PASSWORD).await;

        let res = refresh_from_jar(&app, &browser, Some(&browser.csrf)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let new_refresh_cookie = set_cookie(&res, "tessera_refresh").expect("a new refresh cookie");
        assert_ne!(cookie_value(&new_refresh_cookie), browser.refresh, "the refresh token rotates");
        assert_eq!(attribute_value(&new_refresh_cookie, "path").as_deref(), Some("/auth"));
        assert!(has_attribute(&new_refresh_cookie, "httponly"));
        let new_csrf = cookie_value(&set_cookie(&res, "tessera_csrf").expect("a new csrf cookie"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert!(body.get("refresh_token").is_none());
        let access = body["access_token"].as_str().unwrap();
        assert_ne!(access, browser.access);

        let me = app.me(access).await;
        assert_eq!(me.status(), StatusCode::OK);
        assert_eq!(me.json::<Value>().await.unwrap()["sub"], user["id"]);

        // The jar now holds the rotated cookies: the page refreshes again with the new CSRF value.
        let again = refresh_from_jar(&app, &browser, Some(&new_csrf)).await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_ne!(cookie_value(&set_cookie(&again, "tessera_refresh").unwrap()), cookie_value(&new_refresh_cookie));
    }
}

both_engines! {
    async fn logout_clears_both_cookies_and_ends_the_session(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let browser = browser_login(&app, EMAIL, PASSWORD).await;
        assert_eq!(me_status(&app, &browser.access).await, StatusCode::OK);

        let res = browser
            .client
            .post(app.url(paths::LOGOUT))
            .bearer_auth(&browser.access)
            .header("X-CSRF-Token", &browser.csrf)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "logout: {}", res.status());
        let refresh = set_cookie(&res, "tessera_refresh").expect("the refresh cookie is cleared");
        assert_eq!(cookie_value(&refresh), "");
        assert_eq!(attribute_value(&refresh, "max-age").as_deref(), Some("0"), "{refresh}");
        assert_eq!(attribute_value(&refresh, "path").as_deref(), Some("/auth"), "same path as when set: {refresh}");
        let csrf = set_cookie(&res, "tessera_csrf").expect("the csrf cookie is cleared");
        assert_eq!(cookie_value(&csrf), "");
        assert_eq!(attribute_value(&csrf, "max-age").as_deref(), Some("0"), "{csrf}");
        assert_eq!(attribute_value(&csrf, "path").as_deref(), Some("/"), "same path as when set: {csrf}");

        // Someone who kept a copy of the old cookies gets nothing from them.
        let replay = app.refresh_with(&TestApp::fresh_client(), &browser.refresh, &browser.csrf).await;
        assert_eq!(assert_json_error(replay, StatusCode::UNAUTHORIZED).await["error"], "invalid_grant");
        // The access token sent with the logout is dead before its exp.
        assert_eq!(me_status(&app, &browser.access).await, StatusCode::UNAUTHORIZED);
    }
}

both_engines! {
    async fn unknown_user_and_wrong_password_get_the_same_answer(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let unknown = app.login_with(&TestApp::fresh_client(), "nobody@example.com", PASSWORD).await;
        let wrong = app.login_with(&TestApp::fresh_client(), EMAIL, "wrong-password-123").await;

        assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status(), wrong.status());
        assert_eq!(
            unknown.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()),
            wrong.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned())
        );
        assert!(set_cookie(&unknown, "tessera_refresh").is_none());
        assert!(set_cookie(&wrong, "tessera_refresh").is_none());
        let unknown_body = unknown.text().await.unwrap();
        let wrong_body = wrong.text().await.unwrap();
        assert_eq!(unknown_body, wrong_body, "the answer must not tell which part was wrong");
        let body: Value = serde_json::from_str(&wrong_body).unwrap();
        assert!(body["error"].is_string() && body["error_description"].is_string());
    }
}

both_engines! {
    async fn repeated_failures_throttle_the_account_even_for_the_right_password(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        app.create_user("bob@example.com", PASSWORD, &[]).await;
        for attempt in 1..=5 {
            let res = app.login_with(&TestApp::fresh_client(), EMAIL, "wrong-password-123").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "failed attempt {attempt}");
        }

        let sixth = app.login_with(&TestApp::fresh_client(), EMAIL, "wrong-password-123").await;
        assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: u64 = sixth.headers()["retry-after"].to_str().unwrap().parse().expect("Retry-After in seconds");
        assert!(retry_after > 0);
        assert_json_error(sixth, StatusCode::TOO_MANY_REQUESTS).await;

        let right = app.login_with(&TestApp::fresh_client(), EMAIL, PASSWORD).await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS, "no password is checked while throttled");
        assert!(right.headers().contains_key("retry-after"));
        assert!(set_cookie(&right, "tessera_refresh").is_none());

        // The throttle is per account: another user on the same address still logs in.
        let other = app.login_with(&TestApp::fresh_client(), "bob@example.com", PASSWORD).await;
        assert_eq!(other.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn fifty_failures_from_one_address_throttle_every_account_from_it(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        // Fifty different accounts, so no account limit (5) is what trips.
        for attempt in 1..=50 {
            let email = format!("guess-{attempt}@example.com");
            let res = app.login_with(&TestApp::fresh_client(), &email, "wrong-password-123").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "failed attempt {attempt}");
        }

        let right = app.login_with(&TestApp::fresh_client(), EMAIL, PASSWORD).await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS, "the address is blocked, the right password included");
        let retry_after: u64 = right.headers()["retry-after"].to_str().unwrap().parse().expect("Retry-After in seconds");
        assert!(retry_after > 300, "the address block (15 min) is longer than an account's: {retry_after}");
        assert_json_error(right, StatusCode::TOO_MANY_REQUESTS).await;

        let grant = app
            .token(&[("grant_type", "password"), ("username", EMAIL), ("password", PASSWORD)], None)
            .await;
        assert_eq!(grant.status(), StatusCode::TOO_MANY_REQUESTS, "the password grant shares the address limit");

        // The block ends: after 15 minutes the same address logs in again.
        app.clock.advance(15 * 60 + 1);
        let later = app.login_with(&TestApp::fresh_client(), EMAIL, PASSWORD).await;
        assert_eq!(later.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn a_malformed_json_body_gets_a_json_400(app) {
        let broken = app
            .client
            .post(app.url(paths::LOGIN))
            .header("Content-Type", "application/json")
            .body("{\"email\": \"alice@example.com\", ")
            .send()
            .await
            .unwrap();
        assert_eq!(assert_json_error(broken, StatusCode::BAD_REQUEST).await["error"], "invalid_request");

        let missing_field = app.post_json(paths::LOGIN, None, &json!({"email": EMAIL})).await;
        assert_eq!(assert_json_error(missing_field, StatusCode::BAD_REQUEST).await["error"], "invalid_request");
    }
}
