//! The key set as one replica holds it in memory: the signing key, the published
//! verifiers, and the JWKS bytes serialized once per key-set change.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use actix_web::http::header::{EntityTag, HeaderValue};
use actix_web::web::Bytes;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use super::{KeyMaterialError, Signer, Verifier};
use crate::domain::{Algorithm, Kek, KeyState, PublicJwk, UnsealError};
use crate::storage::StoredKey;

/// The key that signs new tokens.
#[derive(Debug)]
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pub signer: Signer,
    /// The base64url JOSE header, the same for every token this key signs.
    pub header_b64: String,
}

/// The JWKS document, ready to send, with its strong `ETag` as a header value and as
/// the tag `If-None-Match` is compared with: nothing is built per request.
#[derive(Debug, Clone)]
pub struct Jwks {
    pub body: Bytes,
    pub etag: HeaderValue,
    pub tag: EntityTag,
}

#[derive(Debug)]
pub struct KeyRing {
    /// The database's key-set version this ring was built from.
    pub version: i64,
    pub signing: Option<Arc<SigningKey>>,
    pub jwks: Jwks,
    /// When the current key started signing (Unix seconds), for the key-age gauge.
    pub current_activated_at: Option<i64>,
    pub state_counts: HashMap<KeyState, usize>,
    verifiers: HashMap<String, Verifier>,
    algs: HashMap<String, Algorithm>,
    revoked: HashSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error(transparent)]
    Unseal(#[from] UnsealError),
    #[error(transparent)]
    Material(#[from] KeyMaterialError),
}

#[derive(Serialize)]
struct JwksDocument<'a> {
    keys: Vec<&'a PublicJwk>,
}

impl KeyRing {
    /// Builds the ring from every stored key. Every sealed key is opened, so a wrong
    /// KEK is noticed at start-up rather than at the next rotation.
    pub fn build(version: i64, keys: &[StoredKey], kek: &Kek) -> Result<Self, KeyRingError> {
        let mut signing = None;
        let mut current_activated_at = None;
        let mut verifiers = HashMap::new();
        let mut algs = HashMap::new();
        let mut revoked = HashSet::new();
        let mut state_counts = HashMap::new();
        for key in keys {
            *state_counts.entry(key.state).or_insert(0) += 1;
            let private = match &key.sealed_private {
                Some(sealed) => Some(kek.unseal(&key.kid, sealed)?),
                None => None,
            };
            match key.state {
                KeyState::Revoked => {
                    revoked.insert(key.kid.clone());
                }
                KeyState::Retired => {}
                published => {
                    verifiers.insert(key.kid.clone(), Verifier::from_jwk(&key.public_jwk)?);
                    algs.insert(key.kid.clone(), key.alg);
                    if published == KeyState::Current {
                        let pkcs8 = private.ok_or_else(|| KeyMaterialError::missing(&key.kid))?;
                        signing = Some(Arc::new(SigningKey {
                            kid: key.kid.clone(),
                            alg: key.alg,
                            signer: Signer::from_pkcs8(key.alg, pkcs8.expose())?,
                            header_b64: super::encode_header(key.alg, &key.kid),
                        }));
                        current_activated_at = key.activated_at;
                    }
                }
            }
        }
        Ok(Self {
            version,
            signing,
            jwks: jwks_document(keys),
            current_activated_at,
            state_counts,
            verifiers,
            algs,
            revoked,
        })
    }

    /// The verifier of a published key, chosen by `kid` alone, with its algorithm.
    pub fn verifier(&self, kid: &str) -> Option<(Algorithm, &Verifier)> {
        Some((*self.algs.get(kid)?, self.verifiers.get(kid)?))
    }

    pub fn is_revoked(&self, kid: &str) -> bool {
        self.revoked.contains(kid)
    }

    /// The algorithms of the published keys: the verification allow-list.
    pub fn published_algorithms(&self) -> Vec<Algorithm> {
        let mut algs: Vec<Algorithm> = self.algs.values().copied().collect();
        algs.sort_by_key(|a| a.as_str());
        algs.dedup();
        algs
    }
}

/// Published keys, the signing key first (some clients try the first key when in doubt).
fn jwks_document(keys: &[StoredKey]) -> Jwks {
    let order = |state: KeyState| match state {
        KeyState::Current => 0,
        KeyState::Next => 1,
        _ => 2,
    };
    let mut published: Vec<&StoredKey> = keys.iter().filter(|k| k.state.is_published()).collect();
    published.sort_by_key(|k| (order(k.state), std::cmp::Reverse(k.created_at)));
    let document = JwksDocument {
        keys: published.iter().map(|k| &k.public_jwk).collect(),
    };
    let body = serde_json::to_vec(&document).expect("JWKs serialize");
    let digest = ring::digest::digest(&ring::digest::SHA256, &body);
    let tag = EntityTag::new_strong(URL_SAFE_NO_PAD.encode(&digest.as_ref()[..18]));
    Jwks {
        etag: HeaderValue::from_str(&tag.to_string()).expect("base64url is a valid header value"),
        tag,
        body: Bytes::from(body),
    }
}
