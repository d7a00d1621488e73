//! Screening presented refresh tokens before the writer. Anyone can present a
//! well-formed token (no client authentication applies, and on `/auth/refresh` the
//! attacker sets his own CSRF cookie), and all the rest of a rotation runs on the one
//! writer. So each batch first reads, in one query on the reader pool, what the
//! database holds of its presented tokens. A token that cannot rotate and whose
//! presentation changes nothing (unknown, expired, of a dead family) is answered
//! `Invalid` there: it costs a share of one read and never a transaction. Only a token
//! that may rotate, or a spent one of a live family (grace or reuse), goes on to the
//! writer, which decides it again as before.
//!
//! Answering from a read outside the writer's transaction is safe because each of
//! those states is final: a token's key is stored by a commit that returns before its
//! holder can present it, so a presented token the read does not find was never issued
//! (or is purged); a revoked family stays revoked; and expiry only comes closer.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::storage::Presented;

/// Why a presentation was answered by the read alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screened {
    /// No such token: never issued, or purged.
    Unknown,
    /// Expired, or of a revoked or expired family.
    Dead,
}

impl Screened {
    pub const ALL: [Screened; 2] = [Screened::Unknown, Screened::Dead];

    /// The `reason` label of `tessera_refresh_screened_out_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Screened::Unknown => "unknown",
            Screened::Dead => "dead",
        }
    }
}

/// `Some(reason)` when presenting a token in the state `found` at `now` can only be
/// `Invalid` and changes nothing; `None` when the writer must see it. The same cases
/// as the writer's spend (which spends only an unused, unexpired token of a live
/// family) and the rules for a token it could not spend (`sessions::rotation`, which
/// answer an unused or dead-family token `Invalid` without a write).
pub fn screen(found: Option<&Presented>, now: i64) -> Option<Screened> {
    let Some(found) = found else {
        return Some(Screened::Unknown);
    };
    let family_live = !found.family_revoked && found.family_expires_at > now;
    // A spent token keeps meaning something (grace, reuse) after its own expiry.
    let token_live = found.used || found.expires_at > now;
    (!(family_live && token_live)).then_some(Screened::Dead)
}

/// A lane that screened this many batches in a row before writing them and found no
/// junk stops screening beforehand: with nothing to find, the read costs about a tenth of
/// the rotations a second on SQLite (bench/refresh).
pub const CLEAN_RUN: u32 = 64;
/// While it does not screen beforehand, a lane still screens one batch this often, and
/// always screens after a batch what the batch could not spend: the first junk turns
/// screening back on.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// Whether to screen a batch before its transaction, after `clean_run` screenings in a
/// row that found nothing, the last one `since_last` ago.
pub fn screen_first(clean_run: u32, since_last: Duration) -> bool {
    clean_run < CLEAN_RUN || since_last >= PROBE_EVERY
}

/// One lane's record of what its screenings found, shared with the writes it spawns
/// (which screen what a batch could not spend).
#[derive(Debug)]
pub struct ScreenRecord {
    origin: Instant,
    clean_run: AtomicU32,
    /// Milliseconds after `origin` of the last screening before a batch.
    last_ms: AtomicU64,
}

impl Default for ScreenRecord {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            clean_run: AtomicU32::new(0),
            last_ms: AtomicU64::new(0),
        }
    }
}

impl ScreenRecord {
    pub fn screen_first(&self) -> bool {
        let since_last = self
            .origin
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)));
        screen_first(self.clean_run.load(Ordering::Relaxed), since_last)
    }

    /// A screening before a batch found junk or not.
    pub fn screened_first(&self, found_junk: bool) {
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Relaxed);
        self.record(found_junk);
    }

    /// Any screening's finding: junk starts the clean run over.
    pub fn record(&self, found_junk: bool) {
        if found_junk {
            self.clean_run.store(0, Ordering::Relaxed);
        } else {
            let _ = self
                .clean_run
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    Some(n.saturating_add(1))
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lane_screens_first_until_a_clean_run_then_once_a_second() {
        assert!(screen_first(0, Duration::ZERO));
        assert!(screen_first(CLEAN_RUN - 1, Duration::ZERO));
        assert!(!screen_first(CLEAN_RUN, Duration::from_millis(999)));
        assert!(screen_first(CLEAN_RUN, PROBE_EVERY));
    }

    #[test]
    fn junk_starts_the_clean_run_over() {
        let record = ScreenRecord::default();
        assert!(record.screen_first(), "a new lane screens first");
        for _ in 0..CLEAN_RUN {
            record.screened_first(false);
        }
        assert!(!record.screen_first(), "nothing found for a whole run");
        record.record(true);
        assert!(record.screen_first(), "junk found after a batch");
    }

    const NOW: i64 = 1_000;

    fn found(
        used: bool,
        expires_at: i64,
        family_revoked: bool,
        family_expires_at: i64,
    ) -> Presented {
        Presented {
            used,
            expires_at,
            family_revoked,
            family_expires_at,
        }
    }

    #[test]
    fn only_unknown_expired_and_dead_family_tokens_are_answered_by_the_read() {
        let cases = [
            (None, Some(Screened::Unknown)),
            // Spendable: the writer spends it.
            (Some(found(false, NOW + 1, false, NOW + 1)), None),
            // Spent, family live: grace or reuse, both need the writer.
            (Some(found(true, NOW + 1, false, NOW + 1)), None),
            (Some(found(true, NOW - 1, false, NOW + 1)), None),
            // Unused but expired.
            (
                Some(found(false, NOW, false, NOW + 1)),
                Some(Screened::Dead),
            ),
            // Of a revoked family, spent or not.
            (
                Some(found(false, NOW + 1, true, NOW + 1)),
                Some(Screened::Dead),
            ),
            (
                Some(found(true, NOW + 1, true, NOW + 1)),
                Some(Screened::Dead),
            ),
            // Of a family past its absolute expiry, spent or not.
            (
                Some(found(false, NOW + 1, false, NOW)),
                Some(Screened::Dead),
            ),
            (Some(found(true, NOW + 1, false, NOW)), Some(Screened::Dead)),
        ];
        for (state, expected) in cases {
            assert_eq!(screen(state.as_ref(), NOW), expected, "{state:?}");
        }
    }
}
