//! Readiness as `/readyz` answers it: one write probe shared by every caller on this
//! replica, at most one a second. `/readyz` is unauthenticated (GET and HEAD), so a
//! flood of it must cost the database no more than a probe a second.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt, Shared};

use crate::storage::SharedStore;

/// How long one probe's outcome answers for every caller. An orchestrator polls every
/// few seconds, so an outcome this old still tells it the truth.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// The outcome of a finished probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probed {
    pub ok: bool,
    /// When the probe finished.
    pub at: Instant,
}

/// The answer `last` still gives at `now`, or `None` when a new probe is needed.
pub fn fresh_answer(last: Option<Probed>, now: Instant) -> Option<bool> {
    last.filter(|p| now.saturating_duration_since(p.at) < FRESH_FOR)
        .map(|p| p.ok)
}

/// A probe in flight, awaited by every caller that arrives while it runs.
type Flight = Shared<BoxFuture<'static, bool>>;

#[derive(Default)]
struct Slot {
    last: Option<Probed>,
    in_flight: Option<Flight>,
}

/// The shared probe of one replica.
pub struct Readiness {
    store: SharedStore,
    slot: Arc<Mutex<Slot>>,
}

impl Readiness {
    pub fn new(store: SharedStore) -> Self {
        Self {
            store,
            slot: Arc::default(),
        }
    }

    /// Whether the database takes a write: the last outcome while it is fresh, else
    /// the outcome of the probe in flight, else of a probe started now.
    pub async fn database_writable(&self) -> bool {
        let flight = {
            let mut slot = lock(&self.slot);
            if let Some(ok) = fresh_answer(slot.last, Instant::now()) {
                return ok;
            }
            match &slot.in_flight {
                Some(flight) => flight.clone(),
                None => {
                    let flight = self.start();
                    slot.in_flight = Some(flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    /// Runs the probe on a task of its own, which records the outcome: it finishes
    /// even when every caller waiting for it has gone away, and the next caller does
    /// not inherit an outcome older than [`FRESH_FOR`].
    fn start(&self) -> Flight {
        let store = self.store.clone();
        let slot = self.slot.clone();
        let task = tokio::spawn({
            let slot = slot.clone();
            async move {
                let ok = store.ping().await.is_ok();
                finish(&slot, ok);
                ok
            }
        });
        async move {
            match task.await {
                Ok(ok) => ok,
                // The probe panicked or its runtime is shutting down: not ready, and
                // the slot must not keep pointing at a flight that will never land.
                Err(_) => {
                    finish(&slot, false);
                    false
                }
            }
        }
        .boxed()
        .shared()
    }
}

fn lock(slot: &Mutex<Slot>) -> std::sync::MutexGuard<'_, Slot> {
    // Nothing panics while holding the lock; a poisoned slot is still consistent.
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

fn finish(slot: &Mutex<Slot>, ok: bool) {
    let mut slot = lock(slot);
    slot.last = Some(Probed {
        ok,
        at: Instant::now(),
    });
    slot.in_flight = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_outcome_yet_needs_a_probe() {
        assert_eq!(fresh_answer(None, Instant::now()), None);
    }

    #[test]
    fn an_outcome_answers_for_one_second() {
        let at = Instant::now();
        for ok in [true, false] {
            let last = Some(Probed { ok, at });
            assert_eq!(fresh_answer(last, at), Some(ok));
            assert_eq!(
                fresh_answer(last, at + FRESH_FOR - Duration::from_millis(1)),
                Some(ok)
            );
            assert_eq!(fresh_answer(last, at + FRESH_FOR), None, "stale at 1 s");
            assert_eq!(fresh_answer(last, at + Duration::from_secs(60)), None);
        }
    }

    #[test]
    fn an_outcome_from_after_now_still_answers() {
        // A caller that read the time just before another recorded an outcome.
        let now = Instant::now();
        let last = Some(Probed {
            ok: true,
            at: now + Duration::from_millis(5),
        });
        assert_eq!(fresh_answer(last, now), Some(true));
    }
}
