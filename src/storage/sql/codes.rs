//! Authorization codes in SQL: storing them, and redeeming them, alone or as a
//! group-committed batch (`AuthorizationBatches`). A batch stores its codes with one
//! statement, spends every presented code with one `UPDATE` (the statement that
//! decides which presentation wins; `code_sql::spend_codes_sql`), applies each
//! redemption's rules to the row it spent, and starts the families of every accepted
//! redemption with two more statements; a lone redemption is the batch of one.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::code_sql::{
    insert_codes_sql, insert_families_sql, insert_first_tokens_sql, live_sessions_sql,
    spend_codes_sql, CODE_WIDTH, FAMILY_WIDTH, FIRST_TOKEN_WIDTH, NO_FAMILY, SPEND_WIDTH,
    UNSPENT_CODE,
};
use super::padded::{insert_padded, rows_per_statement, AnyQuery};
use super::{session_from_row, words, SqlStore};
use crate::domain::UnixTime;
use crate::storage::{
    AuthoritySessionRow, AuthorizationBatches, CodeRedemption, CodeRow, RedeemOutcome, StoreError,
};

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
    insert_padded(
        conn,
        codes,
        CODE_WIDTH,
        insert_codes_sql,
        bind,
        "authorization codes",
    )
    .await
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

/// Spends every code of `batch` that can be spent, with one statement per
/// `rows_per_statement` codes (each padded to a power of two): the rows it spent, by
/// hash. The codes must be distinct.
async fn spend(
    conn: &mut AnyConnection,
    batch: &[&CodeRedemption],
) -> Result<HashMap<Vec<u8>, AnyRow>, StoreError> {
    let mut spent = HashMap::new();
    for chunk in batch.chunks(rows_per_statement(SPEND_WIDTH)) {
        let Some(last) = chunk.last() else {
            continue;
        };
        let n = chunk.len().next_power_of_two();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(spend_codes_sql(n)));
        for i in 0..n {
            let r = chunk.get(i).unwrap_or(last);
            query = query
                .bind(r.hash.clone())
                .bind(r.now.secs())
                .bind(r.family.id.clone())
                .bind(r.client_id.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            spent.insert(row.try_get("hash")?, row);
        }
    }
    Ok(spent)
}

/// What presenting `r` got, given the row the spend returned for it (`None`: not
/// spent); applies its rules, inside the transaction that spent it. `Redeemed` means
/// its family is yet to start, by `start_families` in the same transaction.
async fn settle(
    conn: &mut AnyConnection,
    r: &CodeRedemption,
    spent: Option<&AnyRow>,
) -> Result<RedeemOutcome, StoreError> {
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
    let code = code_from_row(&r.hash, row)?;
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
    insert_padded(
        conn,
        started,
        FAMILY_WIDTH,
        insert_families_sql,
        family,
        "families",
    )
    .await?;
    insert_padded(
        conn,
        started,
        FIRST_TOKEN_WIDTH,
        insert_first_tokens_sql,
        first_token,
        "first refresh tokens",
    )
    .await
}

/// Redeems `redemptions` on `conn`, inside the caller's transaction: one statement
/// spends every distinct code; a code presented again in the same batch is spent after
/// it, on its own, and finds it spent, as any later presentation would.
pub(super) async fn redeem(
    conn: &mut AnyConnection,
    redemptions: &[CodeRedemption],
) -> Result<Vec<RedeemOutcome>, StoreError> {
    let mut seen = HashSet::new();
    let first: Vec<bool> = redemptions
        .iter()
        .map(|r| seen.insert(r.hash.as_slice()))
        .collect();
    let distinct: Vec<&CodeRedemption> = redemptions
        .iter()
        .zip(&first)
        .filter_map(|(r, first)| first.then_some(r))
        .collect();
    let spent = spend(conn, &distinct).await?;
    let mut outcomes = Vec::with_capacity(redemptions.len());
    for (r, first) in redemptions.iter().zip(&first) {
        outcomes.push(if *first {
            settle(conn, r, spent.get(&r.hash)).await?
        } else {
            let again = spend(conn, &[r]).await?;
            settle(conn, r, again.get(&r.hash)).await?
        });
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

    async fn live_authority_sessions(
        &self,
        secret_hashes: &[Vec<u8>],
        now: UnixTime,
    ) -> Result<Vec<AuthoritySessionRow>, StoreError> {
        let Some(last) = secret_hashes.last() else {
            return Ok(Vec::new());
        };
        let n = secret_hashes.len().next_power_of_two();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(live_sessions_sql(n))).bind(now.secs());
        for i in 0..n {
            query = query.bind(secret_hashes.get(i).unwrap_or(last).clone());
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(session_from_row).collect()
    }
}
