//! Opening the database the URL scheme chooses, once at start-up, and applying its
//! migrations. What each engine needs is in `sqlite` and `postgres`.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection};

use super::{postgres, sqlite, SqlStore, StoreError};
use crate::config::{DatabaseSettings, DatabaseUrl};

/// Which engine runs: known here, in storage, and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Open pools and the engine behind them.
#[derive(Clone)]
pub struct Database {
    pub pool: AnyPool,
    /// Where writes go: the same pool on PostgreSQL, one connection on SQLite.
    pub writer: AnyPool,
    pub engine: Engine,
}

impl Database {
    /// The SQL store over these pools.
    pub fn sql_store(&self) -> SqlStore {
        SqlStore::new(self.pool.clone(), self.writer.clone())
    }

    /// How many group-commit lanes suit the engine.
    pub fn rotation_lanes(&self) -> usize {
        match self.engine {
            Engine::Sqlite => sqlite::ROTATION_LANES,
            Engine::Postgres => postgres::ROTATION_LANES,
        }
    }
}

/// A waiting request gives up after this long and answers 503 instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// A pooled connection idle this long is pinged before it is handed out.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);

pub async fn connect(settings: &DatabaseSettings) -> Result<Database, StoreError> {
    sqlx::any::install_default_drivers();
    match &settings.url {
        DatabaseUrl::Sqlite(url) => sqlite::open(url, settings.max_connections).await,
        DatabaseUrl::Postgres(url) => postgres::open(url.expose(), settings.max_connections).await,
    }
}

/// Applies the engine's migrations; safe to run on every start and from several replicas.
pub async fn migrate(db: &Database) -> Result<(), sqlx::migrate::MigrateError> {
    match db.engine {
        Engine::Sqlite => sqlite::migrate(db).await,
        Engine::Postgres => postgres::migrate(db).await,
    }
}

/// The pool settings both engines share.
pub(super) fn pool_options(max_connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // sqlx pings every connection on checkout by default: a round trip per request
        // (5-11% of a refresh). A connection that was in use moments ago is alive; one
        // that sat idle may have been cut by the server or a proxy, so only that one is
        // pinged. A connection that dies anyway fails its query with a 503 and is
        // replaced.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}
