//! The one place access tokens are minted and verified, revocation state included.

use std::sync::Arc;

use super::{
    mint, random_id, verify_signed, AccessClaims, Audience, Expectations, Grant, MintError,
    Rejection, Status, StatusListRef,
};
use crate::clock::Clock;
use crate::domain::StatusSlot;
use crate::domain::{FamilyId, Jti, UnixTime, UserId};
use crate::keys::{KeyService, SigningKey};
use crate::metrics::Metrics;
use crate::status::StatusService;
use crate::storage::{SharedStore, TokenUser};

/// Fields are `pub(super)`: `id_token.rs` mints with the same key, clock and issuer.
pub struct TokenService {
    pub(super) keys: Arc<KeyService>,
    store: SharedStore,
    pub(super) clock: Arc<dyn Clock>,
    metrics: Metrics,
    pub(super) expect: Expectations,
    pub(super) access_ttl: i64,
    status: Arc<StatusService>,
}

/// What a token is signed with and where its status lives, taken before the token
/// is minted so that storage can record the slot (a refresh token's row) first. The
/// slot's list is bound to this very key: a revoked key revokes its lists.
pub struct Reserved {
    key: Arc<SigningKey>,
    pub slot: StatusSlot,
}

/// Who a token is for: a user session or a client acting for itself.
pub struct Subject<'a> {
    pub sub: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub roles: Option<Vec<String>>,
    pub sid: Option<&'a str>,
}

/// An access token as the endpoints answer it.
pub struct IssuedToken {
    pub token: String,
    pub expires_in: i64,
}

impl TokenService {
    pub fn new(
        keys: Arc<KeyService>,
        store: SharedStore,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
        expect: Expectations,
        access_ttl: std::time::Duration,
        status: Arc<StatusService>,
    ) -> Self {
        Self {
            keys,
            store,
            clock,
            metrics,
            expect,
            access_ttl: i64::try_from(access_ttl.as_secs()).unwrap_or(3600),
            status,
        }
    }

    /// The current key and a status slot in a list bound to it.
    pub async fn reserve(&self) -> Result<Reserved, MintError> {
        let key = self
            .keys
            .ring()
            .signing
            .clone()
            .ok_or(MintError::NoSigningKey)?;
        let slot = self.status.allocate(&key.kid).await?;
        Ok(Reserved { key, slot })
    }

    /// `reserve`, then `issue`: for tokens without a refresh token.
    pub async fn issue_now(
        &self,
        subject: Subject<'_>,
        grant: Grant,
    ) -> Result<IssuedToken, MintError> {
        let reserved = self.reserve().await?;
        self.issue(subject, grant, reserved)
    }

    /// The status slot a verified token's `status` claim names, if it is one of ours.
    pub fn status_slot(&self, claims: &AccessClaims) -> Option<StatusSlot> {
        let list = &claims.status.as_ref()?.status_list;
        self.status.slot_of(&list.uri, list.idx)
    }

    /// Signs a token for `subject` with the reserved key, naming the reserved status
    /// slot; `grant` labels the metric.
    pub fn issue(
        &self,
        subject: Subject<'_>,
        grant: Grant,
        reserved: Reserved,
    ) -> Result<IssuedToken, MintError> {
        let key = &reserved.key;
        let now = self.clock.unix();
        let claims = AccessClaims {
            iss: self.expect.issuer.clone(),
            sub: subject.sub.to_owned(),
            aud: Audience::from_list(&self.expect.audiences),
            exp: now + self.access_ttl,
            iat: now,
            nbf: now,
            jti: random_id(),
            client_id: subject.client_id.to_owned(),
            scope: subject.scope.to_owned(),
            roles: subject.roles,
            sid: subject.sid.map(str::to_owned),
            status: Some(Status {
                status_list: StatusListRef {
                    idx: reserved.slot.idx,
                    uri: self.status.uri(&reserved.slot.list_id),
                },
            }),
        };
        let token = mint(key, &claims)?;
        self.metrics
            .tokens_issued
            .with_label_values(&[grant.as_str(), key.alg.as_str()])
            .inc();
        Ok(IssuedToken {
            token,
            expires_in: self.access_ttl,
        })
    }

    /// Verifies signature and claims, then revocation: denylisted `jti`, revoked family
    /// (`sid`), disabled user or revoke-all after `iat`, revoked key. One query at most.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, VerifyError> {
        self.verify_with_user(token).await.map(|(claims, _)| claims)
    }

    /// `verify`, and the user the token names (`None` for a client's token), read by
    /// the same query.
    pub async fn verify_with_user(
        &self,
        token: &str,
    ) -> Result<(AccessClaims, Option<TokenUser>), VerifyError> {
        let ring = self.keys.ring();
        let claims = verify_signed(token, &ring, &self.expect, self.clock.unix())
            .map_err(VerifyError::Rejected)?;
        let state = self
            .store
            .access_token_state(
                &Jti::new(claims.jti.as_str()),
                claims.sid.as_deref().map(FamilyId::new).as_ref(),
                &UserId::new(claims.sub.as_str()),
                UnixTime::from_secs(claims.iat),
            )
            .await
            .map_err(VerifyError::Unavailable)?;
        if state.revoked {
            return Err(VerifyError::Rejected(Rejection::Revoked));
        }
        Ok((claims, state.user))
    }
}

/// A token that did not pass, or a database that could not say.
#[derive(Debug)]
pub enum VerifyError {
    Rejected(Rejection),
    Unavailable(crate::storage::StoreError),
}
