//! Refresh rotations in SQL, one transaction per call: spend a batch of 1..n tokens,
//! store the children the rules allow and put the other tokens back, or settle a
//! token that could not be spent. Storage finds the facts and applies the verdicts of
//! `Rotation::rules`, called inside the transaction; it makes none of its own.
//!
//! Exactly one of concurrent presentations of a token wins: the spend only spends
//! what is unspent, row by row, under the engine's own locking.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::revoke_families::{revoke_families, Families};
use super::rotation_sql::{presented_sql, UNSPENT};
use super::spend::{insert_children, put_back_tokens, spend, Child, Link, Tx};
use super::SqlStore;
use crate::domain::{ClientId, FamilyId, RevocationReason, UserId};
use crate::storage::{
    Presented, RotateOutcome, Rotation, RotationBatches, SpentBatch, SpentToken, SpentVerdict,
    StoreError, UnspentToken, UnspentVerdict,
};

#[async_trait]
impl RotationBatches for SqlStore {
    async fn read_presented(
        &self,
        hashes: &[&[u8]],
    ) -> Result<HashMap<Vec<u8>, Presented>, StoreError> {
        let Some(last) = hashes.last() else {
            return Ok(HashMap::new());
        };
        let n = hashes.len().next_power_of_two();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(presented_sql(n)));
        for i in 0..n {
            query = query.bind(hashes.get(i).unwrap_or(last).to_vec());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let used_at: Option<i64> = row.try_get("used_at")?;
                let revoked_at: Option<i64> = row.try_get("revoked_at")?;
                Ok((
                    row.try_get("hash")?,
                    Presented {
                        used: used_at.is_some(),
                        expires_at: row.try_get("token_expires_at")?,
                        family_revoked: revoked_at.is_some(),
                        family_expires_at: row.try_get("family_expires_at")?,
                    },
                ))
            })
            .collect()
    }

    async fn spend_batch(&self, batch: &[Rotation<'_>]) -> Result<SpentBatch, StoreError> {
        let now = batch.iter().map(|r| r.now.secs()).max().unwrap_or_default();
        let mut tx = self.writer.begin().await?;
        let links: Vec<Link> = batch.iter().map(Link::presented).collect();
        let found = spend(&mut tx, now, &links).await?;
        let was_spent: Vec<bool> = found.iter().map(Option::is_some).collect();
        let spent = batch
            .iter()
            .zip(&links)
            .zip(found)
            .filter_map(|((r, link), token)| Some((r, link.token, token?)))
            .collect();
        let mut decided = apply_spent_verdicts(&mut tx, spent).await?.into_iter();
        let outcomes = was_spent
            .into_iter()
            .map(|spent| if spent { decided.next() } else { None })
            .collect();
        // A failed COMMIT may still have committed (the connection broke after the
        // server did it): the caller must not run those rotations again.
        let committed = tx.commit().await.map_err(StoreError::from);
        Ok(SpentBatch {
            outcomes,
            committed,
        })
    }

    async fn settle_unspent(&self, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        let mut tx = self.writer.begin().await?;
        let outcome = settle(&mut tx, r).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn rotate_alone(&self, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        let mut tx = self.writer.begin().await?;
        let link = Link::presented(r);
        let outcome = match spend(&mut tx, r.now.secs(), &[link]).await?.pop().flatten() {
            Some(token) => apply_spent_verdict(&mut tx, r, link.token, token).await?,
            None => settle(&mut tx, r).await?,
        };
        tx.commit().await?;
        Ok(outcome)
    }
}

/// Asks the rules about each spent token (`(rotation, the token spent, what the
/// database says of it)`), stores the children of the rotations they allow and puts
/// the other tokens back. Returns the outcomes in order.
async fn apply_spent_verdicts(
    tx: &mut Tx,
    spent: Vec<(&Rotation<'_>, &[u8], SpentToken)>,
) -> Result<Vec<RotateOutcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(spent.len());
    let mut children = Vec::new();
    let mut put_back = Vec::new();
    for (r, token, found) in spent {
        let refused = match (r.rules.spent)(&found, r.client.map(ClientId::as_str)) {
            SpentVerdict::Rotate => {
                children.push(Child {
                    hash: r.child.to_vec(),
                    family_id: found.family.id.clone(),
                    parent: token.to_vec(),
                    created_at: r.now.secs(),
                    // The child never outlives the family's absolute expiry.
                    expires_at: (r.now.secs() + r.idle_ttl).min(found.family.expires_at),
                    status: r.child_status.cloned(),
                });
                outcomes.push(RotateOutcome::Rotated {
                    family: found.family,
                    roles: found.roles,
                });
                continue;
            }
            SpentVerdict::WrongClient => RotateOutcome::WrongClient,
            SpentVerdict::Invalid => RotateOutcome::Invalid,
        };
        put_back.push(token.to_vec());
        outcomes.push(refused);
    }
    insert_children(tx, &children).await?;
    put_back_tokens(tx, &put_back).await?;
    Ok(outcomes)
}

/// `apply_spent_verdicts` for one rotation, whose spent token is `token`.
async fn apply_spent_verdict(
    tx: &mut Tx,
    r: &Rotation<'_>,
    token: &[u8],
    found: SpentToken,
) -> Result<RotateOutcome, StoreError> {
    let mut outcomes = apply_spent_verdicts(tx, vec![(r, token, found)]).await?;
    outcomes
        .pop()
        .ok_or_else(|| StoreError::Corrupt("a rotation without an outcome".into()))
}

/// Settles a presentation whose token could not be spent, by the rules: nothing
/// changes, its unused child is spent instead (grace), or the family is revoked (reuse).
async fn settle(tx: &mut Tx, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
    let row = sqlx::query(UNSPENT)
        .bind(r.presented.to_vec())
        .fetch_optional(&mut **tx)
        .await?;
    let found = row.as_ref().map(unspent_token).transpose()?;
    let verdict = (r.rules.unspent)(
        found.as_ref().map(|(token, _)| token),
        r.now.secs(),
        r.grace,
    );
    let Some((token, child)) = found else {
        return Ok(RotateOutcome::Invalid);
    };
    match verdict {
        UnspentVerdict::Invalid => return Ok(RotateOutcome::Invalid),
        UnspentVerdict::SpendChildOrRevoke => {
            if let Some(child) = &child {
                let link = Link {
                    token: child,
                    child: r.child,
                };
                if let Some(found) = spend(tx, r.now.secs(), &[link]).await?.pop().flatten() {
                    return apply_spent_verdict(tx, r, child, found).await;
                }
            }
        }
        UnspentVerdict::Revoke => {}
    }
    revoke_families(
        tx,
        Families::One(&token.family_id),
        r.now.secs(),
        RevocationReason::Reuse,
    )
    .await?;
    Ok(RotateOutcome::Reused {
        family_id: FamilyId::new(token.family_id),
        user_id: UserId::new(token.user_id),
    })
}

/// An unspent token as `UNSPENT` reads it, and its child's key if it has one.
fn unspent_token(row: &AnyRow) -> Result<(UnspentToken, Option<Vec<u8>>), StoreError> {
    Ok((
        UnspentToken {
            family_id: row.try_get("family_id")?,
            user_id: row.try_get("user_id")?,
            used_at: row.try_get("used_at")?,
            family_revoked_at: row.try_get("revoked_at")?,
            family_expires_at: row.try_get("expires_at")?,
        },
        row.try_get("child_hash")?,
    ))
}
