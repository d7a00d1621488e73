//! A refresh rotation as storage carries it out: the request, the facts its
//! transaction finds, the verdicts the rules give on those facts, and the outcome.
//! The rules are pure functions (`sessions::rotation`) handed in with the request:
//! storage calls them inside the transaction whose writes depend on them, so a
//! decision and its write stay atomic, and storage never decides nor imports the
//! module that does.

use super::FamilyRow;
use crate::domain::{ClientId, FamilyId, StatusSlot, UnixTime, UserId};

/// A rotation request: spend `presented`, store `child` in its place.
#[derive(Debug, Clone)]
pub struct Rotation<'a> {
    pub presented: &'a [u8],
    /// The authenticated client presenting the token, if any.
    pub client: Option<&'a ClientId>,
    pub child: &'a [u8],
    /// The status slot of the access token issued with the child, kept on its row.
    pub child_status: Option<&'a StatusSlot>,
    pub now: UnixTime,
    pub idle_ttl: i64,
    pub grace: i64,
    /// What the facts the transaction finds allow.
    pub rules: RotationRules,
}

/// The rules of rotation, as functions so that a queued rotation carries them to
/// whichever task writes it.
#[derive(Debug, Clone, Copy)]
pub struct RotationRules {
    /// The spend took a live token of a live family: may `client` rotate it?
    pub spent: fn(token: &SpentToken, client: Option<&str>) -> SpentVerdict,
    /// The spend took nothing: what does presenting this token (`None`: unknown) mean?
    pub unspent: fn(token: Option<&UnspentToken>, now: i64, grace: i64) -> UnspentVerdict,
}

/// What the database says of a token the rotation just spent (it was unused,
/// unexpired, of a live family): its family and the family's user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpentToken {
    pub family: FamilyRow,
    pub roles: Vec<String>,
    pub user_disabled_at: Option<i64>,
}

/// What becomes of a spent token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpentVerdict {
    /// The rotation stands: its child is stored.
    Rotate,
    /// Put back unspent: the family is bound to another client.
    WrongClient,
    /// Put back unspent: the rotation is refused (a disabled user).
    Invalid,
}

/// What the database holds of a presented token the rotation could not spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnspentToken {
    pub family_id: String,
    pub user_id: String,
    pub used_at: Option<i64>,
    pub family_revoked_at: Option<i64>,
    pub family_expires_at: i64,
}

/// What presenting a token that could not be spent does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnspentVerdict {
    /// Nothing changes: `Invalid`.
    Invalid,
    /// Spend the token's unused child instead (the client may have lost the answer),
    /// judged as a spent token; a child that cannot be spent makes it `Revoke`.
    SpendChildOrRevoke,
    /// Reuse: the family is revoked.
    Revoke,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The token (or, within the grace window, its unused child) was spent and a
    /// new child stored. Carries what the new access token needs.
    Rotated {
        family: FamilyRow,
        roles: Vec<String>,
    },
    /// A spent token came back: the family is now revoked.
    Reused {
        family_id: FamilyId,
        user_id: UserId,
    },
    /// The family is bound to another client; nothing was spent.
    WrongClient,
    /// Unknown, expired, of a dead family or of a disabled user; nothing was spent.
    Invalid,
}
