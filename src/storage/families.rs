//! Refresh families (login sessions), their tokens, and the access-token denylist.

use async_trait::async_trait;

use super::{AccessTokenState, FamilyRow, NewFamily, RotateOutcome, Rotation, StoreError};
use crate::domain::{FamilyId, Jti, RevocationReason, StatusSlot, UnixTime, UserId};

#[async_trait]
pub trait FamilyStore {
    async fn start_family(&self, family: &NewFamily) -> Result<(), StoreError>;

    /// Spends a refresh token and stores its child, atomically, as `rotation.rules`
    /// decide on what the transaction finds: of concurrent presentations of one token
    /// exactly one is `Rotated`.
    async fn rotate_refresh(&self, rotation: &Rotation<'_>) -> Result<RotateOutcome, StoreError>;

    /// The family of a refresh token, spent or not.
    async fn family_of_token(&self, hash: &[u8]) -> Result<Option<FamilyRow>, StoreError>;

    /// Revokes the family and sets the status bits of every access token issued with
    /// its refresh tokens, atomically: the one way a family dies, whatever the reason.
    /// `Ok(true)` if this call revoked it (it was live).
    async fn revoke_family(
        &self,
        family_id: &FamilyId,
        now: UnixTime,
        reason: RevocationReason,
    ) -> Result<bool, StoreError>;

    /// Denylists an access token until its own expiry and sets its status bit, atomically.
    async fn deny_access_token(
        &self,
        jti: &Jti,
        expires_at: UnixTime,
        status: Option<&StatusSlot>,
    ) -> Result<(), StoreError>;

    /// One round trip: is this access token denylisted, of a revoked family, or of a
    /// user who is disabled or revoked every session after it was issued; and which
    /// user does it name? `sub` is the token's subject as a user id; a client's id
    /// (client credentials) names no user.
    async fn access_token_state(
        &self,
        jti: &Jti,
        sid: Option<&FamilyId>,
        sub: &UserId,
        iat: UnixTime,
    ) -> Result<AccessTokenState, StoreError>;

    /// The families of the tokens whose key is in `[from, until)` and whose two key bytes
    /// at offset `sample_at` are at most `sample`.
    async fn families_with_keys_between(
        &self,
        from: &[u8],
        until: &[u8],
        sample_at: i64,
        sample: &[u8],
    ) -> Result<Vec<FamilyId>, StoreError>;

    /// Deletes the family's spent tokens but the newest `keep`; returns how many went.
    async fn trim_family_history(&self, family_id: &FamilyId, keep: i64)
        -> Result<u64, StoreError>;

    /// Deletes up to `batch` expired rows of each kind; returns how many went. Families
    /// go when they expired at or before `families_expired_by`, other rows at `now`.
    async fn purge_expired(
        &self,
        now: UnixTime,
        families_expired_by: UnixTime,
        batch: i64,
    ) -> Result<u64, StoreError>;
}
