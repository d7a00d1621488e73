//! Refresh-token parsing on arbitrary text: only the exact shapes tessera issues (51
//! characters of canonical base64url for 38 bytes, or the earlier 43 for 32 bytes) may
//! come back, unchanged.

#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use tessera::sessions::RefreshToken;

fuzz_target!(|text: &str| {
    let Some(token) = RefreshToken::parse(text) else {
        return;
    };
    assert_eq!(token.as_str(), text, "an accepted token round-trips");
    assert!(text.len() == 51 || text.len() == 43, "{}", text.len());
    assert!(text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    // Canonical: re-encoding the decoded bytes gives the same text, so two spellings
    // can never name one stored hash.
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .expect("accepted means decodable");
    assert_eq!(URL_SAFE_NO_PAD.encode(bytes), text);
    // The lookup key: the 6 time bytes in front of the SHA-256, none for the earlier shape.
    let time_bytes = if text.len() == 51 { 6 } else { 0 };
    assert_eq!(token.lookup_key().len(), time_bytes + 32);
});
