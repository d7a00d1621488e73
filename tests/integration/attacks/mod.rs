//! Attacks on the running app: every forged or dead token is refused, never a 5xx, and
//! forged forwarding headers do not choose the client address.
//!
//! Owns the forging kit (`forge`, `insider`) and the judge that tries a token at every
//! door. May import `crate::common`; nothing outside `attacks` imports it.

mod forge;
mod insider;
mod judge;

mod claims;
mod client_address;
mod dead_tokens;
mod headers;
mod key_confusion;
mod signatures;

/// The configuration of an authority that signs with RS256.
pub const RS256: &[(&str, &str)] = &[("TESSERA__KEYS__ALGORITHM", "RS256")];
