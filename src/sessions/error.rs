//! What the session services answer when they cannot do what was asked. The HTTP
//! layer maps each to its answer (`http::error_mapping`).

use crate::storage::StoreError;
use crate::tokens::{MintError, VerifyError};

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

impl From<VerifyError> for SessionError {
    /// Only for paths where a rejected token was already handled: a store failure.
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Unavailable(e) => Self::Store(e),
            VerifyError::Rejected(reason) => {
                Self::Internal(anyhow::anyhow!("unexpected token rejection: {reason}"))
            }
        }
    }
}
