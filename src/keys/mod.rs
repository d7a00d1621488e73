//! Signing keys: generation, sealing at rest, lifecycle, the in-memory key ring and JWKS.

mod jws_header;
mod keyring;
pub mod lifecycle;
mod material;
pub mod service;

pub use jws_header::encode_header;
pub use keyring::{Jwks, KeyRing, SigningKey};
pub use material::{generate, GeneratedKey, KeyMaterialError, Signer, Verifier};
pub use service::{KeyError, KeyService};
