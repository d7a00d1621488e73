//! How the verifier fetches: caches honoured and revalidated, one flight per document,
//! a bounded number of fetches however many unknown kids arrive, the last good copy
//! kept through failures up to the staleness bound, then closed.

mod support;

use std::time::{Duration, Instant};

use support::{bits, Answer, Key, Mock, JWKS_PATH};
use tessera_verify::VerifyError;

fn is_unavailable<T: std::fmt::Debug>(r: &Result<T, VerifyError>) -> bool {
    matches!(r, Err(VerifyError::Unavailable(_)))
}

#[tokio::test]
async fn an_authority_that_was_never_reached_fails_closed() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    let token = key.mint(&mock.claims(&format!("{}/statuslists/1", mock.issuer), 0));
    mock.stop().await;
    let verifier = mock.verifier(|_| {});
    let r = verifier.verify(&token).await;
    assert!(is_unavailable(&r), "{r:?}");
    // Within the cooldown the failure is answered without another attempt.
    let r = verifier.verify(&token).await;
    assert!(is_unavailable(&r), "{r:?}");
    assert_eq!(verifier.stats().jwks_failed, 1);
}

#[tokio::test]
async fn failures_keep_the_last_good_keys_and_list_until_the_bound_then_fail_closed() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    // max-age 0: every verification wants a fetch, so each failure below is met.
    mock.serve_jwks(&[&key], "", 0);
    let list_path = "/statuslists/1";
    let uri = mock.serve_list("1", &key, &bits(2, &[]), 1, "");
    let verifier = mock.verifier(|c| {
        c.min_max_age = Duration::ZERO;
        c.refetch_cooldown = Duration::from_millis(200);
        c.max_jwks_staleness = Duration::from_secs(3);
        c.max_status_staleness = Duration::from_secs(3);
    });
    let token = key.mint(&mock.claims(&uri, 0));
    verifier.verify(&token).await.unwrap();
    let last_good = Instant::now();

    let failures = [
        Answer::Status(500),
        Answer::Truncated {
            body: r#"{"keys":[{"kty":"EC","#.into(),
            declared: 4000,
        },
        Answer::Truncated {
            body: r#"{"keys":[{"kty":"EC","#.into(),
            declared: 20,
        },
        Answer::Ok {
            body: "<html>maintenance</html>".into(),
            etag: None,
            max_age: 0,
            content_type: "text/html",
        },
        Answer::Hangup,
    ];
    for failure in failures {
        mock.answer(JWKS_PATH, failure.clone());
        mock.answer(list_path, failure.clone());
        tokio::time::sleep(Duration::from_millis(250)).await;
        let before = verifier.stats();
        let r = verifier.verify(&token).await;
        let after = verifier.stats();
        if last_good.elapsed() < Duration::from_millis(2500) {
            assert!(r.is_ok(), "{failure:?}: {r:?}");
            assert!(
                after.jwks_failed > before.jwks_failed,
                "{failure:?} was fetched and failed"
            );
        }
    }
    mock.stop().await;
    tokio::time::sleep(Duration::from_secs(3).saturating_sub(last_good.elapsed())).await;
    let r = verifier.verify(&token).await;
    assert!(is_unavailable(&r), "past the bound: {r:?}");
}

#[tokio::test]
async fn an_outage_recovers_once_the_authority_answers_again() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "", 0);
    let uri = mock.serve_list("1", &key, &bits(2, &[]), 300, "");
    let verifier = mock.verifier(|c| {
        c.min_max_age = Duration::ZERO;
        c.refetch_cooldown = Duration::from_millis(100);
        c.max_jwks_staleness = Duration::ZERO;
    });
    let token = key.mint(&mock.claims(&uri, 0));
    verifier.verify(&token).await.unwrap();
    mock.answer(JWKS_PATH, Answer::Status(503));
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(is_unavailable(&verifier.verify(&token).await));
    mock.serve_jwks(&[&key], "", 0);
    tokio::time::sleep(Duration::from_millis(150)).await;
    verifier.verify(&token).await.unwrap();
}

#[tokio::test]
async fn a_jwks_member_of_an_unknown_type_is_skipped() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    let doc = serde_json::json!({"keys": [
        {"kty": "AKP", "kid": "pq", "alg": "ML-DSA-65", "pub": "AAAA"},
        {"kty": "OKP", "kid": "ed", "alg": "EdDSA", "crv": "Ed25519", "x": "AAAA"},
        {"kty": "EC", "kid": "p521", "alg": "ES512", "crv": "P-521", "x": "AA", "y": "AA"},
        key.jwk,
    ]});
    mock.ok(JWKS_PATH, doc.to_string(), "v1", 300, "application/json");
    let uri = mock.serve_list("1", &key, &bits(2, &[]), 300, "l1");
    let verifier = mock.verifier(|_| {});
    verifier
        .verify(&key.mint(&mock.claims(&uri, 0)))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_flood_of_unknown_kids_costs_at_most_one_fetch_per_cooldown() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("1", &key, &bits(2, &[]), 300, "l1");
    let cooldown = Duration::from_millis(500);
    let verifier = mock.verifier(|c| c.refetch_cooldown = cooldown);
    verifier
        .verify(&key.mint(&mock.claims(&uri, 0)))
        .await
        .unwrap();
    // Forged tokens, each naming a kid of its own, all signed by one attacker key.
    let attacker = Key::es256("attacker");
    let claims = mock.claims(&uri, 0);
    let forged: Vec<String> = (0..64)
        .map(|i| {
            let header =
                serde_json::json!({"alg": "ES256", "kid": format!("random-{i}"), "typ": "at+jwt"});
            attacker.mint_with(&header, &claims)
        })
        .collect();

    tokio::time::sleep(cooldown).await;
    let started = Instant::now();
    let mut refused = 0;
    while started.elapsed() < Duration::from_secs(2) {
        let wave: Vec<_> = forged
            .iter()
            .map(|t| {
                let (v, t) = (verifier.clone(), t.clone());
                tokio::spawn(async move { v.verify(&t).await })
            })
            .collect();
        for r in wave {
            assert_eq!(r.await.unwrap().err(), Some(VerifyError::UnknownKey));
            refused += 1;
        }
    }
    let elapsed = started.elapsed();
    let during = mock.counts(JWKS_PATH).requests - 1;
    let bound = 1 + (elapsed.as_millis() / cooldown.as_millis()) as u64;
    eprintln!("{refused} forged tokens in {elapsed:?}: {during} JWKS fetches (bound {bound})");
    assert!(during >= 1, "an unknown kid does refetch");
    assert!(
        during <= bound,
        "{during} fetches in {elapsed:?}, cooldown {cooldown:?}"
    );

    // A key the authority really rotated in is found by that refetch.
    let next = Key::es256("k2");
    mock.serve_jwks(&[&key, &next], "v2", 300);
    tokio::time::sleep(cooldown).await;
    verifier
        .verify(&next.mint(&mock.claims(&uri, 0)))
        .await
        .unwrap();
}

#[tokio::test]
async fn concurrent_requests_on_a_cold_verifier_share_one_fetch() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 300);
    let uri = mock.serve_list("1", &key, &bits(2, &[]), 300, "l1");
    let verifier = mock.verifier(|_| {});
    let token = key.mint(&mock.claims(&uri, 0));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (v, t) = (verifier.clone(), token.clone());
            tokio::spawn(async move { v.verify(&t).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(mock.counts(JWKS_PATH).requests, 1);
    assert_eq!(mock.counts("/statuslists/1").requests, 1);
}

#[tokio::test]
async fn stale_copies_are_revalidated_with_their_etag() {
    let mock = Mock::start().await;
    let key = Key::es256("k1");
    mock.serve_jwks(&[&key], "v1", 0);
    let uri = mock.serve_list("1", &key, &bits(2, &[3]), 1, "l1");
    let verifier = mock.verifier(|c| c.min_max_age = Duration::ZERO);
    let token = key.mint(&mock.claims(&uri, 0));
    for _ in 0..5 {
        verifier.verify(&token).await.unwrap();
    }
    // Five verifications and the list's own signature check: one fetch, five 304s.
    let jwks = mock.counts(JWKS_PATH);
    assert_eq!((jwks.ok, jwks.not_modified), (1, 5), "{jwks:?}");
    assert_eq!(verifier.stats().jwks_not_modified, 5);
    assert_eq!(verifier.stats().jwks_fetched, 1);

    // The list (ttl 1 s) is revalidated once it is a second old, and still refuses 3.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    verifier.verify(&token).await.unwrap();
    let list = mock.counts("/statuslists/1");
    assert_eq!((list.ok, list.not_modified), (1, 1), "{list:?}");
    let revoked = key.mint(&mock.claims(&uri, 3));
    assert_eq!(
        verifier.verify(&revoked).await.err(),
        Some(VerifyError::Revoked(1))
    );
}
