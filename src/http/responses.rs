//! The error responses that many operations document, each written once: the
//! `#[utoipa::path]` attributes list these types in `responses(...)` next to
//! their own success and operation-specific answers.
//!
//! Each body is the [`ErrorBody`] every error answer carries. The types are never
//! built: they exist only for the OpenAPI document.

#![allow(dead_code, reason = "utoipa reads these types; nothing builds them")]

use std::collections::BTreeMap;

use utoipa::openapi::{RefOr, Response};
use utoipa::IntoResponses;

use super::error::ErrorBody;

/// 400: the body or form does not parse.
#[derive(IntoResponses)]
#[response(status = 400, description = "Malformed request")]
pub struct Malformed(ErrorBody<'static>);

/// 401: no usable bearer token.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "Missing, invalid, expired or revoked credentials"
)]
pub struct Unauthenticated(ErrorBody<'static>);

/// 403: a valid token without the admin role.
#[derive(IntoResponses)]
#[response(status = 403, description = "Not an admin")]
pub struct NotAdmin(ErrorBody<'static>);

/// 404: no such key, user or client.
#[derive(IntoResponses)]
#[response(status = 404, description = "Not found")]
pub struct NotFound(ErrorBody<'static>);

/// 413: the body is over the limit.
#[derive(IntoResponses)]
#[response(status = 413, description = "Body over 64 KiB")]
pub struct TooLarge(ErrorBody<'static>);

/// 429: too many failed attempts.
#[derive(IntoResponses)]
#[response(status = 429, description = "Throttled: see Retry-After")]
pub struct Throttled(ErrorBody<'static>);

/// 503: the database does not answer.
#[derive(IntoResponses)]
#[response(status = 503, description = "Database unavailable: see Retry-After")]
pub struct Unavailable(ErrorBody<'static>);

/// What every `/admin` operation may answer besides its own: 401, 403 and 503.
pub struct AdminErrors;

impl IntoResponses for AdminErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = Unauthenticated::responses();
        responses.extend(NotAdmin::responses());
        responses.extend(Unavailable::responses());
        responses
    }
}
