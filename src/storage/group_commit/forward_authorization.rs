//! The authorization code flow's calls go straight to the wrapped store, but for the
//! codes, queued for the code lanes, and the sign-in lookups, read together.

use async_trait::async_trait;

use super::GroupCommit;
use crate::domain::{ClientId, FamilyId, UnixTime, UserId};
use crate::storage::{
    AuthoritySessionRow, AuthorizationStore, CodeRedemption, CodeRow, ConsentRow, RedeemOutcome,
    StoreError,
};

#[async_trait]
impl<S: AuthorizationStore + Send + Sync> AuthorizationStore for GroupCommit<S> {
    async fn insert_authority_session(
        &self,
        session: &AuthoritySessionRow,
    ) -> Result<(), StoreError> {
        self.store.insert_authority_session(session).await
    }

    async fn live_authority_session(
        &self,
        secret_hash: &[u8],
        now: UnixTime,
    ) -> Result<Option<AuthoritySessionRow>, StoreError> {
        self.read_session(secret_hash, now).await
    }

    async fn end_authority_session(
        &self,
        id: &str,
        now: UnixTime,
    ) -> Result<Vec<FamilyId>, StoreError> {
        self.store.end_authority_session(id, now).await
    }

    async fn insert_code(&self, code: &CodeRow) -> Result<(), StoreError> {
        self.queue_code(code).await
    }

    async fn redeem_code(&self, redemption: &CodeRedemption) -> Result<RedeemOutcome, StoreError> {
        self.queue_redemption(redemption).await
    }

    async fn consent(
        &self,
        user: &UserId,
        client: &ClientId,
    ) -> Result<Option<String>, StoreError> {
        self.store.consent(user, client).await
    }

    async fn grant_consent(&self, consent: &ConsentRow) -> Result<(), StoreError> {
        self.store.grant_consent(consent).await
    }

    async fn consents_of(&self, user: &UserId) -> Result<Vec<ConsentRow>, StoreError> {
        self.store.consents_of(user).await
    }

    async fn revoke_consent(
        &self,
        user: &UserId,
        client: &ClientId,
    ) -> Result<Option<Vec<FamilyId>>, StoreError> {
        self.store.revoke_consent(user, client).await
    }

    async fn purge_authorization(&self, before: UnixTime, batch: i64) -> Result<u64, StoreError> {
        self.store.purge_authorization(before, batch).await
    }
}
