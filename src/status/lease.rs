//! Which list a token's index comes from, as pure functions: lists take new tokens
//! for one window of time and from one signing key, and live until every token that
//! points into them has expired; each replica hands out indices from a leased block.

use crate::domain::StatusSlot;
use crate::storage::StatusLease;

/// Indices a replica leases at once: one database write per this many tokens.
pub const BLOCK: i64 = 1024;

/// Indices per list: 128 KiB of bits, a few hundred bytes compressed while few are
/// revoked. A window that issues more opens the next part.
pub const CAPACITY: i64 = 1 << 20;

/// Kept past the last token's expiry: verifiers' clock leeway.
pub const SLACK_SECS: i64 = 300;

/// The window a list takes new tokens in, and when the list may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub accepts_until: i64,
    /// Every token issued in the window has expired by then (`access_ttl` later, and slack).
    pub expires_at: i64,
}

/// The window `now` falls in: windows of `length` seconds, aligned so that every
/// replica picks the same one.
pub fn window_at(now: i64, length: i64, access_ttl: i64) -> Window {
    let length = length.max(1);
    let start = now - now.rem_euclid(length);
    let accepts_until = start + length;
    Window {
        start,
        accepts_until,
        expires_at: accepts_until + access_ttl + SLACK_SECS,
    }
}

/// The next index of `lease` for a token signed by `kid` at `now`, if the lease is
/// of that key, of a window still open, and not used up.
pub fn take(lease: &mut Option<StatusLease>, kid: &str, now: i64) -> Option<StatusSlot> {
    let l = lease.as_mut()?;
    if l.kid != kid || now >= l.accepts_until || l.first >= l.end {
        return None;
    }
    let idx = l.first;
    l.first += 1;
    Some(StatusSlot {
        list_id: l.list_id.clone(),
        idx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(first: i64, end: i64) -> Option<StatusLease> {
        Some(StatusLease {
            list_id: "list".into(),
            kid: "k1".into(),
            first,
            end,
            accepts_until: 1_000,
        })
    }

    #[test]
    fn a_lease_hands_out_each_index_once_then_is_used_up() {
        let mut l = lease(5, 7);
        assert_eq!(take(&mut l, "k1", 10).unwrap().idx, 5);
        assert_eq!(take(&mut l, "k1", 10).unwrap().idx, 6);
        assert_eq!(take(&mut l, "k1", 10), None);
    }

    #[test]
    fn a_lease_serves_only_its_key_and_its_window() {
        let mut l = lease(0, 10);
        assert_eq!(take(&mut l, "k2", 10), None);
        assert_eq!(take(&mut l, "k1", 1_000), None);
        assert_eq!(take(&mut None, "k1", 10), None);
    }

    #[test]
    fn windows_are_aligned_and_lists_outlive_their_last_token() {
        let w = window_at(1_234, 900, 900);
        assert_eq!(w.start, 900);
        assert_eq!(w.accepts_until, 1_800);
        // A token issued at the last second of the window expires before the list goes.
        assert!(w.accepts_until - 1 + 900 < w.expires_at);
        assert_eq!(window_at(1_799, 900, 900), w);
        assert_ne!(window_at(1_800, 900, 900), w);
    }
}
