//! Writes this machine's fuzzing keys (`fixtures/keys.json`, made once, never
//! committed: key material stays out of the repository), the tokens tessera mints with
//! them, and those tokens as `verify_access_token` seeds in `fixtures/seeds/`.
//! scripts/fuzz.sh runs it before fuzzing. Run from `fuzz/`:
//!
//!   cargo run --example gen_fixtures            # mint new tokens with the existing keys
//!   cargo run --example gen_fixtures -- --new-keys

use std::fs;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tessera::domain::Algorithm;
use tessera::keys::generate;
use tessera::tokens::{mint, AccessClaims, Audience};
use tessera_fuzz::{
    build_ring, expectations, parse_keys, signing_key, FixedKey, FixedKeys, AUDIENCE, ISSUER, NOW,
    REVOKED_KID,
};

fn new_key(alg: Algorithm) -> FixedKey {
    let key = generate(alg, 2048).expect("key generation");
    FixedKey {
        alg,
        pkcs8: STANDARD.encode(key.private_pkcs8.expose()),
        jwk: key.jwk,
    }
}

fn claims(label: &str) -> AccessClaims {
    AccessClaims {
        iss: ISSUER.into(),
        sub: format!("user-{label}"),
        aud: Audience::One(AUDIENCE.into()),
        exp: NOW + 900,
        iat: NOW - 10,
        nbf: NOW - 10,
        jti: format!("jti-{label}"),
        client_id: "tessera".into(),
        scope: "openid profile".into(),
        roles: None,
        sid: None,
        status: None,
    }
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::create_dir_all(dir.join("fixtures")).unwrap();
    let keys_path = dir.join("fixtures/keys.json");
    let committed = fs::read_to_string(&keys_path).unwrap_or_default();
    let keys = if std::env::args().any(|a| a == "--new-keys") || committed.trim().is_empty() {
        let keys = FixedKeys {
            es256: new_key(Algorithm::Es256),
            rs256: new_key(Algorithm::Rs256),
        };
        fs::write(
            &keys_path,
            serde_json::to_string_pretty(&keys).unwrap() + "\n",
        )
        .unwrap();
        keys
    } else {
        parse_keys(&committed)
    };
    let es = signing_key(&keys.es256, &keys.es256.jwk.kid);
    let rs = signing_key(&keys.rs256, &keys.rs256.jwk.kid);
    let revoked = signing_key(&keys.es256, REVOKED_KID);

    // One token per verifier outcome, so the fuzzer starts next to every branch.
    let mut cases = vec![
        ("valid-es256", &es, claims("es")),
        ("valid-rs256", &rs, claims("rs")),
    ];
    let mut many = claims("many");
    many.aud = Audience::Many(vec!["other".into(), "api-2".into()]);
    many.roles = Some(vec!["admin".into(), "user".into()]);
    many.sid = Some("family-1".into());
    cases.push(("valid-es256-roles", &es, many));
    let mut expired = claims("expired");
    expired.exp = NOW;
    cases.push(("expired", &es, expired));
    let mut early = claims("early");
    early.nbf = NOW + 6;
    cases.push(("not-yet-valid", &rs, early));
    let mut issuer = claims("issuer");
    issuer.iss = "https://elsewhere.test".into();
    cases.push(("wrong-issuer", &es, issuer));
    let mut audience = claims("audience");
    audience.aud = Audience::Many(vec!["nobody".into()]);
    cases.push(("wrong-audience", &rs, audience));
    cases.push(("revoked-key", &revoked, claims("revoked")));

    let ring = build_ring(&keys);
    let expect = expectations();
    // Token seeds depend on this machine's keys, so they live beside them (ignored).
    let seeds = dir.join("fixtures/seeds");
    fs::create_dir_all(&seeds).unwrap();
    let mut listing = String::new();
    for (label, key, claims) in &cases {
        let token = mint(key, claims).expect("minting");
        let verdict = tessera::tokens::verify_signed(&token, &ring, &expect, NOW);
        assert_eq!(
            verdict.is_ok(),
            label.starts_with("valid"),
            "{label}: {verdict:?}"
        );
        listing.push_str(&format!("{label} {token}\n"));
        fs::write(seeds.join(format!("seed-{label}")), &token).unwrap();
    }
    fs::write(dir.join("fixtures/minted_tokens.txt"), listing).unwrap();
    println!("wrote {} tokens", cases.len());
}
