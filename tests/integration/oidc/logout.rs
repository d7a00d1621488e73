//! RP-initiated logout: a valid hint and a registered URI end the authority session
//! and revoke its families; anything else is an error page, never a redirect.

use reqwest::StatusCode;
use serde_json::json;

use super::{assert_error_page, code_for, ok_json, EMAIL, PASSWORD};
use crate::both_engines;
use crate::common::oidc::{redirect_params, Pkce, LOGOUT_URI};
use crate::common::*;

fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse(&app.url(paths::OAUTH_LOGOUT)).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

both_engines! {
    async fn logout_ends_the_session_and_revokes_its_families(app) {
        let (rp, pkce, code, b) = code_for(&app, json!({}), &[]).await;
        let tokens = ok_json(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        let access = tokens["access_token"].as_str().unwrap();
        let res = b
            .get(logout_url(&app, &[("id_token_hint", id_token), ("post_logout_redirect_uri", LOGOUT_URI), ("state", "bye")]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let cleared = set_cookie(&res, "tessera_session").expect("the cookie is cleared");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        let (base, params) = redirect_params(&res);
        assert_eq!(base, LOGOUT_URI);
        assert_eq!(params["state"], "bye");
        // The family is revoked: refresh fails, the access token is dead.
        let form = [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap()), ("client_id", rp.client_id.as_str())];
        assert_eq!(app.token(&form, None).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.get_with_token(paths::USERINFO, access).await.status(), StatusCode::UNAUTHORIZED);
        // The session is over: prompt=none says so.
        let res = b.get(app.authorize_url(&rp, &Pkce::new(), &[("prompt", "none")])).send().await.unwrap();
        assert_eq!(redirect_params(&res).1["error"], "login_required");
    }
}

both_engines! {
    async fn logout_without_a_uri_shows_a_page(app) {
        let (rp, _, _, b) = code_for(&app, json!({"first_party": true}), &[]).await;
        let res = b.get(app.url(paths::OAUTH_LOGOUT)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains("signed out"));
        let res = b.get(app.authorize_url(&rp, &Pkce::new(), &[("prompt", "none")])).send().await.unwrap();
        assert_eq!(redirect_params(&res).1["error"], "login_required");
    }
}

both_engines! {
    async fn logout_refuses_unregistered_uris_and_forged_hints(app) {
        let (rp, pkce, code, b) = code_for(&app, json!({}), &[]).await;
        let tokens = ok_json(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        let access = tokens["access_token"].as_str().unwrap();
        for uri in ["https://evil.example/", "https://rp.example/signed-out/", "https://rp.example/callback"] {
            let res = b.get(logout_url(&app, &[("id_token_hint", id_token), ("post_logout_redirect_uri", uri)])).send().await.unwrap();
            assert_error_page(res, StatusCode::BAD_REQUEST).await;
        }
        // A registered URI without anything naming the client.
        let res = b.get(logout_url(&app, &[("post_logout_redirect_uri", LOGOUT_URI)])).send().await.unwrap();
        assert_error_page(res, StatusCode::BAD_REQUEST).await;
        // An access token, a tampered ID token, junk: not hints.
        let mut parts: Vec<String> = id_token.split('.').map(str::to_owned).collect();
        parts[1] = parts[1].chars().rev().collect();
        for hint in [access.to_owned(), parts.join("."), "a.b.c".to_owned()] {
            let res = b.get(logout_url(&app, &[("id_token_hint", &hint), ("post_logout_redirect_uri", LOGOUT_URI)])).send().await.unwrap();
            assert_error_page(res, StatusCode::BAD_REQUEST).await;
        }
        // Another client's id beside the hint.
        let other = app.register_rp(json!({"name": "Other"})).await;
        let res = b
            .get(logout_url(&app, &[("id_token_hint", id_token), ("client_id", &other.client_id), ("post_logout_redirect_uri", LOGOUT_URI)]))
            .send()
            .await
            .unwrap();
        assert_error_page(res, StatusCode::BAD_REQUEST).await;
        // None of that signed anyone out.
        assert_eq!(app.get_with_token(paths::USERINFO, access).await.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn a_code_of_an_ended_session_and_sessions_after_revoke_all_are_dead(app) {
        let (rp, pkce, code, b) = code_for(&app, json!({}), &[]).await;
        // Signed out between the redirect and the exchange: the code starts nothing.
        let res = b.get(app.url(paths::OAUTH_LOGOUT)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.exchange_code(&rp, &code, &pkce.verifier).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);

        // An admin's revoke-sessions ends authority sessions too.
        let params = app.code_flow(&b, &app.authorize_url(&rp, &pkce, &[]), EMAIL, PASSWORD).await;
        assert!(params.contains_key("code"));
        let user = app.introspect_as_admin(
            ok_json(app.exchange_code(&rp, &params["code"], &pkce.verifier).await).await["access_token"].as_str().unwrap(),
        )
        .await["sub"]
            .as_str()
            .unwrap()
            .to_owned();
        app.clock.advance(1);
        let admin = app.admin_token().await;
        assert_eq!(app.admin_revoke_sessions(&user, &admin).await.status(), StatusCode::OK);
        let res = b.get(app.authorize_url(&rp, &Pkce::new(), &[("prompt", "none")])).send().await.unwrap();
        assert_eq!(redirect_params(&res).1["error"], "login_required");
    }
}
