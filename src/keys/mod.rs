//! Signing keys: generation, sealing at rest, lifecycle, the in-memory key ring and JWKS.

mod algorithm;
mod jwk;
mod kek;
mod keyring;
pub mod lifecycle;
mod material;
pub mod service;
mod state;

pub use algorithm::Algorithm;
pub use jwk::{PublicJwk, PublicParams};
pub use kek::{Kek, UnsealError};
pub use keyring::{Jwks, KeyRing, SigningKey};
pub use material::{generate, GeneratedKey, KeyMaterialError, Signer, Verifier};
pub use service::{KeyError, KeyService, RotationTrigger};
pub use state::KeyState;
