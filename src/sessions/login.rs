//! Password logins: throttled, timing-equal for unknown users and wrong passwords.

use super::throttle::{account_subject, address_subject, Limit};
use super::{AuthenticatedClient, Session, SessionService, FIRST_PARTY_CLIENT};
use crate::domain::password::MAX_BYTES;
use crate::domain::{Email, Password};
use crate::error::ApiError;

/// Why a login did not start a session.
#[derive(Debug)]
pub enum LoginFailure {
    /// Unknown user, wrong password or disabled account: one answer for all three.
    InvalidCredentials,
    /// Throttled: retry after this many seconds. No password was checked.
    Throttled(u64),
    Error(ApiError),
}

impl From<ApiError> for LoginFailure {
    fn from(e: ApiError) -> Self {
        Self::Error(e)
    }
}

impl From<crate::storage::StoreError> for LoginFailure {
    fn from(e: crate::storage::StoreError) -> Self {
        Self::Error(e.into())
    }
}

impl SessionService {
    /// Checks the password and starts a refresh family.
    pub async fn login(
        &self,
        email: &str,
        password: String,
        address: Option<&str>,
        client: Option<&AuthenticatedClient>,
        scope: &str,
    ) -> Result<Session, LoginFailure> {
        // Malformed input is a wrong login too: the answer must not tell which part was
        // off. Only the length cap applies: a password set before today's policy still logs in.
        let email = match Email::parse(email) {
            Ok(email) if password.len() <= MAX_BYTES => email,
            _ => {
                self.metrics.login_failures.inc();
                return Err(LoginFailure::InvalidCredentials);
            }
        };
        let password = Password::unchecked(password);
        let now = self.clock.unix();
        let account = account_subject(email.as_str());
        let address = address.map(address_subject);
        for subject in std::iter::once(&account).chain(address.as_ref()) {
            if let Some(until) = self.store.blocked_until(subject, now).await? {
                self.metrics.login_failures.inc();
                tracing::info!(reason = "throttled", "login refused");
                return Err(LoginFailure::Throttled(
                    u64::try_from(until - now).unwrap_or(1).max(1),
                ));
            }
        }
        let user = self.store.user_by_email(email.as_str()).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let matched = self
            .passwords
            .verify(password.expose().to_owned(), hash)
            .await?;
        let user = match user {
            Some(user) if matched && user.disabled_at.is_none() => user,
            _ => {
                self.metrics.login_failures.inc();
                self.count_failure(&account, self.throttle.account, now)
                    .await?;
                if let Some(address) = &address {
                    self.count_failure(address, self.throttle.address, now)
                        .await?;
                }
                tracing::info!(reason = "invalid_credentials", "login failed");
                return Err(LoginFailure::InvalidCredentials);
            }
        };
        self.store.clear_failures(&account).await?;
        let client_id = client.map_or(FIRST_PARTY_CLIENT, |c| c.id.as_str());
        let session = self
            .start_family(&user, client.map(|c| c.id.as_str()), client_id, scope)
            .await?;
        tracing::info!(user = %user.id, client = client_id, "login succeeded");
        Ok(session)
    }

    async fn count_failure(
        &self,
        subject: &str,
        limit: Limit,
        now: i64,
    ) -> Result<(), LoginFailure> {
        self.store
            .record_failure(subject, now, limit.window, limit.failures, limit.block)
            .await?;
        Ok(())
    }
}
