//! A status list as served: the signed Status List Token, ready to send, with its
//! strong `ETag`, and what it was built from, so that an unchanged list is not rebuilt.

use actix_web::http::header::{EntityTag, HeaderValue};
use actix_web::web::Bytes;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::bits::StatusBits;
use super::list_token::{sign, ListToken};
use crate::keys::{KeyMaterialError, SigningKey};

/// A signed list is re-signed after this long even when nothing changed.
pub const RESIGN_AFTER_SECS: i64 = 3_600;

/// How long a Status List Token is valid (`exp - iat`): lists are re-signed hourly,
/// so a replica cut off from its database keeps serving valid ones for a day.
pub const LIFETIME_SECS: i64 = 86_400;

/// What a list's bits are made of, and the key that signs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSource {
    pub signing_kid: String,
    pub capacity: i64,
    pub all_revoked: bool,
    /// Sorted.
    pub revoked: Vec<i64>,
}

#[derive(Debug)]
pub struct ServedList {
    pub body: Bytes,
    pub etag: HeaderValue,
    pub tag: EntityTag,
    pub signed_at: i64,
    pub source: ListSource,
}

/// Builds and signs the list `uri` from `source` at `now`.
pub fn build(
    key: &SigningKey,
    uri: &str,
    source: ListSource,
    now: i64,
    ttl: u64,
) -> Result<ServedList, KeyMaterialError> {
    let capacity = usize::try_from(source.capacity).unwrap_or(0);
    let mut bits = if source.all_revoked {
        StatusBits::all_set(capacity)
    } else {
        StatusBits::new(capacity)
    };
    for idx in &source.revoked {
        if let Ok(idx) = usize::try_from(*idx) {
            bits.set(idx);
        }
    }
    let lst = bits.lst();
    let jwt = sign(
        key,
        &ListToken {
            uri,
            iat: now,
            exp: now + LIFETIME_SECS,
            ttl,
            lst: &lst,
        },
    )?;
    let digest = ring::digest::digest(&ring::digest::SHA256, jwt.as_bytes());
    let tag = EntityTag::new_strong(URL_SAFE_NO_PAD.encode(&digest.as_ref()[..18]));
    Ok(ServedList {
        etag: HeaderValue::from_str(&tag.to_string()).expect("base64url is a valid header value"),
        tag,
        body: Bytes::from(jwt),
        signed_at: now,
        source,
    })
}
