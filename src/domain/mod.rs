//! Values parsed at the boundary: once constructed they are known to be valid.

mod email;
pub mod password;

pub use email::Email;
pub use password::Password;
