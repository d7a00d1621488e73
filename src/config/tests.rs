//! Source order and every validation rule of the configuration.

mod rules;
mod sources;

use std::collections::HashMap;
use std::io::Write;

use super::*;

/// A KEK for tests that must not touch `keys/kek` on disk.
pub(super) const TEST_KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub(super) fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    let mut map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.entry("TESSERA__KEYS__KEK".into())
        .or_insert_with(|| TEST_KEK.into());
    Some(map)
}

pub(super) fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

pub(super) fn error_of(pairs: &[(&str, &str)]) -> ConfigError {
    load_from(None, env(pairs)).expect_err("configuration should be refused")
}
