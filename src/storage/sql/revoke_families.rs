//! Revoking refresh families, the one way every path does it (logout, RFC 7009,
//! reuse, revoke-sessions, a disabled user, a removed client): the families are marked revoked and the
//! status bits of every access token issued with one of their refresh tokens are set,
//! in the caller's transaction, so there is never a revoked family whose tokens still
//! read valid in the served lists.
//!
//! The first statement stops concurrent rotations: it sets the unused tokens' expiry
//! to their creation, so a rotation that locked one first has committed (its child and
//! status slot are then visible to the marking below), and one that waits on it finds
//! the token expired when it re-reads the row, and stores no child.

use crate::domain::RevocationReason;
use crate::storage::StoreError;

use super::spend::Tx;
use super::status::BUMP_STATUS_VERSION;

/// Which families to revoke.
#[derive(Debug, Clone, Copy)]
pub(super) enum Families<'a> {
    One(&'a str),
    OfUser(&'a str),
    OfClient(&'a str),
}

impl Families<'_> {
    fn param(&self) -> &str {
        match self {
            Self::One(id) | Self::OfUser(id) | Self::OfClient(id) => id,
        }
    }

    /// The live families, as a condition on `refresh_families`.
    fn live(&self) -> &'static str {
        match self {
            Self::One(_) => "id = $1 AND revoked_at IS NULL",
            Self::OfUser(_) => "user_id = $1 AND revoked_at IS NULL",
            Self::OfClient(_) => "client_id = $1 AND revoked_at IS NULL",
        }
    }

    /// Every token of the families, live or not, as a condition on `refresh_tokens t`.
    fn tokens(&self) -> &'static str {
        match self {
            Self::One(_) => "t.family_id = $1",
            Self::OfUser(_) => {
                "t.family_id IN (SELECT id FROM refresh_families WHERE user_id = $1)"
            }
            Self::OfClient(_) => {
                "t.family_id IN (SELECT id FROM refresh_families WHERE client_id = $1)"
            }
        }
    }
}

/// Revokes `families` at `now` for `reason` and sets their tokens' status bits;
/// returns how many families this call revoked.
pub(super) async fn revoke_families(
    tx: &mut Tx,
    families: Families<'_>,
    now: i64,
    reason: RevocationReason,
) -> Result<u64, StoreError> {
    let freeze = format!(
        "UPDATE refresh_tokens SET expires_at = created_at WHERE used_at IS NULL \
         AND expires_at > created_at AND family_id IN (SELECT id FROM refresh_families WHERE {})",
        families.live()
    );
    sqlx::query(sqlx::AssertSqlSafe(freeze))
        .bind(families.param().to_owned())
        .execute(&mut **tx)
        .await?;
    let revoke = format!(
        "UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3 WHERE {}",
        families.live()
    );
    let revoked = sqlx::query(sqlx::AssertSqlSafe(revoke))
        .bind(families.param().to_owned())
        .bind(now)
        .bind(reason.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    mark_tokens(tx, families).await?;
    Ok(revoked)
}

/// Sets the status bits of the families' tokens whose lists are still served.
async fn mark_tokens(tx: &mut Tx, families: Families<'_>) -> Result<(), StoreError> {
    let mark = format!(
        "INSERT INTO status_revocations (list_id, idx) \
         SELECT t.status_list, t.status_idx FROM refresh_tokens t \
         JOIN status_lists l ON l.id = t.status_list \
         WHERE {} AND t.status_idx IS NOT NULL AND t.status_idx < l.capacity \
         ON CONFLICT (list_id, idx) DO NOTHING",
        families.tokens()
    );
    let marked = sqlx::query(sqlx::AssertSqlSafe(mark))
        .bind(families.param().to_owned())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if marked > 0 {
        sqlx::query(BUMP_STATUS_VERSION).execute(&mut **tx).await?;
    }
    Ok(())
}
