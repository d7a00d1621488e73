use sqlx::sqlite::SqliteError;

use super::{postgres, sqlite};

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
            sqlx::Error::Database(db) => {
                let code = db.code();
                let code = code.as_deref().unwrap_or_default();
                if db.try_downcast_ref::<SqliteError>().is_some() {
                    sqlite::means_unavailable(code)
                } else {
                    postgres::means_unavailable(code)
                }
            }
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
