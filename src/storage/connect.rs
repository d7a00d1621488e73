//! Opening the database the URL scheme chooses, once at start-up, and applying its
//! migrations. What each engine needs is in `sqlite` and `postgres`.

use super::database::{Database, Engine};
use super::{postgres, sqlite, SqlStore, StoreError};
use crate::config::{DatabaseSettings, DatabaseUrl};

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

pub async fn connect(settings: &DatabaseSettings) -> Result<Database, StoreError> {
    sqlx::any::install_default_drivers();
    Ok(match &settings.url {
        DatabaseUrl::Sqlite(url) => sqlite::open(url, settings.max_connections).await?,
        DatabaseUrl::Postgres(url) => {
            postgres::open(url.expose(), settings.max_connections).await?
        }
    })
}

/// Applies the engine's migrations; safe to run on every start and from several replicas.
pub async fn migrate(db: &Database) -> Result<(), sqlx::migrate::MigrateError> {
    match db.engine {
        Engine::Sqlite => sqlite::migrate(db).await,
        Engine::Postgres => postgres::migrate(db).await,
    }
}
