//! Rotations in batches: what a store offers a group commit (`group_commit`) to
//! carry out the rotations it queued, one transaction per call.

use std::collections::HashMap;

use async_trait::async_trait;

use super::{RotateOutcome, Rotation, StoreError};

#[async_trait]
pub trait RotationBatches: Send + Sync {
    /// What the database holds of each of `hashes` (distinct), in one read outside
    /// any transaction; a token the result lacks is unknown.
    async fn read_presented(
        &self,
        hashes: &[&[u8]],
    ) -> Result<HashMap<Vec<u8>, Presented>, StoreError>;

    /// Spends every live token of `batch` (each presented once) and stores the
    /// children of the rotations the rules allow, in one transaction. `Err` means
    /// nothing was committed.
    async fn spend_batch(&self, batch: &[Rotation<'_>]) -> Result<SpentBatch, StoreError>;

    /// Settles, in a transaction of its own, a presentation that `spend_batch` could
    /// not spend: the token cannot become spendable again, so only the rest of a
    /// rotation is left (grace, reuse, or a dead token).
    async fn settle_unspent(&self, rotation: &Rotation<'_>) -> Result<RotateOutcome, StoreError>;

    /// One rotation in a transaction of its own: the batch of one, settled in the same
    /// transaction when its token cannot be spent.
    async fn rotate_alone(&self, rotation: &Rotation<'_>) -> Result<RotateOutcome, StoreError>;
}

/// What one batch transaction did: an outcome for every rotation whose token it spent
/// (`None`: not spendable, for `settle_unspent`), and whether the commit held.
pub struct SpentBatch {
    pub outcomes: Vec<Option<RotateOutcome>>,
    pub committed: Result<(), StoreError>,
}

/// What the database holds of one presented token and its family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub used: bool,
    pub expires_at: i64,
    pub family_revoked: bool,
    pub family_expires_at: i64,
}
