//! Where the browser may be sent: only to a URI registered for the client, compared
//! exactly. Before that is known, every error is a page; after, errors go back with
//! `state` and `iss`. No parameter opens a redirect anywhere else.

use reqwest::StatusCode;
use serde_json::json;

use super::{assert_error_page, EMAIL, PASSWORD};
use crate::both_engines;
use crate::common::oidc::{browser, redirect_params, Pkce, REDIRECT_URI};
use crate::common::*;

const EVIL: &str = "https://evil.example/steal";

both_engines! {
    async fn an_unregistered_redirect_uri_is_an_error_page_never_a_redirect(app) {
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        for uri in [
            EVIL,
            "https://rp.example/callbacK",
            "https://rp.example/callback/",
            "https://rp.example/callbac",
            "https://RP.example/callback",
            "http://rp.example/callback",
            "https://rp.example/callback?next=https://evil.example",
            "https://rp.example/callback#frag",
            "https://rp.example@evil.example/callback",
            "https://rp.example.evil.example/callback",
            "https://rp.example/callback/../../evil",
            "https://rp.example:443/callback",
            "https%3A%2F%2Frp.example%2Fcallback",
            "//evil.example/callback",
            "javascript:alert(1)",
        ] {
            let res = app.client.get(app.authorize_url(&rp, &pkce, &[("redirect_uri", uri)])).send().await.unwrap();
            let page = assert_error_page(res, StatusCode::BAD_REQUEST).await;
            assert!(!page.contains("evil.example/steal"), "{uri}");
        }
        // No redirect_uri at all, or two of them.
        let res = app.client.get(app.authorize_url(&rp, &pkce, &[("redirect_uri", "")])).send().await.unwrap();
        assert_error_page(res, StatusCode::BAD_REQUEST).await;
        let twice = format!("{}&redirect_uri={}", app.authorize_url(&rp, &pkce, &[]), "https%3A%2F%2Fevil.example%2F");
        assert_error_page(app.client.get(twice).send().await.unwrap(), StatusCode::BAD_REQUEST).await;
    }
}

both_engines! {
    async fn an_unknown_client_is_an_error_page(app) {
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        for id in ["nope", "", "a'b\"c<script>", &"x".repeat(5000)] {
            let res = app.client.get(app.authorize_url(&rp, &pkce, &[("client_id", id)])).send().await.unwrap();
            let page = assert_error_page(res, StatusCode::BAD_REQUEST).await;
            assert!(!page.contains("<script>"));
        }
    }
}

both_engines! {
    async fn later_errors_go_back_to_the_registered_uri_with_state_and_iss(app) {
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("response_type", "token")], "unsupported_response_type"),
            (&[("response_type", "")], "invalid_request"),
            (&[("code_challenge_method", "plain")], "invalid_request"),
            (&[("code_challenge_method", "")], "invalid_request"),
            (&[("code_challenge", "")], "invalid_request"),
            (&[("code_challenge", "tooshort")], "invalid_request"),
            (&[("scope", "openid admin")], "invalid_scope"),
            (&[("prompt", "none login")], "invalid_request"),
            (&[("max_age", "-5")], "invalid_request"),
            (&[("prompt", "none")], "login_required"),
        ];
        for (extra, error) in cases {
            let mut extra = extra.to_vec();
            // Open-redirect bait in every echoed parameter.
            extra.push(("state", EVIL));
            let res = app.client.get(app.authorize_url(&rp, &pkce, &extra)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{extra:?}");
            let (base, params) = redirect_params(&res);
            assert_eq!(base, REDIRECT_URI, "{extra:?}");
            assert_eq!(params["error"], *error, "{extra:?}");
            assert_eq!(params["state"], EVIL);
            assert_eq!(params["iss"], app.app.settings.issuer.as_str());
            assert!(params.contains_key("error_description"));
        }
    }
}

both_engines! {
    async fn tampered_hidden_fields_cannot_redirect_elsewhere(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({"first_party": true})).await;
        let pkce = Pkce::new();
        let b = browser();
        let page = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("id=\"sign-in\""));
        // The right password, but the form's redirect_uri swapped: refused, no session.
        let res = app
            .submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD), ("redirect_uri", EVIL)])
            .await;
        assert!(set_cookie(&res, "tessera_session").is_none());
        assert_error_page(res, StatusCode::BAD_REQUEST).await;
        // Another client's id with this client's URI: refused the same way.
        let res = app
            .submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD), ("client_id", "other")])
            .await;
        assert_error_page(res, StatusCode::BAD_REQUEST).await;
        // Untouched, the same form signs in and redirects to the registered URI only.
        let res = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(redirect_params(&res).0, REDIRECT_URI);
    }
}

both_engines! {
    async fn oversized_and_malformed_parameters_are_refused_cleanly(app) {
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        let long = "s".repeat(2000);
        for (extra, echoed) in [
            (vec![("state", long.as_str())], false),
            (vec![("nonce", long.as_str())], true),
            (vec![("max_age", "99999999999999999999")], true),
            (vec![("scope", "openid\u{7f}")], true),
            (vec![("prompt", "select_account")], true),
        ] {
            let res = app.client.get(app.authorize_url(&rp, &pkce, &extra)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{:?}", extra[0].0);
            let (base, params) = redirect_params(&res);
            assert_eq!(base, REDIRECT_URI);
            assert!(params["error"] == "invalid_request" || params["error"] == "invalid_scope", "{params:?}");
            // A state too long to echo is not echoed.
            assert_eq!(params.contains_key("state"), echoed, "{:?}", extra[0].0);
        }
        // Token endpoint: hostile codes and verifiers are one invalid_grant, never a 500.
        let form = [
            ("grant_type", "authorization_code"),
            ("code", "\u{0}\u{1}'; DROP TABLE authorization_codes; --"),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &"~".repeat(128)),
            ("client_id", rp.client_id.as_str()),
        ];
        let res = app.token(&form, None).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // An unknown public client id is invalid_client.
        let form = [
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &"a".repeat(43)),
            ("client_id", "nobody"),
        ];
        assert_eq!(app.token(&form, None).await.status(), StatusCode::UNAUTHORIZED);
    }
}
