//! CORS for the endpoints a browser app on another origin calls from script (a
//! single-page app with the code flow): discovery, the JWKS, the token, revocation and
//! userinfo endpoints. Any origin may call them, without credentials
//! (`Access-Control-Allow-Origin: *`, never `Allow-Credentials`): none of them reads a
//! cookie, so a page can do there only what its own code, secret or token allows. The
//! cookie-authenticated routes (`/auth/*`, the hosted pages) get no CORS at all.
//!
//! A `Transform` rather than `middleware::from_fn`, which boxes a future per request.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::EitherBody;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{Error, HttpResponse};

/// The paths a script on another origin may call.
const OPEN_PATHS: [&str; 6] = [
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
    "/.well-known/jwks.json",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/userinfo",
];

fn is_open(path: &str) -> bool {
    OPEN_PATHS.contains(&path)
}

/// Answers preflights and adds `Access-Control-Allow-Origin` on `OPEN_PATHS` (`App::wrap`).
pub struct OpenEndpoints;

impl<S, B> Transform<S, ServiceRequest> for OpenEndpoints
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = OpenEndpointsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(OpenEndpointsService { service }))
    }
}

pub struct OpenEndpointsService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for OpenEndpointsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Cors<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let open = is_open(req.path()) && req.headers().contains_key(header::ORIGIN);
        let preflight = open
            && req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if preflight {
            let res = HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST"))
                .insert_header((
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "authorization, content-type",
                ))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
                .finish();
            return Cors::Answered {
                res: Some(req.into_response(res)),
            };
        }
        Cors::Forwarded {
            inner: self.service.call(req),
            open,
        }
    }
}

pin_project_lite::pin_project! {
    #[project = CorsProj]
    pub enum Cors<F> {
        Answered { res: Option<ServiceResponse> },
        Forwarded {
            #[pin]
            inner: F,
            open: bool,
        },
    }
}

impl<F, B> Future for Cors<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            CorsProj::Answered { res } => {
                let res = res.take().expect("a ready future is not polled again");
                Poll::Ready(Ok(res.map_into_right_body()))
            }
            CorsProj::Forwarded { inner, open } => {
                let mut res = std::task::ready!(inner.poll(cx))?;
                if *open {
                    res.headers_mut().insert(
                        header::ACCESS_CONTROL_ALLOW_ORIGIN,
                        HeaderValue::from_static("*"),
                    );
                }
                Poll::Ready(Ok(res.map_into_left_body()))
            }
        }
    }
}
