//! The configuration exactly as the sources give it, before validation.
//!
//! Every scalar is read as text so that validation, not serde, names the key
//! and says what is wrong with it in one line.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct RawSettings {
    pub issuer: String,
    pub server: RawServer,
    pub database: RawDatabase,
    pub keys: RawKeys,
    pub tokens: RawTokens,
    pub cookies: RawCookies,
    pub sessions: RawSessions,
    pub status_list: RawStatusList,
    pub log: RawLog,
    #[serde(default)]
    pub bootstrap: RawBootstrap,
}

#[derive(Debug, Deserialize)]
pub struct RawServer {
    pub listen: String,
    pub metrics_listen: String,
    pub workers: String,
    pub shutdown_timeout: String,
    pub trusted_proxies: OneOrMany,
}

#[derive(Debug, Deserialize)]
pub struct RawDatabase {
    pub url: String,
    pub max_connections: String,
}

#[derive(Debug, Deserialize)]
pub struct RawKeys {
    pub algorithm: String,
    pub rsa_bits: String,
    pub kek_file: String,
    pub kek: Option<String>,
    pub rotation_interval: String,
    pub jwks_max_age: String,
    pub reload_interval: String,
}

#[derive(Debug, Deserialize)]
pub struct RawTokens {
    pub access_ttl: String,
    pub refresh_ttl: String,
    pub refresh_idle_ttl: String,
    pub reuse_grace: String,
    pub family_history: String,
    pub audience: Option<OneOrMany>,
    pub first_party_scopes: Option<OneOrMany>,
}

/// A list setting (`tokens.audience`, `server.trusted_proxies`,
/// `tokens.first_party_scopes`): one value or a list in a file, and comma separated
/// text in env (scopes: spaces separate too, as OAuth writes a scope).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
pub struct RawStatusList {
    pub ttl: String,
}

#[derive(Debug, Deserialize)]
pub struct RawCookies {
    pub secure: String,
}

/// The authority session of the hosted login page.
#[derive(Debug, Deserialize)]
pub struct RawSessions {
    pub ttl: String,
}

#[derive(Debug, Deserialize)]
pub struct RawLog {
    pub format: String,
    pub filter: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RawBootstrap {
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
}

/// Built-in defaults: the first and lowest source.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("issuer", "http://localhost:8080"),
    ("server.listen", "127.0.0.1:8080"),
    ("server.metrics_listen", "127.0.0.1:9464"),
    ("server.workers", "0"),
    ("server.shutdown_timeout", "30s"),
    ("server.trusted_proxies", ""),
    ("database.url", "sqlite://data/tessera.db"),
    ("database.max_connections", "10"),
    ("keys.algorithm", "ES256"),
    ("keys.rsa_bits", "2048"),
    ("keys.kek_file", "keys/kek"),
    ("keys.rotation_interval", "30d"),
    ("keys.jwks_max_age", "5m"),
    ("keys.reload_interval", "5s"),
    ("tokens.access_ttl", "15m"),
    ("tokens.refresh_ttl", "30d"),
    ("tokens.refresh_idle_ttl", "7d"),
    ("tokens.reuse_grace", "0s"),
    ("tokens.family_history", "1000"),
    ("status_list.ttl", "10s"),
    ("cookies.secure", "true"),
    ("sessions.ttl", "12h"),
    ("log.format", "pretty"),
    ("log.filter", "info"),
];
