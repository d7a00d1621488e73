//! Verifying access tokens: strict, allow-listed, and cheap to refuse.
//!
//! Only tokens shaped exactly like the ones tessera mints pass: three segments,
//! a header of `alg`, `kid` and `typ` and nothing else (so `jwk`, `jku`, `x5u`, `x5c`
//! and `crit` are refused rather than ignored), an allowed algorithm that matches the
//! key the `kid` names, a valid signature, then the claims.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::AccessClaims;
use crate::domain::Algorithm;
use crate::keys::KeyRing;

/// Longer tokens are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Replica clocks may disagree this much on `nbf` and `iat`; `exp` gets no leeway.
const CLOCK_SKEW_SECS: i64 = 5;

/// What a valid token must say.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub issuer: String,
    pub audiences: Vec<String>,
}

/// Why a token was refused. Callers answer all of them the same way (401, or
/// `active: false`); the reason goes to logs only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("token is too large")]
    TooLarge,
    #[error("token is malformed")]
    Malformed,
    #[error("algorithm is not allowed")]
    Algorithm,
    #[error("token type is not at+jwt")]
    Type,
    #[error("signing key is unknown")]
    UnknownKey,
    #[error("signing key is revoked")]
    RevokedKey,
    #[error("signature is invalid")]
    Signature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("issuer does not match")]
    Issuer,
    #[error("audience does not match")]
    Audience,
    #[error("token has been revoked")]
    Revoked,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    alg: String,
    kid: String,
    typ: String,
}

/// RFC 9068 §4: `at+jwt`, optionally with the `application/` prefix, in any case.
fn is_access_token_type(typ: &str) -> bool {
    let typ = typ.to_ascii_lowercase();
    typ == "at+jwt" || typ == "application/at+jwt"
}

fn decode(segment: &str) -> Result<Vec<u8>, Rejection> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Rejection::Malformed)
}

/// Checks the token's form, signature and claims against the key ring at `now`.
/// Revocation state (denylist, family, revoke-all) is checked by the caller.
pub fn verify_signed(
    token: &str,
    ring: &KeyRing,
    expect: &Expectations,
    now: i64,
) -> Result<AccessClaims, Rejection> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Rejection::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::Malformed);
    };
    let header: Header =
        serde_json::from_slice(&decode(header_b64)?).map_err(|_| Rejection::Malformed)?;
    // Exact, case-sensitive names: `none`, `NONE`, `HS256` and friends never get here.
    let alg: Algorithm = header.alg.parse().map_err(|_| Rejection::Algorithm)?;
    if !is_access_token_type(&header.typ) {
        return Err(Rejection::Type);
    }
    if ring.is_revoked(&header.kid) {
        return Err(Rejection::RevokedKey);
    }
    let (key_alg, verifier) = ring.verifier(&header.kid).ok_or(Rejection::UnknownKey)?;
    if key_alg != alg {
        return Err(Rejection::Algorithm);
    }
    let signature = decode(signature_b64)?;
    let signed = &token[..header_b64.len() + 1 + payload_b64.len()];
    if !verifier.verify(signed.as_bytes(), &signature) {
        return Err(Rejection::Signature);
    }
    let claims: AccessClaims =
        serde_json::from_slice(&decode(payload_b64)?).map_err(|_| Rejection::Malformed)?;
    if now >= claims.exp {
        return Err(Rejection::Expired);
    }
    if claims.nbf > now + CLOCK_SKEW_SECS || claims.iat > now + CLOCK_SKEW_SECS {
        return Err(Rejection::NotYetValid);
    }
    if claims.iss != expect.issuer {
        return Err(Rejection::Issuer);
    }
    if !claims.aud.contains_any(&expect.audiences) {
        return Err(Rejection::Audience);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests;
