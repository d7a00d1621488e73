//! OAuth scope syntax (RFC 6749 §3.3): what a scope token may look like and how a
//! scope string is written. Which scopes a request may have is decided in
//! `sessions::scope`; this module only knows the grammar.

/// A scope string longer than this is refused, whatever it holds.
pub const MAX_SCOPE_BYTES: usize = 1024;

/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`: printable ASCII but space, `"` and `\`.
pub fn valid_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// The tokens of a space-separated scope string, each once, in the order first given;
/// `None` when a token is malformed or the string is over [`MAX_SCOPE_BYTES`].
pub fn parse_scope(text: &str) -> Option<Vec<&str>> {
    if text.len() > MAX_SCOPE_BYTES {
        return None;
    }
    let mut tokens: Vec<&str> = Vec::new();
    // RFC 6749 §3.3 separates with single spaces; other whitespace is not a separator
    // but a malformed token, so a tab or a newline cannot smuggle anything in.
    for token in text.split(' ').filter(|t| !t.is_empty()) {
        if !valid_scope_token(token) {
            return None;
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    Some(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens_follow_rfc6749() {
        assert!(valid_scope_token("read:users"));
        assert!(valid_scope_token("a,b"));
        for bad in ["", "a b", "quote\"", "back\\slash", "é", "nul\0", "tab\t"] {
            assert!(!valid_scope_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_scope_string_is_split_on_spaces_and_deduplicated() {
        assert_eq!(parse_scope("b a  b"), Some(vec!["b", "a"]));
        assert_eq!(parse_scope(""), Some(vec![]));
        assert_eq!(parse_scope("a\tb"), None);
        assert_eq!(parse_scope("a\0"), None);
        assert_eq!(parse_scope(&"a".repeat(MAX_SCOPE_BYTES + 1)), None);
    }
}
