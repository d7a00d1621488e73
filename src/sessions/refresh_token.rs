//! Refresh tokens: the issue time in milliseconds (48 bits), then 256 random bits, in
//! base64url. The database stores only a lookup key: that issue time, then the token's
//! SHA-256.
//!
//! Why the time leads the key: every rotation inserts its child's key into the
//! `refresh_tokens` primary-key index. A key that is a bare hash lands on a random leaf
//! of an index that holds every token not yet purged, so each rotation dirtied a page of
//! its own, and on a large database every checkpoint copied and synced thousands of
//! scattered pages. Keys led by the issue time all go to the index's last pages. The
//! time is not a secret (the client knows when it logged in); the 256 random bits that
//! make the token unguessable are unchanged and are all under the hash.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use std::time::{SystemTime, UNIX_EPOCH};

const TIME_BYTES: usize = 6;
const TIME_CHARS: usize = TIME_BYTES / 3 * 4;
const RANDOM_BYTES: usize = 32;
/// Encoded length of the 38 bytes of a token in unpadded base64url.
const ENCODED_LEN: usize = 51;
/// Tokens issued before the time prefix: 32 random bytes, keyed by their SHA-256 alone.
/// They stay valid until their family's absolute expiry, so they are still accepted.
const LEGACY_ENCODED_LEN: usize = 43;

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
    pub fn generate() -> Self {
        Self::generate_at(unix_millis_now())
    }

    /// The smallest lookup key of a token issued at `unix_millis` or later: the tokens
    /// issued in a span of time are a range of the primary-key index.
    pub fn first_key_at(unix_millis: u64) -> Vec<u8> {
        unix_millis.to_be_bytes()[8 - TIME_BYTES..].to_vec()
    }

    fn generate_at(unix_millis: u64) -> Self {
        let mut bytes = [0u8; TIME_BYTES + RANDOM_BYTES];
        bytes[..TIME_BYTES].copy_from_slice(&unix_millis.to_be_bytes()[8 - TIME_BYTES..]);
        SystemRandom::new()
            .fill(&mut bytes[TIME_BYTES..])
            .expect("the OS random generator is available");
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only the exact shapes tessera issues, so junk never reaches the database.
    pub fn parse(text: &str) -> Option<Self> {
        let expected = match text.len() {
            ENCODED_LEN => TIME_BYTES + RANDOM_BYTES,
            LEGACY_ENCODED_LEN => RANDOM_BYTES,
            _ => return None,
        };
        let ok = URL_SAFE_NO_PAD
            .decode(text)
            .is_ok_and(|b| b.len() == expected);
        ok.then(|| Self(text.to_owned()))
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
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let a = RefreshToken::generate();
        let b = RefreshToken::generate();
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(a.as_str().len(), ENCODED_LEN);
        assert_eq!(
            RefreshToken::parse(a.as_str()).unwrap().lookup_key(),
            a.lookup_key()
        );
        assert_ne!(a.lookup_key(), b.lookup_key());
    }

    #[test]
    fn later_tokens_have_larger_keys_whatever_their_random_part() {
        let mut keys: Vec<Vec<u8>> = (0..200)
            .map(|i| RefreshToken::generate_at(1_795_000_000_000 + i / 4).lookup_key())
            .collect();
        let issued_order = keys.clone();
        keys.sort();
        let sorted_times: Vec<&[u8]> = keys.iter().map(|k| &k[..TIME_BYTES]).collect();
        let issued_times: Vec<&[u8]> = issued_order.iter().map(|k| &k[..TIME_BYTES]).collect();
        assert_eq!(sorted_times, issued_times);
    }

    #[test]
    fn first_key_at_bounds_the_keys_issued_from_then_on() {
        let at = 1_795_000_000_000;
        let before = RefreshToken::generate_at(at - 1).lookup_key();
        let on = RefreshToken::generate_at(at).lookup_key();
        let after = RefreshToken::generate_at(at + 1).lookup_key();
        let first = RefreshToken::first_key_at(at);
        assert!(before < first && first <= on && on < after);
        assert!(after < RefreshToken::first_key_at(at + 2));
    }

    #[test]
    fn the_key_is_the_time_then_the_hash_and_holds_no_random_byte() {
        let token = RefreshToken::generate();
        let decoded = URL_SAFE_NO_PAD.decode(token.as_str()).unwrap();
        let key = token.lookup_key();
        let digest = ring::digest::digest(&ring::digest::SHA256, token.as_str().as_bytes());
        assert_eq!(&key[..TIME_BYTES], &decoded[..TIME_BYTES]);
        assert_eq!(&key[TIME_BYTES..], digest.as_ref());
        assert!(!key
            .windows(RANDOM_BYTES)
            .any(|w| w == &decoded[TIME_BYTES..]));
    }

    #[test]
    fn legacy_tokens_keep_their_key() {
        let legacy = URL_SAFE_NO_PAD.encode([7u8; RANDOM_BYTES]);
        let token = RefreshToken::parse(&legacy).expect("43-character tokens still parse");
        let digest = ring::digest::digest(&ring::digest::SHA256, legacy.as_bytes());
        assert_eq!(token.lookup_key(), digest.as_ref());
    }

    #[test]
    fn anything_else_is_refused() {
        let good = RefreshToken::generate();
        for bad in [
            "",
            "short",
            &format!("{}=", good.as_str()),
            &good.as_str()[1..],
            &good.as_str()[..LEGACY_ENCODED_LEN + 1],
            "eyJhbGciOiJFUzI1NiJ9.e30.sig",
        ] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad:?}");
        }
        let non_canonical = format!("{}!", &good.as_str()[..ENCODED_LEN - 1]);
        assert!(RefreshToken::parse(&non_canonical).is_none());
        let trailing_bits = format!("{}B", &good.as_str()[..ENCODED_LEN - 1]);
        assert!(RefreshToken::parse(&trailing_bits).is_none());
    }
}
