//! What a verifier trusts and how long it caches.

use std::time::Duration;

use crate::Algorithm;

/// The configuration of a [`crate::Verifier`]. Start from [`Config::new`] and adjust
/// the public fields; every default is stated on its field.
#[derive(Debug, Clone)]
pub struct Config {
    /// The authority's `issuer`: tokens must carry it as `iss`, and only status lists
    /// under `<issuer>/statuslists/` are ever fetched.
    pub issuer: String,
    /// Accepted `aud` values; a token passes when it names any of them. Default: the
    /// issuer (tessera's default `tokens.audience`).
    pub audiences: Vec<String>,
    /// Default: `<issuer>/.well-known/jwks.json`.
    pub jwks_uri: String,
    /// The `alg` allow-list. Default: ES256 and RS256 (the only ones that parse).
    pub algorithms: Vec<Algorithm>,
    /// Clock leeway on `nbf` and `iat`. Default 5 s, what the authority allows its
    /// replicas.
    pub leeway: Duration,
    /// Clock leeway on `exp` (of access tokens and of status list tokens). Default 0,
    /// as the authority.
    pub exp_leeway: Duration,
    /// Spacing of fetches that are not due to expiry: after an unknown `kid`, and
    /// after a failed fetch. Default 10 s.
    pub refetch_cooldown: Duration,
    /// How long past its max-age the last good JWKS keeps verifying while the
    /// authority cannot be reached; then the verifier fails closed. Default 1 h.
    pub max_jwks_staleness: Duration,
    /// The same bound for a status list past its `ttl`: while it lasts, revocations
    /// made since are not seen. Never past the list token's own `exp`. Default 60 s.
    pub max_status_staleness: Duration,
    /// Refuse tokens without a `status` claim. Default `true` (tessera puts one in
    /// every access token).
    pub require_status: bool,
    /// Freshness of a JWKS answered without `Cache-Control: max-age`. Default 60 s.
    pub default_max_age: Duration,
    /// Bounds on any max-age or `ttl` a document asks for (draft-ietf-oauth-status-list
    /// §12.5: check they are reasonable). Default 1 s to 1 h.
    pub min_max_age: Duration,
    pub max_max_age: Duration,
    /// The largest decompressed status list accepted. Default 16 MiB (128 M tokens).
    pub max_status_list_bytes: usize,
}

impl Config {
    pub fn new(issuer: impl Into<String>) -> Self {
        let issuer = issuer.into().trim_end_matches('/').to_owned();
        Self {
            audiences: vec![issuer.clone()],
            jwks_uri: format!("{issuer}/.well-known/jwks.json"),
            issuer,
            algorithms: vec![Algorithm::Es256, Algorithm::Rs256],
            leeway: Duration::from_secs(5),
            exp_leeway: Duration::ZERO,
            refetch_cooldown: Duration::from_secs(10),
            max_jwks_staleness: Duration::from_secs(3600),
            max_status_staleness: Duration::from_secs(60),
            require_status: true,
            default_max_age: Duration::from_secs(60),
            min_max_age: Duration::from_secs(1),
            max_max_age: Duration::from_secs(3600),
            max_status_list_bytes: 16 * 1024 * 1024,
        }
    }

    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences = vec![audience.into()];
        self
    }

    /// The URI prefix of the issuer's status lists.
    pub(crate) fn status_list_prefix(&self) -> String {
        format!("{}/statuslists/", self.issuer)
    }
}

/// Whether `uri` names one of the issuer's status lists: the prefix, then one path
/// segment of unreserved characters. Anything else (another host, a query, `..`,
/// userinfo tricks) is never fetched.
pub(crate) fn is_trusted_status_uri(prefix: &str, uri: &str) -> bool {
    uri.strip_prefix(prefix).is_some_and(|id| {
        !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_issuers_list_uris_are_trusted() {
        let prefix = Config::new("https://auth.example.com/").status_list_prefix();
        assert_eq!(prefix, "https://auth.example.com/statuslists/");
        assert!(is_trusted_status_uri(
            &prefix,
            "https://auth.example.com/statuslists/1"
        ));
        assert!(is_trusted_status_uri(
            &prefix,
            "https://auth.example.com/statuslists/a-B_9"
        ));
        for uri in [
            "https://auth.example.com/statuslists/",
            "https://auth.example.com/statuslists/../admin",
            "https://auth.example.com/statuslists/1?x=y",
            "https://auth.example.com/statuslists/1#f",
            "https://auth.example.com/statuslists/1/2",
            "https://auth.example.com.evil.net/statuslists/1",
            "https://auth.example.com@evil.net/statuslists/1",
            "http://auth.example.com/statuslists/1",
            "https://evil.net/statuslists/1",
        ] {
            assert!(!is_trusted_status_uri(&prefix, uri), "{uri}");
        }
    }
}
