//! HTTP behind a small trait, so that tests, benches and other HTTP stacks can stand
//! in for the default reqwest client.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed future: fetches are rare (once per max-age), so one allocation is nothing.
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Fetched, FetchError>> + Send + 'a>>;

/// What a conditional GET answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `200` with its body, `ETag` and `Cache-Control: max-age`.
    Body {
        body: Vec<u8>,
        etag: Option<String>,
        max_age: Option<Duration>,
    },
    /// `304 Not Modified`: the held copy is current; `max-age` of the answer.
    NotModified { max_age: Option<Duration> },
}

/// A failed fetch: unreachable, a status other than 200/304, a truncated or oversized
/// body. The verifier keeps its last good copy (within its bound) and says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);

/// A conditional HTTP GET. `etag` goes in `If-None-Match`; `accept` is the media
/// type asked for. Implementations must not follow redirects to other origins.
pub trait Fetch: Send + Sync + 'static {
    fn get<'a>(
        &'a self,
        url: &'a str,
        etag: Option<&'a str>,
        accept: &'static str,
    ) -> FetchFuture<'a>;
}

#[cfg(feature = "reqwest")]
pub use self::reqwest_fetch::ReqwestFetcher;

#[cfg(feature = "reqwest")]
mod reqwest_fetch {
    use super::*;
    use reqwest::{header, redirect, Client, StatusCode};

    /// Bodies larger than this are refused (a JWKS or a list of millions of tokens is
    /// far smaller).
    const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

    /// The default [`Fetch`]: reqwest, no redirects, a timeout on every request.
    #[derive(Debug, Clone)]
    pub struct ReqwestFetcher {
        client: Client,
    }

    impl ReqwestFetcher {
        /// A client whose every request gives up after `timeout`.
        pub fn new(timeout: Duration) -> Result<Self, FetchError> {
            let client = Client::builder()
                .timeout(timeout)
                .redirect(redirect::Policy::none())
                .build()
                .map_err(|e| FetchError(e.to_string()))?;
            Ok(Self { client })
        }

        /// Uses a client built elsewhere (proxies, TLS roots); it should not follow
        /// redirects.
        pub fn with_client(client: Client) -> Self {
            Self { client }
        }
    }

    fn chain(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        text
    }

    impl Fetch for ReqwestFetcher {
        fn get<'a>(
            &'a self,
            url: &'a str,
            etag: Option<&'a str>,
            accept: &'static str,
        ) -> FetchFuture<'a> {
            Box::pin(async move {
                let mut request = self.client.get(url).header(header::ACCEPT, accept);
                if let Some(tag) = etag {
                    request = request.header(header::IF_NONE_MATCH, tag);
                }
                let mut res = request.send().await.map_err(|e| FetchError(chain(&e)))?;
                let max_age = res
                    .headers()
                    .get(header::CACHE_CONTROL)
                    .and_then(|v| v.to_str().ok())
                    .and_then(crate::freshness::max_age);
                match res.status() {
                    StatusCode::NOT_MODIFIED => return Ok(Fetched::NotModified { max_age }),
                    StatusCode::OK => {}
                    status => return Err(FetchError(format!("{url} answered {status}"))),
                }
                let etag = res
                    .headers()
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let mut body = Vec::new();
                while let Some(chunk) = res.chunk().await.map_err(|e| FetchError(chain(&e)))? {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(FetchError(format!(
                            "{url}: body over {MAX_BODY_BYTES} bytes"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Fetched::Body {
                    body,
                    etag,
                    max_age,
                })
            })
        }
    }
}
