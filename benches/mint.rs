//! Minting an access token against the raw signature it is built around.
//!
//! For each algorithm, in one run:
//! - `mint/<ALG>/tessera`: `tessera::tokens::mint` with the signing key of a real
//!   `KeyRing` (claims to JSON, base64url, signature, base64url);
//! - `mint/<ALG>/raw-*`: only the signature, by the fastest primitive the mandated
//!   crates offer, over the very bytes a real token signs (its `header.payload`);
//! - `mint/parts/*`: the claims serialization and base64url alone, to show where the
//!   rest of the time goes;
//! - `verify/ES256/*`: `tessera::tokens::verify_signed` (signature and claims, no
//!   revocation query) against ring's raw verification of the same signature, the
//!   reference of issue 17's `/auth/me` target (requests/s >= 0.6x raw verifications/s).
//!
//! bench/mint.sh reads the estimates and prints mint / raw against the 1.15x target.

use std::hint::black_box;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use josekit::jws::{JwsSigner, RS256};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, RsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};

use tessera::domain::{Algorithm, Kek, KeyState};
use tessera::keys::{generate, GeneratedKey, KeyRing};
use tessera::storage::StoredKey;
use tessera::tokens::{mint, verify_signed, AccessClaims, Audience, Expectations};

const NOW: i64 = 1_800_000_000;

/// A key ring holding one `current` key, built the way a replica builds it (sealed
/// under a KEK, unsealed by `KeyRing::build`). Returns the generated key too, so the
/// raw benchmarks sign with the very same private key.
fn ring_with(alg: Algorithm) -> (KeyRing, GeneratedKey) {
    let kek = Kek::generate();
    let key = generate(alg, 2048).expect("key generates");
    let stored = StoredKey {
        kid: key.jwk.kid.clone(),
        alg,
        state: KeyState::Current,
        sealed_private: Some(kek.seal(&key.jwk.kid, key.private_pkcs8.expose())),
        public_jwk: key.jwk.clone(),
        created_at: NOW - 100,
        activated_at: Some(NOW - 100),
        deactivated_at: None,
        retired_at: None,
        revoked_at: None,
    };
    let ring = KeyRing::build(1, &[stored], &kek).expect("ring builds");
    (ring, key)
}

/// Claims shaped like a user login token from the default configuration.
fn claims() -> AccessClaims {
    AccessClaims {
        iss: "http://localhost:8080".into(),
        sub: "0b9e6f0c-5d7a-4c1e-9a53-2f6d8c1b7e42".into(),
        aud: Audience::One("http://localhost:8080".into()),
        exp: NOW + 900,
        iat: NOW,
        nbf: NOW,
        jti: "Zq3XvKp1m0b6TQm2y7cR8w".into(),
        client_id: "tessera".into(),
        scope: "openid profile".into(),
        roles: Some(vec!["user".into(), "admin".into()]),
        sid: Some("b1f4a0d2-8c3e-4f57-9e21-6a7d5c0e3b98".into()),
        status: None,
    }
}

/// The `header.payload` part of a real token: what the signature covers.
fn signing_input(token: &str) -> Vec<u8> {
    let end = token.rfind('.').expect("compact JWS");
    token.as_bytes()[..end].to_vec()
}

fn bench_es256(c: &mut Criterion) {
    let (ring, key) = ring_with(Algorithm::Es256);
    let signing = ring.signing.as_ref().expect("a current key");
    let claims = claims();
    let message = signing_input(&mint(signing, &claims).unwrap());

    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        key.private_pkcs8.expose(),
        &rng,
    )
    .expect("P-256 PKCS#8");

    let mut group = c.benchmark_group("mint/ES256");
    group.bench_function("tessera", |b| {
        b.iter(|| mint(black_box(signing), black_box(&claims)).unwrap())
    });
    group.bench_function("raw-ring", |b| {
        b.iter(|| pair.sign(&rng, black_box(&message)).unwrap())
    });
    group.finish();
}

fn bench_rs256(c: &mut Criterion) {
    let (ring, key) = ring_with(Algorithm::Rs256);
    let signing = ring.signing.as_ref().expect("a current key");
    let claims = claims();
    let message = signing_input(&mint(signing, &claims).unwrap());

    let der = key.private_pkcs8.expose();
    let openssl = RS256.signer_from_der(der).expect("RSA DER");
    let ring_pair = RsaKeyPair::from_pkcs8(der).expect("RSA PKCS#8");
    let rng = SystemRandom::new();
    let mut ring_sig = vec![0u8; ring_pair.public().modulus_len()];

    let mut group = c.benchmark_group("mint/RS256");
    group.bench_function("tessera", |b| {
        b.iter(|| mint(black_box(signing), black_box(&claims)).unwrap())
    });
    group.bench_function("raw-josekit", |b| {
        b.iter(|| openssl.sign(black_box(&message)).unwrap())
    });
    group.bench_function("raw-ring", |b| {
        b.iter(|| {
            ring_pair
                .sign(&RSA_PKCS1_SHA256, &rng, black_box(&message), &mut ring_sig)
                .unwrap();
            black_box(&ring_sig);
        })
    });
    group.finish();
}

/// Where the non-signature part of `mint` goes: the claims to JSON, and to JSON then
/// base64url, as `mint` does it (the header is pre-encoded per key).
fn bench_parts(c: &mut Criterion) {
    let claims = claims();
    let mut group = c.benchmark_group("mint/parts");
    group.bench_function("claims-json", |b| {
        b.iter(|| serde_json::to_vec(black_box(&claims)).unwrap())
    });
    group.bench_function("claims-json-base64", |b| {
        b.iter(|| {
            let payload = serde_json::to_vec(black_box(&claims)).unwrap();
            let mut out = String::with_capacity(512);
            URL_SAFE_NO_PAD.encode_string(&payload, &mut out);
            out
        })
    });
    group.finish();
}

fn bench_verify_es256(c: &mut Criterion) {
    let (ring, key) = ring_with(Algorithm::Es256);
    let signing = ring.signing.as_ref().expect("a current key");
    let token = mint(signing, &claims()).unwrap();
    let expect = Expectations {
        issuer: "http://localhost:8080".into(),
        audiences: vec!["http://localhost:8080".into()],
    };
    verify_signed(&token, &ring, &expect, NOW).expect("the token verifies");

    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        key.private_pkcs8.expose(),
        &rng,
    )
    .expect("P-256 PKCS#8");
    let message = signing_input(&token);
    let signature = pair.sign(&rng, &message).unwrap();
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref());

    let mut group = c.benchmark_group("verify/ES256");
    group.bench_function("tessera", |b| {
        b.iter(|| verify_signed(black_box(&token), &ring, &expect, NOW).unwrap())
    });
    group.bench_function("raw-ring", |b| {
        b.iter(|| {
            public
                .verify(black_box(&message), signature.as_ref())
                .unwrap()
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_es256, bench_rs256, bench_parts, bench_verify_es256
}
criterion_main!(benches);
