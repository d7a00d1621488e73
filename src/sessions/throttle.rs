//! Login throttling per account and per client address, kept in the database so
//! every replica counts the same attempts.
//!
//! An attempt is reserved before its password is hashed, so that concurrent guesses
//! cannot all pass a check made before any of them failed. The rule, per subject
//! (`ThrottleStore::reserve_attempt` runs it as one SQL statement; [`Limit::reserve`]
//! is the same rule in Rust, and a test holds the two together):
//!
//! 1. Blocked (`blocked_until` is later than now): refused, nothing changes.
//! 2. No counter, its window has passed (`window_start <= now - window`), or a block
//!    has ended: a new window starts with this attempt (1 failure, 1 pending).
//! 3. Fewer than `failures` reserved in the window: reserved (+1 failure, +1 pending).
//! 4. The limit is reached and every reserved check has failed (none pending):
//!    refused, and blocked for `block` seconds from now.
//! 5. The limit is reached but some checks are still running: refused for now (busy);
//!    their outcome decides between 3 (a success gives its reservation back) and 4.
//!
//! A reserved attempt is settled with the `window_start` it was reserved in, and a
//! settlement for a window that has since been replaced changes nothing:
//! - the password was wrong: it stays counted, no longer pending ([`settle_failure`]);
//! - no password was checked, or (for an address) the login succeeded: the reservation
//!   is given back ([`give_back`]); a success clears the account's counter outright.
//!
//! So within a window at most `failures` passwords are checked and found wrong, however
//! many requests arrive at once and on however many replicas.

use crate::storage::{Reservation, ThrottleCounter};

use std::net::IpAddr;

use ipnet::Ipv6Net;

/// Failures allowed within a window before the subject is blocked for `block` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// At least 1.
    pub failures: i64,
    pub window: i64,
    /// At least 1, so that a window that starts when a block ends is a new one.
    pub block: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub account: Limit,
    pub address: Limit,
}

impl Default for ThrottlePolicy {
    /// 5 failures for one account or 50 from one address within 15 minutes block
    /// further attempts for 5 (account) or 15 (address) minutes.
    fn default() -> Self {
        Self {
            account: Limit {
                failures: 5,
                window: 900,
                block: 300,
            },
            address: Limit {
                failures: 50,
                window: 900,
                block: 900,
            },
        }
    }
}

impl Limit {
    /// The rule of the module doc: the verdict on one more attempt at `now`, and the
    /// counter after it.
    pub fn reserve(
        &self,
        counter: Option<ThrottleCounter>,
        now: i64,
    ) -> (Reservation, Option<ThrottleCounter>) {
        let fresh = ThrottleCounter {
            failures: 1,
            pending: 1,
            window_start: now,
            blocked_until: None,
        };
        let Some(c) = counter else {
            return (Reservation::Reserved { window_start: now }, Some(fresh));
        };
        match c.blocked_until {
            Some(until) if until > now => return (Reservation::Blocked { until }, Some(c)),
            Some(_) => return (Reservation::Reserved { window_start: now }, Some(fresh)),
            None => {}
        }
        if c.window_start <= now - self.window {
            (Reservation::Reserved { window_start: now }, Some(fresh))
        } else if c.failures < self.failures {
            let reserved = ThrottleCounter {
                failures: c.failures + 1,
                pending: c.pending + 1,
                ..c
            };
            let verdict = Reservation::Reserved {
                window_start: c.window_start,
            };
            (verdict, Some(reserved))
        } else if c.pending == 0 {
            let until = now + self.block;
            let blocked = ThrottleCounter {
                blocked_until: Some(until),
                ..c
            };
            (Reservation::Blocked { until }, Some(blocked))
        } else {
            (Reservation::Busy, Some(c))
        }
    }
}

/// A reserved attempt whose password was wrong: still counted, no longer pending.
pub fn settle_failure(
    counter: Option<ThrottleCounter>,
    window_start: i64,
) -> Option<ThrottleCounter> {
    counter.map(|c| {
        if c.window_start != window_start {
            return c;
        }
        ThrottleCounter {
            pending: (c.pending - 1).max(0),
            ..c
        }
    })
}

/// A reserved attempt that checked no password, or succeeded: not counted at all.
pub fn give_back(counter: Option<ThrottleCounter>, window_start: i64) -> Option<ThrottleCounter> {
    counter.map(|c| {
        if c.window_start != window_start {
            return c;
        }
        ThrottleCounter {
            failures: (c.failures - 1).max(0),
            pending: (c.pending - 1).max(0),
            ..c
        }
    })
}

/// Seconds a refused client should wait, for `Retry-After`: at least 1.
pub fn retry_after(until: i64, now: i64) -> u64 {
    u64::try_from(until - now).unwrap_or(1).max(1)
}

pub fn account_subject(email: &str) -> String {
    format!("account:{email}")
}

/// IPv4 clients by their address, IPv6 clients by their /64: one host commonly holds a
/// whole /64, and a fresh address per guess must not buy fresh attempts.
pub fn address_subject(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => {
            let net = Ipv6Net::new(v6, 64).expect("64 is a valid IPv6 prefix");
            format!("ip:{}", net.trunc())
        }
        _ => format!("ip:{ip}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_share_the_subject_of_their_64() {
        assert_eq!(address_subject("203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(address_subject("2001:db8:1:2::1"), "ip:2001:db8:1:2::/64");
        assert_eq!(
            address_subject("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            address_subject("2001:db8:1:2::1")
        );
        assert_ne!(
            address_subject("2001:db8:1:3::1"),
            address_subject("2001:db8:1:2::1")
        );
    }

    const LIMIT: Limit = Limit {
        failures: 2,
        window: 100,
        block: 30,
    };

    fn counter(failures: i64, pending: i64, window_start: i64) -> ThrottleCounter {
        ThrottleCounter {
            failures,
            pending,
            window_start,
            blocked_until: None,
        }
    }

    #[test]
    fn the_first_attempt_starts_a_window() {
        let (verdict, after) = LIMIT.reserve(None, 50);
        assert_eq!(verdict, Reservation::Reserved { window_start: 50 });
        assert_eq!(after, Some(counter(1, 1, 50)));
    }

    #[test]
    fn attempts_are_reserved_up_to_the_limit_then_busy_while_checks_run() {
        let (verdict, after) = LIMIT.reserve(Some(counter(1, 1, 50)), 60);
        assert_eq!(verdict, Reservation::Reserved { window_start: 50 });
        assert_eq!(after, Some(counter(2, 2, 50)));
        let (verdict, after) = LIMIT.reserve(after, 61);
        assert_eq!(
            verdict,
            Reservation::Busy,
            "two checks running take the limit"
        );
        assert_eq!(
            after,
            Some(counter(2, 2, 50)),
            "a busy refusal changes nothing"
        );
    }

    #[test]
    fn when_every_reserved_check_failed_the_next_attempt_is_blocked() {
        let failed = settle_failure(settle_failure(Some(counter(2, 2, 50)), 50), 50);
        assert_eq!(failed, Some(counter(2, 0, 50)));
        let (verdict, after) = LIMIT.reserve(failed, 70);
        assert_eq!(verdict, Reservation::Blocked { until: 100 });
        let blocked = after.unwrap();
        assert_eq!(blocked.blocked_until, Some(100));

        let (verdict, again) = LIMIT.reserve(Some(blocked), 99);
        assert_eq!(
            verdict,
            Reservation::Blocked { until: 100 },
            "nothing counted while blocked"
        );
        assert_eq!(again, Some(blocked));
        assert_eq!(retry_after(100, 99), 1);
        assert_eq!(retry_after(100, 70), 30);
    }

    #[test]
    fn a_block_that_ended_starts_a_new_window() {
        let blocked = ThrottleCounter {
            blocked_until: Some(100),
            ..counter(2, 0, 50)
        };
        let (verdict, after) = LIMIT.reserve(Some(blocked), 100);
        assert_eq!(verdict, Reservation::Reserved { window_start: 100 });
        assert_eq!(after, Some(counter(1, 1, 100)));
    }

    #[test]
    fn a_window_that_passed_starts_a_new_one() {
        let (verdict, after) = LIMIT.reserve(Some(counter(2, 0, 50)), 150);
        assert_eq!(verdict, Reservation::Reserved { window_start: 150 });
        assert_eq!(after, Some(counter(1, 1, 150)));
        let (verdict, _) = LIMIT.reserve(Some(counter(2, 0, 50)), 149);
        assert_eq!(verdict, Reservation::Blocked { until: 179 });
    }

    #[test]
    fn a_given_back_reservation_makes_room() {
        let given_back = give_back(Some(counter(2, 2, 50)), 50);
        assert_eq!(given_back, Some(counter(1, 1, 50)));
        let (verdict, _) = LIMIT.reserve(given_back, 60);
        assert_eq!(verdict, Reservation::Reserved { window_start: 50 });
    }

    #[test]
    fn settling_a_replaced_window_changes_nothing() {
        let now = Some(counter(1, 1, 150));
        assert_eq!(settle_failure(now, 50), now);
        assert_eq!(give_back(now, 50), now);
        assert_eq!(give_back(None, 50), None);
        assert_eq!(
            give_back(Some(counter(0, 0, 150)), 150),
            Some(counter(0, 0, 150)),
            "never below zero"
        );
    }
}
