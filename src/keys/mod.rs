//! Signing keys: generation, lifecycle (`lifecycle.rs` decides, the store applies),
//! the in-memory key ring and the JWKS bytes.
//!
//! Owns: which keys exist, which one signs, and what is published. May import:
//! `storage`, `metrics`, `domain` (the KEK that seals keys at rest is there), `clock`,
//! `secret`.

mod jws_header;
mod keyring;
pub mod lifecycle;
mod mac_key;
mod material;
pub mod service;

pub use jws_header::encode_header;
pub use keyring::{Jwks, KeyRing, SigningKey};
pub use mac_key::{unseal_mac_key, MacKey};
pub use material::{generate, GeneratedKey, KeyMaterialError, Signer, Verifier};
pub use service::{KeyError, KeyService};
