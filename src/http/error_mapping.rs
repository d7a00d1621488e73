//! Every service error becomes its HTTP answer here, and only here.

use super::error::{ApiError, ErrorCode};
use crate::keys::KeyError;
use crate::sessions::SessionError;
use crate::storage::StoreError;
use crate::tokens::{MintError, VerifyError};

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
            KeyError::TooEarly { retry_after } => Self::new(
                ErrorCode::RotationTooEarly,
                format!("the next key has not been served by every replica for keys.jwks_max_age yet; retry in {retry_after}s"),
            )
            .with_retry_after(u64::try_from(retry_after).unwrap_or(1)),
            KeyError::UnknownKey => Self::not_found("no signing key has that kid"),
            KeyError::Conflict => {
                Self::new(ErrorCode::Conflict, "the key set changed concurrently; retry")
            }
            other => Self::internal(other),
        }
    }
}

impl From<MintError> for ApiError {
    fn from(e: MintError) -> Self {
        match e {
            MintError::Store(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Invalid(description) => Self::bad_request(description),
            SessionError::InvalidClient => {
                Self::new(ErrorCode::InvalidClient, "client authentication failed")
            }
            SessionError::Store(e) => e.into(),
            SessionError::Mint(e) => e.into(),
            SessionError::Internal(cause) => Self::internal(cause),
        }
    }
}

impl From<VerifyError> for ApiError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Rejected(reason) => {
                tracing::info!(%reason, "access token refused");
                Self::invalid_token("the access token is invalid, expired or revoked")
            }
            VerifyError::Unavailable(e) => e.into(),
        }
    }
}
