//! Authorization codes in batches: what a store offers a group commit
//! (`group_commit`) to store and redeem the codes it queued, one transaction per call,
//! and to look up the sign-ins of many `/oauth/authorize` requests with one read.

use async_trait::async_trait;

use super::{AuthoritySessionRow, CodeRedemption, CodeRow, RedeemOutcome, StoreError};
use crate::domain::UnixTime;

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

    /// The sessions among `secret_hashes` (distinct) that are not signed out, not
    /// expired at `now`, and of a user who is not disabled, in one read: what
    /// `AuthorizationStore::live_authority_session` says of each, at once.
    async fn live_authority_sessions(
        &self,
        secret_hashes: &[Vec<u8>],
        now: UnixTime,
    ) -> Result<Vec<AuthoritySessionRow>, StoreError>;
}
