use super::*;

fn registration() -> ClientRegistration {
    ClientRegistration {
        name: "Billing".into(),
        scopes: vec!["read".into()],
        redirect_uris: vec!["https://app.example.com/cb".into()],
        ..Default::default()
    }
}

fn refused(r: ClientRegistration) -> String {
    check_registration(r).expect_err("must be refused")
}

#[test]
fn defaults_are_a_confidential_client_without_the_password_grant() {
    let c = check_registration(registration()).unwrap();
    assert_eq!(c.client_type, ClientType::Confidential);
    assert_eq!(c.grant_types, default_grants(ClientType::Confidential));
    assert!(!c.grant_types.contains(&Grant::Password));
    assert!(!c.first_party && !c.introspection);
}

#[test]
fn a_public_client_gets_code_and_refresh_only() {
    let c = check_registration(ClientRegistration {
        client_type: Some("public".into()),
        ..registration()
    })
    .unwrap();
    assert_eq!(
        c.grant_types,
        [Grant::AuthorizationCode, Grant::RefreshToken]
    );
}

#[test]
fn a_public_client_can_neither_use_client_credentials_nor_introspect() {
    let public = || ClientRegistration {
        client_type: Some("public".into()),
        ..registration()
    };
    assert!(refused(ClientRegistration {
        grant_types: Some(vec!["client_credentials".into()]),
        ..public()
    })
    .contains("client_credentials"));
    assert!(refused(ClientRegistration {
        introspection: true,
        ..public()
    })
    .contains("introspect"));
}

#[test]
fn the_password_grant_is_enabled_only_by_name() {
    let c = check_registration(ClientRegistration {
        grant_types: Some(vec![
            "password".into(),
            "refresh_token".into(),
            "password".into(),
        ]),
        redirect_uris: vec![],
        ..registration()
    })
    .unwrap();
    assert_eq!(c.grant_types, [Grant::Password, Grant::RefreshToken]);
}

#[test]
fn the_code_grant_needs_a_redirect_uri() {
    assert!(refused(ClientRegistration {
        redirect_uris: vec![],
        ..registration()
    })
    .contains("redirect"));
    // Without the code grant none is needed.
    assert!(check_registration(ClientRegistration {
        redirect_uris: vec![],
        grant_types: Some(vec!["client_credentials".into()]),
        ..registration()
    })
    .is_ok());
}

#[test]
fn unknown_types_grants_and_bad_uris_are_named_in_the_refusal() {
    assert!(refused(ClientRegistration {
        client_type: Some("trusted".into()),
        ..registration()
    })
    .contains("trusted"));
    assert!(refused(ClientRegistration {
        grant_types: Some(vec!["implicit".into()]),
        ..registration()
    })
    .contains("implicit"));
    let why = refused(ClientRegistration {
        redirect_uris: vec!["http://evil.example/cb".into()],
        ..registration()
    });
    assert!(
        why.contains("redirect_uris") && why.contains("evil.example"),
        "{why}"
    );
    let why = refused(ClientRegistration {
        post_logout_redirect_uris: vec!["https://a.example/#x".into()],
        ..registration()
    });
    assert!(why.contains("post_logout_redirect_uris"), "{why}");
}

#[test]
fn lists_are_bounded_and_deduplicated() {
    let many: Vec<String> = (0..=MAX_REDIRECT_URIS)
        .map(|i| format!("https://app.example.com/{i}"))
        .collect();
    assert!(refused(ClientRegistration {
        redirect_uris: many,
        ..registration()
    })
    .contains("at most"));
    let c = check_registration(ClientRegistration {
        redirect_uris: vec!["https://a.example/cb".into(), "https://a.example/cb".into()],
        ..registration()
    })
    .unwrap();
    assert_eq!(c.redirect_uris, ["https://a.example/cb"]);
}

#[test]
fn names_and_scopes_are_checked_as_before() {
    for bad in ["", "nul\0byte", "line\nbreak", &"x".repeat(201)] {
        assert!(!valid_client_name(bad), "{bad:?}");
    }
    assert!(valid_client_name("Café"));
    assert!(refused(ClientRegistration {
        scopes: vec!["bad\"scope".into()],
        ..registration()
    })
    .contains("scope"));
}
