//! When a cached document (the JWKS, a status list) may be used, and when it must be
//! fetched again: pure decisions over instants, applied by `cache.rs`.

use std::time::{Duration, Instant};

/// What is known about one cached document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Whether a good copy is held at all.
    pub held: bool,
    /// Until when the copy is fresh (its max-age or `ttl`, counted from the request).
    pub fresh_until: Instant,
    /// Until when a stale copy may still be used while fetches fail.
    pub usable_until: Instant,
    /// When the last fetch attempt failed, if the last attempt failed.
    pub failed_at: Option<Instant>,
}

/// What to do before answering a request that needs the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The copy is fresh: use it.
    Use,
    /// Fetch (or revalidate) first.
    Fetch,
    /// A fetch failed less than a cooldown ago: use the stale copy, within its bound.
    UseStale,
    /// A fetch failed less than a cooldown ago and no usable copy is held: refuse
    /// without fetching again.
    Fail,
}

/// The plan for a request arriving at `now`. After a failure, fetches are spaced by
/// `cooldown`, so an unreachable authority sees at most one fetch per cooldown.
pub fn plan(now: Instant, t: &Timing, cooldown: Duration) -> Plan {
    if t.held && now < t.fresh_until {
        return Plan::Use;
    }
    match t.failed_at {
        Some(failed) if now < failed + cooldown => after_failure(now, t),
        _ => Plan::Fetch,
    }
}

/// What to do once a fetch has failed at `now`: the last good copy within its bound,
/// or fail closed.
pub fn after_failure(now: Instant, t: &Timing) -> Plan {
    if t.held && now < t.usable_until {
        Plan::UseStale
    } else {
        Plan::Fail
    }
}

/// Whether an unknown `kid` may trigger a fetch at `now`: not within `cooldown` of the
/// last attempt, whatever its outcome, so a flood of invented kids costs at most one
/// fetch per cooldown.
pub fn may_refetch_for_unknown_kid(
    now: Instant,
    last_attempt: Option<Instant>,
    cooldown: Duration,
) -> bool {
    last_attempt.is_none_or(|at| now >= at + cooldown)
}

/// The `max-age` of a `Cache-Control` value (RFC 9111 §5.2.2.1); `no-cache` and
/// `no-store` count as zero.
pub fn max_age(cache_control: &str) -> Option<Duration> {
    let mut age = None;
    for directive in cache_control.split(',') {
        let directive = directive.trim();
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return Some(Duration::ZERO);
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            age = v.trim_matches('"').parse().ok().map(Duration::from_secs);
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOLDOWN: Duration = Duration::from_secs(10);

    fn at(base: Instant, secs: u64) -> Instant {
        base + Duration::from_secs(secs)
    }

    fn timing(base: Instant, held: bool, fresh: u64, usable: u64, failed: Option<u64>) -> Timing {
        Timing {
            held,
            fresh_until: at(base, fresh),
            usable_until: at(base, usable),
            failed_at: failed.map(|s| at(base, s)),
        }
    }

    #[test]
    fn fresh_copies_are_used_and_stale_ones_fetched() {
        let b = Instant::now();
        let t = timing(b, true, 60, 600, None);
        assert_eq!(plan(at(b, 59), &t, COOLDOWN), Plan::Use);
        assert_eq!(plan(at(b, 60), &t, COOLDOWN), Plan::Fetch);
        let empty = timing(b, false, 60, 600, None);
        assert_eq!(plan(at(b, 1), &empty, COOLDOWN), Plan::Fetch);
    }

    #[test]
    fn after_a_failure_the_stale_copy_serves_until_its_bound_then_fails_closed() {
        let b = Instant::now();
        let t = timing(b, true, 60, 600, Some(100));
        assert_eq!(plan(at(b, 105), &t, COOLDOWN), Plan::UseStale);
        assert_eq!(plan(at(b, 110), &t, COOLDOWN), Plan::Fetch, "cooldown over");
        let late = timing(b, true, 60, 600, Some(595));
        assert_eq!(plan(at(b, 599), &late, COOLDOWN), Plan::UseStale);
        assert_eq!(plan(at(b, 600), &late, COOLDOWN), Plan::Fail);
        assert_eq!(after_failure(at(b, 600), &late), Plan::Fail);
        let never = timing(b, false, 0, 0, Some(1));
        assert_eq!(plan(at(b, 2), &never, COOLDOWN), Plan::Fail);
    }

    #[test]
    fn unknown_kids_refetch_once_per_cooldown() {
        let b = Instant::now();
        assert!(may_refetch_for_unknown_kid(b, None, COOLDOWN));
        assert!(!may_refetch_for_unknown_kid(at(b, 9), Some(b), COOLDOWN));
        assert!(may_refetch_for_unknown_kid(at(b, 10), Some(b), COOLDOWN));
    }

    #[test]
    fn reads_max_age() {
        assert_eq!(
            max_age("public, max-age=300"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(max_age("Max-Age=\"7\""), Some(Duration::from_secs(7)));
        assert_eq!(max_age("max-age=10, no-cache"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }
}
