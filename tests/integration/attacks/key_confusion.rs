//! Algorithm confusion: HS256/HS384/HS512 tokens whose HMAC key is the server's public
//! key in every encoding an attacker would try, for an ES256 and an RS256 authority.
//! The encodings are checked first: josekit must verify a real token with them, so the
//! attack uses the very bytes a confused verifier would hold.

use josekit::jws::{JwsVerifier, ES256, RS256};
use serde_json::{json, Value};

use super::forge::{self, unb64, Compact};
use super::judge::{case, Case, Judge};
use crate::both_engines;
use crate::common::*;

/// Every byte string a confused verifier might use as the HMAC secret, by name.
async fn public_key_encodings(app: &TestApp, real: &Compact) -> Vec<(String, Vec<u8>)> {
    let jwks_text = app.jwks_response().await.text().await.unwrap();
    let kid = real.header()["kid"].as_str().unwrap().to_owned();
    let served = forge::served_jwk_text(&jwks_text, &kid);
    let jwk: Value = serde_json::from_str(&served).unwrap();
    let message = real.signing_input();
    let signature = real.signature();
    let mut keys: Vec<(String, Vec<u8>)> = Vec::new();
    match jwk["kty"].as_str().unwrap() {
        "EC" => {
            let (x_text, y_text) = (jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap());
            let (x, y) = (unb64(x_text), unb64(y_text));
            let spki = forge::ec_spki_der(&x, &y);
            let pem = forge::pem("PUBLIC KEY", &spki);
            let check = |v: josekit::jws::alg::ecdsa::EcdsaJwsVerifier, what: &str| {
                v.verify(message.as_bytes(), &signature)
                    .unwrap_or_else(|e| panic!("{what} is not the server key: {e}"));
            };
            check(ES256.verifier_from_der(&spki).unwrap(), "SPKI DER");
            check(ES256.verifier_from_pem(&pem).unwrap(), "SPKI PEM");
            keys.push(("SPKI DER".into(), spki));
            keys.push(("SPKI PEM".into(), pem.clone().into_bytes()));
            keys.push((
                "SPKI PEM without final newline".into(),
                pem.trim_end().as_bytes().to_vec(),
            ));
            keys.push(("SEC1 point 04||x||y".into(), [&[4u8][..], &x, &y].concat()));
            keys.push(("x||y".into(), [x.clone(), y.clone()].concat()));
            keys.push(("x bytes".into(), x));
            keys.push(("y bytes".into(), y));
            keys.push(("x base64url text".into(), x_text.as_bytes().to_vec()));
            keys.push(("y base64url text".into(), y_text.as_bytes().to_vec()));
        }
        "RSA" => {
            let (n_text, e_text) = (jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap());
            let (n, e) = (unb64(n_text), unb64(e_text));
            let pkcs1 = forge::rsa_pkcs1_der(&n, &e);
            let spki = forge::rsa_spki_der(&n, &e);
            let pkcs1_pem = forge::pem("RSA PUBLIC KEY", &pkcs1);
            let spki_pem = forge::pem("PUBLIC KEY", &spki);
            let check = |v: josekit::jws::alg::rsassa::RsassaJwsVerifier, what: &str| {
                v.verify(message.as_bytes(), &signature)
                    .unwrap_or_else(|e| panic!("{what} is not the server key: {e}"));
            };
            check(RS256.verifier_from_der(&spki).unwrap(), "SPKI DER");
            check(RS256.verifier_from_der(&pkcs1).unwrap(), "PKCS#1 DER");
            check(RS256.verifier_from_pem(&spki_pem).unwrap(), "SPKI PEM");
            check(RS256.verifier_from_pem(&pkcs1_pem).unwrap(), "PKCS#1 PEM");
            keys.push(("SPKI DER".into(), spki));
            keys.push(("PKCS#1 DER".into(), pkcs1));
            keys.push(("SPKI PEM".into(), spki_pem.clone().into_bytes()));
            keys.push((
                "SPKI PEM without final newline".into(),
                spki_pem.trim_end().as_bytes().to_vec(),
            ));
            keys.push(("PKCS#1 PEM".into(), pkcs1_pem.clone().into_bytes()));
            keys.push((
                "PKCS#1 PEM without final newline".into(),
                pkcs1_pem.trim_end().as_bytes().to_vec(),
            ));
            keys.push(("n bytes".into(), n));
            keys.push(("e bytes".into(), e));
            keys.push(("n base64url text".into(), n_text.as_bytes().to_vec()));
        }
        other => panic!("unexpected kty {other}"),
    }
    keys.push(("JWK as served".into(), served.clone().into_bytes()));
    keys.push((
        "JWK canonical (RFC 7638)".into(),
        forge::canonical_jwk_text(&jwk).into_bytes(),
    ));
    keys.push(("JWK re-serialized".into(), jwk.to_string().into_bytes()));
    keys.push(("JWKS document as served".into(), jwks_text.into_bytes()));
    keys.push(("kid text".into(), kid.into_bytes()));
    keys.push(("empty key".into(), Vec::new()));
    keys
}

async fn assert_hmac_confusion_refused(app: &TestApp) {
    let judge = Judge::new(app).await;
    let token = judge.user_token().await;
    judge.assert_accepted("real user token", &token).await;
    let real = Compact::parse(&token);
    let payload = forge::escalated(&real.payload());
    let kid = real.header()["kid"].clone();
    let mut cases: Vec<Case> = Vec::new();
    for (encoding, key) in public_key_encodings(app, &real).await {
        for alg in ["HS256", "HS384", "HS512"] {
            for (shape, header) in [
                (
                    "with the server kid",
                    json!({"alg": alg, "kid": kid, "typ": "at+jwt"}),
                ),
                ("without kid", json!({"alg": alg, "typ": "JWT"})),
            ] {
                let token = forge::signed(&header, &payload, |m| forge::hmac(alg, &key, m));
                cases.push(case(
                    format!("{alg} keyed with the {encoding}, {shape}"),
                    token,
                ));
            }
        }
    }
    judge.assert_refused(&cases).await;
}

both_engines! {
    async fn hmac_keyed_with_the_es256_public_key_is_refused(app) {
        assert_hmac_confusion_refused(&app).await;
    }
}

both_engines! {
    with crate::attacks::RS256;
    async fn hmac_keyed_with_the_rs256_public_key_is_refused(app) {
        assert_hmac_confusion_refused(&app).await;
    }
}
