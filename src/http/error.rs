//! The one HTTP error: JSON `{"error","error_description"}`, the right status,
//! `WWW-Authenticate` on 401 and `Retry-After` where a retry helps. Unexpected
//! failures become an opaque 500 whose cause is logged, never echoed. The services'
//! own errors become HTTP answers in `error_mapping.rs`, and nowhere else.

use std::borrow::Cow;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub use super::error_code::ErrorCode;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    description: Cow<'static, str>,
    retry_after: Option<u64>,
    cause: Option<anyhow::Error>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub error_description: &'a str,
}

/// Seconds a client should wait before retrying when the database is down.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

impl ApiError {
    /// An error with the status its code usually has (`ErrorCode::status`).
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status: code.status(),
            code,
            description: description.into(),
            retry_after: None,
            cause: None,
        }
    }

    /// The same code under another status, where the contract says so (an
    /// `invalid_grant` login is a 401, an oversized body an `invalid_request` 413).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn bad_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    /// 401 for a missing, malformed, expired or revoked bearer token.
    pub fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, description)
    }

    pub fn forbidden(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InsufficientScope, description)
    }

    pub fn not_found(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotFound, description)
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self::new(ErrorCode::TooManyRequests, "too many attempts; retry later")
            .with_retry_after(retry_after)
    }

    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::TemporarilyUnavailable,
            "the service is temporarily unavailable; retry later",
        )
        .with_retry_after(UNAVAILABLE_RETRY_SECS)
    }

    /// A failure the client cannot act on. The cause is logged when the response is built.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(ErrorCode::ServerError, "internal error");
        e.cause = Some(cause.into());
        e
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    /// The JSON error response for a bare status, used where a framework produced the error.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, description) = match status {
            StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such resource"),
            StatusCode::METHOD_NOT_ALLOWED => (
                ErrorCode::MethodNotAllowed,
                "method not allowed on this resource",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => {
                (ErrorCode::InvalidRequest, "request body is over 64 KiB")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                (ErrorCode::InvalidRequest, "unsupported content type")
            }
            s if s.is_server_error() => (ErrorCode::ServerError, "internal error"),
            _ => (ErrorCode::InvalidRequest, "the request is invalid"),
        };
        Self::new(code, description).with_status(status)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(cause) = &self.cause {
            tracing::error!(error = ?cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            // Quotes and backslashes cannot occur in our codes or descriptions.
            response.insert_header((
                header::WWW_AUTHENTICATE,
                format!(
                    r#"Bearer error="{}", error_description="{}""#,
                    self.code.as_str(),
                    self.description
                ),
            ));
        }
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.json(ErrorBody {
            error: self.code.as_str(),
            error_description: &self.description,
        })
    }
}
