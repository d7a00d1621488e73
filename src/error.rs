//! One error type for every HTTP answer: JSON `{"error","error_description"}`, the
//! right status, `WWW-Authenticate` on 401 and `Retry-After` where a retry helps.
//! Unexpected failures become an opaque 500 whose cause is logged, never echoed.

use std::borrow::Cow;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::keys::KeyError;
use crate::storage::StoreError;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
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
const UNAVAILABLE_RETRY_SECS: u64 = 5;

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            retry_after: None,
            cause: None,
        }
    }

    pub fn bad_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// 401 for a missing, malformed, expired or revoked bearer token.
    pub fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
    }

    pub fn forbidden(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "insufficient_scope", description)
    }

    pub fn not_found(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    pub fn conflict(code: &'static str, description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, description)
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many attempts; retry later",
        )
        .with_retry_after(retry_after)
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the service is temporarily unavailable; retry later",
        )
        .with_retry_after(UNAVAILABLE_RETRY_SECS)
    }

    /// A failure the client cannot act on. The cause is logged when the response is built.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal error",
        );
        e.cause = Some(cause.into());
        e
    }

    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The JSON error response for a bare status, used where a framework produced the error.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, description) = match status {
            StatusCode::NOT_FOUND => ("not_found", "no such resource"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("method_not_allowed", "method not allowed on this resource")
            }
            StatusCode::PAYLOAD_TOO_LARGE => ("invalid_request", "request body is over 64 KiB"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ("invalid_request", "unsupported content type"),
            s if s.is_server_error() => ("server_error", "internal error"),
            _ => ("invalid_request", "the request is invalid"),
        };
        Self::new(status, code, description)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
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
                    self.code, self.description
                ),
            ));
        }
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.json(ErrorBody {
            error: self.code,
            error_description: &self.description,
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                Self::unavailable()
            }
            other => Self::internal(other),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Store(e) => e.into(),
            KeyError::TooEarly { retry_after } => Self::conflict(
                "rotation_too_early",
                format!("the next key has not been served by every replica for keys.jwks_max_age yet; retry in {retry_after}s"),
            )
            .with_retry_after(u64::try_from(retry_after).unwrap_or(1)),
            KeyError::UnknownKey => Self::not_found("no signing key has that kid"),
            KeyError::Conflict => Self::conflict("conflict", "the key set changed concurrently; retry"),
            other => Self::internal(other),
        }
    }
}
