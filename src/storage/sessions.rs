use async_trait::async_trait;

use super::{
    ClientRow, FamilyRow, NewFamily, Reservation, RotateOutcome, Rotation, StoreError,
    ThrottleCounter, UserRow,
};

#[async_trait]
pub trait UserStore {
    /// `Ok(false)` when the e-mail is taken.
    async fn insert_user(&self, user: &UserRow) -> Result<bool, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, StoreError>;
    async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, StoreError>;
    /// Kills every session of the user: families revoked, earlier tokens dead. `Ok(false)` if no such user.
    async fn revoke_user_sessions(&self, id: &str, now: i64) -> Result<bool, StoreError>;
    /// Disables the account and revokes its sessions. `Ok(false)` if no such user.
    async fn disable_user(&self, id: &str, now: i64) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait ClientStore {
    async fn insert_client(&self, client: &ClientRow) -> Result<(), StoreError>;
    async fn client_by_id(&self, id: &str) -> Result<Option<ClientRow>, StoreError>;
}

#[async_trait]
pub trait FamilyStore {
    async fn start_family(&self, family: &NewFamily) -> Result<(), StoreError>;

    /// Spends a refresh token and stores its child, atomically: of concurrent
    /// presentations of one token exactly one is `Rotated`.
    async fn rotate_refresh(&self, rotation: &Rotation<'_>) -> Result<RotateOutcome, StoreError>;

    /// The family of a refresh token, spent or not.
    async fn family_of_token(&self, hash: &[u8]) -> Result<Option<FamilyRow>, StoreError>;

    /// `Ok(true)` if this call revoked it (it was live).
    async fn revoke_family(
        &self,
        family_id: &str,
        now: i64,
        reason: &str,
    ) -> Result<bool, StoreError>;

    /// Denylists an access token until its own expiry.
    async fn deny_access_token(&self, jti: &str, expires_at: i64) -> Result<(), StoreError>;

    /// One round trip: is this access token denylisted, of a revoked family, or of a
    /// user who is disabled or revoked every session after it was issued?
    async fn access_token_revoked(
        &self,
        jti: &str,
        sid: Option<&str>,
        sub: &str,
        iat: i64,
    ) -> Result<bool, StoreError>;

    /// The families of the tokens whose key is in `[from, until)` and whose two key bytes
    /// at offset `sample_at` are at most `sample`.
    async fn families_with_keys_between(
        &self,
        from: &[u8],
        until: &[u8],
        sample_at: i64,
        sample: &[u8],
    ) -> Result<Vec<String>, StoreError>;

    /// Deletes the family's spent tokens but the newest `keep`; returns how many went.
    async fn trim_family_history(&self, family_id: &str, keep: i64) -> Result<u64, StoreError>;

    /// Deletes up to `batch` expired rows of each kind; returns how many went. Families
    /// go when they expired at or before `families_expired_by`, other rows at `now`.
    async fn purge_expired(
        &self,
        now: i64,
        families_expired_by: i64,
        batch: i64,
    ) -> Result<u64, StoreError>;
}

#[async_trait]
pub trait ThrottleStore {
    /// Reserves one password check for `subject` at `now`, atomically, by the rule of
    /// `sessions::throttle`: at most `limit` per `window` seconds, then blocked for
    /// `block` seconds.
    async fn reserve_attempt(
        &self,
        subject: &str,
        now: i64,
        limit: i64,
        window: i64,
        block: i64,
    ) -> Result<Reservation, StoreError>;
    /// The reserved check failed: it stays counted, no longer pending.
    async fn settle_failure(&self, subject: &str, window_start: i64) -> Result<(), StoreError>;
    /// The reserved attempt checked no password, or succeeded: it does not count.
    async fn give_back_attempt(&self, subject: &str, window_start: i64) -> Result<(), StoreError>;
    async fn throttle_counter(&self, subject: &str) -> Result<Option<ThrottleCounter>, StoreError>;
    async fn clear_failures(&self, subject: &str) -> Result<(), StoreError>;
}
