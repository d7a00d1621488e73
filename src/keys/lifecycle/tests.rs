//! The lifecycle rules at chosen instants: no clock, no sleeps.

use super::*;
use crate::domain::{Algorithm, PublicJwk, PublicParams};

const MAX_AGE: i64 = 300;
const ACCESS: i64 = 900;
const RELOAD: i64 = 5;
/// From a key's arrival in the database until every replica serves it.
const SPREAD: i64 = RELOAD + PROPAGATION_SLACK;

fn policy() -> Policy {
    Policy {
        jwks_max_age: MAX_AGE,
        access_ttl: ACCESS,
        reload_interval: RELOAD,
        rotation_interval: Some(86_400),
    }
}

fn jwk(kid: &str) -> PublicJwk {
    PublicJwk {
        params: PublicParams::Ec {
            crv: "P-256".into(),
            x: kid.into(),
            y: kid.into(),
        },
        kid: kid.into(),
        alg: Algorithm::Es256,
        use_: "sig".into(),
    }
}

fn stored(
    kid: &str,
    state: KeyState,
    created_at: i64,
    activated_at: Option<i64>,
    deactivated_at: Option<i64>,
) -> StoredKey {
    StoredKey {
        kid: kid.into(),
        alg: Algorithm::Es256,
        state,
        public_jwk: jwk(kid),
        sealed_private: Some(vec![1]),
        created_at,
        activated_at,
        deactivated_at,
        retired_at: None,
        revoked_at: None,
    }
}

fn new_key(kid: &str, at: i64) -> NewKey {
    NewKey {
        kid: kid.into(),
        alg: Algorithm::Es256,
        state: KeyState::Next,
        public_jwk: jwk(kid),
        sealed_private: vec![1],
        created_at: at,
    }
}

fn pair(next_created: i64) -> Vec<StoredKey> {
    vec![
        stored("cur", KeyState::Current, 0, Some(0), None),
        stored("nxt", KeyState::Next, next_created, None, None),
    ]
}

#[test]
fn a_next_key_signs_only_after_every_replica_served_it_for_jwks_max_age() {
    let keys = pair(1_000);
    // Exactly max-age after it reached the database, a replica that reloads late
    // has served it for less: a cache filled from that replica would miss it.
    let early = plan_rotation(&policy(), &keys, 1_000 + MAX_AGE, new_key("new", 1_300));
    assert_eq!(
        early.unwrap_err(),
        Refusal::TooEarly {
            retry_after: SPREAD
        }
    );

    let ready = 1_000 + SPREAD + MAX_AGE;
    let change = plan_rotation(&policy(), &keys, ready, new_key("new", ready)).unwrap();
    let moves: Vec<_> = change
        .transitions
        .iter()
        .map(|t| (t.kid.as_str(), t.from, t.to))
        .collect();
    assert_eq!(
        moves,
        [
            ("cur", KeyState::Current, KeyState::Previous),
            ("nxt", KeyState::Next, KeyState::Current)
        ]
    );
    assert_eq!(change.inserts.len(), 1);
    assert_eq!(change.inserts[0].state, KeyState::Next);
}

#[test]
fn previous_keys_stay_published_for_access_ttl_plus_max_age_after_every_replica_stopped() {
    let keys = vec![stored("old", KeyState::Previous, 0, Some(0), Some(5_000))];
    // A replica that has not reloaded signs with it for up to SPREAD more.
    let last_exp = 5_000 + SPREAD + ACCESS;
    assert!(plan_retirements(&policy(), &keys, last_exp + MAX_AGE - 1)
        .transitions
        .is_empty());
    let change = plan_retirements(&policy(), &keys, last_exp + MAX_AGE);
    assert_eq!(change.transitions.len(), 1);
    assert_eq!(change.transitions[0].to, KeyState::Retired);
}

#[test]
fn rotation_is_due_after_the_interval_of_the_current_key() {
    let keys = pair(0);
    assert!(!policy().rotation_due(&keys, 86_399));
    assert!(policy().rotation_due(&keys, 86_400));
    let off = Policy {
        rotation_interval: None,
        ..policy()
    };
    assert!(!off.rotation_due(&keys, i64::MAX / 2));
}

#[test]
fn revoking_current_hands_signing_to_next_at_once() {
    let keys = pair(1_000);
    // Even before `next` has been published for jwks_max_age: this is an emergency.
    let (change, needs) = plan_revocation(&keys, "cur", 1_001).unwrap();
    let moves: Vec<_> = change
        .transitions
        .iter()
        .map(|t| (t.kid.as_str(), t.to))
        .collect();
    assert_eq!(
        moves,
        [("cur", KeyState::Revoked), ("nxt", KeyState::Current)]
    );
    assert_eq!(
        needs,
        Some(KeyState::Next),
        "a new next key is pre-published"
    );
}

#[test]
fn revoking_next_replaces_it_and_revoking_previous_needs_no_new_key() {
    let mut keys = pair(1_000);
    let (change, needs) = plan_revocation(&keys, "nxt", 1_001).unwrap();
    assert_eq!(change.transitions[0].to, KeyState::Revoked);
    assert_eq!(needs, Some(KeyState::Next));

    keys.push(stored("old", KeyState::Previous, 0, Some(0), Some(10)));
    let (change, needs) = plan_revocation(&keys, "old", 20).unwrap();
    assert_eq!(change.transitions.len(), 1);
    assert_eq!(needs, None);
}

#[test]
fn revoking_twice_changes_nothing_and_unknown_kids_are_refused() {
    let keys = vec![stored("gone", KeyState::Revoked, 0, None, None)];
    let (change, needs) = plan_revocation(&keys, "gone", 5).unwrap();
    assert!(change.transitions.is_empty() && needs.is_none());
    assert_eq!(
        plan_revocation(&keys, "nope", 5).unwrap_err(),
        Refusal::UnknownKey
    );
}

#[test]
fn initial_key_set_signs_at_once_and_prepublishes_next() {
    let change = plan_initial(new_key("a", 0), new_key("b", 0));
    let states: Vec<_> = change.inserts.iter().map(|k| k.state).collect();
    assert_eq!(states, [KeyState::Current, KeyState::Next]);
}
