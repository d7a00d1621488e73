//! Password logins: throttled, timing-equal for unknown users and wrong passwords.

use super::attempts::Ticket;
use super::throttle::{account_subject, address_subject};
use super::{AuthenticatedClient, LoginFailure, Session, SessionService, FIRST_PARTY_CLIENT};
use crate::domain::password::MAX_BYTES;
use crate::domain::{Email, Password};
use crate::storage::UserRow;

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
        let user = self.authenticate(email, password, address).await?;
        let client_id = client.map_or(FIRST_PARTY_CLIENT, |c| c.id.as_str());
        let session = self
            .start_family(&user, client.map(|c| c.id.as_str()), client_id, scope)
            .await?;
        tracing::info!(user = %user.id, client = client_id, "login succeeded");
        Ok(session)
    }

    /// The active user whose e-mail and password these are: throttled, and one answer
    /// for an unknown user, a wrong password and a disabled account. `/auth/login`, the
    /// password grant and the hosted login page all sign in through here.
    pub(super) async fn authenticate(
        &self,
        email: &str,
        password: String,
        address: Option<&str>,
    ) -> Result<UserRow, LoginFailure> {
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
        let (account, address) = self.reserve_attempts(&email, address).await?;
        let user = match self.check_password(&email, password).await {
            Ok(Some(user)) => user,
            Ok(None) => {
                self.metrics.login_failures.inc();
                account.failed().await?;
                if let Some(address) = address {
                    address.failed().await?;
                }
                tracing::info!(reason = "invalid_credentials", "login failed");
                return Err(LoginFailure::InvalidCredentials);
            }
            Err(e) => {
                // No answer on the password: nothing to count.
                account.give_back().await?;
                if let Some(address) = address {
                    address.give_back().await?;
                }
                return Err(e);
            }
        };
        self.store
            .clear_failures(&account_subject(email.as_str()))
            .await?;
        account.cleared();
        if let Some(address) = address {
            address.give_back().await?;
        }
        Ok(user)
    }

    /// Reserves the password check for the account, then for the address, before the
    /// hash: concurrent guesses cannot all pass a check made before any of them failed
    /// (see `throttle`). An account reservation is given back if the address is refused.
    async fn reserve_attempts(
        &self,
        email: &Email,
        address: Option<&str>,
    ) -> Result<(Ticket, Option<Ticket>), LoginFailure> {
        let refused = |failure: LoginFailure| {
            if matches!(failure, LoginFailure::Throttled(_)) {
                self.metrics.login_failures.inc();
                tracing::info!(reason = "throttled", "login refused");
            }
            failure
        };
        let account = self
            .reserve_attempt(&account_subject(email.as_str()), self.throttle.account)
            .await
            .map_err(refused)?;
        let Some(address) = address else {
            return Ok((account, None));
        };
        match self
            .reserve_attempt(&address_subject(address), self.throttle.address)
            .await
        {
            Ok(address) => Ok((account, Some(address))),
            Err(failure) => {
                account.give_back().await?;
                Err(refused(failure))
            }
        }
    }

    /// The active user whose password this is, if any; the hash runs either way.
    async fn check_password(
        &self,
        email: &Email,
        password: Password,
    ) -> Result<Option<UserRow>, LoginFailure> {
        let user = self.store.user_by_email(email).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let matched = self
            .passwords
            .verify(password.expose().to_owned(), hash)
            .await?;
        Ok(user.filter(|u| matched && u.disabled_at.is_none()))
    }
}
