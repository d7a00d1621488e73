//! Token status lists (draft-ietf-oauth-status-list): every access token names one
//! bit of one list (its `status` claim), and every way a token dies sets that bit, so
//! downstream verifiers learn of a revocation within the list's `ttl`.
//!
//! Owns: handing out indices (`lease.rs` decides, leased blocks from storage), the
//! list's format (`bits.rs`, `list_token.rs`) and the lists this replica serves from
//! memory (`served.rs`, `service.rs`), rebuilt only when the database's status version
//! or the key set moved. May import: `keys`, `storage`, `config`, `domain`, `clock`.

mod bits;
mod lease;
mod list_token;
mod served;
mod service;

pub use bits::StatusBits;
pub use list_token::TYP;
pub use served::ServedList;
pub use service::{StatusError, StatusService};
