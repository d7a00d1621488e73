//! The readiness probe's write.

use async_trait::async_trait;

use super::{corrupt, SqlStore};
use crate::storage::{HealthStore, StoreError};

#[async_trait]
impl HealthStore for SqlStore {
    /// Ready means able to record a session, so the probe commits a write: SQLite on a
    /// disk that refuses writes still answers `SELECT 1` (and reads). The row is its
    /// own (no rotation waits on it) and changes every time, because SQLite does not
    /// write a page whose content an update leaves unchanged.
    async fn ping(&self) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE readiness_probe SET probes = probes + 1 WHERE id = 1")
            .execute(&self.writer)
            .await?;
        if done.rows_affected() != 1 {
            return Err(corrupt("readiness_probe has no row"));
        }
        Ok(())
    }
}
