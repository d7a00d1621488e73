//! The JWKS, parsed once per fetch into ring public keys by `kid`.
//!
//! RFC 7517 §5: members of a set whose `kty` (or curve, or `alg`) this crate does not
//! understand are skipped, not fatal, so a new kind of key published beside the
//! current ones does not stop the rest from verifying.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{
    UnparsedPublicKey, VerificationAlgorithm, ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256,
};
use serde::Deserialize;
use serde_json::Value;

use crate::Algorithm;

/// One usable public key: its algorithm and the key ring verifies with.
pub struct PublicKey {
    alg: Algorithm,
    key: UnparsedPublicKey<Vec<u8>>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey").field("alg", &self.alg).finish()
    }
}

impl PublicKey {
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify(message, signature).is_ok()
    }
}

/// The keys of one JWKS document, by `kid`.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: HashMap<String, PublicKey>,
    skipped: usize,
}

impl KeySet {
    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.get(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Members left out because this crate cannot use them.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// Parses a JWKS document. Fails only when the document is not a JWKS at all; a
    /// member it cannot use is counted in `skipped`.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<Value>,
        }
        let doc: Document =
            serde_json::from_slice(body).map_err(|e| format!("not a JWKS document: {e}"))?;
        let mut set = Self::default();
        for member in doc.keys {
            match parse_key(&member) {
                Some((kid, key)) => {
                    set.keys.insert(kid, key);
                }
                None => set.skipped += 1,
            }
        }
        Ok(set)
    }
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: String,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

fn b64(field: Option<&String>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(field?).ok()
}

/// A key this crate can verify with, or `None` for anything else. The key's `alg` must
/// be given and match its type: a key is never used with an algorithm it was not
/// published for.
fn parse_key(member: &Value) -> Option<(String, PublicKey)> {
    let jwk = Jwk::deserialize(member).ok()?;
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    let alg: Algorithm = jwk.alg.as_deref()?.parse().ok()?;
    let (verification, bytes): (&'static dyn VerificationAlgorithm, Vec<u8>) =
        match (jwk.kty.as_str(), alg) {
            ("EC", Algorithm::Es256) if jwk.crv.as_deref() == Some("P-256") => {
                let (x, y) = (b64(jwk.x.as_ref())?, b64(jwk.y.as_ref())?);
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                // An uncompressed SEC1 point: 0x04 || x || y.
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                (&ECDSA_P256_SHA256_FIXED, point)
            }
            ("RSA", Algorithm::Rs256) => {
                let (n, e) = (b64(jwk.n.as_ref())?, b64(jwk.e.as_ref())?);
                (&RSA_PKCS1_2048_8192_SHA256, rsa_public_key_der(&n, &e))
            }
            _ => return None,
        };
    Some((
        jwk.kid,
        PublicKey {
            alg,
            key: UnparsedPublicKey::new(verification, bytes),
        },
    ))
}

/// DER `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`
/// (RFC 8017 A.1.1), the form ring's RSA verification takes.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn integer(bytes: &[u8]) -> Vec<u8> {
        let trimmed = match bytes.iter().position(|&b| b != 0) {
            Some(i) => &bytes[i..],
            None => &[0][..],
        };
        let mut content = Vec::with_capacity(trimmed.len() + 1);
        if trimmed[0] & 0x80 != 0 {
            content.push(0);
        }
        content.extend_from_slice(trimmed);
        tlv(0x02, &content)
    }
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(bytes.len() - 1);
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }
    let mut body = integer(n);
    body.extend_from_slice(&integer(e));
    tlv(0x30, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn skips_members_it_cannot_use_and_keeps_the_rest() {
        let p256 = json!({"kty": "EC", "kid": "ec", "alg": "ES256", "use": "sig", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode([1u8; 32]), "y": URL_SAFE_NO_PAD.encode([2u8; 32])});
        let doc = json!({"keys": [
            {"kty": "OKP", "kid": "ed", "alg": "EdDSA", "crv": "Ed25519", "x": "AAAA"},
            {"kty": "AKP", "kid": "pq", "alg": "ML-DSA-65", "pub": "AAAA"},
            {"kty": "oct", "kid": "hmac", "alg": "HS256", "k": "c2VjcmV0"},
            {"kty": "EC", "kid": "p384", "alg": "ES384", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "EC", "kid": "enc", "alg": "ES256", "use": "enc", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "no-alg", "n": "AQAB", "e": "AQAB"},
            {"kty": "EC", "kid": "wrong-alg", "alg": "RS256", "crv": "P-256", "x": "AA", "y": "AA"},
            "not an object",
            p256,
        ]});
        let set = KeySet::parse(doc.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.skipped(), 8);
        assert_eq!(set.get("ec").unwrap().alg(), Algorithm::Es256);
        assert!(set.get("hmac").is_none() && set.get("no-alg").is_none());
    }

    #[test]
    fn a_document_that_is_not_a_jwks_fails() {
        assert!(KeySet::parse(b"{\"keys\": [").is_err());
        assert!(KeySet::parse(b"{}").is_err());
        assert!(KeySet::parse(b"<html>").is_err());
    }

    #[test]
    fn rsa_der_pads_a_high_bit_and_uses_long_lengths() {
        let der = rsa_public_key_der(&[0x80; 256], &[1, 0, 1]);
        // SEQUENCE, long length of two bytes; INTEGER of 257 bytes (leading zero).
        assert_eq!(&der[..2], &[0x30, 0x82]);
        assert_eq!(&der[4..8], &[0x02, 0x82, 0x01, 0x01]);
        assert_eq!(der[8], 0);
        assert_eq!(&der[der.len() - 5..], &[0x02, 0x03, 1, 0, 1]);
    }
}
