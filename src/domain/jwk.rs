//! Public JWKs as published, and their RFC 7638 thumbprints (the `kid`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::Algorithm;

/// A published public key: only public members, by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    #[serde(flatten)]
    pub params: PublicParams,
    pub kid: String,
    pub alg: Algorithm,
    #[serde(rename = "use")]
    pub use_: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kty")]
pub enum PublicParams {
    #[serde(rename = "EC")]
    Ec { crv: String, x: String, y: String },
    #[serde(rename = "RSA")]
    Rsa { n: String, e: String },
}

/// The required members in lexicographic order, as RFC 7638 §3 hashes them.
#[derive(Serialize)]
struct EcThumbprintInput<'a> {
    crv: &'a str,
    kty: &'a str,
    x: &'a str,
    y: &'a str,
}

#[derive(Serialize)]
struct RsaThumbprintInput<'a> {
    e: &'a str,
    kty: &'a str,
    n: &'a str,
}

impl PublicParams {
    /// The RFC 7638 SHA-256 thumbprint, base64url without padding.
    pub fn thumbprint(&self) -> String {
        let canonical = match self {
            Self::Ec { crv, x, y } => serde_json::to_vec(&EcThumbprintInput {
                crv,
                kty: "EC",
                x,
                y,
            }),
            Self::Rsa { n, e } => serde_json::to_vec(&RsaThumbprintInput { e, kty: "RSA", n }),
        }
        .expect("plain strings serialize");
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, &canonical))
    }
}

impl PublicJwk {
    /// A signing JWK whose `kid` is its own thumbprint.
    pub fn new(alg: Algorithm, params: PublicParams) -> Self {
        Self {
            kid: params.thumbprint(),
            params,
            alg,
            use_: "sig".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1: the example RSA key and its published thumbprint.
    #[test]
    fn rfc7638_example_thumbprint() {
        let params = PublicParams::Rsa {
            n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into(),
            e: "AQAB".into(),
        };
        assert_eq!(
            params.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn serializes_only_public_members() {
        let jwk = PublicJwk::new(
            Algorithm::Es256,
            PublicParams::Ec {
                crv: "P-256".into(),
                x: "eA".into(),
                y: "eQ".into(),
            },
        );
        let value = serde_json::to_value(&jwk).unwrap();
        let mut keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
        assert_eq!(value["kty"], "EC");
        assert_eq!(value["use"], "sig");
        let back: PublicJwk = serde_json::from_value(value).unwrap();
        assert_eq!(back, jwk);
    }
}
