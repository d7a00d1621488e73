//! The authority session: the hosted login page's sign-in, kept by the browser as the
//! `tessera_session` cookie. The cookie holds 256 random bits; only their SHA-256 is
//! stored, so a database read gives no one a session.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use super::SignIn;
use crate::domain::FamilyId;
use crate::sessions::{LoginFailure, RevocationReason, SessionError, SessionService};
use crate::storage::AuthoritySessionRow;
use crate::tokens::random_id;

/// A sign-in just made: the cookie value to set, once, and for how long.
pub struct NewSignIn {
    pub cookie_value: String,
    pub max_age: i64,
    pub sign_in: SignIn,
}

/// 256 random bits, base64url.
pub(super) fn random_secret() -> Result<String, SessionError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| SessionError::Internal(anyhow::anyhow!("no randomness")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

pub(super) fn sha256(text: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .to_vec()
}

impl SessionService {
    /// Checks the password as every login does (throttled, one answer for unknown
    /// user and wrong password) and starts an authority session. The browser's session
    /// before it (`replaced`, the cookie it sent) ends: its secret opens nothing any
    /// more. The families it started live on, as they would after a cookie expired:
    /// signing in again is not signing out of the apps.
    pub async fn sign_in(
        &self,
        email: &str,
        password: String,
        address: Option<&str>,
        replaced: Option<&str>,
    ) -> Result<NewSignIn, LoginFailure> {
        let user = self.authenticate(email, password, address).await?;
        let secret = random_secret()?;
        let now = self.clock.unix();
        let row = AuthoritySessionRow {
            id: random_id(),
            secret_hash: sha256(&secret),
            user_id: user.id.clone(),
            auth_time: now,
            expires_at: now + self.authority_ttl,
        };
        self.store.insert_authority_session(&row).await?;
        tracing::info!(user = %user.id, session = %row.id, "signed in at the hosted login page");
        if let Some(previous) = replaced {
            if let Some(old) = self.signed_in(previous).await? {
                self.store
                    .end_authority_session(&old.session_id, self.clock.unix_time())
                    .await?;
                tracing::info!(session = %old.session_id, "authority session replaced by a new sign-in");
            }
        }
        Ok(NewSignIn {
            cookie_value: secret,
            max_age: self.authority_ttl,
            sign_in: SignIn {
                session_id: row.id,
                user_id: row.user_id,
                auth_time: row.auth_time,
            },
        })
    }

    /// The live sign-in a `tessera_session` cookie proves, if any.
    pub async fn signed_in(&self, cookie_value: &str) -> Result<Option<SignIn>, SessionError> {
        // A value no secret can have never reaches the database.
        if cookie_value.len() != 43 {
            return Ok(None);
        }
        let found = self
            .store
            .live_authority_session(&sha256(cookie_value), self.clock.unix_time())
            .await?;
        Ok(found.map(|row| SignIn {
            session_id: row.id,
            user_id: row.user_id,
            auth_time: row.auth_time,
        }))
    }

    /// Ends the authority session and revokes every family it started.
    pub async fn sign_out(&self, session_id: &str) -> Result<(), SessionError> {
        let families = self
            .store
            .end_authority_session(session_id, self.clock.unix_time())
            .await?;
        self.revoke_families(&families, RevocationReason::Logout)
            .await
    }

    /// Revokes each family through the one revocation path, counting those this call
    /// revoked, and serves their tokens' status bits from this replica at once.
    pub(super) async fn revoke_families(
        &self,
        families: &[FamilyId],
        reason: RevocationReason,
    ) -> Result<(), SessionError> {
        let mut revoked = false;
        for family in families {
            if self
                .store
                .revoke_family(family, self.clock.unix_time(), reason)
                .await?
            {
                revoked = true;
                self.metrics
                    .families_revoked
                    .with_label_values(&[reason.as_str()])
                    .inc();
            }
        }
        if revoked {
            self.status.changed().await;
        }
        Ok(())
    }
}
