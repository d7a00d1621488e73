//! Refresh families: start, rotate with reuse detection, revoke.

use super::rotation::RULES;
use super::scope::narrow;
use super::{
    RefreshFailure, RefreshToken, RevocationReason, SessionError, SessionService,
    FIRST_PARTY_CLIENT,
};
use crate::domain::{ClientId, FamilyId, Jti, UnixTime};
use crate::storage::{NewFamily, RotateOutcome, Rotation, UserRow};
use crate::tokens::{random_id, Grant, IssuedToken, Subject};

/// The `reason` of `tessera_refresh_screened_out_total` for a presented refresh token
/// this authority did not issue (a wrong shape or MAC), refused without a read.
pub(super) const FORGED: &str = "forged";

/// A live session as a client receives it.
pub struct Session {
    pub access: IssuedToken,
    pub refresh: RefreshToken,
    pub scope: String,
    /// Seconds the refresh cookie may live: what is left of the family.
    pub refresh_max_age: i64,
}

impl SessionService {
    /// Starts a family for `user` and issues its first tokens.
    pub(super) async fn start_family(
        &self,
        user: &UserRow,
        family_client: Option<&str>,
        client_id: &str,
        scope: &str,
    ) -> Result<Session, SessionError> {
        let now = self.clock.unix();
        let refresh = RefreshToken::generate(&self.refresh_mac);
        let reserved = self.tokens.reserve().await?;
        let family = NewFamily {
            id: random_id(),
            user_id: user.id.clone(),
            client_id: family_client.map(str::to_owned),
            scope: scope.to_owned(),
            created_at: now,
            expires_at: now + self.refresh_ttl,
            first_token_hash: refresh.lookup_key(),
            first_token_expires_at: now + self.refresh_idle_ttl.min(self.refresh_ttl),
            first_token_status: Some(reserved.slot.clone()),
        };
        self.store.start_family(&family).await?;
        let access = self.tokens.issue(
            Subject {
                sub: &user.id,
                client_id,
                scope,
                roles: Some(user.roles.clone()),
                sid: Some(&family.id),
            },
            Grant::Password,
            reserved,
        )?;
        Ok(Session {
            access,
            refresh,
            scope: scope.to_owned(),
            refresh_max_age: self.refresh_ttl,
        })
    }

    /// Spends `presented` and issues its child. A spent token presented again
    /// (outside the grace window) revokes the whole family. `scope` narrows the new
    /// access token's scope (the family keeps its own); asking for more than the
    /// family holds is refused before anything is spent.
    pub async fn refresh(
        &self,
        presented: &str,
        client: Option<&str>,
        scope: Option<&str>,
    ) -> Result<Session, RefreshFailure> {
        let presented = self
            .parse_refresh_token(presented)
            .ok_or(RefreshFailure::InvalidGrant)?;
        if scope.is_some() {
            // A family's scope never changes, so reading it before the rotation is
            // not a race; only requests that narrow pay for this read, and a token it
            // does not find (never issued, or purged) costs nothing more.
            let family = self
                .store
                .family_of_token(&presented.lookup_key())
                .await?
                .ok_or(RefreshFailure::InvalidGrant)?;
            narrow(&family.scope, scope).map_err(RefreshFailure::InvalidScope)?;
        }
        let child = RefreshToken::generate(&self.refresh_mac);
        // The child's access token's slot goes on the child's row, in the rotation's
        // own write: no row per access token.
        let reserved = self.tokens.reserve().await?;
        let now = self.clock.unix();
        // The id of the client that authenticated, as the store knows it.
        let client = client.map(ClientId::new);
        let outcome = self
            .store
            .rotate_refresh(&Rotation {
                presented: &presented.lookup_key(),
                client: client.as_ref(),
                child: &child.lookup_key(),
                child_status: Some(&reserved.slot),
                now: UnixTime::from_secs(now),
                idle_ttl: self.refresh_idle_ttl,
                grace: self.reuse_grace,
                rules: RULES,
            })
            .await?;
        let (family, roles) = match outcome {
            RotateOutcome::Rotated { family, roles } => (family, roles),
            RotateOutcome::Reused { family_id, user_id } => {
                self.metrics.refresh_reuse_detected.inc();
                self.metrics
                    .families_revoked
                    .with_label_values(&[RevocationReason::Reuse.as_str()])
                    .inc();
                tracing::warn!(family = %family_id, user = %user_id, "refresh token reuse: family revoked");
                self.status.changed().await;
                return Err(RefreshFailure::InvalidGrant);
            }
            RotateOutcome::WrongClient => return Err(RefreshFailure::WrongClient),
            RotateOutcome::Invalid => return Err(RefreshFailure::InvalidGrant),
        };
        self.metrics.refresh_rotations.inc();
        // Passed above against this same family, whose scope never changes.
        let scope = narrow(&family.scope, scope).map_err(RefreshFailure::InvalidScope)?;
        let access = self.tokens.issue(
            Subject {
                sub: &family.user_id,
                client_id: family.client_id.as_deref().unwrap_or(FIRST_PARTY_CLIENT),
                scope: &scope,
                roles: Some(roles),
                sid: Some(&family.id),
            },
            Grant::RefreshToken,
            reserved,
        )?;
        Ok(Session {
            access,
            refresh: child,
            scope,
            refresh_max_age: family.expires_at - now,
        })
    }

    /// A refresh token this authority issued, or `None` (counted as `forged`), without
    /// a database read.
    fn parse_refresh_token(&self, presented: &str) -> Option<RefreshToken> {
        let token = RefreshToken::parse(presented, &self.refresh_mac, self.clock.unix_time());
        if token.is_none() {
            self.metrics
                .refresh_screened_out
                .with_label_values(&[FORGED])
                .inc();
        }
        token
    }

    /// Revokes the family of a refresh token; unknown tokens are ignored (RFC 7009 §2.2).
    pub async fn revoke_refresh_token(
        &self,
        presented: &str,
        reason: RevocationReason,
    ) -> Result<bool, SessionError> {
        // Not counted as forged: revocation also tries access tokens here (RFC 7009).
        let Some(token) = RefreshToken::parse(presented, &self.refresh_mac, self.clock.unix_time())
        else {
            return Ok(false);
        };
        let Some(family) = self.store.family_of_token(&token.lookup_key()).await? else {
            return Ok(false);
        };
        let revoked = self
            .store
            .revoke_family(&FamilyId::new(family.id), self.clock.unix_time(), reason)
            .await?;
        if revoked {
            self.metrics
                .families_revoked
                .with_label_values(&[reason.as_str()])
                .inc();
            self.status.changed().await;
        }
        Ok(true)
    }

    /// Denylists a valid access token until its `exp` and sets its status bit.
    /// Invalid ones are ignored: they are dead already, and junk must not fill the denylist.
    pub async fn revoke_access_token(&self, token: &str) -> Result<bool, SessionError> {
        match self.tokens.verify(token).await {
            Ok(claims) => {
                let slot = self.tokens.status_slot(&claims);
                self.store
                    .deny_access_token(
                        &Jti::new(claims.jti),
                        UnixTime::from_secs(claims.exp),
                        slot.as_ref(),
                    )
                    .await?;
                if slot.is_some() {
                    self.status.changed().await;
                }
                Ok(true)
            }
            Err(crate::tokens::VerifyError::Unavailable(e)) => Err(e.into()),
            Err(crate::tokens::VerifyError::Rejected(_)) => Ok(false),
        }
    }
}
