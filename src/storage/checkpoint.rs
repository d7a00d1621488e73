//! SQLite WAL checkpoints, off the write path. By default the connection that commits
//! copies the WAL back into the database file (and syncs it) once the WAL passes 1000
//! pages, inside its COMMIT; all of tessera's writes share one connection, so every
//! rotation queued behind that commit waited for the disk (bench/refresh: about a
//! quarter of the throughput). The writer does not checkpoint; this task does, on a
//! connection of its own, while the writer goes on.

use std::time::Duration;

use sqlx::{AnyPool, Row};

/// How often the WAL is copied back: at 100 MB/s of writes (past what bench/refresh
/// makes) the WAL grows 5 MB in between.
const EVERY: Duration = Duration::from_millis(50);
/// A writer that never pauses keeps the WAL from starting over (it restarts only when
/// everything in it was copied back), so past this many pages (32 MiB) the
/// checkpointer waits for a gap between write transactions and resets it.
const RESTART_PAGES: i64 = 8 * 1024;

/// Checkpoints the database of `pool`, which is this task's own, for as long as the
/// runtime runs.
pub fn spawn(pool: AnyPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = checkpoint_once(&pool).await {
                // The write path reports an unwritable disk; here it is only a retry.
                tracing::debug!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}

/// One passive checkpoint, and a restarting one when the WAL has grown too long.
/// Returns the WAL's length in pages as the last checkpoint left it.
pub async fn checkpoint_once(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    let pages = checkpoint(pool, "PASSIVE").await?;
    if pages > RESTART_PAGES {
        return checkpoint(pool, "RESTART").await;
    }
    Ok(pages)
}

async fn checkpoint(pool: &AnyPool, mode: &str) -> Result<i64, sqlx::Error> {
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(pool)
        .await?;
    row.try_get::<i64, _>("log")
}

#[cfg(test)]
mod tests {
    use sqlx::Executor;

    use crate::config::{DatabaseSettings, DatabaseUrl};

    /// The writer never checkpoints, so this is what keeps the WAL from growing without
    /// end while writes never pause: 256 MiB at 100 MiB/s go through a WAL that stays
    /// far smaller, and the data reach the database file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_bounded_under_writes_that_never_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let settings = DatabaseSettings {
            url: DatabaseUrl::Sqlite(format!("sqlite://{}", path.display())),
            max_connections: 2,
        };
        let db = super::super::connect(&settings).await.unwrap();
        db.writer
            .execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
            .await
            .unwrap();
        let wal = dir.path().join("t.db-wal");
        let mut largest = 0;
        let mut pace = tokio::time::interval(std::time::Duration::from_millis(10));
        for _ in 0..256 {
            pace.tick().await;
            sqlx::query("INSERT INTO blobs (data) VALUES (zeroblob(1048576))")
                .execute(&db.writer)
                .await
                .unwrap();
            largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        }
        let limit = 2 * (super::RESTART_PAGES as u64 * 4096) + (64 << 20);
        assert!(largest < limit, "WAL reached {largest} bytes");
        // Whatever the last checkpoint left behind is copied back by the next one.
        super::checkpoint_once(&db.pool).await.unwrap();
        let copied = std::fs::metadata(&path).unwrap().len();
        assert!(copied > 100 << 20, "database file holds {copied} bytes");
    }
}
