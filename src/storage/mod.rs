//! Persistence behind traits: one implementation serves SQLite and PostgreSQL with
//! the same SQL text, chosen once from the `database.url` scheme.

mod checkpoint;
mod connect;
mod error;
mod group_commit;
mod keys;
mod models;
mod screen;
mod sessions;
mod sql;
mod sql_sessions;

use std::sync::Arc;

pub use connect::{connect, migrate, Database};
pub use error::StoreError;
pub use group_commit::RotationMetrics;
pub use keys::KeyStore;
pub use models::*;
pub use sessions::{ClientStore, FamilyStore, ThrottleStore, UserStore};

/// Everything the services need from the database.
pub trait Store:
    KeyStore + UserStore + ClientStore + FamilyStore + ThrottleStore + HealthStore + Send + Sync
{
}

impl<T> Store for T where
    T: KeyStore + UserStore + ClientStore + FamilyStore + ThrottleStore + HealthStore + Send + Sync
{
}

/// The store as the services hold it.
pub type SharedStore = Arc<dyn Store>;

#[async_trait::async_trait]
pub trait HealthStore {
    /// Commits one small write: can the database record a session? Callers share it
    /// through `readiness::Readiness`, at most once a second per replica.
    async fn ping(&self) -> Result<(), StoreError>;
}
