//! Refresh-token parsing on arbitrary text: only the exact shapes tessera issues (72
//! characters of canonical base64url for 54 bytes with a MAC that verifies, or, inside
//! the legacy window, the earlier 51 for 38 bytes and 43 for 32 bytes) may come back,
//! unchanged.

#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use tessera::domain::UnixTime;
use tessera::sessions::{RefreshMac, RefreshToken};

fuzz_target!(|text: &str| {
    // The legacy window open, so every shape is reachable.
    let mac = RefreshMac::new(&[7; 32], UnixTime::from_secs(i64::MAX));
    let Some(token) = RefreshToken::parse(text, &mac, UnixTime::from_secs(0)) else {
        return;
    };
    assert_eq!(token.as_str(), text, "an accepted token round-trips");
    assert!(
        text.len() == 72 || text.len() == 51 || text.len() == 43,
        "{}",
        text.len()
    );
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
    let time_bytes = if text.len() == 43 { 0 } else { 6 };
    assert_eq!(token.lookup_key().len(), time_bytes + 32);
});
