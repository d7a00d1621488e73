use sqlx::sqlite::SqliteError;

/// A storage failure. Unavailability (the database does not answer) is told apart
/// so that callers can answer 503 with `Retry-After` instead of an opaque 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Query(#[source] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let unavailable = match &e {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
            sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) if db.try_downcast_ref::<SqliteError>().is_some() => {
                // SQLite reports extended codes (778 is SQLITE_IOERR_WRITE); the primary
                // code is the low byte. Busy beyond the timeout, locked, read-only (the
                // file or its disk), I/O error, disk full, cannot open, locking protocol,
                // not a database.
                db.code()
                    .and_then(|code| code.parse::<i32>().ok())
                    .is_some_and(|code| matches!(code & 0xff, 5 | 6 | 8 | 10 | 13 | 14 | 15 | 26))
            }
            // PostgreSQL: connection exceptions (08), operator intervention such as
            // shutdown (57P), insufficient resources (53), and a read-only transaction
            // (25006: connected to a standby, e.g. during a failover).
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                code == "25006"
                    || ["08", "57P", "53"]
                        .iter()
                        .any(|class| code.starts_with(class))
            }),
            _ => false,
        };
        if unavailable {
            Self::Unavailable(e)
        } else {
            Self::Query(e)
        }
    }
}

impl StoreError {
    /// The same failure, for another caller that shared the failed operation.
    pub fn again(&self) -> Self {
        let same = |e: &sqlx::Error| sqlx::Error::Protocol(e.to_string());
        match self {
            Self::Unavailable(e) => Self::Unavailable(same(e)),
            Self::Query(e) => Self::Query(same(e)),
            Self::Corrupt(what) => Self::Corrupt(what.clone()),
        }
    }

    /// A unique-constraint violation: a concurrent writer won the race.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Query(sqlx::Error::Database(db)) if db.is_unique_violation())
    }
}
