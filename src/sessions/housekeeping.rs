//! Background purge of expired rows, in bounded batches so no statement holds a
//! lock for long, and of spent tokens past a family's history (`history`); safe on
//! several replicas (deleting a deleted row is a no-op).

use std::sync::Arc;
use std::time::Duration;

use super::SessionService;

const BATCH: i64 = 1_000;

impl SessionService {
    /// Purges until a pass finds less than a full batch, then trims histories; returns
    /// rows deleted.
    ///
    /// A family's row is kept `access_ttl` past its expiry: an access token issued by
    /// its last refresh lives that long, and a token is only as alive as its family row
    /// says (a `sid` naming no family is dead, so a revoked session cannot come back
    /// when its row goes). Purging at the family's own expiry would cut those last
    /// tokens short; keeping the row until they have expired costs one row per family
    /// for `access_ttl` (15 minutes by default) and keeps both rules true.
    pub async fn purge_expired(&self) -> Result<u64, crate::storage::StoreError> {
        let mut total = 0;
        loop {
            let now = self.clock.unix_time();
            // Spent codes are kept a day past their 60 s so a late replay is still
            // recognised as reuse and revokes what the code started.
            let purged = self
                .store
                .purge_expired(now, now.plus(-self.access_ttl), BATCH)
                .await?
                + self
                    .store
                    .purge_authorization(now.plus(-86_400), BATCH)
                    .await?;
            total += purged;
            if purged < BATCH as u64 {
                break;
            }
            tokio::task::yield_now().await;
        }
        // Status lists go once every token pointing into them has expired.
        total += self.status.purge_expired().await?;
        Ok(total + self.trim_histories().await?)
    }

    pub fn spawn_housekeeping(self: Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            // The first pass one period after start, not at once: replicas of a rollout
            // do not all purge in the same second, and a test that purges on its own
            // clock is not raced by a pass it did not ask for.
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match self.purge_expired().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(rows = n, "purged expired sessions"),
                    Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
                }
            }
        })
    }
}
