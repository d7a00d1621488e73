//! The `error` codes an answer can carry: RFC 6749 §5.2's, RFC 6750 §3.1's, and the
//! contract's own. A code outside this list cannot be answered.

use actix_web::http::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    // RFC 6749 §5.2
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    // RFC 6750 §3.1
    InvalidToken,
    InsufficientScope,
    // RFC 6749 §4.1.2.1, for answers that are not redirects
    TemporarilyUnavailable,
    ServerError,
    // the contract's
    InvalidCsrf,
    EmailTaken,
    RotationTooEarly,
    Conflict,
    NotFound,
    MethodNotAllowed,
    TooManyRequests,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
            Self::InvalidCsrf => "invalid_csrf",
            Self::EmailTaken => "email_taken",
            Self::RotationTooEarly => "rotation_too_early",
            Self::Conflict => "conflict",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::TooManyRequests => "too_many_requests",
        }
    }

    /// The status an answer with this code has unless the contract says otherwise
    /// (`ApiError::with_status`).
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest
            | Self::InvalidGrant
            | Self::UnsupportedGrantType
            | Self::InvalidScope => StatusCode::BAD_REQUEST,
            Self::InvalidClient | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::UnauthorizedClient | Self::InsufficientScope | Self::InvalidCsrf => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::EmailTaken | Self::RotationTooEarly | Self::Conflict => StatusCode::CONFLICT,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
