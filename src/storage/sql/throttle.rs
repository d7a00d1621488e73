//! Login throttling, each reservation one statement, in SQL.

use async_trait::async_trait;
use sqlx::Row;

use super::SqlStore;
use crate::domain::UnixTime;
use crate::storage::{Reservation, StoreError, ThrottleCounter, ThrottleStore};

/// A new window starts: the old one has passed, or a block has ended.
const FRESH_WINDOW: &str =
    "(login_throttle.window_start <= $2 - $3 OR login_throttle.blocked_until <= $2)";

/// The rule of `sessions::throttle` (`Limit::reserve`), one statement. Refusals of a
/// blocked or busy subject update nothing and return no row; a refusal that blocks
/// returns the row with `blocked_until` set; a reservation returns the row it counted in.
fn reserve_sql() -> String {
    let fresh = FRESH_WINDOW;
    format!(
        "INSERT INTO login_throttle (subject, failures, pending, window_start, blocked_until) \
         VALUES ($1, 1, 1, $2, NULL) \
         ON CONFLICT (subject) DO UPDATE SET \
           failures = CASE WHEN {fresh} THEN 1 \
             WHEN login_throttle.failures < $4 THEN login_throttle.failures + 1 \
             ELSE login_throttle.failures END, \
           pending = CASE WHEN {fresh} THEN 1 \
             WHEN login_throttle.failures < $4 THEN login_throttle.pending + 1 \
             ELSE login_throttle.pending END, \
           window_start = CASE WHEN {fresh} THEN $2 ELSE login_throttle.window_start END, \
           blocked_until = CASE WHEN {fresh} OR login_throttle.failures < $4 THEN NULL \
             ELSE $2 + $5 END \
         WHERE (login_throttle.blocked_until IS NULL OR login_throttle.blocked_until <= $2) \
           AND ({fresh} OR login_throttle.failures < $4 OR login_throttle.pending = 0) \
         RETURNING window_start, blocked_until"
    )
}

#[async_trait]
impl ThrottleStore for SqlStore {
    async fn reserve_attempt(
        &self,
        subject: &str,
        now: UnixTime,
        limit: i64,
        window: i64,
        block: i64,
    ) -> Result<Reservation, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(reserve_sql()))
            .bind(subject)
            .bind(now.secs())
            .bind(window)
            .bind(limit)
            .bind(block)
            .fetch_optional(&self.writer)
            .await?;
        if let Some(row) = row {
            let until: Option<i64> = row.try_get("blocked_until")?;
            return Ok(match until {
                Some(until) => Reservation::Blocked { until },
                None => Reservation::Reserved {
                    window_start: row.try_get("window_start")?,
                },
            });
        }
        // Refused without a change: blocked, or busy. Which one is only for the answer.
        Ok(match self.throttle_counter(subject).await? {
            Some(ThrottleCounter {
                blocked_until: Some(until),
                ..
            }) if until > now.secs() => Reservation::Blocked { until },
            _ => Reservation::Busy,
        })
    }

    async fn settle_failure(
        &self,
        subject: &str,
        window_start: UnixTime,
    ) -> Result<(), StoreError> {
        self.settle_ticket(
            "UPDATE login_throttle SET pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END \
             WHERE subject = $1 AND window_start = $2",
            subject,
            window_start,
        )
        .await
    }

    async fn give_back_attempt(
        &self,
        subject: &str,
        window_start: UnixTime,
    ) -> Result<(), StoreError> {
        self.settle_ticket(
            "UPDATE login_throttle SET \
               failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, \
               pending = CASE WHEN pending > 0 THEN pending - 1 ELSE 0 END \
             WHERE subject = $1 AND window_start = $2",
            subject,
            window_start,
        )
        .await
    }

    async fn throttle_counter(&self, subject: &str) -> Result<Option<ThrottleCounter>, StoreError> {
        let row = sqlx::query(
            "SELECT failures, pending, window_start, blocked_until FROM login_throttle WHERE subject = $1",
        )
        .bind(subject)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(ThrottleCounter {
                failures: row.try_get("failures")?,
                pending: row.try_get("pending")?,
                window_start: row.try_get("window_start")?,
                blocked_until: row.try_get("blocked_until")?,
            })
        })
        .transpose()
    }

    async fn clear_failures(&self, subject: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_throttle WHERE subject = $1")
            .bind(subject)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

impl SqlStore {
    /// Runs `sql` for the ticket of `subject` taken in the window `window_start`: a
    /// ticket of an older window changes nothing.
    async fn settle_ticket(
        &self,
        sql: &'static str,
        subject: &str,
        window_start: UnixTime,
    ) -> Result<(), StoreError> {
        sqlx::query(sql)
            .bind(subject)
            .bind(window_start.secs())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
