//! Consent for clients that are not first party: asked once, remembered, listed and
//! revoked by an admin; deny sends `access_denied`; every form needs its CSRF token.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{assert_error_page, ok_json, EMAIL, PASSWORD};
use crate::both_engines;
use crate::common::oidc::{browser, form_fields, redirect_params, Pkce, REDIRECT_URI};
use crate::common::*;

both_engines! {
    async fn consent_is_asked_once_remembered_and_revocable(app) {
        let user = app.create_user(EMAIL, PASSWORD, &[]).await;
        let user_id = user["id"].as_str().unwrap();
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        let b = browser();
        let page = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap().text().await.unwrap();
        let res = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let consent = res.text().await.unwrap();
        assert!(consent.contains("id=\"client-name\">Photo Printer<"), "{consent}");
        assert!(consent.contains("<li class=\"scope\">openid</li>"));
        assert!(consent.contains("<li class=\"scope\">email</li>"));
        let res = app.submit(&b, &consent, paths::OAUTH_CONSENT, &[("decision", "allow")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let code = redirect_params(&res).1["code"].clone();
        let tokens = ok_json(app.exchange_code(&rp, &code, &pkce.verifier).await).await;

        // Remembered: the next authorization goes straight to a code.
        let res = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(redirect_params(&res).1.contains_key("code"));
        // More scope than allowed: asked again, for all of it.
        let res = b.get(app.authorize_url(&rp, &pkce, &[("scope", "openid api")])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("<li class=\"scope\">api</li>"));

        // An admin lists and revokes it; the client's tokens die with it.
        let admin = app.admin_token().await;
        let listed: Value = ok_json(app.get_with_token(&paths::admin_user_consents(user_id, None), &admin).await).await;
        assert_eq!(listed["consents"][0]["client_id"], rp.client_id.as_str());
        assert_eq!(listed["consents"][0]["scope"], "openid email");
        let res = app.client.delete(app.url(&paths::admin_user_consents(user_id, Some(&rp.client_id)))).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = app.client.delete(app.url(&paths::admin_user_consents(user_id, Some(&rp.client_id)))).bearer_auth(&admin).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let listed: Value = ok_json(app.get_with_token(&paths::admin_user_consents(user_id, None), &admin).await).await;
        assert_eq!(listed["consents"], json!([]));
        let refresh = tokens["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", rp.client_id.as_str())];
        assert_eq!(app.token(&form, None).await.status(), StatusCode::BAD_REQUEST);
        // And the user is asked again.
        let res = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap().contains("id=\"allow\""));
        // The admin API wants an admin.
        let user_token = app.access_token(EMAIL, PASSWORD).await;
        let res = app.get_with_token(&paths::admin_user_consents(user_id, None), &user_token).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = app.get_with_token(&paths::admin_user_consents("no-such-user", None), &admin).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}

both_engines! {
    async fn deny_sends_access_denied(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        let b = browser();
        let page = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap().text().await.unwrap();
        let consent = app.submit(&b, &page, paths::OAUTH_LOGIN, &[("email", EMAIL), ("password", PASSWORD)]).await.text().await.unwrap();
        let res = app.submit(&b, &consent, paths::OAUTH_CONSENT, &[("decision", "deny")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (base, params) = redirect_params(&res);
        assert_eq!(base, REDIRECT_URI);
        assert_eq!(params["error"], "access_denied");
        assert_eq!(params["state"], "st-123");
        // Nothing was remembered.
        let res = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn forms_without_their_csrf_token_are_refused(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({})).await;
        let pkce = Pkce::new();
        let b = browser();
        let page = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap().text().await.unwrap();
        let creds = [("email", EMAIL), ("password", PASSWORD)];
        for token in ["", "wrong-token-of-22-char", "x"] {
            let mut fields = creds.to_vec();
            fields.push(("csrf_token", token));
            let res = app.submit(&b, &page, paths::OAUTH_LOGIN, &fields).await;
            assert!(set_cookie(&res, "tessera_session").is_none());
            assert_error_page(res, StatusCode::FORBIDDEN).await;
        }
        // A browser without the cookie (another site's form) is refused even with a token.
        let res = app.submit(&browser(), &page, paths::OAUTH_LOGIN, &creds).await;
        assert_error_page(res, StatusCode::FORBIDDEN).await;
        // The consent form likewise.
        let consent = app.submit(&b, &page, paths::OAUTH_LOGIN, &creds).await.text().await.unwrap();
        assert!(form_fields(&consent).iter().any(|(n, v)| n == "csrf_token" && v.len() == 22));
        let res = app.submit(&b, &consent, paths::OAUTH_CONSENT, &[("decision", "allow"), ("csrf_token", "nope")]).await;
        assert_error_page(res, StatusCode::FORBIDDEN).await;
        let res = app.submit(&browser(), &consent, paths::OAUTH_CONSENT, &[("decision", "allow")]).await;
        assert_error_page(res, StatusCode::FORBIDDEN).await;
        // Nothing was consented by those.
        let res = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}
