//! What a token must be to pass: the authority's checks, the status bit, and the
//! URIs a verifier agrees to fetch.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{bits, now, Key, Mock};
use tessera_verify::{Audience, VerifyError};

#[tokio::test]
async fn es256_and_rs256_tokens_verify_and_their_claims_are_typed() {
    let mock = Mock::start().await;
    let (es, rs) = (Key::es256("es"), Key::rs256("rs"));
    mock.serve_jwks(&[&es, &rs], "v1", 300);
    let uri = mock.serve_list("1", &es, &bits(16, &[]), 300, "l1");
    let verifier = mock.verifier(|_| {});

    for key in [&es, &rs] {
        let claims = verifier
            .verify(&key.mint(&mock.claims(&uri, 3)))
            .await
            .unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.aud, Audience::One(mock.issuer.clone()));
        assert!(claims.has_scope("write") && !claims.has_scope("wri"));
        assert!(claims.has_role("admin") && claims.is_user_token());
        assert_eq!(claims.sid.as_deref(), Some("family-1"));
        assert_eq!(claims.status.unwrap().status_list.unwrap().idx, 3);
    }
    // A list signed by the RSA key verifies too.
    let rs_uri = mock.serve_list("2", &rs, &bits(16, &[]), 300, "l2");
    verifier
        .verify(&es.mint(&mock.claims(&rs_uri, 0)))
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_iss_aud_typ_alg_kid_or_signature_are_refused() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("1", &key, &bits(16, &[]), 300, "l1");
    let verifier = mock.verifier(|_| {});
    let good = mock.claims(&uri, 0);
    let with = |field: &str, value: serde_json::Value| {
        let mut c = good.clone();
        c[field] = value;
        key.mint(&c)
    };
    let header = |h: serde_json::Value| key.mint_with(&h, &good);
    let cases = [
        (
            with("iss", json!("https://evil.example")),
            VerifyError::Issuer,
        ),
        (
            with("aud", json!("https://other.api")),
            VerifyError::Audience,
        ),
        (with("aud", json!(["a", "b"])), VerifyError::Audience),
        (
            header(json!({"alg": "ES256", "kid": "k1", "typ": "JWT"})),
            VerifyError::Type,
        ),
        (
            header(json!({"alg": "ES256", "kid": "k1"})),
            VerifyError::Type,
        ),
        (
            header(json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"})),
            VerifyError::Algorithm,
        ),
        (
            header(json!({"alg": "none", "kid": "k1", "typ": "at+jwt"})),
            VerifyError::Algorithm,
        ),
        (
            header(json!({"alg": "HS256", "kid": "k1", "typ": "at+jwt"})),
            VerifyError::Algorithm,
        ),
        (
            header(json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt", "crit": ["exp"]})),
            VerifyError::Critical,
        ),
    ];
    for (token, want) in cases {
        assert_eq!(verifier.verify(&token).await.err(), Some(want));
    }
    // A token listing several audiences passes when one is accepted.
    verifier
        .verify(&with("aud", json!(["x", mock.issuer])))
        .await
        .unwrap();

    let token = key.mint(&good);
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut flipped = sig.as_bytes().to_vec();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{input}.{}", String::from_utf8(flipped).unwrap());
    assert_eq!(
        verifier.verify(&tampered).await.err(),
        Some(VerifyError::Signature)
    );
    let other = Key::es256("k1");
    assert_eq!(
        verifier.verify(&other.mint(&good)).await.err(),
        Some(VerifyError::Signature),
        "same kid, another key"
    );
    // RS256 is allowed in general but not by this verifier's allow-list.
    let rs = Key::rs256("rs");
    mock.serve_jwks(&[&key, &rs], "v2", 300);
    let es_only = mock.verifier(|c| c.algorithms = vec![tessera_verify::Algorithm::Es256]);
    assert_eq!(
        es_only.verify(&rs.mint(&good)).await.err(),
        Some(VerifyError::Algorithm)
    );
}

#[tokio::test]
async fn key_carrying_headers_are_never_followed() {
    let mock = Mock::start().await;
    let attacker = Mock::start().await;
    let key = Key::es256("k1");
    let evil = Key::es256("evil");
    mock.serve_jwks(&[&key], "v1", 300);
    attacker.serve_jwks(&[&evil], "e", 300);
    let uri = mock.serve_list("1", &key, &bits(16, &[]), 300, "l1");
    let verifier = mock.verifier(|_| {});
    let jku = format!("{}{}", attacker.issuer, support::JWKS_PATH);
    let header = json!({"alg": "ES256", "kid": "evil", "typ": "at+jwt", "jku": jku,
        "x5u": jku, "jwk": evil.jwk});
    let forged = evil.mint_with(&header, &mock.claims(&uri, 0));
    assert_eq!(
        verifier.verify(&forged).await.err(),
        Some(VerifyError::UnknownKey)
    );
    assert_eq!(attacker.counts(support::JWKS_PATH).requests, 0);
    // The same headers on a genuine token change nothing.
    let header = json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt", "jku": jku});
    verifier
        .verify(&key.mint_with(&header, &mock.claims(&uri, 0)))
        .await
        .unwrap();
    assert_eq!(attacker.counts(support::JWKS_PATH).requests, 0);
}

#[tokio::test]
async fn clock_leeway_is_configurable() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("1", &key, &bits(16, &[]), 300, "l1");
    let at = |exp: i64, nbf: i64, iat: i64| {
        let mut c = mock.claims(&uri, 0);
        c["exp"] = json!(now() + exp);
        c["nbf"] = json!(now() + nbf);
        c["iat"] = json!(now() + iat);
        key.mint(&c)
    };
    let strict = mock.verifier(|_| {});
    let lenient = mock.verifier(|c| {
        c.exp_leeway = Duration::from_secs(30);
        c.leeway = Duration::from_secs(120);
    });
    let zero = mock.verifier(|c| c.leeway = Duration::ZERO);

    let expired = at(-10, -100, -100);
    assert_eq!(
        strict.verify(&expired).await.err(),
        Some(VerifyError::Expired)
    );
    lenient.verify(&expired).await.unwrap();
    assert_eq!(
        lenient.verify(&at(-40, -100, -100)).await.err(),
        Some(VerifyError::Expired)
    );

    // The default 5 s absorbs a replica's clock running 3 s ahead; no leeway does not.
    let skewed = at(600, 3, 3);
    strict.verify(&skewed).await.unwrap();
    assert_eq!(
        zero.verify(&skewed).await.err(),
        Some(VerifyError::NotYetValid)
    );
    let future = at(600, 60, 0);
    assert_eq!(
        strict.verify(&future).await.err(),
        Some(VerifyError::NotYetValid)
    );
    lenient.verify(&future).await.unwrap();
    assert_eq!(
        strict.verify(&at(600, 0, 60)).await.err(),
        Some(VerifyError::NotYetValid)
    );
}

#[tokio::test]
async fn a_set_status_bit_is_refused_and_a_new_revocation_seen_after_the_ttl() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("7", &key, &bits(2, &[5]), 1, "l1");
    let verifier = mock.verifier(|c| c.min_max_age = Duration::ZERO);
    let token = |idx| key.mint(&mock.claims(&uri, idx));

    assert_eq!(
        verifier.verify(&token(5)).await.err(),
        Some(VerifyError::Revoked(1))
    );
    verifier.verify(&token(6)).await.unwrap();
    assert_eq!(
        verifier.verify(&token(16)).await.err(),
        Some(VerifyError::StatusIndex)
    );

    mock.serve_list("7", &key, &bits(2, &[5, 6]), 1, "l2");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match verifier.verify(&token(6)).await {
            Err(VerifyError::Revoked(1)) => break,
            Ok(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("index 6 still {other:?} after 10 s, ttl 1 s"),
        }
    }
    verifier.verify(&token(7)).await.unwrap();
}

#[tokio::test]
async fn only_the_issuers_lists_are_fetched_and_a_status_is_required() {
    let mock = Mock::start().await;
    let elsewhere = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("1", &key, &bits(2, &[]), 300, "l1");
    let foreign = elsewhere.serve_list("1", &key, &bits(2, &[]), 300, "f1");
    let verifier = mock.verifier(|_| {});

    for bad in [
        foreign.clone(),
        format!("{uri}?x=1"),
        format!("{}/statuslists/../jwks", mock.issuer),
    ] {
        let token = key.mint(&mock.claims(&bad, 0));
        assert_eq!(
            verifier.verify(&token).await.err(),
            Some(VerifyError::UntrustedStatusList),
            "{bad}"
        );
    }
    assert_eq!(elsewhere.counts("/statuslists/1").requests, 0);

    let mut bare = mock.claims(&uri, 0);
    bare.as_object_mut().unwrap().remove("status");
    let bare = key.mint(&bare);
    assert_eq!(
        verifier.verify(&bare).await.err(),
        Some(VerifyError::MissingStatus)
    );
    let optional = mock.verifier(|c| c.require_status = false);
    optional.verify(&bare).await.unwrap();
}

#[tokio::test]
async fn an_invalid_status_list_token_fails_closed() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let verifier = mock.verifier(|_| {});
    let uri = |id: &str| format!("{}/statuslists/{id}", mock.issuer);
    let list = support::compress(&bits(2, &[]));
    let serve = |id: &str, token: String| {
        mock.ok(
            &format!("/statuslists/{id}"),
            token,
            "",
            300,
            "application/statuslist+jwt",
        );
    };
    let claims = |sub: String, exp: i64| json!({"sub": sub, "iat": now(), "exp": exp, "ttl": 300, "status_list": {"bits": 1, "lst": list}});
    let list_header = json!({"alg": "ES256", "kid": "k1", "typ": "statuslist+jwt"});
    serve(
        "wrong-sub",
        key.mint_with(&list_header, &claims(uri("other"), now() + 60)),
    );
    serve(
        "expired",
        key.mint_with(&list_header, &claims(uri("expired"), now() - 1)),
    );
    serve(
        "access-typ",
        key.mint(&claims(uri("access-typ"), now() + 60)),
    );
    serve(
        "forged",
        Key::es256("k1").mint_with(&list_header, &claims(uri("forged"), now() + 60)),
    );
    serve("garbage", "not a token".into());
    for id in [
        "wrong-sub",
        "expired",
        "access-typ",
        "forged",
        "garbage",
        "missing",
    ] {
        let token = key.mint(&mock.claims(&uri(id), 0));
        let err = verifier.verify(&token).await.err();
        assert!(
            matches!(err, Some(VerifyError::Unavailable(_))),
            "{id}: {err:?}"
        );
    }
}
