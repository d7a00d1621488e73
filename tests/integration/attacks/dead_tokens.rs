//! Tokens that were real and are dead, or real and of the wrong kind: a refresh token as
//! a bearer and an access token as a refresh token; access tokens of a revoked key, of a
//! family revoked by logout or by reuse, of a user after revoke-sessions, and denylisted
//! ones. Every state lives in the database, so all of these run on both engines.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use super::forge::{self, Compact, P256_ORDER};
use super::judge::{case, Judge, USER_EMAIL, USER_PASSWORD};
use crate::both_engines;
use crate::common::session::{browser_session as browser_of, BrowserSession as Browser};
use crate::common::*;

/// The password grant for the plain user, through the judge's client: (access, refresh).
async fn password_grant(judge: &Judge<'_>) -> (String, String) {
    let (id, secret) = &judge.client;
    let res = judge
        .app
        .token(
            &[
                ("grant_type", "password"),
                ("username", USER_EMAIL),
                ("password", USER_PASSWORD),
            ],
            Some((id, secret)),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn assert_error(res: Response, status: StatusCode, error: &str, what: &str) {
    assert_eq!(res.status(), status, "{what}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], error, "{what}: {body}");
}

both_engines! {
    async fn a_refresh_token_is_not_an_access_token(app) {
        let judge = Judge::new(&app).await;
        let (_, refresh) = password_grant(&judge).await;
        let browser = app.browser_login(USER_EMAIL, USER_PASSWORD).await;
        judge.assert_accepted("the browser session's access token", &browser.access).await;
        judge
            .assert_refused(&[
                case("refresh token of the password grant as a bearer", refresh.clone()),
                case("refresh cookie of a browser session as a bearer", browser.refresh.clone()),
            ])
            .await;
        // Introspection here describes access tokens: a refresh token is never "active",
        // so a resource server that introspects its bearer cannot be fooled into taking
        // a refresh token for an access token, even with the hint.
        for token in [&refresh, &browser.refresh] {
            let (status, body) = judge.introspect_as_client(token, Some("refresh_token")).await;
            assert_eq!((status, body), (StatusCode::OK, json!({"active": false})));
        }
        // Control: both were live refresh tokens all along.
        let (id, secret) = &judge.client;
        let rotated = app
            .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)], Some((id, secret)))
            .await;
        assert_eq!(rotated.status(), StatusCode::OK);
        let res = app.refresh_with(&TestApp::fresh_client(), &browser.refresh, &browser.csrf).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn an_access_token_is_not_a_refresh_token(app) {
        let judge = Judge::new(&app).await;
        let (access, _) = password_grant(&judge).await;
        let browser = app.browser_login(USER_EMAIL, USER_PASSWORD).await;
        let (id, secret) = judge.client.clone();
        let cc = app
            .token(&[("grant_type", "client_credentials")], Some((&id, &secret)))
            .await;
        assert_eq!(cc.status(), StatusCode::OK);
        let client_token = cc.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        for (name, token) in [
            ("password-grant access token", &access),
            ("browser access token", &browser.access),
            ("admin access token", &judge.admin),
            ("client-credentials access token", &client_token),
        ] {
            let form = [("grant_type", "refresh_token"), ("refresh_token", token.as_str())];
            let anonymous = app.token(&form, None).await;
            assert_error(anonymous, StatusCode::BAD_REQUEST, "invalid_grant", &format!("{name} to /oauth/token")).await;
            let as_client = app.token(&form, Some((&id, &secret))).await;
            assert_error(as_client, StatusCode::BAD_REQUEST, "invalid_grant", &format!("{name} to /oauth/token with the client")).await;
            let cookie = app.refresh_with(&TestApp::fresh_client(), token, &browser.csrf).await;
            assert!(set_cookie(&cookie, "tessera_refresh").is_none(), "{name}: no new refresh cookie");
            assert_error(cookie, StatusCode::UNAUTHORIZED, "invalid_grant", &format!("{name} as the refresh cookie")).await;
        }
        // Control: the access tokens were good ones, and trying them did them no harm.
        judge.assert_accepted("password-grant access token", &access).await;
        judge.assert_accepted("browser access token", &browser.access).await;
    }
}

both_engines! {
    async fn tokens_signed_by_a_revoked_key_are_dead(app) {
        let judge = Judge::new(&app).await;
        let user = judge.user_token().await;
        judge.assert_accepted("user token before the key is revoked", &user).await;
        let kid = Compact::parse(&user).header()["kid"].as_str().unwrap().to_owned();
        let res = app
            .client
            .post(app.url(&paths::admin_key_revoke(&kid)))
            .bearer_auth(&judge.admin)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "revoking the key: {}", res.status());
        assert!(
            !app.jwks().await["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid.as_str()),
            "the revoked key left the JWKS"
        );
        // The judge's own admin token died with the key: a new judge, on the new key.
        let old_admin = judge.admin.clone();
        let judge = Judge::new(&app).await;
        judge
            .assert_refused(&[
                case("user token of the revoked key", user),
                case("admin token of the revoked key", old_admin),
            ])
            .await;
        let fresh = judge.user_token().await;
        assert_ne!(Compact::parse(&fresh).header()["kid"], kid.as_str());
        judge.assert_accepted("a token of the new current key", &fresh).await;
    }
}

async fn logout(app: &TestApp, browser: &Browser) {
    let res = TestApp::fresh_client()
        .post(app.url(paths::LOGOUT))
        .header(
            "Cookie",
            format!(
                "tessera_refresh={}; tessera_csrf={}",
                browser.refresh, browser.csrf
            ),
        )
        .header("X-CSRF-Token", &browser.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

both_engines! {
    async fn tokens_of_a_family_revoked_by_logout_are_dead(app) {
        let judge = Judge::new(&app).await;
        let user = app.browser_login(USER_EMAIL, USER_PASSWORD).await;
        let admin = app.browser_login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        judge.assert_accepted("user session before logout", &user.access).await;
        assert_eq!(app.admin_keys_response(&admin.access).await.status(), StatusCode::OK);
        // The bearer is not sent: the family revocation alone must kill the token.
        logout(&app, &user).await;
        logout(&app, &admin).await;
        judge
            .assert_refused(&[
                case("user access token after logout", user.access.clone()),
                case("admin access token after logout", admin.access.clone()),
            ])
            .await;
        let again = app.refresh_with(&TestApp::fresh_client(), &user.refresh, &user.csrf).await;
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
        judge.assert_accepted("another session of the same user", &judge.user_token().await).await;
    }
}

both_engines! {
    async fn tokens_of_a_family_revoked_by_reuse_are_dead(app) {
        let judge = Judge::new(&app).await;
        let first = app.browser_login(USER_EMAIL, USER_PASSWORD).await;
        let second = browser_of(app.refresh_with(&TestApp::fresh_client(), &first.refresh, &first.csrf).await).await;
        judge.assert_accepted("access token after rotation", &second.access).await;
        judge.assert_accepted("access token before rotation", &first.access).await;
        // The spent token again: reuse, and the whole family dies.
        let reuse = app.refresh_with(&TestApp::fresh_client(), &first.refresh, &first.csrf).await;
        assert_error(reuse, StatusCode::UNAUTHORIZED, "invalid_grant", "reuse of a spent refresh token").await;
        judge
            .assert_refused(&[
                case("first access token of the reused family", first.access),
                case("latest access token of the reused family", second.access),
            ])
            .await;
        let child = app.refresh_with(&TestApp::fresh_client(), &second.refresh, &second.csrf).await;
        assert_error(child, StatusCode::UNAUTHORIZED, "invalid_grant", "the unspent child of a revoked family").await;
    }
}

both_engines! {
    async fn tokens_issued_before_revoke_sessions_are_dead(app) {
        let judge = Judge::new(&app).await;
        let browser = app.browser_login(USER_EMAIL, USER_PASSWORD).await;
        let (granted, refresh) = password_grant(&judge).await;
        judge.assert_accepted("browser token before revoke-sessions", &browser.access).await;
        let sub = Compact::parse(&browser.access).payload()["sub"].as_str().unwrap().to_owned();
        let res = app
            .admin_revoke_sessions(&sub, &judge.admin)
            .await;
        assert!(res.status().is_success(), "revoke-sessions: {}", res.status());
        judge
            .assert_refused(&[
                case("browser token issued before revoke-sessions", browser.access),
                case("password-grant token issued before revoke-sessions", granted),
            ])
            .await;
        let (id, secret) = &judge.client;
        let res = app
            .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)], Some((id, secret)))
            .await;
        assert_error(res, StatusCode::BAD_REQUEST, "invalid_grant", "refresh token of a revoked user").await;
        judge.assert_accepted("a login after revoke-sessions", &judge.user_token().await).await;
    }
}

/// The other valid ECDSA signature of the same message: `r || n - s`.
fn high_s_twin(token: &str) -> String {
    let real = Compact::parse(token);
    let signature = real.signature();
    let (r, s) = signature.split_at(32);
    real.with_signature(&[r, &forge::sub_256(&P256_ORDER, s)[..]].concat())
}

both_engines! {
    async fn denylisted_access_tokens_are_dead(app) {
        let judge = Judge::new(&app).await;
        let first = app.browser_login(USER_EMAIL, USER_PASSWORD).await;
        let second = browser_of(app.refresh_with(&TestApp::fresh_client(), &first.refresh, &first.csrf).await).await;
        let other = judge.user_token().await;
        let (id, secret) = judge.client.clone();
        let cc = app
            .token(&[("grant_type", "client_credentials")], Some((&id, &secret)))
            .await;
        let client_token = cc.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let (status, body) = judge.introspect_as_client(&client_token, None).await;
        assert_eq!((status, &body["active"]), (StatusCode::OK, &json!(true)), "client token before revocation");
        let twin = high_s_twin(&first.access);
        let twin_was_accepted = app.me(&twin).await.status() == StatusCode::OK;
        eprintln!("high-s twin signature accepted before revocation: {twin_was_accepted}");

        for (token, hint) in [(&first.access, Some("access_token")), (&other, None), (&client_token, Some("access_token"))] {
            let mut form = vec![("token", token.as_str())];
            if let Some(h) = hint {
                form.push(("token_type_hint", h));
            }
            let res = app.revoke(&form, None, None).await;
            assert_eq!(res.status(), StatusCode::OK);
        }
        judge
            .assert_refused(&[
                case("access token denylisted with the access_token hint", first.access.clone()),
                case("access token denylisted without a hint", other),
                case("client-credentials token denylisted", client_token),
                case("high-s twin of a denylisted token (same jti, other bytes)", twin),
            ])
            .await;
        // Control: the denylist is by jti; the family and its newer token live on.
        judge.assert_accepted("a newer token of the same family", &second.access).await;
    }
}
