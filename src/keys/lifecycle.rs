//! The key lifecycle rules, as pure functions of the stored keys and the time.
//!
//! A key signs only after every replica has served it for `jwks_max_age`, so a
//! verifier whose cached JWKS is at most that old already knows it, whichever replica
//! it came from. A replica serves a new key only from its next reload, up to
//! `reload_interval` after the key reached the database: the wait counts from then.
//! A `previous` key stays published for `access_ttl + jwks_max_age` after the last
//! replica stopped signing with it (again up to a reload late), until every token it
//! signed has expired and every cache has refetched.

use std::time::Duration;

use crate::storage::{KeyChange, KeyTransition, NewKey, StoredKey};

use crate::domain::KeyState;

/// Stored times are whole seconds, so a change made at 10.9 s reads as 10 s; and a
/// replica's reload ends a little after its tick. Two seconds cover both.
pub const PROPAGATION_SLACK: i64 = 2;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub jwks_max_age: i64,
    pub access_ttl: i64,
    /// How long a replica may go on with a key set the database has moved past.
    pub reload_interval: i64,
    pub rotation_interval: Option<i64>,
}

impl Policy {
    pub fn new(
        jwks_max_age: Duration,
        access_ttl: Duration,
        reload_interval: Duration,
        rotation_interval: Option<Duration>,
    ) -> Self {
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self {
            jwks_max_age: secs(jwks_max_age),
            access_ttl: secs(access_ttl),
            // Rounded up: a replica reloading every 200 ms is stale for up to 200 ms.
            reload_interval: secs(reload_interval)
                .saturating_add(i64::from(reload_interval.subsec_nanos() > 0)),
            rotation_interval: rotation_interval.map(secs),
        }
    }

    /// How long after a key change reaches the database every replica acts on it.
    pub fn propagation(&self) -> i64 {
        self.reload_interval.saturating_add(PROPAGATION_SLACK)
    }

    /// How long a `next` key waits in the database before it may sign.
    pub fn publication_wait(&self) -> i64 {
        self.propagation().saturating_add(self.jwks_max_age)
    }

    /// When every replica has served a `next` key for `jwks_max_age`, so it may sign.
    pub fn signable_at(&self, next: &StoredKey) -> i64 {
        next.created_at.saturating_add(self.publication_wait())
    }

    /// When a `previous` key may leave the JWKS: a replica that has not reloaded yet
    /// still signs with it, and its tokens live `access_ttl` after that.
    pub fn retirable_at(&self, previous: &StoredKey) -> i64 {
        previous
            .deactivated_at
            .unwrap_or(previous.created_at)
            .saturating_add(self.propagation())
            .saturating_add(self.access_ttl)
            .saturating_add(self.jwks_max_age)
    }

    /// Whether the automatic rotation period of the `current` key has run out.
    pub fn rotation_due(&self, keys: &[StoredKey], now: i64) -> bool {
        match (self.rotation_interval, find(keys, KeyState::Current)) {
            (Some(interval), Some(current)) => {
                current
                    .activated_at
                    .unwrap_or(current.created_at)
                    .saturating_add(interval)
                    <= now
            }
            _ => false,
        }
    }
}

fn find(keys: &[StoredKey], state: KeyState) -> Option<&StoredKey> {
    keys.iter().find(|k| k.state == state)
}

fn transition(key: &StoredKey, to: KeyState, at: i64) -> KeyTransition {
    KeyTransition {
        kid: key.kid.clone(),
        from: key.state,
        to,
        at,
    }
}

/// Why a change cannot be made now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Some replica has not served the `next` key for `jwks_max_age` yet.
    TooEarly { retry_after: i64 },
    /// No such kid.
    UnknownKey,
}

/// The very first key set: one key signs at once (no token exists yet for any cache
/// to miss) and one is pre-published as `next`.
pub fn plan_initial(current: NewKey, next: NewKey) -> KeyChange {
    KeyChange {
        transitions: vec![],
        inserts: vec![
            NewKey {
                state: KeyState::Current,
                ..current
            },
            NewKey {
                state: KeyState::Next,
                ..next
            },
        ],
    }
}

/// A rotation: `next` → `current`, `current` → `previous`, `new_next` published.
pub fn plan_rotation(
    policy: &Policy,
    keys: &[StoredKey],
    now: i64,
    new_next: NewKey,
) -> Result<KeyChange, Refusal> {
    let mut change = KeyChange::default();
    match find(keys, KeyState::Next) {
        Some(next) => {
            let ready = policy.signable_at(next);
            if ready > now {
                return Err(Refusal::TooEarly {
                    retry_after: ready - now,
                });
            }
            if let Some(current) = find(keys, KeyState::Current) {
                change
                    .transitions
                    .push(transition(current, KeyState::Previous, now));
            }
            change
                .transitions
                .push(transition(next, KeyState::Current, now));
            change.inserts.push(NewKey {
                state: KeyState::Next,
                ..new_next
            });
        }
        // Only reachable after manual tampering: publish a `next` and let a later rotation promote it.
        None => change.inserts.push(NewKey {
            state: KeyState::Next,
            ..new_next
        }),
    }
    Ok(change)
}

/// An emergency revocation, and the state of a fresh key it needs (if any). A revoked
/// `current` is replaced by `next` at once: the one case where a key may sign before
/// `jwks_max_age` has passed.
pub fn plan_revocation(
    keys: &[StoredKey],
    kid: &str,
    now: i64,
) -> Result<(KeyChange, Option<KeyState>), Refusal> {
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(Refusal::UnknownKey)?;
    let mut change = KeyChange::default();
    let needs = match key.state {
        KeyState::Revoked => None,
        KeyState::Current => {
            change
                .transitions
                .push(transition(key, KeyState::Revoked, now));
            match find(keys, KeyState::Next) {
                Some(next) => {
                    change
                        .transitions
                        .push(transition(next, KeyState::Current, now));
                    Some(KeyState::Next)
                }
                None => Some(KeyState::Current),
            }
        }
        KeyState::Next => {
            change
                .transitions
                .push(transition(key, KeyState::Revoked, now));
            Some(KeyState::Next)
        }
        KeyState::Previous | KeyState::Retired => {
            change
                .transitions
                .push(transition(key, KeyState::Revoked, now));
            None
        }
    };
    Ok((change, needs))
}

/// `previous` keys whose tokens have all expired and whose caches have moved on.
pub fn plan_retirements(policy: &Policy, keys: &[StoredKey], now: i64) -> KeyChange {
    KeyChange {
        transitions: keys
            .iter()
            .filter(|k| k.state == KeyState::Previous && policy.retirable_at(k) <= now)
            .map(|k| transition(k, KeyState::Retired, now))
            .collect(),
        inserts: vec![],
    }
}

#[cfg(test)]
mod tests;
