//! Minting compact JWS access tokens with the current key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use super::AccessClaims;
use crate::keys::{KeyMaterialError, SigningKey};

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("no signing key is loaded")]
    NoSigningKey,
    #[error(transparent)]
    Sign(#[from] KeyMaterialError),
    /// No status index could be leased.
    #[error(transparent)]
    Store(#[from] crate::storage::StoreError),
}

/// Signs `claims` with `key` into a compact JWS.
pub fn mint(key: &SigningKey, claims: &AccessClaims) -> Result<String, MintError> {
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    let header = &key.header_b64;
    let payload_len = base64::encoded_len(payload.len(), false).unwrap_or(0);
    let mut token = String::with_capacity(header.len() + payload_len + 2 + 350);
    token.push_str(header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    let signature = key.signer.sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// 128 random bits, base64url: for `jti` and other identifiers.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the OS random generator is available");
    URL_SAFE_NO_PAD.encode(bytes)
}
