//! The rules of a refresh rotation, as pure functions of what the rotation's
//! transaction found. Storage calls them inside that transaction (they travel with
//! the request as `storage::RotationRules`), so each decision and the write that
//! depends on it stay atomic; nothing here touches the database.

use crate::storage::{RotationRules, SpentToken, SpentVerdict, UnspentToken, UnspentVerdict};

/// The rules every refresh rotation runs by.
pub const RULES: RotationRules = RotationRules {
    spent: spent_token,
    unspent: unspent_token,
};

/// A live token of a live family was spent: the rotation stands unless the family is
/// bound to another client than `client`, or its user is disabled.
pub fn spent_token(token: &SpentToken, client: Option<&str>) -> SpentVerdict {
    let bound_to = token.family.client_id.as_deref();
    if bound_to.is_some() && bound_to != client {
        SpentVerdict::WrongClient
    } else if token.user_disabled_at.is_some() {
        SpentVerdict::Invalid
    } else {
        SpentVerdict::Rotate
    }
}

/// A token that could not be spent (`None`: unknown). Unused yet not spendable
/// (expired, or of a dead family), or spent of a dead family: nothing changes. Spent
/// of a live family: within `grace` seconds of its spending the client may have lost
/// the answer, so its unused child is spent instead; otherwise it is reuse, and the
/// family is revoked.
pub fn unspent_token(token: Option<&UnspentToken>, now: i64, grace: i64) -> UnspentVerdict {
    let Some(token) = token else {
        return UnspentVerdict::Invalid;
    };
    let Some(used_at) = token.used_at else {
        return UnspentVerdict::Invalid;
    };
    if token.family_revoked_at.is_some() || token.family_expires_at <= now {
        return UnspentVerdict::Invalid;
    }
    if grace > 0 && now - used_at <= grace {
        UnspentVerdict::SpendChildOrRevoke
    } else {
        UnspentVerdict::Revoke
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::FamilyRow;

    const NOW: i64 = 10_000;
    const GRACE: i64 = 30;

    fn spent(client_id: Option<&str>, disabled_at: Option<i64>) -> SpentToken {
        SpentToken {
            family: FamilyRow {
                id: "fam".into(),
                user_id: "usr".into(),
                client_id: client_id.map(str::to_owned),
                scope: "openid".into(),
                expires_at: NOW + 3600,
                revoked_at: None,
            },
            roles: vec!["admin".into()],
            user_disabled_at: disabled_at,
        }
    }

    fn unspent(used_at: Option<i64>, revoked_at: Option<i64>, expires_at: i64) -> UnspentToken {
        UnspentToken {
            family_id: "fam".into(),
            user_id: "usr".into(),
            used_at,
            family_revoked_at: revoked_at,
            family_expires_at: expires_at,
        }
    }

    #[test]
    fn a_spent_token_rotates_for_its_own_client_or_in_a_family_bound_to_none() {
        assert_eq!(spent_token(&spent(None, None), None), SpentVerdict::Rotate);
        assert_eq!(
            spent_token(&spent(None, None), Some("app")),
            SpentVerdict::Rotate
        );
        assert_eq!(
            spent_token(&spent(Some("app"), None), Some("app")),
            SpentVerdict::Rotate
        );
    }

    #[test]
    fn another_client_gets_wrong_client_even_for_a_disabled_user() {
        assert_eq!(
            spent_token(&spent(Some("app"), None), Some("other")),
            SpentVerdict::WrongClient
        );
        assert_eq!(
            spent_token(&spent(Some("app"), None), None),
            SpentVerdict::WrongClient
        );
        assert_eq!(
            spent_token(&spent(Some("app"), Some(1)), None),
            SpentVerdict::WrongClient
        );
    }

    #[test]
    fn a_disabled_user_does_not_rotate() {
        assert_eq!(
            spent_token(&spent(None, Some(NOW - 1)), None),
            SpentVerdict::Invalid
        );
    }

    #[test]
    fn an_unknown_token_is_invalid() {
        assert_eq!(unspent_token(None, NOW, GRACE), UnspentVerdict::Invalid);
    }

    #[test]
    fn an_unused_token_that_could_not_be_spent_is_expired_or_dead_and_changes_nothing() {
        let live_family = unspent(None, None, NOW + 1);
        assert_eq!(
            unspent_token(Some(&live_family), NOW, GRACE),
            UnspentVerdict::Invalid
        );
        let revoked = unspent(None, Some(NOW - 5), NOW + 1);
        assert_eq!(
            unspent_token(Some(&revoked), NOW, GRACE),
            UnspentVerdict::Invalid
        );
    }

    #[test]
    fn a_spent_token_of_a_dead_family_changes_nothing() {
        let revoked = unspent(Some(NOW - 1), Some(NOW - 1), NOW + 1);
        assert_eq!(
            unspent_token(Some(&revoked), NOW, GRACE),
            UnspentVerdict::Invalid
        );
        let expired = unspent(Some(NOW - 1), None, NOW);
        assert_eq!(
            unspent_token(Some(&expired), NOW, GRACE),
            UnspentVerdict::Invalid
        );
    }

    #[test]
    fn within_grace_the_unused_child_is_spent_instead() {
        for used_at in [NOW, NOW - 1, NOW - GRACE] {
            let token = unspent(Some(used_at), None, NOW + 1);
            assert_eq!(
                unspent_token(Some(&token), NOW, GRACE),
                UnspentVerdict::SpendChildOrRevoke,
                "spent at {used_at}"
            );
        }
    }

    #[test]
    fn outside_grace_reuse_revokes_the_family() {
        let token = unspent(Some(NOW - GRACE - 1), None, NOW + 1);
        assert_eq!(
            unspent_token(Some(&token), NOW, GRACE),
            UnspentVerdict::Revoke
        );
    }

    #[test]
    fn without_grace_every_reuse_revokes_even_in_the_same_second() {
        let token = unspent(Some(NOW), None, NOW + 1);
        assert_eq!(unspent_token(Some(&token), NOW, 0), UnspentVerdict::Revoke);
    }
}
