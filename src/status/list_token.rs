//! The Status List Token (draft-ietf-oauth-status-list §5.1): a JWT with
//! `typ: statuslist+jwt`, `sub` the list's URI, `iat`, `exp`, `ttl` and the
//! `status_list` claim, signed by the current key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::domain::Algorithm;
use crate::keys::{KeyMaterialError, SigningKey};

/// The `typ` header of a Status List Token, and (with `application/`) its media type.
pub const TYP: &str = "statuslist+jwt";

#[derive(Serialize)]
struct Header<'a> {
    alg: Algorithm,
    kid: &'a str,
    typ: &'static str,
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    iat: i64,
    exp: i64,
    ttl: u64,
    status_list: ListClaim<'a>,
}

#[derive(Serialize)]
struct ListClaim<'a> {
    bits: u8,
    lst: &'a str,
}

/// What one Status List Token says.
pub struct ListToken<'a> {
    pub uri: &'a str,
    pub iat: i64,
    pub exp: i64,
    pub ttl: u64,
    pub lst: &'a str,
}

/// Signs `token` with `key`: a compact JWS.
pub fn sign(key: &SigningKey, token: &ListToken<'_>) -> Result<String, KeyMaterialError> {
    let header = serde_json::to_vec(&Header {
        alg: key.alg,
        kid: &key.kid,
        typ: TYP,
    })
    .expect("the header serializes");
    let claims = serde_json::to_vec(&Claims {
        sub: token.uri,
        iat: token.iat,
        exp: token.exp,
        ttl: token.ttl,
        status_list: ListClaim {
            bits: 1,
            lst: token.lst,
        },
    })
    .expect("the claims serialize");
    let mut jwt = URL_SAFE_NO_PAD.encode(header);
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut jwt);
    let signature = key.signer.sign(jwt.as_bytes())?;
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
    Ok(jwt)
}
