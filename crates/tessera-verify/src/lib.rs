//! Verifies tessera access tokens in downstream APIs, on their own: signatures against
//! the authority's JWKS, revocation against its Token Status Lists
//! (draft-ietf-oauth-status-list), both cached the way HTTP caches do.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tessera_verify::{Config, Verifier};
//!
//! let verifier = Verifier::new(Config::new("https://auth.example.com"))?;
//! let claims = verifier.verify("eyJhbGciOiJFUzI1NiIs...").await?;
//! println!("{} may {}", claims.sub, claims.scope);
//! # Ok(()) }
//! ```
//!
//! Layout: `jws` splits a compact JWS, `jwks` turns a JWKS into ring keys,
//! `status_list` decodes a list, `freshness` decides when a cached document is used or
//! fetched, `cache` applies it with one fetch in flight per document, `verifier` runs
//! the checks; `actix` and `tower` adapt it to web frameworks.

mod cache;
mod claims;
mod config;
mod error;
mod fetch;
mod freshness;
mod jwks;
mod jws;
mod status_list;
mod verifier;

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "tower")]
pub mod tower;

pub use claims::{AccessClaims, Audience, Status, StatusListRef};
pub use config::Config;
pub use error::VerifyError;
#[cfg(feature = "reqwest")]
pub use fetch::ReqwestFetcher;
pub use fetch::{Fetch, FetchError, FetchFuture, Fetched};
/// The `max-age` of a `Cache-Control` value, for [`Fetch`] implementations.
pub use freshness::max_age;
pub use jwks::{KeySet, PublicKey};
pub use jws::Algorithm;
pub use status_list::{EncodedStatusList, StatusList, StatusListError};
pub use verifier::{FetchStats, Verifier};

/// The `Authorization: Bearer` token of a header value, if it is one (RFC 6750 §2.1;
/// the scheme is case-insensitive).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The JSON body and `WWW-Authenticate` value of a refusal (RFC 6750 §3), shared by
/// the framework adapters: 401 `invalid_token`, or 503 when the verifier fails closed.
pub fn refusal(error: Option<&VerifyError>) -> (u16, String, String) {
    let description = error.map_or_else(|| "no bearer token".to_owned(), ToString::to_string);
    let (status, code) = match error {
        Some(e) if e.is_unavailable() => (503, "temporarily_unavailable"),
        Some(_) => (401, "invalid_token"),
        None => (401, "invalid_request"),
    };
    let body = serde_json::json!({"error": code, "error_description": description}).to_string();
    let challenge = match error {
        None => "Bearer".to_owned(),
        Some(_) => format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            description.replace('"', "'")
        ),
    };
    (status, body, challenge)
}
