//! Whether the database takes writes.

use async_trait::async_trait;

use super::StoreError;

#[async_trait]
pub trait HealthStore {
    /// Commits one small write: can the database record a session? Callers share it
    /// through `readiness::Readiness`, at most once a second per replica.
    async fn ping(&self) -> Result<(), StoreError>;
}
