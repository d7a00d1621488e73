//! Users, clients and refresh families: logins, rotation with reuse detection,
//! revocation, introspection, throttling and housekeeping.
//!
//! Owns: the rules of sessions, as pure functions where they can be (`scope.rs`,
//! `throttle.rs`, `introspect.rs`'s `may_introspect`), and the services that apply
//! them through the store. Answers its own errors (`error.rs`). May import: `tokens`,
//! `status`, `storage`, `metrics`, `config`, `domain`, `clock`.

mod attempts;
mod client_cache;
mod client_registration;
mod clients;
mod error;
mod families;
mod hashing_threads;
mod history;
mod housekeeping;
mod introspect;
mod login;
pub mod oidc;
mod passwords;
mod refresh_mac;
mod refresh_token;
mod revoke;
mod rotation;
pub mod scope;
mod throttle;
mod users;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

pub use crate::domain::RevocationReason;
pub use client_registration::{
    check_registration, default_grants, CheckedRegistration, ClientRegistration,
};
pub use clients::{AuthenticatedClient, ClientCredentials, NewClient};
pub use error::{LoginFailure, RefreshFailure, SessionError};
pub use families::Session;
pub use introspect::{may_introspect, Introspection, IntrospectionRefusal};
pub use passwords::PasswordHasher;
pub use refresh_mac::RefreshMac;
pub use refresh_token::RefreshToken;
pub use scope::ScopeError;
pub use throttle::{give_back, settle_failure, Limit, ThrottlePolicy};
pub use users::UserView;

use crate::clock::Clock;
use crate::config::TokenSettings;
use crate::metrics::Metrics;
use crate::status::StatusService;
use crate::storage::SharedStore;
use crate::tokens::TokenService;

/// The `client_id` of tokens issued to the first-party browser flow.
pub const FIRST_PARTY_CLIENT: &str = "tessera";

pub struct SessionService {
    store: SharedStore,
    tokens: Arc<TokenService>,
    /// Told of every revocation, so this replica serves it at once.
    status: Arc<StatusService>,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    passwords: PasswordHasher,
    throttle: ThrottlePolicy,
    access_ttl: i64,
    refresh_ttl: i64,
    refresh_idle_ttl: i64,
    reuse_grace: i64,
    first_party_scopes: Vec<String>,
    family_history: u32,
    /// Where the next history pass starts, in token-stamp milliseconds.
    history_since: AtomicU64,
    clients: client_cache::ClientCache,
    /// Seconds an authority session (the hosted login's sign-in) lasts: `sessions.ttl`.
    authority_ttl: i64,
    refresh_mac: RefreshMac,
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl SessionService {
    pub fn new(
        store: SharedStore,
        tokens: Arc<TokenService>,
        status: Arc<StatusService>,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
        settings: &TokenSettings,
        refresh_mac: RefreshMac,
    ) -> Self {
        // Exported from the start, at 0, beside the group commit's reasons.
        metrics
            .refresh_screened_out
            .with_label_values(&[families::FORGED]);
        Self {
            store,
            tokens,
            status,
            clock,
            metrics,
            passwords: PasswordHasher::new(),
            throttle: ThrottlePolicy::default(),
            access_ttl: secs(settings.access_ttl),
            refresh_ttl: secs(settings.refresh_ttl),
            refresh_idle_ttl: secs(settings.refresh_idle_ttl),
            reuse_grace: secs(settings.reuse_grace),
            first_party_scopes: settings.first_party_scopes.clone(),
            family_history: settings.family_history,
            history_since: AtomicU64::new(refresh_token::unix_millis_now()),
            clients: client_cache::ClientCache::default(),
            authority_ttl: 12 * 3600,
            refresh_mac,
        }
    }

    /// Sets how long a sign-in at the hosted login page lasts (`sessions.ttl`).
    pub fn with_authority_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.authority_ttl = secs(ttl);
        self
    }
}
