//! Every store call but `rotate_refresh` goes straight to the wrapped store.

use async_trait::async_trait;

use super::GroupCommit;
use crate::domain::{
    ClientId, Email, FamilyId, Jti, Kid, RevocationReason, StatusSlot, UnixTime, UserId,
};
use crate::storage::{
    AccessTokenState, ClientRow, ClientStore, FamilyRow, FamilyStore, HealthStore, KeyChange,
    KeyStore, NewFamily, Reservation, RotateOutcome, Rotation, RotationBatches, SealedMacKey,
    StoreError, StoredKey, ThrottleCounter, ThrottleStore, UserRow, UserStore,
};
use crate::storage::{LeaseRequest, StatusLease, StatusListRow, StatusStore};

#[async_trait]
impl<S: FamilyStore + RotationBatches + 'static> FamilyStore for GroupCommit<S> {
    async fn start_family(&self, family: &NewFamily) -> Result<(), StoreError> {
        self.store.start_family(family).await
    }

    /// Queued for a lane: the one rotation this decorator changes.
    async fn rotate_refresh(&self, rotation: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        self.rotate(rotation).await
    }

    async fn family_of_token(&self, hash: &[u8]) -> Result<Option<FamilyRow>, StoreError> {
        self.store.family_of_token(hash).await
    }

    async fn revoke_family(
        &self,
        family_id: &FamilyId,
        now: UnixTime,
        reason: RevocationReason,
    ) -> Result<bool, StoreError> {
        self.store.revoke_family(family_id, now, reason).await
    }

    async fn deny_access_token(
        &self,
        jti: &Jti,
        expires_at: UnixTime,
        status: Option<&StatusSlot>,
    ) -> Result<(), StoreError> {
        self.store.deny_access_token(jti, expires_at, status).await
    }

    async fn access_token_state(
        &self,
        jti: &Jti,
        sid: Option<&FamilyId>,
        sub: &UserId,
        iat: UnixTime,
    ) -> Result<AccessTokenState, StoreError> {
        self.store.access_token_state(jti, sid, sub, iat).await
    }

    async fn families_with_keys_between(
        &self,
        from: &[u8],
        until: &[u8],
        sample_at: i64,
        sample: &[u8],
    ) -> Result<Vec<FamilyId>, StoreError> {
        self.store
            .families_with_keys_between(from, until, sample_at, sample)
            .await
    }

    async fn trim_family_history(
        &self,
        family_id: &FamilyId,
        keep: i64,
    ) -> Result<u64, StoreError> {
        self.store.trim_family_history(family_id, keep).await
    }

    async fn purge_expired(
        &self,
        now: UnixTime,
        families_expired_by: UnixTime,
        batch: i64,
    ) -> Result<u64, StoreError> {
        self.store
            .purge_expired(now, families_expired_by, batch)
            .await
    }
}

#[async_trait]
impl<S: UserStore + Send + Sync> UserStore for GroupCommit<S> {
    async fn insert_user(&self, user: &UserRow) -> Result<bool, StoreError> {
        self.store.insert_user(user).await
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<UserRow>, StoreError> {
        self.store.user_by_email(email).await
    }

    async fn user_by_id(&self, id: &UserId) -> Result<Option<UserRow>, StoreError> {
        self.store.user_by_id(id).await
    }

    async fn revoke_user_sessions(&self, id: &UserId, now: UnixTime) -> Result<bool, StoreError> {
        self.store.revoke_user_sessions(id, now).await
    }

    async fn disable_user(&self, id: &UserId, now: UnixTime) -> Result<bool, StoreError> {
        self.store.disable_user(id, now).await
    }
}

#[async_trait]
impl<S: ClientStore + Send + Sync> ClientStore for GroupCommit<S> {
    async fn insert_client(&self, client: &ClientRow) -> Result<(), StoreError> {
        self.store.insert_client(client).await
    }

    async fn client_by_id(&self, id: &ClientId) -> Result<Option<ClientRow>, StoreError> {
        self.store.client_by_id(id).await
    }

    async fn list_clients(&self) -> Result<Vec<ClientRow>, StoreError> {
        self.store.list_clients().await
    }

    async fn remove_client(&self, id: &ClientId, now: UnixTime) -> Result<bool, StoreError> {
        self.store.remove_client(id, now).await
    }
}

#[async_trait]
impl<S: ThrottleStore + Send + Sync> ThrottleStore for GroupCommit<S> {
    async fn reserve_attempt(
        &self,
        subject: &str,
        now: UnixTime,
        limit: i64,
        window: i64,
        block: i64,
    ) -> Result<Reservation, StoreError> {
        self.store
            .reserve_attempt(subject, now, limit, window, block)
            .await
    }

    async fn settle_failure(
        &self,
        subject: &str,
        window_start: UnixTime,
    ) -> Result<(), StoreError> {
        self.store.settle_failure(subject, window_start).await
    }

    async fn give_back_attempt(
        &self,
        subject: &str,
        window_start: UnixTime,
    ) -> Result<(), StoreError> {
        self.store.give_back_attempt(subject, window_start).await
    }

    async fn throttle_counter(&self, subject: &str) -> Result<Option<ThrottleCounter>, StoreError> {
        self.store.throttle_counter(subject).await
    }

    async fn clear_failures(&self, subject: &str) -> Result<(), StoreError> {
        self.store.clear_failures(subject).await
    }
}

#[async_trait]
impl<S: KeyStore + Send + Sync> KeyStore for GroupCommit<S> {
    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.store.signing_keys().await
    }

    async fn keyset_version(&self) -> Result<i64, StoreError> {
        self.store.keyset_version().await
    }

    async fn change_keys(&self, change: &KeyChange) -> Result<bool, StoreError> {
        self.store.change_keys(change).await
    }

    async fn reseal_keys(
        &self,
        sealed: &[(Kid, Vec<u8>)],
        mac_key: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        self.store.reseal_keys(sealed, mac_key).await
    }

    async fn mac_key(&self) -> Result<Option<SealedMacKey>, StoreError> {
        self.store.mac_key().await
    }

    async fn create_mac_key(&self, sealed: &[u8], now: UnixTime) -> Result<(), StoreError> {
        self.store.create_mac_key(sealed, now).await
    }
}

#[async_trait]
impl<S: HealthStore + Send + Sync> HealthStore for GroupCommit<S> {
    async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}

#[async_trait]
impl<S: StatusStore + Send + Sync + 'static> StatusStore for GroupCommit<S> {
    async fn lease_status_indices(
        &self,
        request: &LeaseRequest<'_>,
    ) -> Result<StatusLease, StoreError> {
        self.store.lease_status_indices(request).await
    }

    async fn status_version(&self) -> Result<i64, StoreError> {
        self.store.status_version().await
    }

    async fn status_lists(&self) -> Result<Vec<StatusListRow>, StoreError> {
        self.store.status_lists().await
    }

    async fn status_revocations(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.store.status_revocations().await
    }

    async fn purge_status_lists(&self, now: i64) -> Result<u64, StoreError> {
        self.store.purge_status_lists(now).await
    }
}
