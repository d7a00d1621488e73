//! A tower layer: requests whose bearer token verifies reach the inner service with
//! the claims in their extensions (as [`Verified`]); the rest are answered 401 (or
//! 503 when the verifier fails closed) without reaching it. With axum:
//! `Router::new().route(...).layer(VerifyLayer::new(verifier))`, and handlers take
//! `Extension<Verified>`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{header, HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::{bearer_token, refusal, AccessClaims, Verifier};

/// The claims of the request's verified bearer token, in its extensions.
#[derive(Debug, Clone)]
pub struct Verified(pub AccessClaims);

#[derive(Clone)]
pub struct VerifyLayer {
    verifier: Verifier,
}

impl VerifyLayer {
    pub fn new(verifier: Verifier) -> Self {
        Self { verifier }
    }
}

impl<S> Layer<S> for VerifyLayer {
    type Service = VerifyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        VerifyService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

#[derive(Clone)]
pub struct VerifyService<S> {
    inner: S,
    verifier: Verifier,
}

fn refused<B: From<String>>(error: Option<&crate::VerifyError>) -> Response<B> {
    let (status, body, challenge) = refusal(error);
    let mut res = Response::new(B::from(body));
    *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for VerifyService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready serves this request; its clone waits for
        // the next one (tower's documented pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned);
        Box::pin(async move {
            let Some(token) = token else {
                return Ok(refused(None));
            };
            match verifier.verify(&token).await {
                Ok(claims) => {
                    req.extensions_mut().insert(Verified(claims));
                    inner.call(req).await
                }
                Err(e) => Ok(refused(Some(&e))),
            }
        })
    }
}
