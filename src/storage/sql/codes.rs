//! Authorization codes in SQL: storing them, and redeeming them, alone or as a
//! group-committed batch (`AuthorizationBatches`). A batch stores its codes with one
//! statement, spends each presented code with one `UPDATE` of its own (the statement
//! that decides which presentation wins), and starts the families of every accepted
//! redemption with two more statements; a lone redemption is the batch of one.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::code_sql::{
    insert_codes_sql, insert_families_sql, insert_first_tokens_sql, NO_FAMILY, SPEND_CODE,
    UNSPENT_CODE,
};
use super::padded::{insert_padded, AnyQuery};
use super::{words, SqlStore};
use crate::storage::{AuthorizationBatches, CodeRedemption, CodeRow, RedeemOutcome, StoreError};

/// Stores `codes`.
pub(super) async fn insert_codes(
    conn: &mut AnyConnection,
    codes: &[CodeRow],
) -> Result<(), StoreError> {
    let bind = |q: AnyQuery, c: &CodeRow| {
        q.bind(c.hash.clone())
            .bind(c.client_id.clone())
            .bind(c.redirect_uri.clone())
            .bind(c.code_challenge.clone())
            .bind(c.scope.clone())
            .bind(c.nonce.clone())
            .bind(c.user_id.clone())
            .bind(c.session_id.clone())
            .bind(c.auth_time)
            .bind(c.expires_at)
    };
    insert_padded(conn, codes, insert_codes_sql, bind, "authorization codes").await
}

fn code_from_row(hash: &[u8], row: &AnyRow) -> Result<CodeRow, StoreError> {
    Ok(CodeRow {
        hash: hash.to_vec(),
        client_id: row.try_get("client_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        code_challenge: row.try_get("code_challenge")?,
        scope: row.try_get("scope")?,
        nonce: row.try_get("nonce")?,
        user_id: row.try_get("user_id")?,
        session_id: row.try_get("session_id")?,
        auth_time: row.try_get("auth_time")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// Spends the code of `r` and applies its rules. `Redeemed` means its family is yet
/// to start, by `start_families` in the same transaction.
async fn spend(conn: &mut AnyConnection, r: &CodeRedemption) -> Result<RedeemOutcome, StoreError> {
    let spent = sqlx::query(SPEND_CODE)
        .bind(r.hash.clone())
        .bind(r.now.secs())
        .bind(r.client_id.clone())
        .bind(r.family.id.clone())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = spent else {
        let found = sqlx::query(UNSPENT_CODE)
            .bind(r.hash.clone())
            .fetch_optional(&mut *conn)
            .await?;
        return Ok(match found {
            Some(row) if row.try_get::<Option<i64>, _>("used_at")?.is_some() => {
                RedeemOutcome::Reused {
                    family_id: row.try_get("family_id")?,
                }
            }
            _ => RedeemOutcome::Invalid,
        });
    };
    let code = code_from_row(&r.hash, &row)?;
    let email: Option<String> = row.try_get("owner_email")?;
    match email.filter(|_| (r.accept)(&code)) {
        Some(email) => Ok(RedeemOutcome::Redeemed {
            code: Box::new(code),
            email,
            roles: words(
                &row.try_get::<Option<String>, _>("owner_roles")?
                    .unwrap_or_default(),
            ),
        }),
        None => {
            // Spent all the same, so a code that failed once is not tried again; and
            // it started no family.
            sqlx::query(NO_FAMILY)
                .bind(r.hash.clone())
                .execute(&mut *conn)
                .await?;
            Ok(RedeemOutcome::Refused)
        }
    }
}

/// Starts the family of each redeemed code, with its first refresh token.
async fn start_families(
    conn: &mut AnyConnection,
    started: &[(&CodeRedemption, &CodeRow)],
) -> Result<(), StoreError> {
    let family = |q: AnyQuery, (r, code): &(&CodeRedemption, &CodeRow)| {
        q.bind(r.family.id.clone())
            .bind(code.user_id.clone())
            .bind(code.client_id.clone())
            .bind(code.scope.clone())
            .bind(r.now.secs())
            .bind(r.family.expires_at)
            .bind(code.session_id.clone())
    };
    let first_token = |q: AnyQuery, (r, _): &(&CodeRedemption, &CodeRow)| {
        let f = &r.family;
        q.bind(f.first_token_hash.clone())
            .bind(f.id.clone())
            .bind(r.now.secs())
            .bind(f.first_token_expires_at)
            .bind(f.first_token_status.list_id.clone())
            .bind(f.first_token_status.idx)
    };
    insert_padded(conn, started, insert_families_sql, family, "families").await?;
    insert_padded(
        conn,
        started,
        insert_first_tokens_sql,
        first_token,
        "first refresh tokens",
    )
    .await
}

/// Redeems each of `redemptions` in turn on `conn`, inside the caller's transaction.
pub(super) async fn redeem(
    conn: &mut AnyConnection,
    redemptions: &[CodeRedemption],
) -> Result<Vec<RedeemOutcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(redemptions.len());
    for r in redemptions {
        outcomes.push(spend(conn, r).await?);
    }
    let started: Vec<(&CodeRedemption, &CodeRow)> = redemptions
        .iter()
        .zip(&outcomes)
        .filter_map(|(r, outcome)| match outcome {
            RedeemOutcome::Redeemed { code, .. } => Some((r, &**code)),
            _ => None,
        })
        .collect();
    start_families(conn, &started).await?;
    Ok(outcomes)
}

#[async_trait]
impl AuthorizationBatches for SqlStore {
    async fn code_batch(
        &self,
        codes: &[CodeRow],
        redemptions: &[CodeRedemption],
    ) -> Result<Vec<RedeemOutcome>, StoreError> {
        let mut tx = self.writer.begin().await?;
        insert_codes(&mut tx, codes).await?;
        let outcomes = redeem(&mut tx, redemptions).await?;
        tx.commit().await?;
        Ok(outcomes)
    }
}
