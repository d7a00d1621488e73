//! HEAD on every GET resource (RFC 9110 §9.3.2: a server that answers GET answers
//! HEAD too). The request is routed as GET; actix's HTTP/1 codec already sends only
//! the head of a HEAD request's response, with the Content-Length GET would have had,
//! so caches and monitors that probe the JWKS or health with HEAD see the same headers.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
