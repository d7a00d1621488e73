//! Signing keys and the keyset version, in SQL.

use async_trait::async_trait;
use sqlx::Row;

use super::status::BUMP_STATUS_VERSION;
use super::{corrupt, SqlStore};
use crate::domain::{KeyState, Kid, UnixTime};
use crate::storage::{KeyChange, KeyStore, SealedMacKey, StoreError, StoredKey};

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<StoredKey, StoreError> {
    let alg: String = row.try_get("alg")?;
    let state: String = row.try_get("state")?;
    let jwk: String = row.try_get("public_jwk")?;
    Ok(StoredKey {
        kid: row.try_get("kid")?,
        alg: alg.parse().map_err(|_| corrupt("signing_keys.alg"))?,
        state: state.parse().map_err(|_| corrupt("signing_keys.state"))?,
        public_jwk: serde_json::from_str(&jwk).map_err(|_| corrupt("signing_keys.public_jwk"))?,
        sealed_private: row.try_get("sealed_private")?,
        created_at: row.try_get("created_at")?,
        activated_at: row.try_get("activated_at")?,
        deactivated_at: row.try_get("deactivated_at")?,
        retired_at: row.try_get("retired_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// Moves one key from one state to another, stamping the matching time column. A
/// key whose private part is no longer needed (retired, revoked) loses it here.
const TRANSITION: &str = "UPDATE signing_keys SET state = $1, \
    activated_at = CASE WHEN $1 = 'current' THEN $2 ELSE activated_at END, \
    deactivated_at = CASE WHEN $1 = 'previous' THEN $2 ELSE deactivated_at END, \
    retired_at = CASE WHEN $1 = 'retired' THEN $2 ELSE retired_at END, \
    revoked_at = CASE WHEN $1 = 'revoked' THEN $2 ELSE revoked_at END, \
    sealed_private = CASE WHEN $1 IN ('retired', 'revoked') THEN NULL ELSE sealed_private END \
    WHERE kid = $3 AND state = $4";

const INSERT_KEY: &str = "INSERT INTO signing_keys \
    (kid, alg, state, public_jwk, sealed_private, created_at, activated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, alg, state, public_jwk, sealed_private, created_at, activated_at, \
             deactivated_at, retired_at, revoked_at FROM signing_keys ORDER BY created_at, kid",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_from_row).collect()
    }

    async fn keyset_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT version FROM keyset_version WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("version")?)
    }

    async fn change_keys(&self, change: &KeyChange) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        // The version bump comes first: on SQLite it takes the write lock at once, so
        // two writers queue on the busy timeout instead of deadlocking on an upgrade.
        sqlx::query("UPDATE keyset_version SET version = version + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        for t in &change.transitions {
            let done = sqlx::query(TRANSITION)
                .bind(t.to.as_str())
                .bind(t.at)
                .bind(&t.kid)
                .bind(t.from.as_str())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            if t.to == KeyState::Revoked {
                // Every token the key signed is dead: so is every index of its lists.
                sqlx::query("UPDATE status_lists SET all_revoked = 1 WHERE kid = $1")
                    .bind(&t.kid)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(BUMP_STATUS_VERSION).execute(&mut *tx).await?;
            }
        }
        for k in &change.inserts {
            let jwk = serde_json::to_string(&k.public_jwk).map_err(|_| corrupt("public_jwk"))?;
            let activated = (k.state == KeyState::Current).then_some(k.created_at);
            let inserted = sqlx::query(INSERT_KEY)
                .bind(&k.kid)
                .bind(k.alg.as_str())
                .bind(k.state.as_str())
                .bind(jwk)
                .bind(k.sealed_private.clone())
                .bind(k.created_at)
                .bind(activated)
                .execute(&mut *tx)
                .await;
            match inserted.map_err(StoreError::from) {
                Ok(_) => {}
                Err(e) if e.is_conflict() => {
                    tx.rollback().await?;
                    return Ok(false);
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn reseal_keys(
        &self,
        sealed: &[(Kid, Vec<u8>)],
        mac_key: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        if let Some(blob) = mac_key {
            sqlx::query("UPDATE refresh_token_mac SET sealed = $1 WHERE id = 1")
                .bind(blob.to_vec())
                .execute(&mut *tx)
                .await?;
        }
        for (kid, blob) in sealed {
            sqlx::query("UPDATE signing_keys SET sealed_private = $1 WHERE kid = $2 AND sealed_private IS NOT NULL")
                .bind(blob.clone())
                .bind(kid.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE keyset_version SET version = version + 1 WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mac_key(&self) -> Result<Option<SealedMacKey>, StoreError> {
        let row = sqlx::query("SELECT sealed, legacy_until FROM refresh_token_mac WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(SealedMacKey {
                sealed: row.try_get("sealed")?,
                legacy_until: row.try_get("legacy_until")?,
            })
        })
        .transpose()
    }

    async fn create_mac_key(&self, sealed: &[u8], now: UnixTime) -> Result<(), StoreError> {
        // One statement: the families live at this moment bound the legacy window,
        // and of replicas starting together exactly one key is stored.
        sqlx::query(
            "INSERT INTO refresh_token_mac (id, sealed, legacy_until, created_at) \
             SELECT 1, $1, COALESCE(MAX(expires_at), $2), $2 FROM refresh_families \
             WHERE revoked_at IS NULL AND expires_at > $2 \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(sealed.to_vec())
        .bind(now.secs())
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
