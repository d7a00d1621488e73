//! Time as the authority sees it. Tests move a [`ManualClock`] instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

use crate::domain::UnixTime;

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Unix seconds, the unit stored in the database and in JWT claims.
    fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// The same instant as the store takes it.
    fn unix_time(&self) -> UnixTime {
        UnixTime::from_secs(self.unix())
    }
}

#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock shifted by an offset that tests advance at will.
#[derive(Debug, Default)]
pub struct ManualClock {
    offset_secs: AtomicI64,
}

impl ManualClock {
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_secs.load(Ordering::SeqCst))
    }
}
