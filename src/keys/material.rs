//! Generating signing keys and loading them back for signing and verification.
//!
//! ES256 signs with ring, RS256 with josekit (OpenSSL): each is the faster of the
//! mandated crates for its algorithm (see bench/).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use josekit::jws::{JwsSigner, RS256};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, RsaPublicKeyComponents, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_2048_8192_SHA256,
};

use crate::domain::{Algorithm, PublicJwk, PublicParams};
use crate::secret::Secret;

/// A freshly generated key: its public JWK and its PKCS#8 private key, to be sealed.
/// The private key is wiped when this is dropped (see [`Secret`]).
pub struct GeneratedKey {
    pub jwk: PublicJwk,
    pub private_pkcs8: Secret<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
#[error("key material is unusable: {0}")]
pub struct KeyMaterialError(String);

impl KeyMaterialError {
    pub fn missing(kid: &str) -> Self {
        Self(format!("the current key {kid} has no private part"))
    }

    pub fn from_join(e: &tokio::task::JoinError) -> Self {
        Self(format!("key generation did not finish: {e}"))
    }
}

/// Generates a key. RSA generation takes tens to hundreds of milliseconds: call
/// this on a blocking thread, never on an actix worker.
pub fn generate(alg: Algorithm, rsa_bits: u32) -> Result<GeneratedKey, KeyMaterialError> {
    match alg {
        Algorithm::Es256 => {
            let rng = SystemRandom::new();
            // ring's `Document` (the PKCS#8 bytes) and `EcdsaKeyPair` are ring's own and
            // are not wiped when dropped; ring offers no way to. They live for this call.
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| KeyMaterialError("P-256 generation failed".into()))?;
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(|_| KeyMaterialError("P-256 key did not parse".into()))?;
            let point = pair.public_key().as_ref();
            // An uncompressed SEC1 point: 0x04 || x (32 bytes) || y (32 bytes).
            let params = PublicParams::Ec {
                crv: "P-256".into(),
                x: URL_SAFE_NO_PAD.encode(&point[1..33]),
                y: URL_SAFE_NO_PAD.encode(&point[33..65]),
            };
            Ok(GeneratedKey {
                jwk: PublicJwk::new(alg, params),
                private_pkcs8: Secret::new(pkcs8.as_ref().to_vec()),
            })
        }
        Algorithm::Rs256 => {
            // The pair is an OpenSSL key, freed (and, by OpenSSL, cleared) by OpenSSL.
            let pair = RS256
                .generate_key_pair(rsa_bits)
                .map_err(|e| KeyMaterialError(e.to_string()))?;
            let public = pair.to_jwk_public_key();
            let member = |name: &str| {
                public
                    .parameter(name)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| KeyMaterialError(format!("RSA JWK lacks `{name}`")))
            };
            let params = PublicParams::Rsa {
                n: member("n")?,
                e: member("e")?,
            };
            Ok(GeneratedKey {
                jwk: PublicJwk::new(alg, params),
                private_pkcs8: Secret::new(pair.to_der_private_key()),
            })
        }
    }
}

/// A private key ready to sign.
///
/// Not wiped when dropped, and cannot be: the ES256 key is ring's `EcdsaKeyPair`,
/// which keeps its private scalar in ring's own memory and does not zeroize it; the
/// RS256 key is an OpenSSL key inside josekit, whose private numbers OpenSSL clears
/// when it frees them (josekit may copy the DER while parsing; those copies are
/// josekit's). The unsealed PKCS#8 it is built from is ours and is wiped.
pub enum Signer {
    Es256 {
        pair: EcdsaKeyPair,
        rng: SystemRandom,
    },
    Rs256(josekit::jws::alg::rsassa::RsassaJwsSigner),
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

impl Signer {
    pub fn from_pkcs8(alg: Algorithm, pkcs8: &[u8]) -> Result<Self, KeyMaterialError> {
        match alg {
            Algorithm::Es256 => {
                let rng = SystemRandom::new();
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                    .map_err(|_| KeyMaterialError("sealed P-256 key did not parse".into()))?;
                Ok(Self::Es256 { pair, rng })
            }
            Algorithm::Rs256 => RS256
                .signer_from_der(pkcs8)
                .map(Self::Rs256)
                .map_err(|e| KeyMaterialError(e.to_string())),
        }
    }

    /// The raw JWS signature over `message` (R || S for ES256, PKCS#1 v1.5 for RS256).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyMaterialError> {
        match self {
            Self::Es256 { pair, rng } => pair
                .sign(rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| KeyMaterialError("ECDSA signing failed".into())),
            Self::Rs256(signer) => signer
                .sign(message)
                .map_err(|e| KeyMaterialError(e.to_string())),
        }
    }
}

/// A published public key ready to verify.
#[derive(Debug)]
pub enum Verifier {
    Es256(UnparsedPublicKey<Vec<u8>>),
    Rs256(RsaPublicKeyComponents<Vec<u8>>),
}

impl Verifier {
    pub fn from_jwk(jwk: &PublicJwk) -> Result<Self, KeyMaterialError> {
        let decode = |text: &str| {
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| KeyMaterialError("JWK member is not base64url".into()))
        };
        match (&jwk.params, jwk.alg) {
            (PublicParams::Ec { x, y, .. }, Algorithm::Es256) => {
                let mut point = vec![0x04];
                point.extend(decode(x)?);
                point.extend(decode(y)?);
                Ok(Self::Es256(UnparsedPublicKey::new(
                    &ECDSA_P256_SHA256_FIXED,
                    point,
                )))
            }
            (PublicParams::Rsa { n, e }, Algorithm::Rs256) => {
                Ok(Self::Rs256(RsaPublicKeyComponents {
                    n: decode(n)?,
                    e: decode(e)?,
                }))
            }
            _ => Err(KeyMaterialError("JWK type does not match its alg".into())),
        }
    }

    /// Checks a raw JWS signature; ring rejects out-of-range ECDSA values and wrong lengths.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Es256(key) => key.verify(message, signature).is_ok(),
            Self::Rs256(key) => key
                .verify(&RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(alg: Algorithm) {
        let key = generate(alg, 2048).unwrap();
        let signer = Signer::from_pkcs8(alg, key.private_pkcs8.expose()).unwrap();
        let verifier = Verifier::from_jwk(&key.jwk).unwrap();
        let sig = signer.sign(b"header.payload").unwrap();
        assert!(verifier.verify(b"header.payload", &sig));
        assert!(
            !verifier.verify(b"header.payloae", &sig),
            "another message fails"
        );
        let other = generate(alg, 2048).unwrap();
        assert!(!Verifier::from_jwk(&other.jwk)
            .unwrap()
            .verify(b"header.payload", &sig));
        assert_eq!(key.jwk.kid, key.jwk.params.thumbprint());
    }

    #[test]
    fn es256_signs_and_verifies() {
        round_trip(Algorithm::Es256);
    }

    #[test]
    fn rs256_signs_and_verifies() {
        round_trip(Algorithm::Rs256);
    }

    #[test]
    fn ecdsa_zero_signature_is_rejected() {
        let key = generate(Algorithm::Es256, 2048).unwrap();
        let verifier = Verifier::from_jwk(&key.jwk).unwrap();
        assert!(
            !verifier.verify(b"m", &[0u8; 64]),
            "psychic signature r = s = 0"
        );
    }
}
