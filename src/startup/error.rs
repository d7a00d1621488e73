//! Why the authority could not start, and the exit code that tells operators what
//! to fix.

use crate::keys::KeyError;
use crate::storage;

/// Why the authority could not start. `exit_code` tells operators what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot unseal signing keys: wrong key-encryption key?")]
    WrongKek,
    #[error("database: {0}")]
    Database(#[from] storage::StoreError),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

impl StartupError {
    /// 2 for what the operator must fix in configuration or key material, else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Config(_) | Self::WrongKek => 2,
            _ => 1,
        }
    }
}

impl From<KeyError> for StartupError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Unseal(_) => Self::WrongKek,
            KeyError::Store(e) => Self::Database(e),
            other => Self::Other(other.to_string()),
        }
    }
}
