//! Persistence behind traits, one file per trait (`users`, `clients`, `families`,
//! `throttle`, `keys`, `health`, `authorization`, `status`, and for group commit
//! `batches` and `authorization_batches`), with one SQL implementation (`sql`) that
//! serves SQLite and PostgreSQL with the same text. The engine is chosen once at
//! start-up from the `database.url` scheme (`connect`); what differs between engines,
//! pools, pragmas, the checkpointer and error codes, is in `sqlite` and `postgres`.
//! `group_commit` decorates a store: it queues refresh rotations and authorization
//! codes and forwards everything else; start-up wires it around the SQL store.
//!
//! Storage returns facts and applies decisions; it makes none. A rotation's rules
//! come in with the request (`Rotation::rules`) as pure functions, defined in
//! `sessions::rotation`, and are called inside the transaction they govern.
//!
//! May import `config`, `domain` and `clock`; never `keys`' services, `tokens`,
//! `sessions` or `http`. Inside: `sql` and `group_commit` import the traits and
//! models here, never each other; the engines import only `database`, the leaf `connect` and `error` call them through.

mod authorization;
mod authorization_batches;
mod batches;
mod clients;
mod connect;
mod database;
mod error;
mod families;
mod group_commit;
mod health;
mod keys;
mod models;
mod postgres;
mod rotation;
mod sql;
mod sqlite;
mod status;
mod throttle;
mod users;

use std::sync::Arc;

pub use authorization::AuthorizationStore;
pub use authorization_batches::AuthorizationBatches;
pub use batches::{Presented, RotationBatches, SpentBatch};
pub use clients::ClientStore;
pub use connect::{connect, migrate};
pub use database::Database;
pub use error::StoreError;
pub use families::FamilyStore;
pub use group_commit::{GroupCommit, RotationMetrics};
pub use health::HealthStore;
pub use keys::KeyStore;
pub use models::*;
pub use rotation::{
    RotateOutcome, Rotation, RotationRules, SpentToken, SpentVerdict, UnspentToken, UnspentVerdict,
};
pub use sql::SqlStore;
pub use status::StatusStore;
pub use throttle::ThrottleStore;
pub use users::UserStore;

/// Everything the services need from the database.
pub trait Store:
    KeyStore
    + UserStore
    + ClientStore
    + FamilyStore
    + ThrottleStore
    + HealthStore
    + AuthorizationStore
    + StatusStore
    + Send
    + Sync
{
}

impl<T> Store for T where
    T: KeyStore
        + UserStore
        + ClientStore
        + FamilyStore
        + ThrottleStore
        + HealthStore
        + AuthorizationStore
        + StatusStore
        + Send
        + Sync
{
}

/// The store as the services hold it.
pub type SharedStore = Arc<dyn Store>;
