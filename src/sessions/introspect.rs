//! RFC 7662 introspection of access tokens.

use serde::Serialize;

use super::SessionService;
use crate::error::ApiError;
use crate::tokens::{AccessClaims, Audience, VerifyError};

/// `{"active": false}` alone, or the claims of a live token.
#[derive(Debug, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub details: Option<ActiveToken>,
}

#[derive(Debug, Serialize)]
pub struct ActiveToken {
    pub scope: String,
    pub client_id: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub iss: String,
    pub aud: Audience,
    pub jti: String,
    pub token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

impl From<AccessClaims> for ActiveToken {
    fn from(c: AccessClaims) -> Self {
        Self {
            scope: c.scope,
            client_id: c.client_id,
            sub: c.sub,
            exp: c.exp,
            iat: c.iat,
            nbf: c.nbf,
            iss: c.iss,
            aud: c.aud,
            jti: c.jti,
            token_type: "Bearer",
            sid: c.sid,
            roles: c.roles,
        }
    }
}

impl SessionService {
    /// Anything invalid, expired, revoked, of a revoked family or key, or from before
    /// the user's last revoke-all, is simply inactive.
    pub async fn introspect(&self, token: &str) -> Result<Introspection, ApiError> {
        match self.tokens.verify(token).await {
            Ok(claims) => Ok(Introspection {
                active: true,
                details: Some(claims.into()),
            }),
            Err(VerifyError::Rejected(_)) => Ok(Introspection {
                active: false,
                details: None,
            }),
            Err(VerifyError::Unavailable(e)) => Err(e),
        }
    }
}
