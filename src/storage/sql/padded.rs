//! Inserts of 1..n rows in few statements: each statement takes up to
//! `rows_per_statement` rows, padded to a power of two by repeating its last row,
//! which `ON CONFLICT ... DO NOTHING` then skips, so that each connection prepares at
//! most a handful of statement texts.

use sqlx::AnyConnection;

use crate::storage::StoreError;

/// Parameters per statement at most. SQLite finds each `$n` of a statement by a linear
/// search through the statement's parameter names, so binding costs the square of
/// their number: an insert of 64 codes (640 parameters) spent more on binding than on
/// inserting (perf, bench/codeflow).
const MAX_PARAMS: usize = 80;

/// The rows of `width` parameters one statement takes: a power of two.
pub(super) fn rows_per_statement(width: usize) -> usize {
    let fit = (MAX_PARAMS / width.max(1)).max(1);
    1 << fit.ilog2()
}

pub(super) type AnyQuery = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

/// Runs `sql(n)` on `rows` of `width` parameters, in statements of up to
/// `rows_per_statement(width)` rows each padded to `n`, each row bound by `bind`, and
/// checks that every row was stored once (`what` names them in the error). No rows,
/// no statement.
pub(super) async fn insert_padded<T>(
    conn: &mut AnyConnection,
    rows: &[T],
    width: usize,
    sql: impl Fn(usize) -> String,
    bind: impl Fn(AnyQuery, &T) -> AnyQuery,
    what: &str,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(rows_per_statement(width)) {
        let Some(last) = chunk.last() else {
            continue;
        };
        let n = chunk.len().next_power_of_two();
        let query = (0..n).fold(sqlx::query(sqlx::AssertSqlSafe(sql(n))), |q, i| {
            bind(q, chunk.get(i).unwrap_or(last))
        });
        let stored = query.execute(&mut *conn).await?.rows_affected();
        if stored != chunk.len() as u64 {
            return Err(StoreError::Corrupt(format!(
                "stored {stored} of {} {what}",
                chunk.len()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_takes_a_power_of_two_of_rows_within_the_parameter_bound() {
        for width in 1..=100 {
            let rows = rows_per_statement(width);
            assert!(rows.is_power_of_two(), "{width}: {rows}");
            assert!(rows * width <= MAX_PARAMS || rows == 1, "{width}: {rows}");
            assert!(
                rows * 2 * width > MAX_PARAMS,
                "{width}: {rows} could double"
            );
        }
        assert_eq!(rows_per_statement(10), 8);
        assert_eq!(rows_per_statement(1), 64);
    }
}
