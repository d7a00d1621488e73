//! Authority sessions, authorization codes and consents, in SQL.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{words, SqlStore};
use crate::domain::{ClientId, FamilyId, UnixTime, UserId};
use crate::storage::{
    AuthoritySessionRow, AuthorizationStore, CodeRedemption, CodeRow, ConsentRow, RedeemOutcome,
    StoreError,
};

fn session_from_row(row: &AnyRow) -> Result<AuthoritySessionRow, StoreError> {
    Ok(AuthoritySessionRow {
        id: row.try_get("id")?,
        secret_hash: row.try_get("secret_hash")?,
        user_id: row.try_get("user_id")?,
        auth_time: row.try_get("auth_time")?,
        expires_at: row.try_get("expires_at")?,
    })
}

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

/// A user disabled, or who revoked every session after a sign-in, kills it as it kills
/// tokens. A macro so the statements stay `'static` text.
macro_rules! user_is_live {
    () => {
        "u.disabled_at IS NULL AND (u.sessions_revoked_at IS NULL OR u.sessions_revoked_at <= s.auth_time)"
    };
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
        let row = sqlx::query(concat!(
            "SELECT s.id, s.secret_hash, s.user_id, s.auth_time, s.expires_at \
             FROM authority_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.secret_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND ",
            user_is_live!()
        ))
        .bind(secret_hash.to_vec())
        .bind(now.secs())
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
        sqlx::query(
            "INSERT INTO authorization_codes (hash, client_id, redirect_uri, code_challenge, scope, \
             nonce, user_id, session_id, auth_time, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(c.hash.clone())
        .bind(&c.client_id)
        .bind(&c.redirect_uri)
        .bind(&c.code_challenge)
        .bind(&c.scope)
        .bind(c.nonce.clone())
        .bind(&c.user_id)
        .bind(&c.session_id)
        .bind(c.auth_time)
        .bind(c.expires_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn redeem_code(&self, r: &CodeRedemption<'_>) -> Result<RedeemOutcome, StoreError> {
        let mut tx = self.writer.begin().await?;
        // The one statement that decides which presentation spends the code.
        let spent = sqlx::query(
            "UPDATE authorization_codes SET used_at = $2 \
             WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 AND client_id = $3 \
             RETURNING client_id, redirect_uri, code_challenge, scope, nonce, user_id, session_id, \
             auth_time, expires_at",
        )
        .bind(r.hash.to_vec())
        .bind(r.now.secs())
        .bind(r.client_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = spent else {
            let found =
                sqlx::query("SELECT used_at, family_id FROM authorization_codes WHERE hash = $1")
                    .bind(r.hash.to_vec())
                    .fetch_optional(&mut *tx)
                    .await?;
            tx.commit().await?;
            return Ok(match found {
                Some(row) if row.try_get::<Option<i64>, _>("used_at")?.is_some() => {
                    RedeemOutcome::Reused {
                        family_id: row.try_get("family_id")?,
                    }
                }
                _ => RedeemOutcome::Invalid,
            });
        };
        let code = CodeRow {
            hash: r.hash.to_vec(),
            client_id: row.try_get("client_id")?,
            redirect_uri: row.try_get("redirect_uri")?,
            code_challenge: row.try_get("code_challenge")?,
            scope: row.try_get("scope")?,
            nonce: row.try_get("nonce")?,
            user_id: row.try_get("user_id")?,
            session_id: row.try_get("session_id")?,
            auth_time: row.try_get("auth_time")?,
            expires_at: row.try_get("expires_at")?,
        };
        let owner = sqlx::query(concat!(
            "SELECT u.email, u.roles FROM users u JOIN authority_sessions s ON s.user_id = u.id \
             WHERE u.id = $1 AND s.id = $2 AND s.revoked_at IS NULL AND ",
            user_is_live!()
        ))
        .bind(&code.user_id)
        .bind(&code.session_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(owner) = owner.filter(|_| (r.accept)(&code)) else {
            // Spent all the same: a code that failed once is not tried again.
            tx.commit().await?;
            return Ok(RedeemOutcome::Refused);
        };
        let f = &r.family;
        sqlx::query(
            "INSERT INTO refresh_families (id, user_id, client_id, scope, created_at, expires_at, authority_session_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&f.id)
        .bind(&code.user_id)
        .bind(&code.client_id)
        .bind(&code.scope)
        .bind(r.now.secs())
        .bind(f.expires_at)
        .bind(&code.session_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO refresh_tokens (hash, family_id, created_at, expires_at, status_list, status_idx) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(f.first_token_hash.clone())
        .bind(&f.id)
        .bind(r.now.secs())
        .bind(f.first_token_expires_at)
        .bind(f.first_token_status.list_id.clone())
        .bind(f.first_token_status.idx)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE authorization_codes SET family_id = $1 WHERE hash = $2")
            .bind(&f.id)
            .bind(r.hash.to_vec())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(RedeemOutcome::Redeemed {
            code: Box::new(code),
            email: owner.try_get("email")?,
            roles: words(&owner.try_get::<String, _>("roles")?),
        })
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
