//! Refresh tokens: 256 random bits, base64url, stored only as their SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

/// Encoded length of 32 bytes in unpadded base64url.
const ENCODED_LEN: usize = 43;

/// A refresh token as the client holds it. Never logged, never stored.
pub struct RefreshToken(String);

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken([redacted])")
    }
}

impl RefreshToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the OS random generator is available");
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only the exact shape tessera issues, so junk never reaches the database.
    pub fn parse(text: &str) -> Option<Self> {
        let ok =
            text.len() == ENCODED_LEN && URL_SAFE_NO_PAD.decode(text).is_ok_and(|b| b.len() == 32);
        ok.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database stores and looks up.
    pub fn hash(&self) -> Vec<u8> {
        ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes())
            .as_ref()
            .to_vec()
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
        assert_eq!(RefreshToken::parse(a.as_str()).unwrap().hash(), a.hash());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn anything_else_is_refused() {
        let good = RefreshToken::generate();
        for bad in [
            "",
            "short",
            &format!("{}=", good.as_str()),
            &good.as_str()[1..],
            "eyJhbGciOiJFUzI1NiJ9.e30.sig",
        ] {
            assert!(RefreshToken::parse(bad).is_none(), "{bad:?}");
        }
        let non_canonical = format!("{}!", &good.as_str()[..42]);
        assert!(RefreshToken::parse(&non_canonical).is_none());
    }
}
