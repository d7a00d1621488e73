//! Verifying an ES256 access token from warm caches, status check included, against
//! ring's raw ES256 verification of the same signature over the same bytes, in one
//! run:
//! - `verify/ES256/tessera-verify`: `Verifier::verify` (form, header, key lookup,
//!   signature, claims, the status list lookup), polled once: from warm caches it
//!   never waits;
//! - `verify/ES256/ring-raw`: `UnparsedPublicKey::verify` alone.
//!
//! The target is tessera-verify / ring-raw <= 1.2. On a shared machine the load moves
//! between the two criterion runs, so the bench also prints the ratio measured
//! interleaved: 300 rounds of 40 verifications of each, the median of the per-round
//! ratios.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{criterion_group, Criterion};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use serde_json::json;
use tessera_verify::{Config, Fetch, FetchError, FetchFuture, Fetched, Verifier};

const ISSUER: &str = "https://auth.example.com";

/// The authority, in memory: the JWKS and one list.
struct Documents {
    jwks: Vec<u8>,
    list: Vec<u8>,
}

impl Fetch for Documents {
    fn get<'a>(&'a self, url: &'a str, _: Option<&'a str>, _: &'static str) -> FetchFuture<'a> {
        let body = if url.ends_with("jwks.json") {
            &self.jwks
        } else {
            &self.list
        };
        let answer = Fetched::Body {
            body: body.clone(),
            etag: None,
            max_age: Some(Duration::from_secs(3600)),
        };
        Box::pin(async move { Ok::<_, FetchError>(answer) })
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sign(pair: &EcdsaKeyPair, header: serde_json::Value, claims: serde_json::Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", b64(sig.as_ref()))
}

/// Polls a future that must be ready at once (warm caches never wait).
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("a warm verification waited"),
    }
}

/// What both benchmarks verify: the warm verifier, the token, and the raw parts.
struct Fixture {
    verifier: Verifier,
    token: String,
    raw: UnparsedPublicKey<Vec<u8>>,
    signed: String,
    sig: Vec<u8>,
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let mut group = c.benchmark_group("verify/ES256");
    group.bench_function("tessera-verify", |b| {
        b.iter(|| ready(f.verifier.verify(black_box(&f.token))).unwrap())
    });
    group.bench_function("ring-raw", |b| {
        b.iter(|| {
            f.raw
                .verify(black_box(f.signed.as_bytes()), black_box(&f.sig))
                .unwrap()
        })
    });
    group.finish();
}

/// The ratio with both measured under the same load, round by round.
fn interleaved(f: &Fixture) -> f64 {
    use std::time::Instant;
    let mut ratios = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        for _ in 0..40 {
            ready(f.verifier.verify(black_box(&f.token))).unwrap();
        }
        let ours = t.elapsed();
        let t = Instant::now();
        for _ in 0..40 {
            f.raw
                .verify(black_box(f.signed.as_bytes()), black_box(&f.sig))
                .unwrap();
        }
        ratios.push(ours.as_secs_f64() / t.elapsed().as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn fixture() -> Fixture {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let kid = "Wn6xK0tCw3kq5mY1ZJ8dQ0rS4uV7aB2cD9eF1gH3iJ4";
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let uri = format!("{ISSUER}/statuslists/20261204");
    // A list of 2^20 tokens, 1% revoked.
    let mut bits = vec![0u8; 1 << 17];
    for i in (0..(1u64 << 20)).step_by(100) {
        bits[(i / 8) as usize] |= 1 << (i % 8);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &bits).unwrap();
    let lst = b64(&z.finish().unwrap());
    let list = sign(
        &pair,
        json!({"alg": "ES256", "kid": kid, "typ": "statuslist+jwt"}),
        json!({"sub": uri, "iat": now, "exp": now + 3600, "ttl": 3600, "status_list": {"bits": 1, "lst": lst}}),
    );
    let jwks = json!({"keys": [{"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256",
        "x": b64(&point[1..33]), "y": b64(&point[33..65])}]});
    // Claims shaped like a user login token from the default configuration.
    let token = sign(
        &pair,
        json!({"alg": "ES256", "kid": kid, "typ": "at+jwt"}),
        json!({"iss": ISSUER, "sub": "0b9e6f0c-5d7a-4c1e-9a53-2f6d8c1b7e42", "aud": ISSUER,
            "exp": now + 900, "iat": now, "nbf": now, "jti": "Zq3XvKp1m0b6TQm2y7cR8w",
            "client_id": "tessera", "scope": "openid profile", "roles": ["user", "admin"],
            "sid": "b1f4a0d2-8c3e-4f57-9e21-6a7d5c0e3b98",
            "status": {"status_list": {"idx": 123_457, "uri": uri}}}),
    );

    let docs = Documents {
        jwks: jwks.to_string().into_bytes(),
        list: list.into_bytes(),
    };
    let verifier = Verifier::with_fetcher(Config::new(ISSUER), docs);
    // Warm the caches: the one verification that fetches.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(verifier.verify(&token))
        .expect("the token verifies");
    ready(verifier.verify(&token)).expect("warm verification");

    let (signed, sig) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    let raw = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point);
    raw.verify(signed.as_bytes(), &sig).unwrap();
    let signed = signed.to_owned();
    Fixture {
        verifier,
        token,
        raw,
        signed,
        sig,
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only in a real bench run (`cargo bench`), not when `cargo test` runs it once.
    if std::env::args().any(|a| a == "--bench") {
        let ratio = interleaved(&fixture());
        println!(
            "verify/ES256 interleaved: tessera-verify / ring-raw = {ratio:.3} (target <= 1.2)"
        );
    }
}
