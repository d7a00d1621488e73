//! PostgreSQL: its pool, its migrations, and which of its error codes mean the
//! database is unavailable. Chosen once at start-up from a `postgres:` URL; the SQL
//! text is the same as SQLite's.
//!
//! May import `storage::database`; nothing else of tessera.

use super::database::{pool_options, Database, Engine};

/// Two group-commit lanes: a second batch forms while the first commits.
pub const ROTATION_LANES: usize = 2;

/// Opens a pool of up to `max_connections`, which reads and writes share.
pub async fn open(url: &str, max_connections: u32) -> Result<Database, sqlx::Error> {
    let pool = pool_options(max_connections).connect(url).await?;
    Ok(Database {
        writer: pool.clone(),
        pool,
        engine: Engine::Postgres,
    })
}

/// Applies the PostgreSQL migrations.
pub async fn migrate(db: &Database) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("./migrations/postgres")
        .run(&db.writer)
        .await
}

/// Whether a SQLSTATE means the database is unavailable rather than the query wrong:
/// connection exceptions (08), operator intervention such as shutdown (57P),
/// insufficient resources (53), and a read-only transaction (25006: connected to a
/// standby, e.g. during a failover).
pub fn means_unavailable(code: &str) -> bool {
    code == "25006"
        || ["08", "57P", "53"]
            .iter()
            .any(|class| code.starts_with(class))
}
