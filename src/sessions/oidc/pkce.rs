//! PKCE (RFC 7636) with `S256` only: `plain` would hand the challenge's reader the
//! verifier, and OAuth 2.1 lets a server refuse it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`. A challenge (§4.2,
/// base64url of a SHA-256) is 43 characters of the same alphabet.
pub fn valid_verifier(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An `S256` challenge as a client sends it: base64url, no padding, of 32 bytes.
pub fn valid_challenge(text: &str) -> bool {
    text.len() == 43
        && URL_SAFE_NO_PAD
            .decode(text)
            .is_ok_and(|bytes| bytes.len() == 32)
}

/// `BASE64URL(SHA256(ASCII(verifier)))`.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ))
}

/// Whether `verifier` answers `challenge`, compared without an early exit.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    valid_verifier(verifier) && constant_time_eq(s256(verifier).as_bytes(), challenge.as_bytes())
}

/// Byte strings compared without an early exit (their lengths are not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256(verifier), challenge);
        assert!(verifier_matches(verifier, challenge));
        assert!(valid_challenge(challenge));
    }

    #[test]
    fn wrong_or_malformed_verifiers_do_not_match() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(!verifier_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge
        ));
        // The challenge itself is no verifier for itself (that would be `plain`).
        assert!(!verifier_matches(challenge, challenge));
        assert!(!verifier_matches("short", &s256("short")));
    }

    #[test]
    fn verifier_syntax_is_rfc_7636_section_4_1() {
        assert!(valid_verifier(&"a".repeat(43)));
        assert!(valid_verifier(&"-._~".repeat(32)));
        assert!(!valid_verifier(&"a".repeat(42)));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}+", "a".repeat(42))));
        assert!(!valid_verifier(&format!("{} ", "a".repeat(43))));
    }

    #[test]
    fn challenges_are_43_base64url_characters_of_32_bytes() {
        assert!(!valid_challenge(&"a".repeat(42)));
        assert!(!valid_challenge(&"a".repeat(44)));
        assert!(!valid_challenge(&format!("{}=", "a".repeat(42))));
        assert!(!valid_challenge(&format!("{}+", "a".repeat(42))));
    }
}
