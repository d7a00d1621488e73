//! Refresh tokens: the issue time in milliseconds (48 bits), 256 random bits, then a
//! 128-bit MAC of both (`refresh_mac`), in base64url. The database stores only a lookup
//! key: that issue time, then the token's SHA-256.
//!
//! Why the time leads the key: every rotation inserts its child's key into the
//! `refresh_tokens` primary-key index. A key that is a bare hash lands on a random leaf
//! of an index that holds every token not yet purged, so each rotation dirtied a page of
//! its own, and on a large database every checkpoint copied and synced thousands of
//! scattered pages. Keys led by the issue time all go to the index's last pages. The
//! time is not a secret (the client knows when it logged in); the 256 random bits that
//! make the token unguessable are unchanged and are all under the hash.
//!
//! Why the MAC: any string of the right shape used to cost a database read before it
//! was known to be junk. Now only a token this authority issued gets that far.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use std::time::{SystemTime, UNIX_EPOCH};

use super::refresh_mac::{RefreshMac, TAG_BYTES};
use crate::domain::UnixTime;

const TIME_BYTES: usize = 6;
const TIME_CHARS: usize = TIME_BYTES / 3 * 4;
const RANDOM_BYTES: usize = 32;
const BODY_BYTES: usize = TIME_BYTES + RANDOM_BYTES;
/// Encoded length of the 54 bytes of a token in unpadded base64url.
const ENCODED_LEN: usize = 72;
/// Tokens issued before the MAC: the time and the random bytes (38 bytes).
const UNSIGNED_ENCODED_LEN: usize = 51;
/// Tokens issued before the time prefix: 32 random bytes, keyed by their SHA-256 alone.
const LEGACY_ENCODED_LEN: usize = 43;
// Tokens of both older shapes live until their family's absolute expiry; `RefreshMac`
// says until when they may still be looked up.

/// Where the hash starts in a lookup key: bytes from there on are as good as random.
pub const KEY_HASH_OFFSET: usize = TIME_BYTES;

/// The system clock in milliseconds, as tokens are stamped (not the authority's `Clock`:
/// the stamp only orders keys, it decides nothing).
pub fn unix_millis_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A refresh token as the client holds it. Never logged, never stored.
pub struct RefreshToken(String);

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken([redacted])")
    }
}

impl RefreshToken {
    pub fn generate(mac: &RefreshMac) -> Self {
        Self::generate_at(unix_millis_now(), mac)
    }

    /// The smallest lookup key of a token issued at `unix_millis` or later: the tokens
    /// issued in a span of time are a range of the primary-key index.
    pub fn first_key_at(unix_millis: u64) -> Vec<u8> {
        unix_millis.to_be_bytes()[8 - TIME_BYTES..].to_vec()
    }

    fn generate_at(unix_millis: u64, mac: &RefreshMac) -> Self {
        let mut bytes = [0u8; BODY_BYTES + TAG_BYTES];
        bytes[..TIME_BYTES].copy_from_slice(&unix_millis.to_be_bytes()[8 - TIME_BYTES..]);
        SystemRandom::new()
            .fill(&mut bytes[TIME_BYTES..BODY_BYTES])
            .expect("the OS random generator is available");
        let tag = mac.tag(&bytes[..BODY_BYTES]);
        bytes[BODY_BYTES..].copy_from_slice(&tag);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only tokens this authority issued: the exact shape and a MAC that
    /// verifies, or (until `mac` says otherwise) a shape issued before the MAC. Junk
    /// never reaches the database.
    pub fn parse(text: &str, mac: &RefreshMac, now: UnixTime) -> Option<Self> {
        let expected = match text.len() {
            ENCODED_LEN => BODY_BYTES + TAG_BYTES,
            UNSIGNED_ENCODED_LEN if mac.accepts_legacy(now) => BODY_BYTES,
            LEGACY_ENCODED_LEN if mac.accepts_legacy(now) => RANDOM_BYTES,
            _ => return None,
        };
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        if bytes.len() != expected {
            return None;
        }
        if text.len() == ENCODED_LEN && !mac.verify(&bytes[..BODY_BYTES], &bytes[BODY_BYTES..]) {
            return None;
        }
        Some(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database stores and looks up (the `refresh_tokens.hash` column): the
    /// issue time, then the SHA-256 of the whole token (for a legacy token, its SHA-256
    /// alone).
    pub fn lookup_key(&self) -> Vec<u8> {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        if self.0.len() == LEGACY_ENCODED_LEN {
            return digest.as_ref().to_vec();
        }
        // The 6 time bytes are exactly the first 8 characters.
        let time = URL_SAFE_NO_PAD
            .decode(&self.0[..TIME_CHARS])
            .expect("a RefreshToken holds valid base64url");
        let mut key = Vec::with_capacity(TIME_BYTES + digest.as_ref().len());
        key.extend_from_slice(&time);
        key.extend_from_slice(digest.as_ref());
        key
    }
}

#[cfg(test)]
mod tests;
