//! Identifiers a request may name (client ids, user ids, key ids): checked before they
//! reach SQL, so that bytes one engine refuses in text (PostgreSQL and NUL) give the
//! same 4xx on both engines instead of a query error.

/// Longer than any id tessera issues (22 characters) or a key thumbprint (43).
pub const MAX_ID_BYTES: usize = 128;

/// 1 to [`MAX_ID_BYTES`] characters of the URL-safe alphabet (RFC 3986 unreserved).
/// Every id tessera issues is base64url, and a kid is an RFC 7638 thumbprint, so a
/// string outside this set cannot name anything stored: callers answer "not found".
pub fn is_identifier(s: &str) -> bool {
    (1..=MAX_ID_BYTES).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_ids_and_thumbprints_are_identifiers() {
        assert!(is_identifier("q2nMZ8S4n6bW0vQk3gJ0Xw"));
        assert!(is_identifier("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
    }

    #[test]
    fn hostile_strings_are_not() {
        let long = "a".repeat(MAX_ID_BYTES + 1);
        for bad in [
            "",
            "a\0b",
            "%00",
            "a b",
            "a/b",
            "а",
            "ａ",
            "\u{202e}x",
            "a\n",
            &long,
        ] {
            assert!(!is_identifier(bad), "{bad:?}");
        }
    }
}
