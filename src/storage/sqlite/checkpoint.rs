//! SQLite WAL checkpoints, off the write path. By default the connection that commits
//! copies the WAL back into the database file (and syncs it) once the WAL passes 1000
//! pages, inside its COMMIT; all of tessera's writes share one connection, so every
//! rotation queued behind that commit waited for the disk (bench/refresh: about a
//! quarter of the throughput). The writer does not checkpoint; this task does, on a
//! connection of its own, while the writer goes on.
//!
//! The WAL starts over only when everything in it was copied back at the moment a
//! write transaction begins, and a writer that never pauses leaves no such moment. A
//! `RESTART` checkpoint makes one, but it takes the write lock through SQLite's busy
//! handler, which sleeps 1, 2, 5, 10 ms... while the writer's own busy handler does
//! the same: each restart stopped every write for about 35 ms, three times a second
//! on a database of a million families (bench/refresh). Instead, the last of the WAL
//! is copied back on the writer's own connection, taken from its pool in turn like any
//! write: no write transaction is open then, so the copy is complete, and the next
//! write starts the WAL over. Writes wait only for that last copy and its sync.

use std::time::Duration;

use sqlx::{AnyPool, Row};

/// The pause after each checkpoint: at 100 MB/s of writes (past what bench/refresh
/// makes) the WAL grows 5 MB in between. A pause rather than a beat, so that the
/// writer commits once after its connection emptied the WAL, and the WAL starts over,
/// before the next checkpoint looks at it.
const EVERY: Duration = Duration::from_millis(50);
/// Past this many pages (32 MiB) the writer's connection finishes the checkpoint, so
/// that the WAL starts over. Measured: 16 and 32 Ki pages stall writes less often but
/// gave lower throughput and a higher p99 (bench/refresh, a million families).
const RESTART_PAGES: i64 = 8 * 1024;
/// Before the writer's connection takes over, the background copy runs again while
/// the WAL grew by more than this many pages during its last pass, at most
/// `CATCH_UP_PASSES` times: the writes wait for what is left, and each pass leaves
/// only what was written while it ran.
const CATCH_UP_PAGES: i64 = 64;
const CATCH_UP_PASSES: usize = 4;
/// Past this many, a reader that kept an old snapshot open stopped the WAL from
/// starting over: a `RESTART` checkpoint waits for the readers (busy handler, up to
/// its timeout) and then makes it.
const FORCE_RESTART_PAGES: i64 = 4 * RESTART_PAGES;

/// The pools a checkpointer works with: `own` holds connections of its own; `writer`
/// is the pool of the one connection all writes go through.
pub struct Pools {
    pub own: AnyPool,
    pub writer: AnyPool,
}

/// Checkpoints the database of `pools` for as long as the runtime runs.
pub fn spawn(pools: Pools) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            if let Err(e) = checkpoint_once(&pools).await {
                // The write path reports an unwritable disk; here it is only a retry.
                tracing::debug!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}

/// One passive checkpoint, finished on the writer's connection when the WAL has grown
/// long. Returns the WAL's length in pages as the last checkpoint left it.
pub async fn checkpoint_once(pools: &Pools) -> Result<i64, sqlx::Error> {
    let mut pages = checkpoint(&pools.own, "PASSIVE").await?;
    if pages > FORCE_RESTART_PAGES {
        return checkpoint(&pools.own, "RESTART").await;
    }
    if pages <= RESTART_PAGES {
        return Ok(pages);
    }
    for _ in 0..CATCH_UP_PASSES {
        let now = checkpoint(&pools.own, "PASSIVE").await?;
        let grew = now - pages;
        pages = now;
        if grew <= CATCH_UP_PAGES {
            break;
        }
    }
    checkpoint(&pools.writer, "PASSIVE").await
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
    /// end while writes never pause: 256 MiB at 64 MiB/s, a write every millisecond, go
    /// through a WAL that stays far smaller, and the data reach the database file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_bounded_under_writes_that_never_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let settings = DatabaseSettings {
            url: DatabaseUrl::Sqlite(format!("sqlite://{}", path.display())),
            max_connections: 2,
        };
        let db = crate::storage::connect(&settings).await.unwrap();
        db.writer
            .execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
            .await
            .unwrap();
        let wal = dir.path().join("t.db-wal");
        let mut largest = 0;
        // Gaps of a millisecond are too short for a background checkpoint to catch up
        // in, so the WAL never starts over by itself.
        let mut pace = tokio::time::interval(std::time::Duration::from_millis(1));
        for _ in 0..4096 {
            pace.tick().await;
            sqlx::query("INSERT INTO blobs (data) VALUES (zeroblob(65536))")
                .execute(&db.writer)
                .await
                .unwrap();
            largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        }
        // The writer's connection lets the WAL start over soon after it passes
        // RESTART_PAGES (measured: 40 MB). Without that step only a lucky gap or the
        // forced restart does it (measured: 66 to 139 MB).
        let limit = 2 * super::RESTART_PAGES as u64 * 4096;
        assert!(largest < limit, "WAL reached {largest} bytes");
        // Whatever the last checkpoint left behind is copied back by the next one.
        let pools = super::Pools {
            own: db.pool.clone(),
            writer: db.writer.clone(),
        };
        super::checkpoint_once(&pools).await.unwrap();
        let copied = std::fs::metadata(&path).unwrap().len();
        assert!(copied > 100 << 20, "database file holds {copied} bytes");
    }
}
