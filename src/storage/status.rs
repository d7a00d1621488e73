//! Token status lists: leases of indices, the lists and their revoked indices as the
//! served copies are built from them, and the version replicas poll.
//!
//! Revocations themselves happen where the tokens die (`families`, `users`, `keys`),
//! in the same transaction as the revocation they record.

use async_trait::async_trait;

use super::{LeaseRequest, StatusLease, StatusListRow, StoreError};

#[async_trait]
pub trait StatusStore {
    /// Leases a block of indices of the list `request` names, opening a list when none
    /// of that key and window has room. One atomic update per block, never per token.
    async fn lease_status_indices(
        &self,
        request: &LeaseRequest<'_>,
    ) -> Result<StatusLease, StoreError>;

    /// A counter bumped by every change a served list shows.
    async fn status_version(&self) -> Result<i64, StoreError>;

    /// Every list not yet purged.
    async fn status_lists(&self) -> Result<Vec<StatusListRow>, StoreError>;

    /// Every revoked index, as `(list_id, idx)`.
    async fn status_revocations(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Deletes lists (and their revoked indices) that expired at or before `now`.
    async fn purge_status_lists(&self, now: i64) -> Result<u64, StoreError>;
}
