//! HEAD on every GET resource (RFC 9110 §9.3.2: a server that answers GET answers
//! HEAD too). The request is routed as GET; actix's HTTP/1 codec already sends only
//! the head of a HEAD request's response, with the Content-Length GET would have had,
//! so caches and monitors that probe the JWKS or health with HEAD see the same headers.
//!
//! A `Transform` rather than `middleware::from_fn`: it hands the inner service's own
//! future back, where `from_fn` boxes one per request.

use std::future::{ready, Ready};

use actix_web::dev::{forward_ready, Service, ServiceRequest, Transform};
use actix_web::http::Method;

/// Routes HEAD requests as GET (`App::wrap`).
pub struct AsGet;

impl<S> Transform<S, ServiceRequest> for AsGet
where
    S: Service<ServiceRequest>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Transform = AsGetService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AsGetService { service }))
    }
}

pub struct AsGetService<S> {
    service: S,
}

impl<S> Service<ServiceRequest> for AsGetService<S>
where
    S: Service<ServiceRequest>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        if req.method() == Method::HEAD {
            req.head_mut().method = Method::GET;
        }
        self.service.call(req)
    }
}
