//! What the fuzz targets share: a key ring built from fixed test keys, and the tokens
//! tessera minted with them (`examples/gen_fixtures.rs` writes both).
//!
//! The keys are committed on purpose: a token in the seed corpus must verify in every
//! later run, so the ring cannot be generated afresh per process. They sign nothing
//! outside this crate.

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use tessera::domain::{Algorithm, Kek, KeyState, PublicJwk};
use tessera::keys::{encode_header, KeyRing, Signer, SigningKey};
use tessera::storage::StoredKey;
use tessera::tokens::Expectations;

/// The verifier's clock in every run; the minted tokens are valid at this instant.
pub const NOW: i64 = 1_900_000_000;
pub const ISSUER: &str = "https://auth.fuzz.test";
pub const AUDIENCE: &str = "api";
/// A published-then-revoked key: tokens naming it reach the `RevokedKey` refusal.
pub const REVOKED_KID: &str = "revoked-es256";

/// One fixed key as `fixtures/keys.json` stores it.
#[derive(Serialize, Deserialize, Clone)]
pub struct FixedKey {
    pub alg: Algorithm,
    /// PKCS#8 DER, standard base64.
    pub pkcs8: String,
    pub jwk: PublicJwk,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct FixedKeys {
    pub es256: FixedKey,
    pub rs256: FixedKey,
}

pub struct Fixture {
    pub ring: KeyRing,
    pub expect: Expectations,
    /// Every token `gen_fixtures` minted, valid or not: nobody else holds the
    /// private keys, so nothing else may ever be accepted.
    pub minted: Vec<String>,
    pub es256_kid: String,
    pub rs256_kid: String,
}

impl Fixture {
    /// Whether `token`'s signing input (header and payload, byte for byte) is one
    /// tessera signed. The signature itself may differ: ECDSA's (r, n - s) verifies
    /// too, so "byte-identical token" is not a property ES256 can give.
    pub fn signed_by_tessera(&self, token: &str) -> bool {
        let signed = |t: &str| t.rsplit_once('.').map(|(input, _)| input.to_owned());
        let input = signed(token);
        input.is_some() && self.minted.iter().any(|m| signed(m) == input)
    }
}

pub fn expectations() -> Expectations {
    Expectations {
        issuer: ISSUER.into(),
        audiences: vec![AUDIENCE.into(), "api-2".into()],
    }
}

fn pkcs8(key: &FixedKey) -> Vec<u8> {
    STANDARD
        .decode(&key.pkcs8)
        .expect("fixture PKCS#8 is base64")
}

fn stored(key: &FixedKey, kid: &str, state: KeyState, kek: &Kek) -> StoredKey {
    let sealed = (state != KeyState::Revoked).then(|| kek.seal(kid, &pkcs8(key)));
    let mut jwk = key.jwk.clone();
    jwk.kid = kid.to_string();
    StoredKey {
        kid: kid.to_string(),
        alg: key.alg,
        state,
        public_jwk: jwk,
        sealed_private: sealed,
        created_at: NOW - 10_000,
        activated_at: (state == KeyState::Current).then_some(NOW - 5_000),
        deactivated_at: None,
        retired_at: None,
        revoked_at: (state == KeyState::Revoked).then_some(NOW - 100),
    }
}

/// The ring as a replica would hold it: ES256 current, RS256 next (published, so
/// it verifies), and one revoked key.
pub fn build_ring(keys: &FixedKeys) -> KeyRing {
    let kek = Kek::generate();
    let rows = [
        stored(&keys.es256, &keys.es256.jwk.kid, KeyState::Current, &kek),
        stored(&keys.rs256, &keys.rs256.jwk.kid, KeyState::Next, &kek),
        stored(&keys.es256, REVOKED_KID, KeyState::Revoked, &kek),
    ];
    KeyRing::build(1, &rows, &kek).expect("fixture keys build a ring")
}

/// A signer for `key` under any `kid`, so fixtures can also sign as the revoked key.
pub fn signing_key(key: &FixedKey, kid: &str) -> SigningKey {
    SigningKey {
        kid: kid.to_string(),
        alg: key.alg,
        signer: Signer::from_pkcs8(key.alg, &pkcs8(key)).expect("fixture key loads"),
        header_b64: encode_header(key.alg, kid),
    }
}

pub fn parse_keys(json: &str) -> FixedKeys {
    serde_json::from_str(json).expect("fixtures/keys.json parses")
}

/// `fixtures/minted_tokens.txt`: one `label token` pair per line.
pub fn parse_minted(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(label, token)| (label.to_string(), token.to_string()))
        .collect()
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        // Read at run time, not compiled in: the keys are made on each machine by
        // `gen_fixtures` (scripts/fuzz.sh runs it) and never committed.
        let read = |name: &str| {
            let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e}; run `cargo run --example gen_fixtures`"))
        };
        let keys = parse_keys(&read("keys.json"));
        Fixture {
            ring: build_ring(&keys),
            expect: expectations(),
            minted: parse_minted(&read("minted_tokens.txt"))
                .into_iter()
                .map(|(_, token)| token)
                .collect(),
            es256_kid: keys.es256.jwk.kid,
            rs256_kid: keys.rs256.jwk.kid,
        }
    })
}
