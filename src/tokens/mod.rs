//! Access tokens (compact JWS) and refresh tokens (opaque random strings).

mod claims;
mod mint;
mod service;
mod verify;

pub use crate::domain::Grant;
pub use claims::{AccessClaims, Audience};
pub use mint::{mint, random_id, MintError};
pub use service::{IssuedToken, Subject, TokenService, VerifyError};
pub use verify::{verify_signed, Expectations, Rejection, MAX_TOKEN_BYTES};
