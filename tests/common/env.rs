//! The configuration every test server starts from: the environment variables a test
//! adds to or overrides, and the credentials of the bootstrap admin.

use std::collections::HashMap;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-1234";
pub const TEST_KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Admin URL of the PostgreSQL server tests create their databases on.
pub const POSTGRES_ENV: &str = "TESSERA_TEST_POSTGRES_URL";

/// The environment a test app is configured from; tests add or override keys.
pub fn base_env(db_url: &str) -> HashMap<String, String> {
    [
        ("TESSERA__SERVER__LISTEN", "127.0.0.1:0"),
        ("TESSERA__SERVER__METRICS_LISTEN", "127.0.0.1:0"),
        ("TESSERA__SERVER__WORKERS", "2"),
        ("TESSERA__SERVER__SHUTDOWN_TIMEOUT", "1s"),
        ("TESSERA__DATABASE__URL", db_url),
        ("TESSERA__DATABASE__MAX_CONNECTIONS", "5"),
        ("TESSERA__KEYS__KEK", TEST_KEK),
        ("TESSERA__COOKIES__SECURE", "false"),
        ("TESSERA__BOOTSTRAP__ADMIN_EMAIL", ADMIN_EMAIL),
        ("TESSERA__BOOTSTRAP__ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("TESSERA__LOG__FILTER", "error"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}
