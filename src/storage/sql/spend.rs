//! The statements a rotation's transaction writes with: spend 1..n tokens, store
//! children, put back tokens whose rotation was refused. Lists are padded to a power
//! of two (`rotation_sql`).

use std::collections::{HashMap, HashSet};

use sqlx::any::AnyRow;
use sqlx::Row;

use super::padded::{insert_padded, AnyQuery};
use super::rotation_sql::{families_sql, insert_children_sql, put_back_sql, spend_sql};
use super::{family_from_row, words};
use crate::domain::StatusSlot;
use crate::storage::{Rotation, SpentToken, StoreError};

pub(super) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// A token to spend and the child to link it to.
#[derive(Clone, Copy)]
pub(super) struct Link<'a> {
    pub token: &'a [u8],
    pub child: &'a [u8],
}

impl<'a> Link<'a> {
    pub fn presented(r: &Rotation<'a>) -> Self {
        Self {
            token: r.presented,
            child: r.child,
        }
    }
}

/// Spends each of `links` that is live at `now`; returns, in order, what the database
/// says of each one spent (`None`: not spendable).
pub(super) async fn spend(
    tx: &mut Tx,
    now: i64,
    links: &[Link<'_>],
) -> Result<Vec<Option<SpentToken>>, StoreError> {
    let Some(last) = links.last() else {
        return Ok(Vec::new());
    };
    let n = links.len().next_power_of_two();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(spend_sql(n))).bind(now);
    for i in 0..n {
        let link = links.get(i).unwrap_or(last);
        query = query.bind(link.token.to_vec()).bind(link.child.to_vec());
    }
    let rows = query.fetch_all(&mut **tx).await?;
    if n == 1 {
        // The spend of one returned its family's columns too.
        return Ok(vec![rows.first().map(spent_token).transpose()?]);
    }
    let spent: HashMap<Vec<u8>, String> = rows
        .iter()
        .map(|row| Ok((row.try_get("hash")?, row.try_get("id")?)))
        .collect::<Result<_, StoreError>>()?;
    let families = families_of(tx, spent.values()).await?;
    links
        .iter()
        .map(|link| {
            let Some(family_id) = spent.get(link.token) else {
                return Ok(None);
            };
            // The spend checked the family in this transaction; if it is gone anyway,
            // nothing of the batch is kept rather than a token spent without its child.
            let token = families
                .get(family_id)
                .ok_or_else(|| StoreError::Corrupt(format!("family {family_id} vanished")))?;
            Ok(Some(token.clone()))
        })
        .collect()
}

/// A spent token's family and user, from `FAMILY_COLUMNS`.
fn spent_token(row: &AnyRow) -> Result<SpentToken, StoreError> {
    let roles: String = row.try_get("roles")?;
    Ok(SpentToken {
        family: family_from_row(row)?,
        roles: words(&roles),
        user_disabled_at: row.try_get("disabled_at")?,
    })
}

/// What the rules need of each of the families `ids`, by family id.
async fn families_of(
    tx: &mut Tx,
    ids: impl Iterator<Item = &String>,
) -> Result<HashMap<String, SpentToken>, StoreError> {
    let ids: Vec<&String> = ids.collect::<HashSet<_>>().into_iter().collect();
    let Some(last) = ids.last() else {
        return Ok(HashMap::new());
    };
    let n = ids.len().next_power_of_two();
    let mut query = sqlx::query(sqlx::AssertSqlSafe(families_sql(n)));
    for i in 0..n {
        query = query.bind((*ids.get(i).unwrap_or(last)).clone());
    }
    query
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, spent_token(row)?)))
        .collect()
}

/// A child token to store.
pub(super) struct Child {
    pub hash: Vec<u8>,
    pub family_id: String,
    pub parent: Vec<u8>,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: Option<StatusSlot>,
}

/// Parameters per child row (`rotation_sql::insert_children_sql`).
const CHILD_WIDTH: usize = 7;

pub(super) async fn insert_children(tx: &mut Tx, children: &[Child]) -> Result<(), StoreError> {
    let bind = |q: AnyQuery, c: &Child| {
        q.bind(c.hash.clone())
            .bind(c.family_id.clone())
            .bind(c.parent.clone())
            .bind(c.created_at)
            .bind(c.expires_at)
            .bind(c.status.as_ref().map(|s| s.list_id.clone()))
            .bind(c.status.as_ref().map(|s| s.idx))
    };
    insert_padded(
        tx,
        children,
        CHILD_WIDTH,
        insert_children_sql,
        bind,
        "refresh tokens",
    )
    .await
}

/// Puts back tokens whose rotation the rules refused: they stay as they were.
pub(super) async fn put_back_tokens(tx: &mut Tx, tokens: &[Vec<u8>]) -> Result<(), StoreError> {
    if tokens.is_empty() {
        return Ok(());
    }
    let mut query = sqlx::query(sqlx::AssertSqlSafe(put_back_sql(tokens.len())));
    for token in tokens {
        query = query.bind(token.clone());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}
