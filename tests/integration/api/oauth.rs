//! RFC 6749 token endpoint, RFC 7009 revocation and RFC 7662 introspection.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::*;

const EMAIL: &str = "dave@example.com";
const PASSWORD: &str = "dave-password-1234";
const ACCESS_TTL: i64 = 900;

fn jwt_header(token: &str) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn password_grant(app: &TestApp, scope: Option<&str>) -> Response {
    app.password_grant(EMAIL, PASSWORD, scope, None).await
}

/// A password grant that must succeed: (access token, refresh token).
async fn user_tokens(app: &TestApp) -> (String, String) {
    let res = password_grant(app, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn refresh_grant(app: &TestApp, refresh_token: &str) -> Response {
    app.token(
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
        None,
    )
    .await
}

/// Registers a client through the admin API: (client_id, client_secret).
async fn create_client(app: &TestApp, scopes: &[&str]) -> (String, String) {
    let admin = app.admin_token().await;
    let res = app
        .admin_create_client(
            Some(&admin),
            &json!({
                "name": "reporting",
                "scopes": scopes,
                "introspection": true,
                "grant_types": ["password", "refresh_token", "client_credentials"],
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    (
        body["client_id"].as_str().unwrap().to_owned(),
        body["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// Introspection by a registered client with HTTP Basic.
async fn introspect_as(app: &TestApp, client: &(String, String), token: &str) -> Value {
    let res = app
        .introspect(&[("token", token)], Some((&client.0, &client.1)), None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn revoke(app: &TestApp, token: &str, hint: Option<&str>) -> Response {
    let mut form = vec![("token", token)];
    if let Some(hint) = hint {
        form.push(("token_type_hint", hint));
    }
    app.revoke(&form, None, None).await
}

async fn oauth_error(res: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    body
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.me(token).await.status()
}

both_engines! {
    with ["TESSERA__TOKENS__FIRST_PARTY_SCOPES" => "profile email"];
    async fn password_grant_answers_per_rfc6749_section_5_1(app) {
        let user = app.create_user(EMAIL, PASSWORD, &["reader"]).await;
        let res = password_grant(&app, Some("profile email")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        assert!(set_cookie(&res, "tessera_refresh").is_none(), "the OAuth answer carries the token in the body");
        let body: Value = res.json().await.unwrap();
        assert!(body["token_type"].as_str().unwrap().eq_ignore_ascii_case("bearer"));
        assert_eq!(body["expires_in"], ACCESS_TTL);
        assert_eq!(body["scope"], "profile email");
        let refresh_token = body["refresh_token"].as_str().expect("refresh_token in the body");
        assert!(refresh_token.len() >= 43, "{refresh_token}");
        assert!(refresh_token.matches('.').count() < 2, "a refresh token is never a JWT");

        let access = body["access_token"].as_str().unwrap();
        assert_eq!(jwt_header(access)["typ"], "at+jwt");
        let claims = verify_with_jwks(&app.jwks().await, access).expect("verifies with the JWKS alone");
        assert_eq!(claims["sub"], user["id"]);
        assert_eq!(claims["scope"], "profile email");
        assert_eq!(claims["roles"], json!(["reader"]));
        assert!(claims["sid"].is_string());
        assert!(claims["jti"].is_string());
        assert!(claims["client_id"].is_string());
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), ACCESS_TTL);
        assert_eq!(me_status(&app, access).await, StatusCode::OK);
    }
}

both_engines! {
    async fn refresh_token_grant_rotates_within_the_family(app) {
        let user = app.create_user(EMAIL, PASSWORD, &[]).await;
        let (access, refresh_token) = user_tokens(&app).await;
        let jwks = app.jwks().await;
        let first = verify_with_jwks(&jwks, &access).unwrap();

        let res = refresh_grant(&app, &refresh_token).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let body: Value = res.json().await.unwrap();
        let new_refresh = body["refresh_token"].as_str().expect("a new refresh token");
        assert_ne!(new_refresh, refresh_token);
        let new_access = body["access_token"].as_str().unwrap();
        let claims = verify_with_jwks(&jwks, new_access).unwrap();
        assert_eq!(claims["sub"], user["id"]);
        assert_eq!(claims["sid"], first["sid"], "same family");
        assert_ne!(claims["jti"], first["jti"]);
        assert_eq!(me_status(&app, new_access).await, StatusCode::OK);

        oauth_error(refresh_grant(&app, &refresh_token).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
}

both_engines! {
    async fn token_errors_follow_rfc6749_section_5_2(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let unsupported = app.token(&[("grant_type", "urn:example:unknown")], None).await;
        oauth_error(unsupported, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;

        let missing = app.token(&[("username", EMAIL), ("password", PASSWORD)], None).await;
        oauth_error(missing, StatusCode::BAD_REQUEST, "invalid_request").await;

        let wrong_password = app
            .token(&[("grant_type", "password"), ("username", EMAIL), ("password", "not-the-password")], None)
            .await;
        oauth_error(wrong_password, StatusCode::BAD_REQUEST, "invalid_grant").await;

        let unknown_refresh = refresh_grant(&app, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
        oauth_error(unknown_refresh, StatusCode::BAD_REQUEST, "invalid_grant").await;
        oauth_error(refresh_grant(&app, "junk").await, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
}

both_engines! {
    async fn client_credentials_work_with_basic_and_form_authentication(app) {
        let (id, secret) = create_client(&app, &["read", "write"]).await;

        let basic = app
            .token(&[("grant_type", "client_credentials")], Some((&id, &secret)))
            .await;
        assert_eq!(basic.status(), StatusCode::OK);
        assert_eq!(basic.headers()["cache-control"], "no-store");
        let body: Value = basic.json().await.unwrap();
        assert!(body.get("refresh_token").is_none(), "no refresh token for client credentials: {body}");
        assert!(body["token_type"].as_str().unwrap().eq_ignore_ascii_case("bearer"));
        assert_eq!(body["expires_in"], ACCESS_TTL);
        let claims = verify_with_jwks(&app.jwks().await, body["access_token"].as_str().unwrap()).unwrap();
        assert_eq!(claims["sub"], id.as_str());
        assert_eq!(claims["client_id"], id.as_str());
        assert_eq!(claims["scope"], "read write");
        assert!(claims.get("sid").is_none(), "no sid for client tokens: {claims}");

        let form = app
            .token(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret), ("scope", "read")], None)
            .await;
        assert_eq!(form.status(), StatusCode::OK);
        let body: Value = form.json().await.unwrap();
        assert!(body.get("refresh_token").is_none());
        let claims = verify_with_jwks(&app.jwks().await, body["access_token"].as_str().unwrap()).unwrap();
        assert_eq!(claims["sub"], id.as_str());
        assert_eq!(claims["scope"], "read");
    }
}

both_engines! {
    async fn a_client_token_is_valid_but_names_no_user(app) {
        // /auth/me reads the token's user in its revocation query: a client's `sub`
        // finds none there, so the answer is 401, while introspection calls it active.
        let (id, secret) = create_client(&app, &["read"]).await;
        let res = app.token(&[("grant_type", "client_credentials")], Some((&id, &secret))).await;
        let body: Value = res.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap();
        let me = app.me(token).await;
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
        let error: Value = me.json().await.unwrap();
        assert_eq!(error["error"], "invalid_token");
        assert_eq!(error["error_description"], "the token does not belong to a user");
        let introspected = app.introspect_as_admin(token).await;
        assert_eq!(introspected["active"], true);
        assert_eq!(introspected["sub"], id.as_str());
    }
}

both_engines! {
    async fn client_credentials_refuse_bad_secrets_and_ungranted_scopes(app) {
        let (id, secret) = create_client(&app, &["read"]).await;

        let wrong_basic = app
            .token(&[("grant_type", "client_credentials")], Some((&id, "wrong-secret")))
            .await;
        assert!(wrong_basic.headers().contains_key("www-authenticate"));
        oauth_error(wrong_basic, StatusCode::UNAUTHORIZED, "invalid_client").await;

        let wrong_form = app
            .token(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", "wrong-secret")], None)
            .await;
        oauth_error(wrong_form, StatusCode::UNAUTHORIZED, "invalid_client").await;

        let unknown = app
            .token(&[("grant_type", "client_credentials")], Some(("no-such-client", &secret)))
            .await;
        oauth_error(unknown, StatusCode::UNAUTHORIZED, "invalid_client").await;

        let anonymous = app.token(&[("grant_type", "client_credentials")], None).await;
        oauth_error(anonymous, StatusCode::UNAUTHORIZED, "invalid_client").await;

        let too_much = app
            .token(&[("grant_type", "client_credentials"), ("scope", "read admin")], Some((&id, &secret)))
            .await;
        assert_eq!(too_much.headers()["cache-control"], "no-store");
        oauth_error(too_much, StatusCode::BAD_REQUEST, "invalid_scope").await;
    }
}

both_engines! {
    async fn revoking_a_refresh_token_kills_its_family(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let client = create_client(&app, &[]).await;
        let (access, refresh_token) = user_tokens(&app).await;
        let (other_access, _) = user_tokens(&app).await;
        assert_eq!(introspect_as(&app, &client, &access).await["active"], true);

        let res = revoke(&app, &refresh_token, Some("refresh_token")).await;
        assert_eq!(res.status(), StatusCode::OK);

        oauth_error(refresh_grant(&app, &refresh_token).await, StatusCode::BAD_REQUEST, "invalid_grant").await;
        assert_eq!(me_status(&app, &access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect_as(&app, &client, &access).await, json!({"active": false}));
        // Another family of the same user lives on.
        assert_eq!(introspect_as(&app, &client, &other_access).await["active"], true);
    }
}

both_engines! {
    async fn revoking_an_access_token_denylists_only_that_token(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let client = create_client(&app, &[]).await;
        let (access, refresh_token) = user_tokens(&app).await;
        assert_eq!(me_status(&app, &access).await, StatusCode::OK);

        // Without a hint, and with the client authenticating by Basic.
        let res = app.revoke(&[("token", &access)], Some((&client.0, &client.1)), None).await;
        assert_eq!(res.status(), StatusCode::OK);

        assert_eq!(me_status(&app, &access).await, StatusCode::UNAUTHORIZED);
        assert_eq!(introspect_as(&app, &client, &access).await, json!({"active": false}));

        // The family is not revoked: its refresh token still rotates into working tokens.
        let res = refresh_grant(&app, &refresh_token).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(me_status(&app, body["access_token"].as_str().unwrap()).await, StatusCode::OK);

        let (second, _) = user_tokens(&app).await;
        assert_eq!(revoke(&app, &second, Some("access_token")).await.status(), StatusCode::OK);
        assert_eq!(me_status(&app, &second).await, StatusCode::UNAUTHORIZED);
    }
}

both_engines! {
    async fn revoke_answers_200_for_junk(app) {
        for junk in ["junk", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
            assert_eq!(revoke(&app, junk, None).await.status(), StatusCode::OK, "{junk}");
            assert_eq!(revoke(&app, junk, Some("access_token")).await.status(), StatusCode::OK, "{junk}");
        }
    }
}

both_engines! {
    async fn introspection_shows_the_claims_of_a_live_token(app) {
        let user = app.create_user(EMAIL, PASSWORD, &["reader"]).await;
        let client = create_client(&app, &["read"]).await;
        let (access, _) = user_tokens(&app).await;
        let claims = verify_with_jwks(&app.jwks().await, &access).unwrap();

        let by_client = introspect_as(&app, &client, &access).await;
        assert_eq!(by_client["active"], true);
        assert_eq!(by_client["sub"], user["id"]);
        assert_eq!(by_client["jti"], claims["jti"]);
        assert_eq!(by_client["exp"], claims["exp"]);
        assert_eq!(by_client["iat"], claims["iat"]);
        assert_eq!(by_client["sid"], claims["sid"]);
        assert_eq!(by_client["iss"], claims["iss"]);
        assert_eq!(by_client["client_id"], claims["client_id"]);

        let admin = app.admin_token().await;
        let res = app.introspect(&[("token", &access)], None, Some(&admin)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let by_admin: Value = res.json().await.unwrap();
        assert_eq!(by_admin["active"], true);
        assert_eq!(by_admin["sub"], user["id"]);

        // A client-credentials token introspects too.
        let res = app
            .token(&[("grant_type", "client_credentials")], Some((&client.0, &client.1)))
            .await;
        let machine = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let seen = introspect_as(&app, &client, &machine).await;
        assert_eq!(seen["active"], true);
        assert_eq!(seen["sub"], client.0.as_str());
        assert!(seen.get("sid").is_none());
    }
}

both_engines! {
    async fn introspection_needs_a_client_or_an_admin(app) {
        app.create_user(EMAIL, PASSWORD, &["reader"]).await;
        let (access, _) = user_tokens(&app).await;

        let non_admin = app.introspect(&[("token", &access)], None, Some(&access)).await;
        assert_eq!(non_admin.status(), StatusCode::FORBIDDEN);
        let body: Value = non_admin.json().await.unwrap();
        assert!(body.get("active").is_none(), "no introspection for a non-admin: {body}");

        let anonymous = app.introspect(&[("token", &access)], None, None).await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        assert!(anonymous.headers().contains_key("www-authenticate"));
        let body: Value = anonymous.json().await.unwrap();
        assert!(body["error"].is_string());
        assert!(body.get("active").is_none());

        let client = create_client(&app, &[]).await;
        let wrong_secret = app.introspect(&[("token", &access)], Some((&client.0, "wrong")), None).await;
        oauth_error(wrong_secret, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
}

both_engines! {
    async fn introspection_is_inactive_for_garbage_and_expired_tokens(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let client = create_client(&app, &[]).await;
        for garbage in ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
            assert_eq!(introspect_as(&app, &client, garbage).await, json!({"active": false}), "{garbage}");
        }

        let (access, _) = user_tokens(&app).await;
        assert_eq!(introspect_as(&app, &client, &access).await["active"], true);
        app.clock.advance(ACCESS_TTL + 1);
        assert_eq!(introspect_as(&app, &client, &access).await, json!({"active": false}));
        assert_eq!(me_status(&app, &access).await, StatusCode::UNAUTHORIZED);
        // An admin bearer introspects the same way.
        let admin = app.admin_token().await;
        let res = app.introspect(&[("token", &access)], None, Some(&admin)).await;
        assert_eq!(res.json::<Value>().await.unwrap(), json!({"active": false}));
    }
}

both_engines! {
    async fn introspection_is_inactive_for_tokens_from_before_revoke_sessions(app) {
        let user = app.create_user(EMAIL, PASSWORD, &[]).await;
        let client = create_client(&app, &[]).await;
        let (before, _) = user_tokens(&app).await;
        assert_eq!(introspect_as(&app, &client, &before).await["active"], true);

        app.clock.advance(1);
        let admin = app.admin_token().await;
        let id = user["id"].as_str().unwrap();
        let res = app.admin_revoke_sessions(id, &admin).await;
        assert_eq!(res.status(), StatusCode::OK);

        assert_eq!(introspect_as(&app, &client, &before).await, json!({"active": false}));
        let (after, _) = user_tokens(&app).await;
        assert_eq!(introspect_as(&app, &client, &after).await["active"], true);
    }
}

both_engines! {
    async fn introspection_is_inactive_for_tokens_of_a_revoked_key(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let client = create_client(&app, &[]).await;
        let admin = app.admin_token().await;
        let current = app.kid_in_state(&admin, "current").await;
        let (access, _) = user_tokens(&app).await;
        assert_eq!(jwt_header(&access)["kid"], current.as_str());
        assert_eq!(introspect_as(&app, &client, &access).await["active"], true);

        let res = app.admin_revoke_key(&current, &admin).await;
        assert_eq!(res.status(), StatusCode::OK);

        assert_eq!(introspect_as(&app, &client, &access).await, json!({"active": false}));
        assert_eq!(me_status(&app, &access).await, StatusCode::UNAUTHORIZED);
        assert!(verify_with_jwks(&app.jwks().await, &access).is_err(), "the revoked key left the JWKS");

        let (fresh, _) = user_tokens(&app).await;
        assert_ne!(jwt_header(&fresh)["kid"], current.as_str(), "another key signs at once");
        assert_eq!(introspect_as(&app, &client, &fresh).await["active"], true);
    }
}
