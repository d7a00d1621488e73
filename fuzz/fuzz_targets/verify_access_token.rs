//! The access-token verifier on hostile input, two ways per input:
//! the bytes as token text (seeded with real minted tokens), and the bytes as a
//! recipe for a token whose segments are base64url of fuzzer-chosen JSON, so the
//! fuzzer reaches the header, key and claims checks instead of dying in base64.
//!
//! Besides "never panics", one security property: nothing is accepted unless its
//! header and payload are byte-identical to a token tessera minted, since only
//! tessera holds the keys. (Not the whole token: an ES256 signature (r, s) has a
//! twin (r, n - s) that verifies as well; see seeds/.../seed-es256-twin-signature.
//! Harmless, as revocation keys on `jti`, never on the token's bytes.)

#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use tessera::tokens::{verify_signed, Rejection, MAX_TOKEN_BYTES};
use tessera_fuzz::{fixture, Fixture, AUDIENCE, ISSUER, NOW, REVOKED_KID};

#[derive(Arbitrary, Debug)]
enum Text {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Header {
    /// The header segment of a minted token, byte for byte.
    Minted(u8),
    Fields {
        alg: Text,
        kid: Kid,
        typ: Text,
        extra: Option<(String, String)>,
        drop: Option<u8>,
    },
    Json(String),
}

#[derive(Arbitrary, Debug)]
enum Kid {
    Es256,
    Rs256,
    Revoked,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Time {
    Near(i16),
    Any(i64),
    NotANumber(String),
}

#[derive(Arbitrary, Debug)]
enum Aud {
    One(Text),
    Many(Vec<Text>),
}

#[derive(Arbitrary, Debug)]
struct Claims {
    iss: Text,
    aud: Aud,
    exp: Time,
    iat: Time,
    nbf: Time,
    sub: String,
    roles: Option<Vec<String>>,
    extra: Option<(String, String)>,
    drop: Option<u8>,
}

#[derive(Arbitrary, Debug)]
enum Payload {
    Minted(u8),
    Claims(Box<Claims>),
    Json(String),
}

#[derive(Arbitrary, Debug)]
enum Signature {
    Minted(u8),
    Bytes(Vec<u8>),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct Recipe {
    header: Header,
    payload: Payload,
    signature: Signature,
    /// Segments past the third (a JWE shape, or junk).
    trailing: Vec<String>,
}

const ALGS: &[&str] = &["ES256", "RS256", "none", "HS256", "es256", "PS256"];
const TYPS: &[&str] = &["at+jwt", "application/at+jwt", "AT+JWT", "JWT", ""];
const ISSUERS: &[&str] = &[ISSUER, "https://auth.fuzz.test/", ""];
const AUDS: &[&str] = &[AUDIENCE, "api-2", "other", ""];

fn pick(list: &[&str], text: &Text) -> String {
    match text {
        Text::Known(i) => list[*i as usize % list.len()].to_string(),
        Text::Other(s) => s.clone(),
    }
}

fn segment(f: &Fixture, i: u8, which: usize) -> String {
    let token = &f.minted[i as usize % f.minted.len()];
    token.split('.').nth(which).unwrap_or_default().to_string()
}

fn time(t: &Time) -> Value {
    match t {
        Time::Near(d) => json!(NOW + i64::from(*d)),
        Time::Any(v) => json!(v),
        Time::NotANumber(s) => json!(s),
    }
}

fn finish(
    mut object: Map<String, Value>,
    extra: &Option<(String, String)>,
    drop: Option<u8>,
) -> String {
    if let Some(i) = drop.filter(|_| !object.is_empty()) {
        let key = object.keys().nth(i as usize % object.len()).cloned();
        object.remove(&key.unwrap_or_default());
    }
    if let Some((k, v)) = extra {
        object.insert(k.clone(), json!(v));
    }
    Value::Object(object).to_string()
}

fn header(f: &Fixture, h: &Header) -> String {
    let json = match h {
        Header::Minted(i) => return segment(f, *i, 0),
        Header::Json(s) => s.clone(),
        Header::Fields {
            alg,
            kid,
            typ,
            extra,
            drop,
        } => {
            let kid = match kid {
                Kid::Es256 => f.es256_kid.clone(),
                Kid::Rs256 => f.rs256_kid.clone(),
                Kid::Revoked => REVOKED_KID.to_string(),
                Kid::Other(s) => s.clone(),
            };
            let mut object = Map::new();
            object.insert("alg".into(), json!(pick(ALGS, alg)));
            object.insert("kid".into(), json!(kid));
            object.insert("typ".into(), json!(pick(TYPS, typ)));
            finish(object, extra, *drop)
        }
    };
    URL_SAFE_NO_PAD.encode(json)
}

fn payload(f: &Fixture, p: &Payload) -> String {
    let json = match p {
        Payload::Minted(i) => return segment(f, *i, 1),
        Payload::Json(s) => s.clone(),
        Payload::Claims(claims) => {
            let Claims {
                iss,
                aud,
                exp,
                iat,
                nbf,
                sub,
                roles,
                extra,
                drop,
            } = &**claims;
            let aud = match aud {
                Aud::One(t) => json!(pick(AUDS, t)),
                Aud::Many(list) => json!(list.iter().map(|t| pick(AUDS, t)).collect::<Vec<_>>()),
            };
            let mut object = Map::new();
            object.insert("iss".into(), json!(pick(ISSUERS, iss)));
            object.insert("sub".into(), json!(sub));
            object.insert("aud".into(), aud);
            object.insert("exp".into(), time(exp));
            object.insert("iat".into(), time(iat));
            object.insert("nbf".into(), time(nbf));
            object.insert("jti".into(), json!("jti"));
            object.insert("client_id".into(), json!("tessera"));
            object.insert("scope".into(), json!("openid"));
            if let Some(roles) = roles {
                object.insert("roles".into(), json!(roles));
            }
            finish(object, extra, *drop)
        }
    };
    URL_SAFE_NO_PAD.encode(json)
}

fn signature(f: &Fixture, s: &Signature) -> String {
    match s {
        Signature::Minted(i) => segment(f, *i, 2),
        Signature::Bytes(b) => URL_SAFE_NO_PAD.encode(b),
        Signature::Text(t) => t.clone(),
    }
}

fn check(f: &Fixture, token: &str) {
    match verify_signed(token, &f.ring, &f.expect, NOW) {
        Ok(claims) => {
            assert!(
                f.signed_by_tessera(token),
                "accepted a header and payload tessera never signed: {token:?}"
            );
            assert!(claims.exp > NOW && claims.iss == ISSUER);
        }
        Err(Rejection::TooLarge) => assert!(token.len() > MAX_TOKEN_BYTES),
        Err(_) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    if let Ok(text) = std::str::from_utf8(data) {
        check(f, text);
    }
    if let Ok(recipe) = Recipe::arbitrary_take_rest(Unstructured::new(data)) {
        let mut token = format!(
            "{}.{}.{}",
            header(f, &recipe.header),
            payload(f, &recipe.payload),
            signature(f, &recipe.signature)
        );
        for extra in &recipe.trailing {
            token.push('.');
            token.push_str(extra);
        }
        check(f, &token);
    }
});
