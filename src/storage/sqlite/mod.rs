//! SQLite: the file, its pools and pragmas, its migrations, its checkpointer, and
//! which of its error codes mean the database is unavailable. Chosen once at
//! start-up from a `sqlite:` URL; the SQL text is the same as PostgreSQL's.
//!
//! May import `storage::database`; nothing else of tessera.

mod checkpoint;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use super::database::{pool_options, Database, Engine};

/// SQLite has one writer, so one group-commit lane: one batch at a time.
pub const ROTATION_LANES: usize = 1;

/// How much of the SQLite file each connection maps (address space, not memory).
const SQLITE_MMAP_BYTES: u64 = 1 << 30;
/// The WAL file's size once a checkpoint has emptied it.
const SQLITE_WAL_KEEP_BYTES: u64 = 64 << 20;
/// Where the SQLite writer keeps statement journals and temporary tables.
const WRITER_TEMP_STORE: &str = "PRAGMA temp_store = MEMORY";
/// How long SQLite waits for a competing writer before reporting "busy".
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// Opens the file at `url` (creating it), with up to `max_connections` readers.
pub async fn open(url: &str, max_connections: u32) -> Result<Database, sqlx::Error> {
    prepare_sqlite_file(url).await?;
    let pool = sqlite_pool(pool_options(max_connections), url, Access::Read).await?;
    // SQLite admits one writer at a time and makes the others retry in a
    // sleep loop (busy_timeout): under load, stalls of 100 ms and more. All of
    // this process's writes share one connection instead, and waiting writers
    // queue in order in the pool.
    let writer = sqlite_pool(pool_options(1), url, Access::Write).await?;
    checkpoint::spawn(checkpoint::Pools {
        own: sqlite_pool(pool_options(1), url, Access::Read).await?,
        writer: writer.clone(),
    });
    Ok(Database {
        pool,
        writer,
        engine: Engine::Sqlite,
    })
}

/// What a SQLite pool's connections are for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

async fn sqlite_pool(
    options: AnyPoolOptions,
    url: &str,
    access: Access,
) -> Result<AnyPool, sqlx::Error> {
    let pool = options
        .after_connect(move |conn, _| {
            Box::pin(async move {
                // Per-connection settings; WAL was made permanent when the file was prepared.
                // mmap: pages are read from the OS page cache shared by every connection,
                // not copied into each connection's own 2 MB cache, which a database of a
                // million families outgrows at once.
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = {SQLITE_MMAP_BYTES};"
                )))
                .await?;
                // SQLite opens a file it cannot write read-only, silently, and such a
                // connection stays read-only after the disk recovers. A write that is
                // rolled back (it touches nothing) refuses that connection, so the pool
                // tries again later instead of keeping it. Readers only read: they
                // keep opening, so reads go on while writes fail.
                if access == Access::Write {
                    conn.execute("BEGIN; PRAGMA user_version = 0; ROLLBACK;")
                        .await?;
                    // Checkpoints are `checkpoint::spawn`'s; a WAL that grew under load
                    // is cut back to this size when it starts over.
                    conn.execute(sqlx::AssertSqlSafe(format!(
                        "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {SQLITE_WAL_KEEP_BYTES};"
                    )))
                    .await?;
                    // A statement that writes many rows inside a transaction (a group
                    // commit's) keeps the pages it changes in a statement journal, in a
                    // temporary file once past 64 KiB: a write system call per page. In
                    // memory a batch's journal is a few hundred KiB (bench/refresh: 11%
                    // more rotations on a million families). Migrations switch back to
                    // a file (`migrate`): theirs can be as large as a table.
                    conn.execute(WRITER_TEMP_STORE).await?;
                }
                Ok(())
            })
        })
        // When SQLite fails a COMMIT (disk I/O error, disk full) it rolls the
        // transaction back itself, but sqlx still counts it as open, its ROLLBACK then
        // fails too, and every later "transaction" on the connection is a savepoint
        // inside one that never commits: writes answered 200 and never reached the
        // disk (tests/integration/faults/outage.rs). Such a connection is closed, not reused.
        // Only a connection released inside a transaction pays a round trip: the ping
        // waits for the rollback sqlx queued when the transaction was dropped.
        .after_release(|conn, _| {
            Box::pin(async move {
                if conn.is_in_transaction() {
                    conn.ping().await?;
                }
                Ok(!conn.is_in_transaction())
            })
        })
        .connect(url)
        .await?;
    Ok(pool)
}

/// Creates the file (and its directory, e.g. `data/`) and switches it to WAL once.
async fn prepare_sqlite_file(url: &str) -> Result<(), sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS.into()));
    let path = options.get_filename();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let conn = options.connect().await?;
    conn.close().await?;
    Ok(())
}

/// Applies the SQLite migrations.
pub async fn migrate(db: &Database) -> Result<(), sqlx::migrate::MigrateError> {
    // The writer's pool holds one connection, so these run on the same one as
    // the migrations.
    db.writer.execute("PRAGMA temp_store = FILE").await?;
    let applied = sqlx::migrate!("./migrations/sqlite").run(&db.writer).await;
    let restored = db.writer.execute(WRITER_TEMP_STORE).await;
    // A failed migration's own error says more than the failed restore's.
    applied?;
    restored?;
    Ok(())
}

/// Whether an error code SQLite reports means the database is unavailable rather
/// than the query wrong. SQLite reports extended codes (778 is SQLITE_IOERR_WRITE);
/// the primary code is the low byte. Busy beyond the timeout, locked, read-only (the
/// file or its disk), I/O error, disk full, cannot open, locking protocol, not a
/// database.
pub fn means_unavailable(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 6 | 8 | 10 | 13 | 14 | 15 | 26))
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use crate::config::{DatabaseSettings, DatabaseUrl};

    async fn temp_store(pool: &sqlx::AnyPool) -> i64 {
        sqlx::query("PRAGMA temp_store")
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// The writer journals in memory (group commits) once migrations, which may
    /// rewrite a whole table and journal to a file, are done; readers keep SQLite's
    /// default.
    #[tokio::test]
    async fn only_the_sqlite_writer_keeps_temporary_data_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let settings = DatabaseSettings {
            url: DatabaseUrl::Sqlite(format!("sqlite://{}", dir.path().join("t.db").display())),
            max_connections: 2,
        };
        let db = crate::storage::connect(&settings).await.unwrap();
        crate::storage::migrate(&db).await.unwrap();
        const MEMORY: i64 = 2;
        const DEFAULT: i64 = 0;
        assert_eq!(temp_store(&db.writer).await, MEMORY);
        assert_eq!(temp_store(&db.pool).await, DEFAULT);
    }
}
