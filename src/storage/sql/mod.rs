//! The one SQL implementation of the store traits, one file per trait. Both engines
//! run the same text: `$n` parameters, `RETURNING`, `ON CONFLICT`, integer times.
//! What differs between engines (pools, pragmas, error codes) is `sqlite` and
//! `postgres`, chosen once at start-up; this store only holds their pools. It knows
//! nothing of group commit: `group_commit` wraps it and calls its `RotationBatches`
//! and `AuthorizationBatches`.
//!
//! May import the rest of `storage` and `domain`; never the services.

mod authorization;
mod clients;
mod code_sql;
mod codes;
mod families;
mod health;
mod keys;
mod padded;
mod revoke_families;
mod rotation;
mod rotation_sql;
mod spend;
mod status;
mod throttle;
mod users;

use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use super::{AuthoritySessionRow, FamilyRow, StoreError};

pub struct SqlStore {
    /// Reads.
    pool: AnyPool,
    /// Writes and read-then-write transactions (see `Database::writer`).
    writer: AnyPool,
}

impl SqlStore {
    pub fn new(pool: AnyPool, writer: AnyPool) -> Self {
        Self { pool, writer }
    }
}

/// A user disabled, or who revoked every session after a sign-in, kills it as it kills
/// tokens. A macro so the statements stay `'static` text.
macro_rules! user_is_live {
    () => {
        "u.disabled_at IS NULL AND (u.sessions_revoked_at IS NULL OR u.sessions_revoked_at <= s.auth_time)"
    };
}
use user_is_live;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn family_from_row(row: &AnyRow) -> Result<FamilyRow, StoreError> {
    Ok(FamilyRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        client_id: row.try_get("client_id")?,
        scope: row.try_get("scope")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn session_from_row(row: &AnyRow) -> Result<AuthoritySessionRow, StoreError> {
    Ok(AuthoritySessionRow {
        id: row.try_get("id")?,
        secret_hash: row.try_get("secret_hash")?,
        user_id: row.try_get("user_id")?,
        auth_time: row.try_get("auth_time")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// Space-separated words as stored (`users.roles`, `clients.scopes`).
fn words(stored: &str) -> Vec<String> {
    stored.split_whitespace().map(str::to_owned).collect()
}
