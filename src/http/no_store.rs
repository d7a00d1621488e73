//! `Cache-Control: no-store` unless a response says otherwise. Tokens, client secrets
//! and users' personal data must never be kept by a browser or a shared cache, and
//! deciding it per handler is how one gets forgotten (`/auth/me` and `/admin/users`
//! were). Public documents (JWKS, discovery) set their own `Cache-Control`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
use actix_web::middleware::Next;

pub async fn by_default(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}
