//! The whole flow: code, tokens, ID token, userinfo, refresh.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{code_for, ok_json, EMAIL, PASSWORD};
use crate::both_engines;
use crate::common::oidc::{redirect_params, REDIRECT_URI};
use crate::common::*;

both_engines! {
    async fn a_public_client_gets_tokens_and_a_verified_id_token(app) {
        let (rp, pkce, code, _) = code_for(&app, json!({}), &[("nonce", "n-0S6_WzA2Mj"), ("scope", "openid email api")]).await;
        let body = ok_json(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "openid email api");
        let access = body["access_token"].as_str().unwrap();
        let jwks = app.jwks().await;
        let claims = verify_with_jwks(&jwks, access).unwrap();
        assert_eq!(claims["client_id"], rp.client_id.as_str());
        let id_token = body["id_token"].as_str().expect("openid grants an id_token");
        let id = verify_with_jwks(&jwks, id_token).unwrap();
        let header: Value = {
            use base64::Engine;
            let h = id_token.split('.').next().unwrap();
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
        };
        assert_eq!(header["typ"], "JWT");
        assert_eq!(id["iss"], app.app.settings.issuer.as_str());
        assert_eq!(id["aud"], rp.client_id.as_str());
        assert_eq!(id["sub"], claims["sub"]);
        assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
        assert_eq!(id["email"], EMAIL);
        assert_eq!(id["email_verified"], false);
        assert!(id["sid"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(id["auth_time"].as_i64().unwrap() <= id["iat"].as_i64().unwrap());
        assert!(id["exp"].as_i64().unwrap() > id["iat"].as_i64().unwrap());
        // at_hash: the left half of SHA-256 of the access token, base64url.
        let digest = ring::digest::digest(&ring::digest::SHA256, access.as_bytes());
        use base64::Engine;
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
        assert_eq!(id["at_hash"], expected);

        // userinfo, GET and POST.
        let info = ok_json(app.get_with_token(paths::USERINFO, access).await).await;
        assert_eq!(info, json!({"sub": claims["sub"], "email": EMAIL, "email_verified": false}));
        let res = app.client.post(app.url(paths::USERINFO)).bearer_auth(access).send().await.unwrap();
        assert_eq!(ok_json(res).await["sub"], claims["sub"]);

        // Counted under its own grant.
        let metrics = app.metrics_scrape().await;
        assert!(
            metrics.lines().any(|l| l.starts_with("tessera_tokens_issued_total")
                && l.contains("grant=\"authorization_code\"")
                && l.ends_with(" 1")),
            "{metrics}"
        );

        // The refresh token rotates like any family's.
        let refresh = body["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", rp.client_id.as_str())];
        let rotated = ok_json(app.token(&form, None).await).await;
        assert_eq!(rotated["scope"], "openid email api");
        assert_eq!(verify_with_jwks(&jwks, rotated["access_token"].as_str().unwrap()).unwrap()["client_id"], rp.client_id.as_str());
    }
}

both_engines! {
    async fn without_openid_there_is_no_id_token_and_no_userinfo(app) {
        let (rp, pkce, code, _) = code_for(&app, json!({}), &[("scope", "api")]).await;
        let body = ok_json(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        assert!(body.get("id_token").is_none());
        let res = app.get_with_token(paths::USERINFO, body["access_token"].as_str().unwrap()).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // Without email, the ID token and userinfo name no address.
        let (rp, pkce, code, _) = {
            let rp = app.register_rp(json!({"first_party": true})).await;
            let pkce = crate::common::oidc::Pkce::new();
            let b = crate::common::oidc::browser();
            let p = app.code_flow(&b, &app.authorize_url(&rp, &pkce, &[("scope", "openid")]), EMAIL, PASSWORD).await;
            (rp, pkce, p["code"].clone(), b)
        };
        let body = ok_json(app.exchange_code(&rp, &code, &pkce.verifier).await).await;
        let id = verify_with_jwks(&app.jwks().await, body["id_token"].as_str().unwrap()).unwrap();
        assert!(id.get("email").is_none());
        let info = ok_json(app.get_with_token(paths::USERINFO, body["access_token"].as_str().unwrap()).await).await;
        assert!(info.get("email").is_none());
    }
}

both_engines! {
    async fn a_confidential_client_authenticates_and_state_and_iss_come_back(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let rp = app.register_rp(json!({"type": "confidential", "first_party": true})).await;
        let pkce = crate::common::oidc::Pkce::new();
        let b = crate::common::oidc::browser();
        let url = app.authorize_url(&rp, &pkce, &[("state", "a b&c=d/é")]);
        let params = app.code_flow(&b, &url, EMAIL, PASSWORD).await;
        assert_eq!(params["state"], "a b&c=d/é");
        assert_eq!(params["iss"], app.app.settings.issuer.as_str());
        // Without its secret the confidential client gets nothing.
        let public_style = crate::common::oidc::Rp { client_secret: None, ..rp.clone() };
        let res = app.exchange_code(&public_style, &params["code"], &pkce.verifier).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let body = ok_json(app.exchange_code(&rp, &params["code"], &pkce.verifier).await).await;
        assert!(body["id_token"].is_string());
        // A second authorization in the same browser needs no password: the session cookie.
        let res = b.get(app.authorize_url(&rp, &pkce, &[])).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let (base, params) = redirect_params(&res);
        assert_eq!(base, REDIRECT_URI);
        assert!(params.contains_key("code"));
    }
}

both_engines! {
    async fn discovery_lists_the_flow(app) {
        let doc: Value = app.get(paths::OPENID_CONFIGURATION).await.json().await.unwrap();
        let issuer = app.app.settings.issuer.trim_end_matches('/').to_owned();
        assert_eq!(doc["authorization_endpoint"], format!("{issuer}/oauth/authorize"));
        assert_eq!(doc["userinfo_endpoint"], format!("{issuer}/oauth/userinfo"));
        assert_eq!(doc["end_session_endpoint"], format!("{issuer}/oauth/logout"));
        assert_eq!(doc["response_types_supported"], json!(["code"]));
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["subject_types_supported"], json!(["public"]));
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert_eq!(doc["token_endpoint_auth_methods_supported"], json!(["client_secret_basic", "client_secret_post", "none"]));
        for claim in ["sub", "auth_time", "nonce", "at_hash", "sid", "email", "email_verified"] {
            assert!(doc["claims_supported"].as_array().unwrap().contains(&json!(claim)), "{claim}");
        }
        assert!(doc["grant_types_supported"].as_array().unwrap().contains(&json!("authorization_code")));
        assert!(doc["scopes_supported"].as_array().unwrap().contains(&json!("openid")));
    }
}
