//! The request log: one span per request, whose fields every log line of the request
//! carries (`RequestSpan` wraps the whole app in startup).
//!
//! tracing-actix-web's default span takes `http.client_ip`, `http.host` and
//! `http.scheme` from `Forwarded` / `X-Forwarded-*` whoever sent them, so a log would
//! show an address the client chose. This span has the same fields, but the client
//! address is the one `client_address` decided (the one the login throttle keys on),
//! and host and scheme are the request's own `Host` and the listener's.
//!
//! This middleware replaces tracing-actix-web's `TracingLogger`, which paid on every
//! request whether or not anything was logged: a request id drawn from the operating
//! system (a `getrandom` system call), the id and the span stored in the request's
//! extensions, the route looked up again before routing, and the response body wrapped
//! so that actix could no longer write it in one piece. Here nothing is built unless
//! the log keeps `info` ([`enabled`]), the id comes from a per-thread sequence
//! ([`request_id`]), and the body goes out as the handler made it: log lines come from
//! handlers and middleware, which all run inside the span.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::{header, StatusCode, Version};
use actix_web::{Error, ResponseError};
use tracing::field::{display, Empty};
use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::{Level, Span};

use super::client_address::client_address;
use super::request_id::RequestId;

/// The root span of every request on the public listener (`App::wrap`).
pub struct RequestSpan;

impl<S, B> Transform<S, ServiceRequest> for RequestSpan
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestSpanService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestSpanService { service }))
    }
}

pub struct RequestSpanService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for RequestSpanService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = InSpan<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let span = if enabled() {
            span_of(&req)
        } else {
            Span::none()
        };
        let inner = span.in_scope(|| self.service.call(req));
        InSpan { inner, span }
    }
}

pin_project_lite::pin_project! {
    /// The rest of the request, polled inside its span; records the outcome at the end.
    pub struct InSpan<F> {
        #[pin]
        inner: F,
        span: Span,
    }
}

impl<F, B> Future for InSpan<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let outcome = std::task::ready!(this.inner.poll(cx));
        if !this.span.is_none() {
            record_outcome(this.span, &outcome);
        }
        Poll::Ready(outcome)
    }
}

/// Whether an `info` span could be kept: the global ceiling every filter sets, an
/// atomic load. Below `info` (a `warn` filter) a request builds nothing. When a filter
/// keeps `info` for some targets only, `info_span!` still decides exactly.
fn enabled() -> bool {
    Level::INFO <= STATIC_MAX_LEVEL && Level::INFO <= LevelFilter::current()
}

fn span_of(req: &ServiceRequest) -> Span {
    let client_ip = client_address(req.request());
    let route = req.match_pattern();
    let route = route.as_deref().unwrap_or("default");
    let method = req.method().as_str();
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    tracing::info_span!(
        "HTTP request",
        http.method = method,
        http.route = route,
        http.flavor = flavor(req.version()),
        http.scheme = if req.app_config().secure() {
            "https"
        } else {
            "http"
        },
        http.host = header(header::HOST),
        http.client_ip = client_ip.map(display),
        http.user_agent = header(header::USER_AGENT),
        http.target = req.uri().path_and_query().map_or("", |p| p.as_str()),
        http.status_code = Empty,
        otel.name = format_args!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = Empty,
        request_id = display(RequestId::next()),
        exception.message = Empty,
        exception.details = Empty,
    )
}

/// The status, and the error of an error response, as tracing-actix-web recorded them.
fn record_outcome<B>(span: &Span, outcome: &Result<ServiceResponse<B>, Error>) {
    match outcome {
        Ok(res) => match res.response().error() {
            Some(error) => record_error(span, res.status(), error.as_response_error()),
            None => {
                span.record("http.status_code", i32::from(res.status().as_u16()));
                span.record("otel.status_code", "OK");
            }
        },
        Err(error) => {
            let error = error.as_response_error();
            record_error(span, error.status_code(), error);
        }
    }
}

fn record_error(span: &Span, status: StatusCode, error: &dyn ResponseError) {
    // Formatted first: a workaround for https://github.com/tokio-rs/tracing/issues/1565,
    // as in tracing-actix-web.
    span.record("exception.message", display(format!("{error}")));
    span.record("exception.details", display(format!("{error:?}")));
    span.record("http.status_code", i32::from(status.as_u16()));
    if status.is_client_error() {
        span.record("otel.status_code", "OK");
    } else {
        span.record("otel.status_code", "ERROR");
    }
}

fn flavor(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2.0",
        Version::HTTP_3 => "3.0",
        _ => "unknown",
    }
}
