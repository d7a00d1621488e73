//! Rows as the services see them.

use crate::domain::{Algorithm, ClientType, Grant, KeyState, PublicJwk, StatusSlot, UnixTime};

/// A signing key row. `sealed_private` is AEAD ciphertext, never a clear key.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub kid: String,
    pub alg: Algorithm,
    pub state: KeyState,
    pub public_jwk: PublicJwk,
    pub sealed_private: Option<Vec<u8>>,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub deactivated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// The refresh-token MAC key as stored: sealed under the KEK.
#[derive(Debug, Clone)]
pub struct SealedMacKey {
    pub sealed: Vec<u8>,
    /// Refresh tokens without a MAC (issued before the key existed) are accepted
    /// until then: no family live at its creation outlives it.
    pub legacy_until: i64,
}

/// A key state change that applies only if the key is still in `from`.
#[derive(Debug, Clone)]
pub struct KeyTransition {
    pub kid: String,
    pub from: KeyState,
    pub to: KeyState,
    pub at: i64,
}

/// A new key row: `next`, or `current` when the very first key set is created.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub kid: String,
    pub alg: Algorithm,
    pub state: KeyState,
    pub public_jwk: PublicJwk,
    pub sealed_private: Vec<u8>,
    pub created_at: i64,
}

/// Transitions and inserts that happen together or not at all.
#[derive(Debug, Clone, Default)]
pub struct KeyChange {
    pub transitions: Vec<KeyTransition>,
    pub inserts: Vec<NewKey>,
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub roles: Vec<String>,
    pub disabled_at: Option<i64>,
    pub sessions_revoked_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    /// SHA-256 of the secret; `None` for a public client, which has none.
    pub secret_hash: Option<Vec<u8>>,
    pub client_type: ClientType,
    pub scopes: Vec<String>,
    /// Compared by exact string equality, never as patterns.
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<Grant>,
    /// Trusted by the operator: its users are not asked for consent.
    pub first_party: bool,
    /// May call the introspection endpoint (a resource server).
    pub introspection: bool,
    pub created_at: i64,
}

/// A new refresh family (one login session) with its first token.
#[derive(Debug, Clone)]
pub struct NewFamily {
    pub id: String,
    pub user_id: String,
    pub client_id: Option<String>,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub first_token_hash: Vec<u8>,
    pub first_token_expires_at: i64,
    /// The status slot of the access token issued with the first refresh token.
    pub first_token_status: Option<StatusSlot>,
}

/// What the store says of an access token whose signature and claims are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessTokenState {
    /// Denylisted, of a family that is revoked or gone, or of a user who is disabled
    /// or revoked every session after the token was issued.
    pub revoked: bool,
    /// The user the token's `sub` names; `None` for a client's token.
    pub user: Option<TokenUser>,
}

/// The user of an access token, as `/auth/me` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUser {
    pub id: String,
    pub email: String,
    pub roles: Vec<String>,
}

/// The family a refresh token belongs to, as rotation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyRow {
    pub id: String,
    pub user_id: String,
    pub client_id: Option<String>,
    pub scope: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// A login-throttle subject's counter as stored. `failures` counts every attempt
/// reserved in the window that was not given back, `pending` those of them whose
/// password check has not finished yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleCounter {
    pub failures: i64,
    pub pending: i64,
    pub window_start: i64,
    pub blocked_until: Option<i64>,
}

/// What asking to check one more password for a subject got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Go ahead; settle it with this window's start (it names the window it counts in).
    Reserved { window_start: i64 },
    /// Blocked until then: nothing checked, nothing counted.
    Blocked { until: i64 },
    /// The limit is taken, partly by checks still running: their outcome decides.
    Busy,
}

/// A browser's sign-in at the hosted login page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthoritySessionRow {
    pub id: String,
    pub secret_hash: Vec<u8>,
    pub user_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// An authorization code as stored: everything it was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub hash: Vec<u8>,
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub user_id: String,
    pub session_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// A user's remembered consent to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRow {
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub granted_at: i64,
}

/// The family a redeemed code starts, less what the code row supplies (user, client,
/// scope, authority session).
#[derive(Debug, Clone)]
pub struct CodeFamily {
    pub id: String,
    pub expires_at: i64,
    pub first_token_hash: Vec<u8>,
    pub first_token_expires_at: i64,
    /// The status slot of the access token issued with the first refresh token.
    pub first_token_status: StatusSlot,
}

/// Redeeming a code: the rules come in as a function, called inside the transaction
/// on the row the `UPDATE` spent (client, redirect URI, PKCE verifier). Owned, so that
/// a group-commit lane can carry it to the end when the request that sent it is gone.
#[derive(Clone)]
pub struct CodeRedemption {
    pub hash: Vec<u8>,
    /// The authenticated client: another client's presentation does not spend the code.
    pub client_id: String,
    pub now: UnixTime,
    pub accept: std::sync::Arc<dyn Fn(&CodeRow) -> bool + Send + Sync>,
    pub family: CodeFamily,
}

/// What presenting a code got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemOutcome {
    /// Spent now and its family started; with the user's e-mail and roles.
    Redeemed {
        code: Box<CodeRow>,
        email: String,
        roles: Vec<String>,
    },
    /// Spent now, but refused (`accept` said no, or the user or session is gone).
    Refused,
    /// Spent before: the family its redemption started, if it started one.
    Reused { family_id: Option<String> },
    /// Unknown or expired.
    Invalid,
}

/// A block of status-list indices leased to one replica: `[first, end)` of `list_id`,
/// a list bound to `kid` that takes new tokens until `accepts_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLease {
    pub list_id: String,
    pub kid: String,
    pub first: i64,
    pub end: i64,
    pub accepts_until: i64,
}

/// What a lease asks for: a block of `block` indices of the list of `kid` for the
/// window starting at `window_start`, opening one (`capacity` indices, deleted at
/// `expires_at`) when none has room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRequest<'a> {
    pub kid: &'a str,
    pub window_start: i64,
    pub accepts_until: i64,
    pub expires_at: i64,
    pub capacity: i64,
    pub block: i64,
    /// The id of the list this request opens, if it has to.
    pub new_list_id: &'a str,
}

/// A live status list as the served copy is built from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListRow {
    pub id: String,
    pub kid: String,
    pub capacity: i64,
    pub all_revoked: bool,
    pub expires_at: i64,
}
