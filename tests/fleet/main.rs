//! Key rotation is invisible to a fleet of downstream verifiers that cache the JWKS.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod fleet;
mod rotator;
mod stream;
mod verifier;
