//! `Cache-Control: no-store` unless a response says otherwise. Tokens, client secrets
//! and users' personal data must never be kept by a browser or a shared cache, and
//! deciding it per handler is how one gets forgotten (`/auth/me` and `/admin/users`
//! were). Public documents (JWKS, discovery) set their own `Cache-Control`.
//!
//! A `Transform` rather than `middleware::from_fn`, which boxes a future per request.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
use actix_web::Error;

/// Adds `Cache-Control: no-store` to responses without a `Cache-Control` (`App::wrap`).
pub struct ByDefault;

impl<S, B> Transform<S, ServiceRequest> for ByDefault
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ByDefaultService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ByDefaultService { service }))
    }
}

pub struct ByDefaultService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for ByDefaultService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = NoStore<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        NoStore {
            inner: self.service.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    pub struct NoStore<F> {
        #[pin]
        inner: F,
    }
}

impl<F, B> Future for NoStore<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut res = std::task::ready!(self.project().inner.poll(cx))?;
        let headers = res.headers_mut();
        if !headers.contains_key(CACHE_CONTROL) {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Poll::Ready(Ok(res))
    }
}
