//! JWKS and discovery documents as downstream verifiers see them.

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_engines;
use crate::common::*;

both_engines! {
    async fn jwks_has_only_public_members_and_cache_headers(app) {
        let res = app.jwks_response().await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "public, max-age=300");
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "strong ETag: {etag}");
        let jwks: Value = res.json().await.unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2, "current and the pre-published next");
        for key in keys {
            let mut members: Vec<&str> = key.as_object().unwrap().keys().map(String::as_str).collect();
            members.sort();
            assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
            assert_eq!(key["use"], "sig");
        }

        let cached = app.client.get(app.url(paths::JWKS)).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(cached.headers()["etag"].to_str().unwrap(), etag);
        let stale = app.client.get(app.url(paths::JWKS)).header("If-None-Match", "\"other\"").send().await.unwrap();
        assert_eq!(stale.status(), StatusCode::OK);
    }
}

both_engines! {
    async fn issued_tokens_verify_with_only_the_jwks(app) {
        let token = app.admin_token().await;
        let claims = verify_with_jwks(&app.jwks().await, &token).expect("josekit verifies with the JWKS");
        assert_eq!(claims["iss"], "http://localhost:8080");
        assert_eq!(claims["aud"], "http://localhost:8080");
        assert_eq!(claims["roles"], serde_json::json!(["admin"]));
        for claim in ["sub", "exp", "iat", "nbf", "jti", "client_id", "scope", "sid"] {
            assert!(!claims[claim].is_null(), "claim {claim} is present");
        }
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900, "15 minutes");
        let header = token.split('.').next().unwrap();
        use base64::Engine;
        let header: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["alg"], "ES256");
    }
}

both_engines! {
    async fn discovery_documents_follow_rfc8414(app) {
        for path in [paths::OPENID_CONFIGURATION, paths::OAUTH_AUTHORIZATION_SERVER] {
            let doc: Value = app.get(path).await.json().await.unwrap();
            assert_eq!(doc["issuer"], "http://localhost:8080");
            assert_eq!(doc["jwks_uri"], "http://localhost:8080/.well-known/jwks.json");
            assert_eq!(doc["token_endpoint"], "http://localhost:8080/oauth/token");
            assert_eq!(doc["revocation_endpoint"], "http://localhost:8080/oauth/revoke");
            assert_eq!(doc["introspection_endpoint"], "http://localhost:8080/oauth/introspect");
            assert_eq!(doc["grant_types_supported"], serde_json::json!(["authorization_code", "refresh_token", "client_credentials", "password"]));
            assert_eq!(doc["authorization_endpoint"], "http://localhost:8080/oauth/authorize");
            assert_eq!(doc["id_token_signing_alg_values_supported"], serde_json::json!(["ES256"]));
        }
    }
}
