//! The request log: one span per request, whose fields every log line of the request
//! carries (`TracingLogger::<RequestSpan>` in startup).
//!
//! tracing-actix-web's default span takes `http.client_ip`, `http.host` and
//! `http.scheme` from `Forwarded` / `X-Forwarded-*` whoever sent them, so a log would
//! show an address the client chose. This span has the same fields, but the client
//! address is the one `client_address` decided (the one the login throttle keys on),
//! and host and scheme are the request's own `Host` and the listener's.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Version};
use actix_web::{Error, HttpMessage};
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

use super::client_address::client_address;

/// The root span of every request on the public listener.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(req: &ServiceRequest) -> Span {
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
        let request_id = req.extensions().get::<RequestId>().copied();
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
            request_id = request_id.map(display),
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
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
