//! Inserts of 1..n rows as one statement: the list is padded to a power of two by
//! repeating its last row, which `ON CONFLICT ... DO NOTHING` then skips, so that each
//! connection prepares at most a handful of statement texts.

use sqlx::AnyConnection;

use crate::storage::StoreError;

pub(super) type AnyQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// Runs `sql(n)` with `rows` padded to `n`, each row bound by `bind`, and checks that
/// every row was stored once (`what` names them in the error). No rows, no statement.
pub(super) async fn insert_padded<T>(
    conn: &mut AnyConnection,
    rows: &[T],
    sql: impl Fn(usize) -> String,
    bind: impl Fn(AnyQuery, &T) -> AnyQuery,
    what: &str,
) -> Result<(), StoreError> {
    let Some(last) = rows.last() else {
        return Ok(());
    };
    let n = rows.len().next_power_of_two();
    let query = (0..n).fold(sqlx::query(sqlx::AssertSqlSafe(sql(n))), |q, i| {
        bind(q, rows.get(i).unwrap_or(last))
    });
    let stored = query.execute(conn).await?.rows_affected();
    if stored != rows.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "stored {stored} of {} {what}",
            rows.len()
        )));
    }
    Ok(())
}
