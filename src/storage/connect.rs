//! Opening the database chosen by the URL scheme, and applying its migrations.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use super::sql::SqlStore;
use super::{SharedStore, StoreError};
use crate::config::{DatabaseSettings, DatabaseUrl};

/// Which engine runs: known here, in storage, and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// An open pool and the engine behind it.
#[derive(Clone)]
pub struct Database {
    pub pool: AnyPool,
    pub engine: Engine,
}

impl Database {
    pub fn store(&self) -> SharedStore {
        Arc::new(SqlStore::new(self.pool.clone()))
    }
}

/// A waiting request gives up after this long and answers 503 instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long SQLite waits for a competing writer before reporting "busy".
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

pub async fn connect(settings: &DatabaseSettings) -> Result<Database, StoreError> {
    sqlx::any::install_default_drivers();
    let options = AnyPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT);
    match &settings.url {
        DatabaseUrl::Sqlite(url) => {
            prepare_sqlite_file(url).await?;
            let pool = options
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        // Per-connection settings; WAL was made permanent when the file was prepared.
                        conn.execute(sqlx::AssertSqlSafe(format!(
                            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL;"
                        )))
                        .await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?;
            Ok(Database {
                pool,
                engine: Engine::Sqlite,
            })
        }
        DatabaseUrl::Postgres(url) => {
            let pool = options.connect(url.expose()).await?;
            Ok(Database {
                pool,
                engine: Engine::Postgres,
            })
        }
    }
}

/// Creates the file (and its directory, e.g. `data/`) and switches it to WAL once.
async fn prepare_sqlite_file(url: &str) -> Result<(), StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS.into()));
    let path = options.get_filename();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))?;
    }
    let conn = options.connect().await?;
    conn.close().await?;
    Ok(())
}

/// Applies the engine's migrations; safe to run on every start and from several replicas.
pub async fn migrate(db: &Database) -> Result<(), sqlx::migrate::MigrateError> {
    match db.engine {
        Engine::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&db.pool).await,
        Engine::Postgres => sqlx::migrate!("./migrations/postgres").run(&db.pool).await,
    }
}
