//! Building attack tokens by hand (base64 + serde_json), with josekit and with ring's
//! HMAC: never with tessera's own signing code, so a bug there cannot hide here.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use josekit::jwk::{Jwk, KeyPair};
use josekit::jws::{JwsSigner, ES256, RS256};
use josekit::util::der::{DerBuilder, DerType};
use josekit::util::oid::{OID_ID_EC_PUBLIC_KEY, OID_PRIME256V1, OID_RSA_ENCRYPTION};
use serde_json::{json, Value};

/// The order of the P-256 group: a valid ECDSA `r` or `s` lies in `1..n`.
pub const P256_ORDER: [u8; 32] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64_json(value: &Value) -> String {
    b64(serde_json::to_vec(value).unwrap())
}

/// `header.payload.signature` from raw header text, so odd JSON survives verbatim.
pub fn signed_raw(
    header_text: &str,
    payload: &Value,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> String {
    let input = format!("{}.{}", b64(header_text), b64_json(payload));
    let signature = sign(input.as_bytes());
    format!("{input}.{}", b64(signature))
}

pub fn signed(header: &Value, payload: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    signed_raw(&header.to_string(), payload, sign)
}

/// A compact JWS taken apart, to be altered piece by piece.
#[derive(Clone)]
pub struct Compact {
    pub header_b64: String,
    pub payload_b64: String,
    pub signature_b64: String,
}

impl Compact {
    pub fn parse(token: &str) -> Self {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "a compact JWS: {token}");
        Self {
            header_b64: parts[0].to_owned(),
            payload_b64: parts[1].to_owned(),
            signature_b64: parts[2].to_owned(),
        }
    }

    fn decode(segment: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(segment)
            .expect("a real token decodes")
    }

    pub fn header(&self) -> Value {
        serde_json::from_slice(&Self::decode(&self.header_b64)).unwrap()
    }

    pub fn payload(&self) -> Value {
        serde_json::from_slice(&Self::decode(&self.payload_b64)).unwrap()
    }

    pub fn signature(&self) -> Vec<u8> {
        Self::decode(&self.signature_b64)
    }

    pub fn signing_input(&self) -> String {
        format!("{}.{}", self.header_b64, self.payload_b64)
    }

    pub fn with_signature(&self, signature: &[u8]) -> String {
        format!("{}.{}", self.signing_input(), b64(signature))
    }

    /// The original signature over a different payload.
    pub fn with_payload(&self, payload: &Value) -> String {
        format!(
            "{}.{}.{}",
            self.header_b64,
            b64_json(payload),
            self.signature_b64
        )
    }

    /// The original signature under a different header.
    pub fn with_header_text(&self, header_text: &str) -> String {
        format!(
            "{}.{}.{}",
            b64(header_text),
            self.payload_b64,
            self.signature_b64
        )
    }
}

/// The claims of a real token, escalated to admin, with a fresh `jti`: what a forger wants.
pub fn escalated(real: &Value) -> Value {
    let mut claims = real.clone();
    claims["roles"] = json!(["admin"]);
    claims["jti"] = json!(b64(ring_random::<16>()));
    claims
}

fn ring_random<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new().fill(&mut bytes).unwrap();
    bytes
}

/// HMAC with ring: no minimum key length, so even a 32-byte `x` coordinate is a key.
pub fn hmac(alg: &str, key: &[u8], message: &[u8]) -> Vec<u8> {
    let algorithm = match alg {
        "HS256" => ring::hmac::HMAC_SHA256,
        "HS384" => ring::hmac::HMAC_SHA384,
        "HS512" => ring::hmac::HMAC_SHA512,
        other => panic!("not an HMAC algorithm: {other}"),
    };
    ring::hmac::sign(&ring::hmac::Key::new(algorithm, key), message)
        .as_ref()
        .to_vec()
}

/// A key pair the attacker made with josekit.
pub struct AttackerKey {
    pub alg: &'static str,
    signer: Box<dyn JwsSigner>,
    pub public_jwk: Jwk,
}

impl AttackerKey {
    pub fn es256() -> Self {
        let pair = ES256.generate_key_pair().unwrap();
        Self {
            alg: "ES256",
            signer: Box::new(ES256.signer_from_der(pair.to_der_private_key()).unwrap()),
            public_jwk: pair.to_jwk_public_key(),
        }
    }

    pub fn rs256() -> Self {
        let pair = RS256.generate_key_pair(2048).unwrap();
        Self {
            alg: "RS256",
            signer: Box::new(RS256.signer_from_der(pair.to_der_private_key()).unwrap()),
            public_jwk: pair.to_jwk_public_key(),
        }
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.signer.sign(message).unwrap()
    }

    pub fn public_jwk_json(&self) -> Value {
        serde_json::to_value(self.public_jwk.as_ref()).unwrap()
    }
}

/// SubjectPublicKeyInfo of a P-256 point, as `-----BEGIN PUBLIC KEY-----` holds it.
pub fn ec_spki_der(x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut der = DerBuilder::new();
    der.begin(DerType::Sequence);
    der.begin(DerType::Sequence);
    der.append_object_identifier(&OID_ID_EC_PUBLIC_KEY);
    der.append_object_identifier(&OID_PRIME256V1);
    der.end();
    der.append_bit_string_from_bytes(&[&[0x04], x, y].concat(), 0);
    der.end();
    der.build()
}

/// PKCS#1 RSAPublicKey, as `-----BEGIN RSA PUBLIC KEY-----` holds it.
pub fn rsa_pkcs1_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut der = DerBuilder::new();
    der.begin(DerType::Sequence);
    der.append_integer_from_be_slice(n, true);
    der.append_integer_from_be_slice(e, true);
    der.end();
    der.build()
}

pub fn rsa_spki_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut der = DerBuilder::new();
    der.begin(DerType::Sequence);
    der.begin(DerType::Sequence);
    der.append_object_identifier(&OID_RSA_ENCRYPTION);
    der.append_null();
    der.end();
    der.append_bit_string_from_bytes(&rsa_pkcs1_der(n, e), 0);
    der.end();
    der.build()
}

/// PEM text with 64-column lines and a final newline, as openssl writes it.
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn der_unsigned(bytes: &[u8]) -> &[u8] {
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    &bytes[first..]
}

/// The ASN.1 DER form of a raw `r || s` ECDSA signature (what OpenSSL emits, not JWS).
pub fn der_ecdsa_signature(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut der = DerBuilder::new();
    der.begin(DerType::Sequence);
    der.append_integer_from_be_slice(der_unsigned(r), true);
    der.append_integer_from_be_slice(der_unsigned(s), true);
    der.end();
    der.build()
}

/// `a - b` for 256-bit big-endian numbers with `a >= b`.
pub fn sub_256(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = u8::try_from(d).unwrap();
    }
    assert_eq!(borrow, 0, "a >= b");
    out
}

/// The JSON text of the JWK with `kid` exactly as the JWKS document serves it.
pub fn served_jwk_text(jwks_text: &str, kid: &str) -> String {
    let needle = format!("\"kid\":\"{kid}\"");
    let at = jwks_text.find(&needle).expect("the kid is served");
    // A published JWK holds no nested object: its braces are the nearest ones.
    let start = jwks_text[..at].rfind('{').unwrap();
    let end = at + jwks_text[at..].find('}').unwrap() + 1;
    jwks_text[start..end].to_owned()
}

/// RFC 7638 canonical JSON: required members only, sorted, no whitespace.
pub fn canonical_jwk_text(jwk: &Value) -> String {
    let members: &[&str] = match jwk["kty"].as_str() {
        Some("EC") => &["crv", "kty", "x", "y"],
        Some("RSA") => &["e", "kty", "n"],
        other => panic!("unexpected kty {other:?}"),
    };
    let fields: Vec<String> = members
        .iter()
        .map(|m| format!("\"{m}\":{}", jwk[*m]))
        .collect();
    format!("{{{}}}", fields.join(","))
}

pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}
