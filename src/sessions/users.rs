use serde::Serialize;

use super::SessionError;
use super::{RevocationReason, SessionService};
use crate::domain::{Email, Password, UserId};
use crate::storage::UserRow;
use crate::tokens::random_id;

/// A user as the admin API shows it: never the password hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        Self {
            id: u.id,
            email: u.email,
            roles: u.roles,
            disabled: u.disabled_at.is_some(),
            created_at: chrono::DateTime::from_timestamp(u.created_at, 0),
        }
    }
}

/// Roles are single words: they travel space separated in storage.
fn valid_role(role: &str) -> bool {
    !role.is_empty()
        && role.len() <= 64
        && role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-:.".contains(&b))
}

impl SessionService {
    /// Creates a user; `Ok(None)` when the e-mail is taken.
    pub async fn create_user(
        &self,
        email: &str,
        password: String,
        roles: Vec<String>,
    ) -> Result<Option<UserView>, SessionError> {
        let email = Email::parse(email).map_err(|m| SessionError::Invalid(format!("email {m}")))?;
        let password = Password::parse(password)
            .map_err(|m| SessionError::Invalid(format!("password {m}")))?;
        if let Some(bad) = roles.iter().find(|r| !valid_role(r)) {
            return Err(SessionError::Invalid(format!(
                "role `{bad}` is not a word of letters, digits, _-:."
            )));
        }
        let mut roles = roles;
        roles.sort();
        roles.dedup();
        let row = UserRow {
            id: random_id(),
            email: email.into_inner(),
            password_hash: self.passwords.hash(password.expose().to_owned()).await?,
            roles,
            disabled_at: None,
            sessions_revoked_at: None,
            created_at: self.clock.unix(),
        };
        Ok(self.store.insert_user(&row).await?.then(|| row.into()))
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserView>, SessionError> {
        let Some(id) = UserId::parse(id) else {
            return Ok(None);
        };
        Ok(self.store.user_by_id(&id).await?.map(UserView::from))
    }

    /// Revokes every family of the user and every access token issued before now.
    pub async fn revoke_user_sessions(&self, id: &str) -> Result<bool, SessionError> {
        let Some(id) = UserId::parse(id) else {
            return Ok(false);
        };
        let found = self
            .store
            .revoke_user_sessions(&id, self.clock.unix_time())
            .await?;
        Ok(self.counted(found, RevocationReason::RevokeSessions))
    }

    /// Disables the account: no more logins or refreshes, and its tokens stop working.
    pub async fn disable_user(&self, id: &str) -> Result<bool, SessionError> {
        let Some(id) = UserId::parse(id) else {
            return Ok(false);
        };
        let found = self.store.disable_user(&id, self.clock.unix_time()).await?;
        Ok(self.counted(found, RevocationReason::UserDisabled))
    }

    /// Counts a revocation of the user's families when `found` says there was a user.
    pub(super) fn counted(&self, found: bool, reason: RevocationReason) -> bool {
        if found {
            self.metrics
                .families_revoked
                .with_label_values(&[reason.as_str()])
                .inc();
        }
        found
    }

    /// Creates the configured admin unless that e-mail already exists.
    pub async fn bootstrap_admin(&self, email: &str, password: String) -> Result<(), SessionError> {
        // Looked up first: a restart must not wait for a password hash it would throw
        // away (argon2 is the largest part of start-up on an existing database).
        if let Ok(parsed) = Email::parse(email) {
            if self.store.user_by_email(&parsed).await?.is_some() {
                tracing::debug!("bootstrap admin already exists");
                return Ok(());
            }
        }
        match self
            .create_user(email, password, vec!["admin".into()])
            .await?
        {
            Some(user) => tracing::info!(user = %user.id, "bootstrap admin created"),
            None => tracing::debug!("bootstrap admin already exists"),
        }
        Ok(())
    }
}
