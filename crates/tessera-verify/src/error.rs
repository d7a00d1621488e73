//! Why a token was refused.

/// A refusal. Every variant but [`VerifyError::Unavailable`] means the token is not
/// acceptable (answer 401); `Unavailable` means the verifier could not learn enough to
/// decide, because the authority has been unreachable for longer than the configured
/// staleness bound (answer 503: it fails closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("token is too large")]
    TooLarge,
    #[error("token is malformed")]
    Malformed,
    #[error("algorithm is not allowed")]
    Algorithm,
    #[error("token type is not at+jwt")]
    Type,
    #[error("the token has a crit header")]
    Critical,
    #[error("signing key is unknown")]
    UnknownKey,
    #[error("signature is invalid")]
    Signature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("issuer does not match")]
    Issuer,
    #[error("audience does not match")]
    Audience,
    #[error("token has no status claim")]
    MissingStatus,
    #[error("the status list URI is not one of the issuer's")]
    UntrustedStatusList,
    #[error("the status list holds no entry for the token's index")]
    StatusIndex,
    #[error("token has been revoked (status {0})")]
    Revoked(u8),
    #[error("cannot verify now: {0}")]
    Unavailable(String),
}

impl VerifyError {
    /// `true` when the refusal says nothing about the token (answer 503, not 401).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}
