//! What the session services answer when they cannot do what was asked. The HTTP
//! layer maps each to its answer (`http::error_mapping`).

use super::ScopeError;
use crate::storage::StoreError;
use crate::tokens::MintError;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The request breaks a rule of registration (e-mail, password, role, client
    /// name or scopes); the message says which, in words fit for the client.
    #[error("{0}")]
    Invalid(String),
    /// Client authentication failed; every cause gets this one answer.
    #[error("client authentication failed")]
    InvalidClient,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mint(#[from] MintError),
    /// A failure inside tessera (a hashing thread gone, no randomness).
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// Why a login did not start a session.
#[derive(Debug)]
pub enum LoginFailure {
    /// Unknown user, wrong password or disabled account: one answer for all three.
    InvalidCredentials,
    /// Throttled: retry after this many seconds. No password was checked.
    Throttled(u64),
    Error(SessionError),
}

/// Why a refresh did not rotate.
#[derive(Debug)]
pub enum RefreshFailure {
    /// Unknown, expired, spent (reuse: the family is now revoked) or of a dead family.
    InvalidGrant,
    /// The token belongs to another client.
    WrongClient,
    /// The requested scope is more than the family was granted; nothing was spent.
    InvalidScope(ScopeError),
    Error(SessionError),
}

/// A failure's `Error` variant holds anything that is a `SessionError`, so `?` works
/// on store, mint and session results alike.
macro_rules! carries_session_errors {
    ($failure:ty) => {
        impl From<SessionError> for $failure {
            fn from(e: SessionError) -> Self {
                Self::Error(e)
            }
        }

        impl From<StoreError> for $failure {
            fn from(e: StoreError) -> Self {
                Self::Error(e.into())
            }
        }

        impl From<MintError> for $failure {
            fn from(e: MintError) -> Self {
                Self::Error(e.into())
            }
        }
    };
}

carries_session_errors!(LoginFailure);
carries_session_errors!(RefreshFailure);
