//! Where a browser is sent back: a registered URI with parameters added to its query,
//! and the origin that the pages' `Content-Security-Policy` `form-action` must allow
//! for that redirect to follow a form post.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// `application/x-www-form-urlencoded` leaves these bare; everything else is escaped.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one query component.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// `uri` with `params` appended to its query (RFC 6749 §3.1.2: a registered URI may
/// have a query of its own, which is kept). Registered URIs carry no fragment.
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(uri.len() + 128);
    out.push_str(uri);
    let mut separator = if uri.contains('?') {
        if uri.ends_with('?') || uri.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    for (name, value) in params {
        out.push_str(separator);
        out.push_str(&encode(name));
        out.push('=');
        out.push_str(&encode(value));
        separator = "&";
    }
    out
}

/// `scheme://authority` of an absolute http(s) URI, when it is safe to write into a
/// CSP source list (no spaces, `;`, `,`, quotes or other characters that would end the
/// source expression).
pub fn origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let safe = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    safe.then(|| format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_appended_and_escaped() {
        assert_eq!(
            with_query(
                "https://app.example/cb",
                &[("code", "a b"), ("state", "x&y=z")]
            ),
            "https://app.example/cb?code=a%20b&state=x%26y%3Dz"
        );
        assert_eq!(
            with_query("https://app.example/cb?tenant=7", &[("code", "c")]),
            "https://app.example/cb?tenant=7&code=c"
        );
        assert_eq!(
            with_query("https://app.example/cb?", &[("code", "c")]),
            "https://app.example/cb?code=c"
        );
        // An issuer URL as `iss` is escaped whole.
        assert_eq!(
            with_query("http://127.0.0.1:9/cb", &[("iss", "https://id.example/t")]),
            "http://127.0.0.1:9/cb?iss=https%3A%2F%2Fid.example%2Ft"
        );
    }

    #[test]
    fn origins_are_scheme_and_authority() {
        assert_eq!(
            origin("https://app.example/cb?x=1").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            origin("http://127.0.0.1:8765/cb").as_deref(),
            Some("http://127.0.0.1:8765")
        );
        assert_eq!(
            origin("http://[::1]:80/").as_deref(),
            Some("http://[::1]:80")
        );
    }

    #[test]
    fn origins_that_would_break_the_policy_are_refused() {
        for bad in [
            "com.example.app:/cb",
            "https://a.example;script-src *",
            "https://a.example 'unsafe-inline'/",
            "https:///path",
            "javascript://x",
            "https://user@a.example/",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
    }
}
