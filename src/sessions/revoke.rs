//! RFC 7009 revocation of a token of either kind.

use super::{RevocationReason, SessionError, SessionService};

impl SessionService {
    /// Revokes `token`, a refresh or an access token; an unknown one is not an error
    /// (RFC 7009 §2.2). `hint` (`token_type_hint`) only says which kind to try first.
    pub async fn revoke_token(&self, token: &str, hint: Option<&str>) -> Result<(), SessionError> {
        if hint == Some("access_token") {
            if !self.revoke_access_token(token).await? {
                self.revoke_refresh_token(token, RevocationReason::Revoked)
                    .await?;
            }
        } else if !self
            .revoke_refresh_token(token, RevocationReason::Revoked)
            .await?
        {
            self.revoke_access_token(token).await?;
        }
        Ok(())
    }
}
