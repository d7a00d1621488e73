//! Token status lists in SQL: leases, the served lists' sources, housekeeping.

use async_trait::async_trait;
use sqlx::Row;

use super::SqlStore;
use crate::storage::{LeaseRequest, StatusLease, StatusListRow, StatusStore, StoreError};

/// Takes `$1` indices of the fullest-numbered list of key `$2` and window `$3` that has
/// room; the room is checked again on the row itself, so two replicas racing for the
/// last block cannot both get it.
const LEASE: &str = "UPDATE status_lists SET next_index = next_index + $1 \
    WHERE id = (SELECT id FROM status_lists WHERE kid = $2 AND window_start = $3 \
                AND next_index + $1 <= capacity ORDER BY part DESC LIMIT 1) \
    AND next_index + $1 <= capacity \
    RETURNING id, next_index - $1 AS first, next_index AS end_index, accepts_until";

/// Opens the next part of key `$2`'s list for window `$3`; a replica opening the
/// same part at the same moment wins, and this one leases from it.
const OPEN: &str = "INSERT INTO status_lists \
    (id, kid, window_start, part, accepts_until, expires_at, capacity, next_index, all_revoked) \
    SELECT $1, $2, $3, COALESCE(MAX(part) + 1, 0), $4, $5, $6, 0, 0 FROM status_lists \
    WHERE kid = $2 AND window_start = $3 \
    ON CONFLICT (kid, window_start, part) DO NOTHING";

pub(super) const BUMP_STATUS_VERSION: &str =
    "UPDATE status_version SET version = version + 1 WHERE id = 1";

#[async_trait]
impl StatusStore for SqlStore {
    async fn lease_status_indices(&self, r: &LeaseRequest<'_>) -> Result<StatusLease, StoreError> {
        // Two rounds suffice unless other replicas fill a whole list in between.
        for _ in 0..4 {
            let row = sqlx::query(LEASE)
                .bind(r.block)
                .bind(r.kid)
                .bind(r.window_start)
                .fetch_optional(&self.writer)
                .await?;
            if let Some(row) = row {
                return Ok(StatusLease {
                    list_id: row.try_get("id")?,
                    kid: r.kid.to_owned(),
                    first: row.try_get("first")?,
                    end: row.try_get("end_index")?,
                    accepts_until: row.try_get("accepts_until")?,
                });
            }
            let mut tx = self.writer.begin().await?;
            let opened = sqlx::query(OPEN)
                .bind(r.new_list_id)
                .bind(r.kid)
                .bind(r.window_start)
                .bind(r.accepts_until)
                .bind(r.expires_at)
                .bind(r.capacity)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if opened == 1 {
                // Other replicas learn of the list by the version, and serve it.
                sqlx::query(BUMP_STATUS_VERSION).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Err(StoreError::Corrupt(
            "no status list with room after opening one".into(),
        ))
    }

    async fn status_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT version FROM status_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("version")?)
    }

    async fn status_lists(&self) -> Result<Vec<StatusListRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kid, capacity, all_revoked, expires_at FROM status_lists ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StatusListRow {
                    id: row.try_get("id")?,
                    kid: row.try_get("kid")?,
                    capacity: row.try_get("capacity")?,
                    all_revoked: row.try_get::<i64, _>("all_revoked")? != 0,
                    expires_at: row.try_get("expires_at")?,
                })
            })
            .collect()
    }

    async fn status_revocations(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT list_id, idx FROM status_revocations")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("list_id")?, row.try_get("idx")?)))
            .collect()
    }

    async fn purge_status_lists(&self, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let revocations = sqlx::query(
            "DELETE FROM status_revocations WHERE list_id IN (SELECT id FROM status_lists WHERE expires_at <= $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let lists = sqlx::query("DELETE FROM status_lists WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if lists > 0 {
            sqlx::query(BUMP_STATUS_VERSION).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(revocations + lists)
    }
}
