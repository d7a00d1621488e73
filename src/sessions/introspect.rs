//! RFC 7662 introspection of access tokens.

use serde::Serialize;

use super::{AuthenticatedClient, SessionService};
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

/// Why a request may not introspect.
#[derive(Debug, PartialEq, Eq)]
pub enum IntrospectionRefusal {
    /// A client authenticated but is not registered for introspection, and no
    /// admin's bearer token came with it.
    ClientNotRegistered,
    /// Neither client credentials nor a bearer token.
    NoCredentials,
    /// A bearer token without the admin role, and no client.
    NotAdmin,
}

/// Who may introspect (RFC 7662 §2.1 leaves it to the server): a client registered
/// for it, or an admin's bearer token. `bearer_is_admin` is `None` without a bearer.
pub fn may_introspect(
    client: Option<&AuthenticatedClient>,
    bearer_is_admin: Option<bool>,
) -> Result<(), IntrospectionRefusal> {
    let admin = bearer_is_admin == Some(true);
    match (client, bearer_is_admin) {
        (Some(client), _) if client.introspection || admin => Ok(()),
        (Some(_), _) => Err(IntrospectionRefusal::ClientNotRegistered),
        (None, None) => Err(IntrospectionRefusal::NoCredentials),
        (None, Some(true)) => Ok(()),
        (None, Some(false)) => Err(IntrospectionRefusal::NotAdmin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(introspection: bool) -> AuthenticatedClient {
        AuthenticatedClient {
            id: "c".into(),
            client_type: crate::domain::ClientType::Confidential,
            scopes: vec![],
            grant_types: vec![],
            introspection,
        }
    }

    #[test]
    fn registered_clients_and_admins_may_introspect() {
        assert_eq!(may_introspect(Some(&client(true)), None), Ok(()));
        assert_eq!(may_introspect(Some(&client(false)), Some(true)), Ok(()));
        assert_eq!(may_introspect(None, Some(true)), Ok(()));
    }

    #[test]
    fn everyone_else_is_refused_with_the_reason() {
        use IntrospectionRefusal::*;
        assert_eq!(
            may_introspect(Some(&client(false)), None),
            Err(ClientNotRegistered)
        );
        assert_eq!(
            may_introspect(Some(&client(false)), Some(false)),
            Err(ClientNotRegistered)
        );
        assert_eq!(may_introspect(None, None), Err(NoCredentials));
        assert_eq!(may_introspect(None, Some(false)), Err(NotAdmin));
    }
}
