//! Users, and ending all of a user's sessions at once, in SQL.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::revoke_families::{revoke_families, Families};
use super::{words, SqlStore};
use crate::domain::{Email, RevocationReason, UnixTime, UserId};
use crate::storage::{StoreError, UserRow, UserStore};

fn user_from_row(row: &AnyRow) -> Result<UserRow, StoreError> {
    let roles: String = row.try_get("roles")?;
    Ok(UserRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        roles: words(&roles),
        disabled_at: row.try_get("disabled_at")?,
        sessions_revoked_at: row.try_get("sessions_revoked_at")?,
        created_at: row.try_get("created_at")?,
    })
}

const USER_COLUMNS: &str =
    "id, email, password_hash, roles, disabled_at, sessions_revoked_at, created_at";

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, user: &UserRow) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO users (id, email, password_hash, roles, disabled_at, sessions_revoked_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.roles.join(" "))
        .bind(user.disabled_at)
        .bind(user.sessions_revoked_at)
        .bind(user.created_at)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_id(&self, id: &UserId) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn revoke_user_sessions(&self, id: &UserId, now: UnixTime) -> Result<bool, StoreError> {
        self.end_sessions(
            "UPDATE users SET sessions_revoked_at = $1 WHERE id = $2",
            id.as_str(),
            now.secs(),
            RevocationReason::RevokeSessions,
        )
        .await
    }

    async fn disable_user(&self, id: &UserId, now: UnixTime) -> Result<bool, StoreError> {
        self.end_sessions(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, $1), sessions_revoked_at = $1 WHERE id = $2",
            id.as_str(),
            now.secs(),
            RevocationReason::UserDisabled,
        )
        .await
    }
}

impl SqlStore {
    /// Marks the user with `user_update` and revokes every live family of theirs, atomically.
    async fn end_sessions(
        &self,
        user_update: &'static str,
        id: &str,
        now: i64,
        reason: RevocationReason,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let found = sqlx::query(user_update)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        revoke_families(&mut tx, Families::OfUser(id), now, reason).await?;
        tx.commit().await?;
        Ok(found)
    }
}
