use std::sync::Arc;

use super::*;
use crate::domain::{ClientType, Grant};
use crate::storage::ClientRow;

fn client(first_party: bool) -> Arc<ClientRow> {
    Arc::new(ClientRow {
        id: "c1".into(),
        name: "App".into(),
        secret_hash: None,
        client_type: ClientType::Public,
        scopes: vec!["openid".into(), "email".into()],
        redirect_uris: vec!["https://app.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec![Grant::AuthorizationCode, Grant::RefreshToken],
        first_party,
        introspection: false,
        created_at: 0,
    })
}

fn request(prompt: &str, max_age: Option<i64>, first_party: bool) -> AuthorizationRequest {
    AuthorizationRequest {
        client: client(first_party),
        redirect_uri: "https://app.example/cb".into(),
        scope: "openid email".into(),
        state: None,
        code_challenge: "x".into(),
        nonce: None,
        prompt: Prompt::parse(Some(prompt)).unwrap(),
        max_age,
    }
}

fn signed_in_at(auth_time: i64) -> SignIn {
    SignIn {
        session_id: "s".into(),
        user_id: "u".into(),
        auth_time,
    }
}

const NOTHING: JustDone = JustDone {
    signed_in: false,
    consented: false,
};

#[test]
fn without_a_sign_in_the_user_signs_in_unless_prompt_is_none() {
    assert_eq!(
        next_step(&request("", None, true), None, None, 100, NOTHING),
        Step::Login
    );
    assert_eq!(
        next_step(&request("none", None, true), None, None, 100, NOTHING),
        Step::Refuse(AuthzError::LoginRequired)
    );
}

#[test]
fn prompt_login_and_max_age_ask_again_but_not_right_after_a_sign_in() {
    let s = signed_in_at(50);
    assert_eq!(
        next_step(&request("login", None, true), Some(&s), None, 100, NOTHING),
        Step::Login
    );
    assert_eq!(
        next_step(&request("", Some(49), true), Some(&s), None, 100, NOTHING),
        Step::Login
    );
    assert_eq!(
        next_step(&request("", Some(50), true), Some(&s), None, 100, NOTHING),
        Step::Issue
    );
    let fresh = JustDone {
        signed_in: true,
        consented: false,
    };
    assert_eq!(
        next_step(&request("login", Some(0), true), Some(&s), None, 100, fresh),
        Step::Issue
    );
    assert_eq!(
        next_step(
            &request("none", Some(10), true),
            Some(&s),
            None,
            100,
            NOTHING
        ),
        Step::Refuse(AuthzError::LoginRequired)
    );
}

#[test]
fn consent_is_asked_of_third_parties_for_what_was_not_allowed_before() {
    let s = signed_in_at(100);
    let third = request("", None, false);
    assert_eq!(
        next_step(&third, Some(&s), None, 100, NOTHING),
        Step::Consent
    );
    assert_eq!(
        next_step(&third, Some(&s), Some("openid"), 100, NOTHING),
        Step::Consent
    );
    assert_eq!(
        next_step(&third, Some(&s), Some("email openid api"), 100, NOTHING),
        Step::Issue
    );
    assert_eq!(
        next_step(
            &request("consent", None, false),
            Some(&s),
            Some("openid email"),
            100,
            NOTHING
        ),
        Step::Consent
    );
    assert_eq!(
        next_step(&request("none", None, false), Some(&s), None, 100, NOTHING),
        Step::Refuse(AuthzError::ConsentRequired)
    );
    // First-party clients are never asked.
    assert_eq!(
        next_step(
            &request("consent", None, true),
            Some(&s),
            None,
            100,
            NOTHING
        ),
        Step::Issue
    );
}

#[test]
fn prompt_none_cannot_be_combined() {
    assert_eq!(Prompt::parse(Some("none login")), None);
    assert_eq!(Prompt::parse(Some("select_account")), None);
    assert_eq!(
        Prompt::parse(Some("login consent")),
        Some(Prompt {
            none: false,
            login: true,
            consent: true
        })
    );
    assert_eq!(Prompt::parse(None), Some(Prompt::default()));
}
