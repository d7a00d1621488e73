//! The verifier against tokens it must accept and the classic forgeries it must refuse.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::*;
use crate::domain::{Kek, KeyState};
use crate::keys::{generate, KeyRing};
use crate::storage::StoredKey;
use crate::tokens::{mint, Audience};

const NOW: i64 = 1_800_000_000;

fn ring_with(alg: Algorithm) -> KeyRing {
    let kek = Kek::generate();
    let key = generate(alg, 2048).unwrap();
    let stored = StoredKey {
        kid: key.jwk.kid.clone(),
        alg,
        state: KeyState::Current,
        sealed_private: Some(kek.seal(&key.jwk.kid, key.private_pkcs8.expose())),
        public_jwk: key.jwk,
        created_at: NOW - 100,
        activated_at: Some(NOW - 100),
        deactivated_at: None,
        retired_at: None,
        revoked_at: None,
    };
    KeyRing::build(1, &[stored], &kek).unwrap()
}

fn expect() -> Expectations {
    Expectations {
        issuer: "https://auth.test".into(),
        audiences: vec!["api".into()],
    }
}

fn claims() -> AccessClaims {
    AccessClaims {
        iss: "https://auth.test".into(),
        sub: "user-1".into(),
        aud: Audience::One("api".into()),
        exp: NOW + 900,
        iat: NOW,
        nbf: NOW,
        jti: "jti-1".into(),
        client_id: "tessera".into(),
        scope: "openid".into(),
        roles: Some(vec!["admin".into()]),
        sid: Some("fam".into()),
        status: None,
    }
}

fn signed(ring: &KeyRing, claims: &AccessClaims) -> String {
    mint(ring.signing.as_ref().unwrap(), claims).unwrap()
}

fn b64(json: &str) -> String {
    URL_SAFE_NO_PAD.encode(json)
}

#[test]
fn a_freshly_minted_token_verifies_for_both_algorithms() {
    for alg in [Algorithm::Es256, Algorithm::Rs256] {
        let ring = ring_with(alg);
        let token = signed(&ring, &claims());
        assert_eq!(
            verify_signed(&token, &ring, &expect(), NOW).unwrap(),
            claims()
        );
    }
}

#[test]
fn alg_none_is_rejected_in_every_casing() {
    let ring = ring_with(Algorithm::Es256);
    let kid = &ring.signing.as_ref().unwrap().kid;
    let payload = b64(&serde_json::to_string(&claims()).unwrap());
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = b64(&format!(
            r#"{{"alg":"{alg}","kid":"{kid}","typ":"at+jwt"}}"#
        ));
        for sig in ["", "c2ln"] {
            let token = format!("{header}.{payload}.{sig}");
            assert_eq!(
                verify_signed(&token, &ring, &expect(), NOW),
                Err(Rejection::Algorithm),
                "{alg} / {sig:?}"
            );
        }
    }
}

#[test]
fn an_expired_token_is_rejected_without_leeway() {
    let ring = ring_with(Algorithm::Es256);
    let token = signed(&ring, &claims());
    assert!(verify_signed(&token, &ring, &expect(), NOW + 899).is_ok());
    assert_eq!(
        verify_signed(&token, &ring, &expect(), NOW + 900),
        Err(Rejection::Expired)
    );
}

#[test]
fn nbf_in_the_future_is_rejected_beyond_five_seconds() {
    let ring = ring_with(Algorithm::Es256);
    let mut c = claims();
    c.nbf = NOW + 5;
    assert!(verify_signed(&signed(&ring, &c), &ring, &expect(), NOW).is_ok());
    c.nbf = NOW + 6;
    assert_eq!(
        verify_signed(&signed(&ring, &c), &ring, &expect(), NOW),
        Err(Rejection::NotYetValid)
    );
}

#[test]
fn wrong_issuer_and_audience_are_rejected() {
    let ring = ring_with(Algorithm::Es256);
    let mut c = claims();
    c.iss = "https://evil.test".into();
    assert_eq!(
        verify_signed(&signed(&ring, &c), &ring, &expect(), NOW),
        Err(Rejection::Issuer)
    );
    let mut c = claims();
    c.aud = Audience::Many(vec!["other".into(), "more".into()]);
    assert_eq!(
        verify_signed(&signed(&ring, &c), &ring, &expect(), NOW),
        Err(Rejection::Audience)
    );
    c.aud = Audience::Many(vec!["other".into(), "api".into()]);
    assert!(verify_signed(&signed(&ring, &c), &ring, &expect(), NOW).is_ok());
}

#[test]
fn tampering_after_signing_is_detected() {
    let ring = ring_with(Algorithm::Es256);
    let token = signed(&ring, &claims());
    let parts: Vec<&str> = token.split('.').collect();
    let mut c = claims();
    c.roles = Some(vec!["admin".into(), "root".into()]);
    let forged_payload = b64(&serde_json::to_string(&c).unwrap());
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(
        verify_signed(&forged, &ring, &expect(), NOW),
        Err(Rejection::Signature)
    );
    let stripped = format!("{}.{}.", parts[0], parts[1]);
    assert_eq!(
        verify_signed(&stripped, &ring, &expect(), NOW),
        Err(Rejection::Signature)
    );
}

#[test]
fn malformed_and_oversize_tokens_are_refused_early() {
    let ring = ring_with(Algorithm::Es256);
    let token = signed(&ring, &claims());
    assert_eq!(
        verify_signed(&"a".repeat(MAX_TOKEN_BYTES + 1), &ring, &expect(), NOW),
        Err(Rejection::TooLarge)
    );
    for bad in [
        "",
        "abc",
        "a.b",
        "a.b.c.d.e",
        &token[..token.len() / 2],
        "!!.!!.!!",
    ] {
        assert!(
            verify_signed(bad, &ring, &expect(), NOW).is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn extra_header_members_are_refused() {
    let ring = ring_with(Algorithm::Es256);
    let kid = ring.signing.as_ref().unwrap().kid.clone();
    let payload = b64(&serde_json::to_string(&claims()).unwrap());
    for extra in [
        r#","jku":"https://evil.test/jwks""#,
        r#","crit":["exp"]"#,
        r#","jwk":{"kty":"EC"}"#,
        r#","x5u":"x""#,
    ] {
        let header = b64(&format!(
            r#"{{"alg":"ES256","kid":"{kid}","typ":"at+jwt"{extra}}}"#
        ));
        let token = format!("{header}.{payload}.sig");
        assert_eq!(
            verify_signed(&token, &ring, &expect(), NOW),
            Err(Rejection::Malformed),
            "{extra}"
        );
    }
    let dup = b64(&format!(
        r#"{{"alg":"ES256","alg":"none","kid":"{kid}","typ":"at+jwt"}}"#
    ));
    assert_eq!(
        verify_signed(&format!("{dup}.{payload}.sig"), &ring, &expect(), NOW),
        Err(Rejection::Malformed)
    );
    let jwt = b64(&format!(r#"{{"alg":"ES256","kid":"{kid}","typ":"JWT"}}"#));
    assert_eq!(
        verify_signed(&format!("{jwt}.{payload}.sig"), &ring, &expect(), NOW),
        Err(Rejection::Type)
    );
}

#[test]
fn unknown_kid_and_mismatched_alg_are_refused() {
    let ring = ring_with(Algorithm::Es256);
    let kid = ring.signing.as_ref().unwrap().kid.clone();
    let payload = b64(&serde_json::to_string(&claims()).unwrap());
    let unknown = b64(r#"{"alg":"ES256","kid":"../../etc/passwd","typ":"at+jwt"}"#);
    assert_eq!(
        verify_signed(&format!("{unknown}.{payload}.sig"), &ring, &expect(), NOW),
        Err(Rejection::UnknownKey)
    );
    let rs = b64(&format!(
        r#"{{"alg":"RS256","kid":"{kid}","typ":"at+jwt"}}"#
    ));
    assert_eq!(
        verify_signed(&format!("{rs}.{payload}.sig"), &ring, &expect(), NOW),
        Err(Rejection::Algorithm)
    );
    let hs = b64(&format!(
        r#"{{"alg":"HS256","kid":"{kid}","typ":"at+jwt"}}"#
    ));
    assert_eq!(
        verify_signed(&format!("{hs}.{payload}.sig"), &ring, &expect(), NOW),
        Err(Rejection::Algorithm)
    );
}
