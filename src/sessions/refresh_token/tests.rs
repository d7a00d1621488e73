use super::*;

const NOW: UnixTime = UnixTime::from_secs(1_795_000_000);

/// A MAC key whose legacy window closed before `NOW`, as on a new database.
fn mac() -> RefreshMac {
    RefreshMac::new(&[9; 32], NOW)
}

fn parse(text: &str) -> Option<RefreshToken> {
    RefreshToken::parse(text, &mac(), NOW)
}

#[test]
fn generated_tokens_parse_and_differ() {
    let a = RefreshToken::generate(&mac());
    let b = RefreshToken::generate(&mac());
    assert_ne!(a.as_str(), b.as_str());
    assert_eq!(a.as_str().len(), ENCODED_LEN);
    assert_eq!(parse(a.as_str()).unwrap().lookup_key(), a.lookup_key());
    assert_ne!(a.lookup_key(), b.lookup_key());
}

#[test]
fn a_token_under_another_key_or_with_any_bit_changed_is_refused() {
    let good = RefreshToken::generate(&mac());
    let other = RefreshMac::new(&[8; 32], NOW);
    assert!(RefreshToken::parse(good.as_str(), &other, NOW).is_none());
    let mut bytes = URL_SAFE_NO_PAD.decode(good.as_str()).unwrap();
    for i in [0, TIME_BYTES, BODY_BYTES - 1, BODY_BYTES, bytes.len() - 1] {
        bytes[i] ^= 1;
        assert!(parse(&URL_SAFE_NO_PAD.encode(&bytes)).is_none(), "byte {i}");
        bytes[i] ^= 1;
    }
    assert!(parse(&URL_SAFE_NO_PAD.encode(&bytes)).is_some());
}

#[test]
fn tokens_without_a_mac_are_looked_up_only_inside_the_legacy_window() {
    let unsigned = URL_SAFE_NO_PAD.encode([7u8; BODY_BYTES]);
    let legacy = URL_SAFE_NO_PAD.encode([7u8; RANDOM_BYTES]);
    let open = RefreshMac::new(&[9; 32], UnixTime::from_secs(NOW.secs() + 1));
    for text in [&unsigned, &legacy] {
        assert!(RefreshToken::parse(text, &open, NOW).is_some());
        assert!(
            RefreshToken::parse(text, &mac(), NOW).is_none(),
            "window closed"
        );
    }
    // A legacy token keeps its key: the SHA-256 alone.
    let token = RefreshToken::parse(&legacy, &open, NOW).unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, legacy.as_bytes());
    assert_eq!(token.lookup_key(), digest.as_ref());
}

#[test]
fn later_tokens_have_larger_keys_whatever_their_random_part() {
    let mut keys: Vec<Vec<u8>> = (0..200)
        .map(|i| RefreshToken::generate_at(1_795_000_000_000 + i / 4, &mac()).lookup_key())
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
    let before = RefreshToken::generate_at(at - 1, &mac()).lookup_key();
    let on = RefreshToken::generate_at(at, &mac()).lookup_key();
    let after = RefreshToken::generate_at(at + 1, &mac()).lookup_key();
    let first = RefreshToken::first_key_at(at);
    assert!(before < first && first <= on && on < after);
    assert!(after < RefreshToken::first_key_at(at + 2));
}

#[test]
fn the_key_is_the_time_then_the_hash_and_holds_no_random_byte() {
    let token = RefreshToken::generate(&mac());
    let decoded = URL_SAFE_NO_PAD.decode(token.as_str()).unwrap();
    let key = token.lookup_key();
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_str().as_bytes());
    assert_eq!(&key[..TIME_BYTES], &decoded[..TIME_BYTES]);
    assert_eq!(&key[TIME_BYTES..], digest.as_ref());
    assert!(!key
        .windows(RANDOM_BYTES)
        .any(|w| w == &decoded[TIME_BYTES..BODY_BYTES]));
}

#[test]
fn anything_else_is_refused() {
    let good = RefreshToken::generate(&mac());
    for bad in [
        "",
        "short",
        &format!("{}=", good.as_str()),
        &good.as_str()[1..],
        &good.as_str()[..UNSIGNED_ENCODED_LEN],
        &good.as_str()[..LEGACY_ENCODED_LEN],
        "eyJhbGciOiJFUzI1NiJ9.e30.sig",
    ] {
        assert!(parse(bad).is_none(), "{bad:?}");
    }
    let non_canonical = format!("{}!", &good.as_str()[..ENCODED_LEN - 1]);
    assert!(parse(&non_canonical).is_none());
}
