//! Which redirect URIs a client may register. Matching is exact string equality
//! (RFC 9700 §4.1.3), so these rules only decide what may be registered: an absolute
//! `https` URI, or plain `http` to a loopback address with any port for native apps
//! (RFC 8252 §7.3), without a fragment (RFC 6749 §3.1.2) or user information.

/// The longest URI accepted; browsers and proxies cut longer ones.
pub const MAX_REDIRECT_URI_BYTES: usize = 2000;

/// Why a redirect URI cannot be registered, written for the admin who sent it.
pub fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    if uri.is_empty() || uri.len() > MAX_REDIRECT_URI_BYTES {
        return Err("must be 1 to 2000 bytes");
    }
    // Whitespace would also break the space-separated list the store keeps.
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain whitespace or control characters");
    }
    let parsed = url::Url::parse(uri).map_err(|_| "must be an absolute URI")?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err("must not contain a fragment");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not contain user information");
    }
    match (parsed.scheme(), parsed.host()) {
        ("https", Some(_)) => Ok(()),
        ("http", Some(host)) if is_loopback(&host) => Ok(()),
        ("http", _) => Err("http is allowed only for loopback hosts (127.0.0.1, [::1], localhost)"),
        _ => Err("must use https"),
    }
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => *ip == std::net::Ipv4Addr::LOCALHOST,
        url::Host::Ipv6(ip) => *ip == std::net::Ipv6Addr::LOCALHOST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_accepted() {
        for ok in [
            "https://app.example.com/callback",
            "https://app.example.com/cb?tenant=1",
            "https://app.example.com:8443/",
            "http://127.0.0.1:51004/callback",
            "http://[::1]:8080/cb",
            "http://localhost/cb",
            "http://localhost:3000",
        ] {
            assert_eq!(check_redirect_uri(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        for bad in [
            "",
            "/callback",
            "app.example.com/callback",
            "http://app.example.com/callback",
            "http://127.0.0.2/cb",
            "http://localhost.evil.com/cb",
            "https://app.example.com/cb#frag",
            "https://app.example.com/cb#",
            "https://user:pw@app.example.com/cb",
            "https://user@app.example.com/cb",
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://app.example.com/cb",
            "https://app.example.com/a b",
            "https://app.example.com/\ncb",
            "com.example.app:/callback",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad:?}");
        }
        let long = format!(
            "https://app.example.com/{}",
            "a".repeat(MAX_REDIRECT_URI_BYTES)
        );
        assert!(check_redirect_uri(&long).is_err());
    }
}
