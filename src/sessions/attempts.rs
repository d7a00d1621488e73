//! Reserving a password check before it runs (the rule is in `throttle`), and settling
//! it afterwards, even when the request is dropped halfway.

use std::time::{Duration, Instant};

use super::throttle::{retry_after, Limit};
use super::LoginFailure;
use super::SessionService;
use crate::domain::UnixTime;
use crate::storage::{Reservation, SharedStore, StoreError};

/// How long an attempt waits for checks already running to decide whether it may run
/// too. A burst of right passwords for one account (more than its limit, at once) waits
/// its turn instead of being refused; wrong guesses find the block once those fail.
const BUSY_WAIT: Duration = Duration::from_secs(5);
const BUSY_POLL: Duration = Duration::from_millis(50);

/// One reserved password check for one subject. Dropped unsettled (the request went
/// away mid-check, or an error cut it short), it counts as a failure: settled in the
/// background so it does not stay pending, since a pending check holds the limit.
pub(super) struct Ticket {
    store: SharedStore,
    subject: String,
    window_start: UnixTime,
    settled: bool,
}

impl Ticket {
    /// The password was wrong: the attempt stays counted.
    pub(super) async fn failed(mut self) -> Result<(), StoreError> {
        self.settled = true;
        self.store
            .settle_failure(&self.subject, self.window_start)
            .await
    }

    /// No password was checked, or (for an address) the login succeeded.
    pub(super) async fn give_back(mut self) -> Result<(), StoreError> {
        self.settled = true;
        self.store
            .give_back_attempt(&self.subject, self.window_start)
            .await
    }

    /// The subject's counter was cleared: nothing is left to settle.
    pub(super) fn cleared(mut self) {
        self.settled = true;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let store = self.store.clone();
        let subject = std::mem::take(&mut self.subject);
        let window_start = self.window_start;
        runtime.spawn(async move {
            if let Err(e) = store.settle_failure(&subject, window_start).await {
                tracing::warn!(error = %e, "could not settle a dropped login attempt");
            }
        });
    }
}

impl SessionService {
    /// Reserves a password check for `subject`, waiting a little while the limit is
    /// held by checks still running. `Throttled` means no password may be checked.
    pub(super) async fn reserve_attempt(
        &self,
        subject: &str,
        limit: Limit,
    ) -> Result<Ticket, LoginFailure> {
        let deadline = Instant::now() + BUSY_WAIT;
        loop {
            let now = self.clock.unix();
            let verdict = self
                .store
                .reserve_attempt(
                    subject,
                    UnixTime::from_secs(now),
                    limit.failures,
                    limit.window,
                    limit.block,
                )
                .await?;
            match verdict {
                Reservation::Reserved { window_start } => {
                    return Ok(Ticket {
                        store: self.store.clone(),
                        subject: subject.to_owned(),
                        window_start: UnixTime::from_secs(window_start),
                        settled: false,
                    })
                }
                Reservation::Blocked { until } => {
                    return Err(LoginFailure::Throttled(retry_after(until, now)))
                }
                Reservation::Busy => {}
            }
            // Poll by reading: the writer is shared with every refresh, and a flood of
            // guesses must not turn into a flood of writes.
            loop {
                if Instant::now() + BUSY_POLL > deadline {
                    return Err(LoginFailure::Throttled(1));
                }
                tokio::time::sleep(BUSY_POLL).await;
                let counter = self.store.throttle_counter(subject).await?;
                if limit.reserve(counter, self.clock.unix()).0 != Reservation::Busy {
                    break;
                }
            }
        }
    }
}
