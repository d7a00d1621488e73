//! Values parsed at the boundary: once constructed they are known to be valid. A leaf:
//! imports nothing of tessera's but `secret`.

mod email;
pub mod identifier;
pub mod password;
pub mod scope;

pub use email::Email;
pub use identifier::is_identifier;
pub use password::Password;
pub use scope::{parse_scope, valid_scope_token};
