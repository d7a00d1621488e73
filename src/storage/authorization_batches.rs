//! Authorization codes in batches: what a store offers a group commit
//! (`group_commit`) to store and redeem the codes it queued, one transaction per call.

use async_trait::async_trait;

use super::{CodeRedemption, CodeRow, RedeemOutcome, StoreError};

#[async_trait]
pub trait AuthorizationBatches: Send + Sync {
    /// Stores every code of `codes`, then redeems each of `redemptions` in turn, as
    /// `AuthorizationStore::redeem_code` would, all in one transaction: an outcome per
    /// redemption, in order. `Err` means nothing was committed.
    async fn code_batch(
        &self,
        codes: &[CodeRow],
        redemptions: &[CodeRedemption],
    ) -> Result<Vec<RedeemOutcome>, StoreError>;
}
