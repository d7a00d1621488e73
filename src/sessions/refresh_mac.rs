//! The MAC a refresh token carries: a token tessera did not issue fails it in memory,
//! so junk never costs a database read, whatever its shape. Tokens issued before the
//! MAC existed carry none; they are accepted until `legacy_until`, the latest expiry of
//! a family that was live when the key was created (on a new database: never).

use ring::hmac;

use crate::domain::UnixTime;
use crate::secret::constant_time_eq;

/// Bytes of HMAC-SHA256 a token carries: 128 bits, as forging a tag is an online
/// guess at the token endpoint.
pub const TAG_BYTES: usize = 16;

pub struct RefreshMac {
    key: hmac::Key,
    legacy_until: UnixTime,
}

impl RefreshMac {
    pub fn new(key: &[u8], legacy_until: UnixTime) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            legacy_until,
        }
    }

    pub fn tag(&self, body: &[u8]) -> [u8; TAG_BYTES] {
        let full = hmac::sign(&self.key, body);
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&full.as_ref()[..TAG_BYTES]);
        tag
    }

    pub fn verify(&self, body: &[u8], tag: &[u8]) -> bool {
        constant_time_eq(&self.tag(body), tag)
    }

    /// Whether a token without a MAC may still be looked up at `now`.
    pub fn accepts_legacy(&self, now: UnixTime) -> bool {
        now < self.legacy_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_verifies_only_its_own_body_under_its_own_key() {
        let mac = RefreshMac::new(&[1; 32], UnixTime::from_secs(0));
        let tag = mac.tag(b"body");
        assert!(mac.verify(b"body", &tag));
        assert!(!mac.verify(b"bodY", &tag));
        assert!(!mac.verify(b"body", &tag[..TAG_BYTES - 1]));
        let other = RefreshMac::new(&[2; 32], UnixTime::from_secs(0));
        assert!(!other.verify(b"body", &tag));
    }

    #[test]
    fn legacy_tokens_are_accepted_only_before_the_cutoff() {
        let mac = RefreshMac::new(&[1; 32], UnixTime::from_secs(100));
        assert!(mac.accepts_legacy(UnixTime::from_secs(99)));
        assert!(!mac.accepts_legacy(UnixTime::from_secs(100)));
    }
}
