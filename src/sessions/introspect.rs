//! RFC 7662 introspection of access tokens.

use serde::Serialize;

use super::SessionService;
use crate::tokens::{AccessClaims, Audience, VerifyError};

/// `{"active": false}` alone, or `active: true` with the claims of a live token.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

impl From<AccessClaims> for Introspection {
    fn from(c: AccessClaims) -> Self {
        Self {
            active: true,
            scope: Some(c.scope),
            client_id: Some(c.client_id),
            sub: Some(c.sub),
            exp: Some(c.exp),
            iat: Some(c.iat),
            nbf: Some(c.nbf),
            iss: Some(c.iss),
            aud: Some(c.aud),
            jti: Some(c.jti),
            token_type: Some("Bearer"),
            sid: c.sid,
            roles: c.roles,
        }
    }
}

impl SessionService {
    /// Anything invalid, expired, revoked, of a revoked family or key, or from before
    /// the user's last revoke-all, is simply inactive.
    pub async fn introspect(&self, token: &str) -> Result<Introspection, super::SessionError> {
        match self.tokens.verify(token).await {
            Ok(claims) => Ok(claims.into()),
            Err(VerifyError::Rejected(_)) => Ok(Introspection::default()),
            Err(VerifyError::Unavailable(e)) => Err(e.into()),
        }
    }
}
