//! The open pools and the engine behind them, and the pool settings both engines
//! share. A leaf of storage: the engines build a `Database`; `connect` picks the engine.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection};

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

/// A waiting request gives up after this long and answers 503 instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// A pooled connection idle this long is pinged before it is handed out.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);

/// The pool settings both engines share.
pub fn pool_options(max_connections: u32) -> AnyPoolOptions {
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
