//! Values parsed at the boundary: once constructed they are known to be valid. A leaf:
//! imports nothing of tessera's but `secret`.

mod email;
mod grant;
pub mod identifier;
pub mod password;
mod revocation;
pub mod scope;

pub use email::Email;
pub use grant::Grant;
pub use identifier::is_identifier;
pub use password::Password;
pub use revocation::RevocationReason;
pub use scope::{parse_scope, valid_scope_token};
