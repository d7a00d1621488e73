//! Login throttling counters.

use async_trait::async_trait;

use super::{Reservation, StoreError, ThrottleCounter};
use crate::domain::UnixTime;

#[async_trait]
pub trait ThrottleStore {
    /// Reserves one password check for `subject` at `now`, atomically, by the rule of
    /// `sessions::throttle`: at most `limit` per `window` seconds, then blocked for
    /// `block` seconds.
    async fn reserve_attempt(
        &self,
        subject: &str,
        now: UnixTime,
        limit: i64,
        window: i64,
        block: i64,
    ) -> Result<Reservation, StoreError>;
    /// The reserved check failed: it stays counted, no longer pending.
    async fn settle_failure(&self, subject: &str, window_start: UnixTime)
        -> Result<(), StoreError>;
    /// The reserved attempt checked no password, or succeeded: it does not count.
    async fn give_back_attempt(
        &self,
        subject: &str,
        window_start: UnixTime,
    ) -> Result<(), StoreError>;
    async fn throttle_counter(&self, subject: &str) -> Result<Option<ThrottleCounter>, StoreError>;
    async fn clear_failures(&self, subject: &str) -> Result<(), StoreError>;
}
