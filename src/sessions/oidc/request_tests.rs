use std::sync::Arc;

use super::*;
use crate::domain::{ClientType, Grant};
use crate::sessions::oidc::AuthzError;
use crate::storage::ClientRow;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://app.example/cb";

fn client() -> Arc<ClientRow> {
    Arc::new(ClientRow {
        id: "c1".into(),
        name: "App".into(),
        secret_hash: None,
        client_type: ClientType::Public,
        scopes: vec!["openid".into(), "email".into()],
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec![Grant::AuthorizationCode, Grant::RefreshToken],
        first_party: false,
        introspection: false,
        created_at: 0,
    })
}

fn params(extra: &[(&str, &str)]) -> AuthorizationParams {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "c1"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "st"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        pairs.push((name, value));
    }
    AuthorizationParams::from_pairs(pairs)
}

fn redirected(result: Result<AuthorizationRequest, Refusal>) -> (AuthzError, Option<String>) {
    match result {
        Err(Refusal::Redirected(e)) => {
            assert_eq!(e.redirect_uri, REDIRECT);
            (e.error, e.state)
        }
        other => panic!("expected a redirected refusal, got {other:?}"),
    }
}

#[test]
fn a_complete_request_passes() {
    let ok = validate(
        &params(&[("nonce", "n"), ("max_age", "60")]),
        Some(client()),
    )
    .unwrap();
    assert_eq!(ok.scope, "openid");
    assert_eq!(ok.state.as_deref(), Some("st"));
    assert_eq!(ok.max_age, Some(60));
}

#[test]
fn unknown_clients_and_unregistered_redirects_are_shown_never_redirected() {
    assert!(matches!(
        validate(&params(&[]), None),
        Err(Refusal::Shown { .. })
    ));
    for uri in [
        "https://app.example/cb/",
        "https://app.example/c",
        "https://app.example/cb?x=1",
        "https://App.example/cb",
        "https://evil.example/cb",
        "https://app.example/cb#x",
        "https://app.example.evil.example/cb",
    ] {
        let result = validate(&params(&[("redirect_uri", uri)]), Some(client()));
        assert!(matches!(result, Err(Refusal::Shown { .. })), "{uri}");
    }
    let mut no_redirect = params(&[]);
    no_redirect.redirect_uri = None;
    assert!(matches!(
        validate(&no_redirect, Some(client())),
        Err(Refusal::Shown { .. })
    ));
    let mut twice = params(&[]);
    twice.repeated.push("redirect_uri".into());
    assert!(matches!(
        validate(&twice, Some(client())),
        Err(Refusal::Shown { .. })
    ));
}

#[test]
fn later_errors_go_back_with_state() {
    use AuthzError::*;
    let cases: &[(&[(&str, &str)], AuthzError)] = &[
        (&[("response_type", "token")], UnsupportedResponseType),
        (&[("code_challenge_method", "plain")], InvalidRequest),
        (&[("code_challenge", "short")], InvalidRequest),
        (&[("scope", "openid admin")], InvalidScope),
        (&[("scope", "open\"id")], InvalidScope),
        (&[("prompt", "none login")], InvalidRequest),
        (&[("max_age", "-1")], InvalidRequest),
        (&[("max_age", "soon")], InvalidRequest),
    ];
    for (extra, expected) in cases {
        let (error, state) = redirected(validate(&params(extra), Some(client())));
        assert_eq!(error, *expected, "{extra:?}");
        assert_eq!(state.as_deref(), Some("st"));
    }
    let mut no_method = params(&[]);
    no_method.code_challenge_method = None;
    assert_eq!(
        redirected(validate(&no_method, Some(client()))).0,
        InvalidRequest
    );
    let mut no_challenge = params(&[]);
    no_challenge.code_challenge = None;
    assert_eq!(
        redirected(validate(&no_challenge, Some(client()))).0,
        InvalidRequest
    );
}

#[test]
fn a_client_without_the_code_grant_is_unauthorized() {
    let mut row = (*client()).clone();
    row.grant_types = vec![Grant::ClientCredentials];
    let (error, _) = redirected(validate(&params(&[]), Some(Arc::new(row))));
    assert_eq!(error, AuthzError::UnauthorizedClient);
}
