//! Consents: what a user allowed a client that is not first party, remembered so the
//! user is asked again only for more.

use super::covers;
use crate::domain::{ClientId, RevocationReason, UserId};
use crate::sessions::{SessionError, SessionService};
use crate::storage::ConsentRow;

/// The union of two scopes, in order of first appearance.
fn union(a: &str, b: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    for w in a.split(' ').chain(b.split(' ')).filter(|w| !w.is_empty()) {
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words.join(" ")
}

impl SessionService {
    /// The scope the user allowed the client, if any.
    pub async fn consented_scope(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<String>, SessionError> {
        Ok(self
            .store
            .consent(&UserId::new(user_id), &ClientId::new(client_id))
            .await?)
    }

    /// Remembers that the user allowed the client `scope`, beside what it allowed before.
    pub async fn record_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scope: &str,
    ) -> Result<(), SessionError> {
        let before = self.consented_scope(user_id, client_id).await?;
        if before.as_deref().is_some_and(|b| covers(b, scope)) {
            return Ok(());
        }
        self.store
            .grant_consent(&ConsentRow {
                user_id: user_id.to_owned(),
                client_id: client_id.to_owned(),
                scope: union(before.as_deref().unwrap_or(""), scope),
                granted_at: self.clock.unix(),
            })
            .await?;
        Ok(())
    }

    pub async fn consents_of(&self, user_id: &str) -> Result<Vec<ConsentRow>, SessionError> {
        Ok(self.store.consents_of(&UserId::new(user_id)).await?)
    }

    /// Forgets the consent and revokes the families the client holds for the user: a
    /// withdrawn permission leaves no token behind. `Ok(false)` if there was none.
    pub async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<bool, SessionError> {
        let (Some(user), Some(client)) = (UserId::parse(user_id), ClientId::parse(client_id))
        else {
            return Ok(false);
        };
        match self.store.revoke_consent(&user, &client).await? {
            None => Ok(false),
            Some(families) => {
                self.revoke_families(&families, RevocationReason::Revoked)
                    .await?;
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_keeps_each_scope_once() {
        assert_eq!(union("openid email", "email api"), "openid email api");
        assert_eq!(union("", "openid"), "openid");
    }
}
