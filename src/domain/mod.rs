//! Values parsed at the boundary: once constructed they are known to be valid, and
//! the value types the other modules share (algorithms, key states, the KEK, label
//! values of metrics).
//!
//! Owns: parsing and the invariants of these values. May import: `secret` only; every
//! other module may import it.

mod algorithm;
mod client_type;
mod email;
mod grant;
pub mod identifier;
mod ids;
mod jwk;
mod kek;
mod key_state;
pub mod password;
pub mod redirect_uri;
mod revocation;
mod rotation_trigger;
pub mod scope;
mod unix_time;

pub use algorithm::Algorithm;
pub use client_type::ClientType;
pub use email::Email;
pub use grant::Grant;
pub use identifier::is_identifier;
pub use ids::{ClientId, FamilyId, Jti, Kid, UserId};
pub use jwk::{PublicJwk, PublicParams};
pub use kek::{Kek, UnsealError};
pub use key_state::KeyState;
pub use password::Password;
pub use redirect_uri::check_redirect_uri;
pub use revocation::RevocationReason;
pub use rotation_trigger::RotationTrigger;
pub use scope::{parse_scope, valid_scope_token};
pub use unix_time::UnixTime;
