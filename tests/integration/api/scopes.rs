//! A token carries only scopes its client is registered for (first party:
//! `tokens.first_party_scopes`), and a refresh may narrow them, never widen them.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::both_engines;
use crate::common::*;

const EMAIL: &str = "scoped@example.com";
const PASSWORD: &str = "scoped-password-1234";

async fn password_grant(
    app: &TestApp,
    scope: Option<&str>,
    client: Option<(&str, &str)>,
) -> Response {
    app.password_grant(EMAIL, PASSWORD, scope, client).await
}

async fn refresh_grant(
    app: &TestApp,
    token: &str,
    scope: Option<&str>,
    client: Option<(&str, &str)>,
) -> Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    app.token(&form, client).await
}

async fn invalid_scope(res: Response) {
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_scope", "{body}");
}

/// (scope in the body, scope claim of the access token, refresh token)
async fn granted(app: &TestApp, res: Response) -> (String, String, String) {
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let claims =
        verify_with_jwks(&app.jwks().await, body["access_token"].as_str().unwrap()).unwrap();
    (
        body["scope"].as_str().unwrap_or("").to_owned(),
        claims["scope"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

both_engines! {
    async fn a_first_party_password_grant_gets_no_scope_it_was_not_configured_for(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        invalid_scope(password_grant(&app, Some("superuser write:all"), None).await).await;
        invalid_scope(password_grant(&app, Some("profile"), None).await).await;
        invalid_scope(password_grant(&app, Some("bad\"scope"), None).await).await;
        let (body_scope, claim, _) = granted(&app, password_grant(&app, None, None).await).await;
        assert_eq!((body_scope.as_str(), claim.as_str()), ("", ""));
    }
}

both_engines! {
    with ["TESSERA__TOKENS__FIRST_PARTY_SCOPES" => "profile email"];
    async fn first_party_scopes_come_from_the_setting(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let (_, claim, _) = granted(&app, password_grant(&app, Some("email profile"), None).await).await;
        assert_eq!(claim, "email profile");
        invalid_scope(password_grant(&app, Some("profile admin"), None).await).await;
    }
}

both_engines! {
    async fn a_client_password_grant_gets_only_its_registered_scopes(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let (id, secret) = app.register_client(json!({"scopes": ["read", "write"]})).await;
        let client = Some((id.as_str(), secret.as_str()));
        invalid_scope(password_grant(&app, Some("superuser write:all"), client).await).await;
        invalid_scope(password_grant(&app, Some("read admin"), client).await).await;
        let (_, claim, _) = granted(&app, password_grant(&app, Some("read"), client).await).await;
        assert_eq!(claim, "read");
    }
}

both_engines! {
    async fn a_refresh_narrows_the_scope_of_one_access_token_and_never_widens_it(app) {
        app.create_user(EMAIL, PASSWORD, &[]).await;
        let (id, secret) = app.register_client(json!({"scopes": ["read", "write", "admin"]})).await;
        let client = Some((id.as_str(), secret.as_str()));
        let (_, claim, refresh) = granted(&app, password_grant(&app, Some("read write"), client).await).await;
        assert_eq!(claim, "read write");

        // More than the family holds, even a scope the client is registered for: refused,
        // and the presented token is not spent.
        invalid_scope(refresh_grant(&app, &refresh, Some("read admin"), client).await).await;
        let (body_scope, claim, refresh) = granted(&app, refresh_grant(&app, &refresh, Some("read"), client).await).await;
        assert_eq!((body_scope.as_str(), claim.as_str()), ("read", "read"));

        // The family keeps what it was granted: the next refresh without a scope has it all.
        let (_, claim, refresh) = granted(&app, refresh_grant(&app, &refresh, None, client).await).await;
        assert_eq!(claim, "read write");
        invalid_scope(refresh_grant(&app, &refresh, Some("read write admin"), client).await).await;
        let (_, claim, _) = granted(&app, refresh_grant(&app, &refresh, None, client).await).await;
        assert_eq!(claim, "read write");
    }
}

both_engines! {
    async fn client_credentials_get_only_registered_scopes(app) {
        let (id, secret) = app.register_client(json!({"scopes": ["read"]})).await;
        let form = [("grant_type", "client_credentials"), ("scope", "read superuser")];
        invalid_scope(app.token(&form, Some((&id, &secret))).await).await;
        let form = [("grant_type", "client_credentials")];
        let res = app.token(&form, Some((&id, &secret))).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["scope"], "read");
    }
}
