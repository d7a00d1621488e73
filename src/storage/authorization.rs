//! The authorization code flow's rows: authority sessions (the hosted login's
//! cookie), authorization codes and remembered consents.

use async_trait::async_trait;

use super::{AuthoritySessionRow, CodeRedemption, CodeRow, ConsentRow, RedeemOutcome, StoreError};
use crate::domain::{ClientId, FamilyId, UnixTime, UserId};

#[async_trait]
pub trait AuthorizationStore {
    async fn insert_authority_session(
        &self,
        session: &AuthoritySessionRow,
    ) -> Result<(), StoreError>;

    /// The live session whose cookie secret hashes to `secret_hash`: not signed out,
    /// not expired at `now`, of a user who is not disabled.
    async fn live_authority_session(
        &self,
        secret_hash: &[u8],
        now: UnixTime,
    ) -> Result<Option<AuthoritySessionRow>, StoreError>;

    /// Signs the session out; returns the live families it started, for the caller to
    /// revoke (through `FamilyStore::revoke_family`, so every revocation path is one).
    async fn end_authority_session(
        &self,
        id: &str,
        now: UnixTime,
    ) -> Result<Vec<FamilyId>, StoreError>;

    async fn insert_code(&self, code: &CodeRow) -> Result<(), StoreError>;

    /// Spends the code (one `UPDATE ... WHERE used_at IS NULL AND expires_at > now`),
    /// and in the same transaction, when `redemption.accept` passes the spent row and
    /// its user and session are still good, starts its family.
    async fn redeem_code(&self, redemption: &CodeRedemption) -> Result<RedeemOutcome, StoreError>;

    /// The scope the user consented to for the client, if any.
    async fn consent(&self, user: &UserId, client: &ClientId)
        -> Result<Option<String>, StoreError>;

    /// Records (or replaces) the user's consent to the client for `scope`.
    async fn grant_consent(&self, consent: &ConsentRow) -> Result<(), StoreError>;

    async fn consents_of(&self, user: &UserId) -> Result<Vec<ConsentRow>, StoreError>;

    /// Forgets the consent; returns the live families of that user and client, for the
    /// caller to revoke. `None` when there was no such consent.
    async fn revoke_consent(
        &self,
        user: &UserId,
        client: &ClientId,
    ) -> Result<Option<Vec<FamilyId>>, StoreError>;

    /// Deletes up to `batch` codes and sessions expired at or before `before`.
    async fn purge_authorization(&self, before: UnixTime, batch: i64) -> Result<u64, StoreError>;
}
