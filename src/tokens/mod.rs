//! Access tokens (compact JWS, RFC 9068): claims, minting with the current key,
//! verification against the key ring and the revocation state.
//!
//! Owns: what a valid access token is. May import: `keys`, `status`, `storage`, `metrics`,
//! `domain`, `clock`.

mod claims;
mod id_token;
mod mint;
mod service;
mod verify;

pub use crate::domain::Grant;
pub use claims::{AccessClaims, Audience, Status, StatusListRef};
pub use id_token::{at_hash, IdClaims, IdTokenFor};
pub use mint::{mint, random_id, MintError};
pub use service::{IssuedToken, Reserved, Subject, TokenService, VerifyError};
pub use verify::{verify_signed, Expectations, Rejection, MAX_TOKEN_BYTES};
