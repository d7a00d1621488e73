//! Refresh families, their tokens' lookups and housekeeping, and the access-token
//! denylist, in SQL. Rotations themselves are `rotation`'s.

use async_trait::async_trait;
use sqlx::Row;

use super::revoke_families::{revoke_families, Families};
use super::status::BUMP_STATUS_VERSION;
use super::{family_from_row, words, SqlStore};
use crate::domain::{FamilyId, Jti, RevocationReason, StatusSlot, UnixTime, UserId};
use crate::storage::{
    AccessTokenState, FamilyRow, FamilyStore, NewFamily, RotateOutcome, Rotation, RotationBatches,
    StoreError, TokenUser,
};

#[async_trait]
impl FamilyStore for SqlStore {
    async fn start_family(&self, f: &NewFamily) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO refresh_families (id, user_id, client_id, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&f.id)
        .bind(&f.user_id)
        .bind(f.client_id.clone())
        .bind(&f.scope)
        .bind(f.created_at)
        .bind(f.expires_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at, status_list, status_idx) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(f.first_token_hash.clone())
        .bind(&f.id)
        .bind(f.created_at)
        .bind(f.first_token_expires_at)
        .bind(f.first_token_status.as_ref().map(|s| s.list_id.clone()))
        .bind(f.first_token_status.as_ref().map(|s| s.idx))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rotate_refresh(&self, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        // Without group commit (`group_commit` wraps this store), each on its own.
        self.rotate_alone(r).await
    }

    async fn family_of_token(&self, hash: &[u8]) -> Result<Option<FamilyRow>, StoreError> {
        let row = sqlx::query(
            "SELECT f.id, f.user_id, f.client_id, f.scope, f.expires_at, f.revoked_at FROM refresh_tokens t \
             JOIN refresh_families f ON f.id = t.family_id WHERE t.hash = $1",
        )
        .bind(hash.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(family_from_row).transpose()
    }

    async fn revoke_family(
        &self,
        family_id: &FamilyId,
        now: UnixTime,
        reason: RevocationReason,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let revoked = revoke_families(
            &mut tx,
            Families::One(family_id.as_str()),
            now.secs(),
            reason,
        )
        .await?;
        tx.commit().await?;
        Ok(revoked == 1)
    }

    async fn deny_access_token(
        &self,
        jti: &Jti,
        expires_at: UnixTime,
        status: Option<&StatusSlot>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO access_denylist (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING")
            .bind(jti.as_str())
            .bind(expires_at.secs())
            .execute(&mut *tx)
            .await?;
        if let Some(slot) = status {
            // Only an index of a list still served, within its bounds.
            let marked = sqlx::query(
                "INSERT INTO status_revocations (list_id, idx) \
                 SELECT id, $2 FROM status_lists WHERE id = $1 AND $2 >= 0 AND $2 < capacity \
                 ON CONFLICT (list_id, idx) DO NOTHING",
            )
            .bind(slot.list_id.clone())
            .bind(slot.idx)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked > 0 {
                sqlx::query(BUMP_STATUS_VERSION).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn access_token_state(
        &self,
        jti: &Jti,
        sid: Option<&FamilyId>,
        sub: &UserId,
        iat: UnixTime,
    ) -> Result<AccessTokenState, StoreError> {
        // Strictly before: a same-second login after revoke-all is a new family, and
        // families are revoked too, so no earlier token slips through.
        // A `sid` must name a live family: a revoked family's row is purged one day, and
        // from then on "not revoked" would have read as live (a logged-out session
        // coming back). Tokens without a `sid` (client credentials) have no family.
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM access_denylist WHERE jti = $1) \
             + (CASE WHEN $2 IS NULL THEN 0 \
                     WHEN EXISTS (SELECT 1 FROM refresh_families WHERE id = $2 AND revoked_at IS NULL) THEN 0 \
                     ELSE 1 END) \
             + (SELECT COUNT(*) FROM users WHERE id = $3 AND (disabled_at IS NOT NULL OR sessions_revoked_at > $4)) \
             AS dead, u.id, u.email, u.roles \
             FROM (SELECT 1 AS one) AS t LEFT JOIN users u ON u.id = $3",
        )
        .bind(jti.as_str())
        .bind(sid.map(|s| s.as_str().to_owned()))
        .bind(sub.as_str())
        .bind(iat.secs())
        .fetch_one(&self.pool)
        .await?;
        let dead: i64 = row.try_get("dead")?;
        let user = match row.try_get::<Option<String>, _>("id")? {
            Some(id) => Some(TokenUser {
                id,
                email: row.try_get("email")?,
                roles: words(&row.try_get::<String, _>("roles")?),
            }),
            None => None,
        };
        Ok(AccessTokenState {
            revoked: dead > 0,
            user,
        })
    }

    async fn families_with_keys_between(
        &self,
        from: &[u8],
        until: &[u8],
        sample_at: i64,
        sample: &[u8],
    ) -> Result<Vec<FamilyId>, StoreError> {
        // A range of the primary key (keys lead with their issue time); SQL's substr
        // counts from 1.
        let rows = sqlx::query(
            "SELECT DISTINCT family_id FROM refresh_tokens \
             WHERE hash >= $1 AND hash < $2 AND substr(hash, CAST($3 AS INTEGER), 2) <= $4",
        )
        .bind(from.to_vec())
        .bind(until.to_vec())
        .bind(sample_at + 1)
        .bind(sample.to_vec())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(FamilyId::new(row.try_get::<String, _>("family_id")?)))
            .collect()
    }

    async fn trim_family_history(
        &self,
        family_id: &FamilyId,
        keep: i64,
    ) -> Result<u64, StoreError> {
        // Newest by issue time: created_at first (legacy keys are bare hashes), then the
        // key's millisecond stamp.
        let done = sqlx::query(
            "DELETE FROM refresh_tokens WHERE family_id = $1 AND used_at IS NOT NULL \
             AND hash NOT IN (SELECT hash FROM refresh_tokens WHERE family_id = $1 AND used_at IS NOT NULL \
               ORDER BY created_at DESC, hash DESC LIMIT $2)",
        )
        .bind(family_id.as_str())
        .bind(keep)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn purge_expired(
        &self,
        now: UnixTime,
        families_expired_by: UnixTime,
        batch: i64,
    ) -> Result<u64, StoreError> {
        // Whole families, tokens included (ON DELETE CASCADE), that expired at or before
        // `families_expired_by`; `SessionService::purge_expired` says why that is not `now`.
        let mut purged = sqlx::query(
            "DELETE FROM refresh_families WHERE id IN (SELECT id FROM refresh_families WHERE expires_at <= $1 LIMIT $2)",
        )
        .bind(families_expired_by.secs())
        .bind(batch)
        .execute(&self.writer)
        .await?
        .rows_affected();
        // Unused tokens past their idle expiry; spent ones stay so reuse is still recognised.
        // Kept while the access token issued with them may live: their row holds its
        // status slot (issued an `access_ttl` ago at least, as for families).
        purged += sqlx::query(
            "DELETE FROM refresh_tokens WHERE hash IN (SELECT hash FROM refresh_tokens \
             WHERE used_at IS NULL AND expires_at <= $1 AND created_at <= $3 LIMIT $2)",
        )
        .bind(now.secs())
        .bind(batch)
        .bind(families_expired_by.secs())
        .execute(&self.writer)
        .await?
        .rows_affected();
        for sql in [
            "DELETE FROM access_denylist WHERE jti IN (SELECT jti FROM access_denylist WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM login_throttle WHERE subject IN (SELECT subject FROM login_throttle \
             WHERE window_start <= $1 - 86400 AND (blocked_until IS NULL OR blocked_until <= $1) LIMIT $2)",
        ] {
            purged += sqlx::query(sql).bind(now.secs()).bind(batch).execute(&self.writer).await?.rows_affected();
        }
        Ok(purged)
    }
}
