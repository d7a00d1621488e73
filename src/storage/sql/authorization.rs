//! Authority sessions, authorization codes and consents, in SQL.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::code_sql::live_sessions_sql;
use super::{codes, session_from_row, SqlStore};
use crate::domain::{ClientId, FamilyId, UnixTime, UserId};
use crate::storage::{
    AuthoritySessionRow, AuthorizationStore, CodeRedemption, CodeRow, ConsentRow, RedeemOutcome,
    StoreError,
};

fn consent_from_row(row: &AnyRow) -> Result<ConsentRow, StoreError> {
    Ok(ConsentRow {
        user_id: row.try_get("user_id")?,
        client_id: row.try_get("client_id")?,
        scope: row.try_get("scope")?,
        granted_at: row.try_get("granted_at")?,
    })
}

fn family_ids(rows: &[AnyRow]) -> Result<Vec<FamilyId>, StoreError> {
    rows.iter()
        .map(|row| Ok(FamilyId::new(row.try_get::<String, _>("id")?)))
        .collect()
}

#[async_trait]
impl AuthorizationStore for SqlStore {
    async fn insert_authority_session(&self, s: &AuthoritySessionRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO authority_sessions (id, secret_hash, user_id, auth_time, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id)
        .bind(s.secret_hash.clone())
        .bind(&s.user_id)
        .bind(s.auth_time)
        .bind(s.expires_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn live_authority_session(
        &self,
        secret_hash: &[u8],
        now: UnixTime,
    ) -> Result<Option<AuthoritySessionRow>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(live_sessions_sql(1)))
            .bind(now.secs())
            .bind(secret_hash.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn end_authority_session(
        &self,
        id: &str,
        now: UnixTime,
    ) -> Result<Vec<FamilyId>, StoreError> {
        sqlx::query(
            "UPDATE authority_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now.secs())
        .bind(id)
        .execute(&self.writer)
        .await?;
        let rows = sqlx::query(
            "SELECT id FROM refresh_families WHERE authority_session_id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .fetch_all(&self.writer)
        .await?;
        family_ids(&rows)
    }

    async fn insert_code(&self, c: &CodeRow) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await?;
        codes::insert_codes(&mut conn, std::slice::from_ref(c)).await
    }

    async fn redeem_code(&self, r: &CodeRedemption) -> Result<RedeemOutcome, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut outcomes = codes::redeem(&mut tx, std::slice::from_ref(r)).await?;
        tx.commit().await?;
        outcomes
            .pop()
            .ok_or_else(|| StoreError::Corrupt("a redemption without an outcome".into()))
    }

    async fn consent(
        &self,
        user: &UserId,
        client: &ClientId,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user.as_str())
            .bind(client.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("scope")).transpose()?)
    }

    async fn grant_consent(&self, c: &ConsentRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
        )
        .bind(&c.user_id)
        .bind(&c.client_id)
        .bind(&c.scope)
        .bind(c.granted_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn consents_of(&self, user: &UserId) -> Result<Vec<ConsentRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT user_id, client_id, scope, granted_at FROM consents WHERE user_id = $1 ORDER BY client_id",
        )
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(consent_from_row).collect()
    }

    async fn revoke_consent(
        &self,
        user: &UserId,
        client: &ClientId,
    ) -> Result<Option<Vec<FamilyId>>, StoreError> {
        let done = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user.as_str())
            .bind(client.as_str())
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT id FROM refresh_families WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL",
        )
        .bind(user.as_str())
        .bind(client.as_str())
        .fetch_all(&self.writer)
        .await?;
        family_ids(&rows).map(Some)
    }

    async fn purge_authorization(&self, before: UnixTime, batch: i64) -> Result<u64, StoreError> {
        let mut purged = 0;
        for sql in [
            "DELETE FROM authorization_codes WHERE hash IN (SELECT hash FROM authorization_codes WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM authority_sessions WHERE id IN (SELECT id FROM authority_sessions WHERE expires_at <= $1 LIMIT $2)",
        ] {
            purged += sqlx::query(sql)
                .bind(before.secs())
                .bind(batch)
                .execute(&self.writer)
                .await?
                .rows_affected();
        }
        Ok(purged)
    }
}
