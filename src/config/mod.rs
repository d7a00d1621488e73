//! Typed, layered settings: built-in defaults, then an optional TOML file, then
//! `TESSERA__SECTION__KEY` environment variables, later sources winning.
//!
//! Owns: reading and validating every setting into typed values. May import:
//! `domain`, `secret` (scripts/check-layers.py holds the order of all modules).

mod duration;
mod raw;
mod validate;
mod validate_keys;
mod values;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use duration::parse_duration;

use crate::domain::{Algorithm, Kek};
use crate::secret::Secret;

/// Everything tessera needs to run, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub issuer: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub keys: KeySettings,
    pub tokens: TokenSettings,
    pub cookies: CookieSettings,
    pub sessions: SessionSettings,
    pub status_list: StatusListSettings,
    pub log: LogSettings,
    pub bootstrap: Option<BootstrapAdmin>,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    pub metrics_listen: SocketAddr,
    /// Actix workers; 0 means one per core.
    pub workers: usize,
    pub shutdown_timeout: Duration,
    /// Peers whose `Forwarded` / `X-Forwarded-For` name the client (see `http/client_address.rs`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
}

/// The engine is chosen once, from the URL scheme.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(Secret<String>),
}

#[derive(Debug, Clone)]
pub struct KeySettings {
    pub algorithm: Algorithm,
    pub rsa_bits: u32,
    pub kek: KekSetting,
    /// `None` when automatic rotation is off (`0`).
    pub rotation_interval: Option<Duration>,
    pub jwks_max_age: Duration,
    /// How often each replica re-reads the key set from the database.
    pub reload_interval: Duration,
}

/// The key-encryption key, or where to create one on the embedded default.
#[derive(Debug, Clone)]
pub enum KekSetting {
    Loaded(Kek),
    CreateAt(PathBuf),
}

#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub refresh_idle_ttl: Duration,
    pub reuse_grace: Duration,
    /// Spent refresh tokens kept per family (the newest); older ones are deleted by
    /// housekeeping, and presenting one is then merely invalid, not reuse.
    pub family_history: u32,
    pub audience: Vec<String>,
    /// Scopes a login without a client (first party) may ask for.
    pub first_party_scopes: Vec<String>,
}

/// Token status lists (draft-ietf-oauth-status-list).
#[derive(Debug, Clone)]
pub struct StatusListSettings {
    /// How long a verifier may cache a list: its `ttl` claim and `Cache-Control: max-age`.
    pub ttl: Duration,
}

#[derive(Debug, Clone)]
pub struct CookieSettings {
    pub secure: bool,
}

/// The authority session (cookie `tessera_session`) the hosted login page starts.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// How long a sign-in lasts before the user is asked for the password again.
    pub ttl: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: Secret<String>,
}

/// A configuration value that cannot be used; `Display` is the one line an operator sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Loads settings from the defaults, `file` if given, and the process environment.
pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
    load_from(file, None)
}

/// Like [`load`], with `env` standing in for the process environment (for tests).
pub fn load_from(
    file: Option<&Path>,
    env: Option<HashMap<String, String>>,
) -> Result<Settings, ConfigError> {
    let mut builder = config::Config::builder();
    for (key, value) in raw::DEFAULTS {
        builder = builder
            .set_default(*key, *value)
            .expect("built-in defaults are valid keys");
    }
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::new(
                "--config",
                format!("{} is not a readable file", path.display()),
            ));
        }
        check_file_keys(path)?;
        builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
    }
    check_env_names(env.as_ref())?;
    // Values stay text (no try_parsing): a password of digits must keep its leading zeros.
    let environment = config::Environment::with_prefix("TESSERA")
        .prefix_separator("__")
        .separator("__")
        .source(env);
    let merged = builder
        .add_source(environment)
        .build()
        .map_err(|e| ConfigError::new(file_key(file), e.to_string()))?;
    let raw: raw::RawSettings = merged
        .try_deserialize()
        .map_err(|e| ConfigError::new(file_key(file), e.to_string()))?;
    validate::validate(raw)
}

/// The config crate reads a variable name as a path, where `x[99999999]` is an array
/// index it allocates up to (found by fuzz/): only names a setting can have get through.
fn check_env_names(env: Option<&HashMap<String, String>>) -> Result<(), ConfigError> {
    let names: Vec<String> = match env {
        Some(map) => map.keys().cloned().collect(),
        None => std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .collect(),
    };
    for name in names {
        // Matched as the config crate matches its prefix: case-insensitively.
        let lower = name.to_lowercase();
        let Some(rest) = lower.strip_prefix("tessera__") else {
            continue;
        };
        if !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ConfigError::new(
                name,
                "is not a setting name: only letters, digits and _ may follow TESSERA__",
            ));
        }
    }
    Ok(())
}

/// The same hazard in a file: the config crate parses each top-level key as a path, so
/// `"x[99999999]" = 1` would allocate up to that index.
fn check_file_keys(path: &Path) -> Result<(), ConfigError> {
    use config::Source;
    let table = config::File::from(path)
        .format(config::FileFormat::Toml)
        .collect()
        .map_err(|e| ConfigError::new(file_key(Some(path)), e.to_string()))?;
    for key in table.keys() {
        if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ConfigError::new(
                key.clone(),
                "is not a setting name: only letters, digits and _ (use [section] tables)",
            ));
        }
    }
    Ok(())
}

fn file_key(file: Option<&Path>) -> String {
    file.map(|p| p.display().to_string())
        .unwrap_or_else(|| "configuration".into())
}

#[cfg(test)]
mod tests;
