//! The `keys.*` settings: algorithm, RSA size, rotation timing and the KEK.

use std::path::PathBuf;
use std::time::Duration;

use super::raw::RawSettings;
use super::values::{bounded_duration, duration, number};
use super::*;

const MAX_JWKS_MAX_AGE: Duration = Duration::from_secs(86_400);

pub(super) fn keys(
    raw: &RawSettings,
    db: &DatabaseUrl,
    tokens: &TokenSettings,
) -> Result<KeySettings, ConfigError> {
    let k = &raw.keys;
    let algorithm: Algorithm = k.algorithm.trim().parse().map_err(|_| {
        ConfigError::new(
            "keys.algorithm",
            format!("`{}` is not supported; use ES256 or RS256", k.algorithm),
        )
    })?;
    let rsa_bits: u32 = number("keys.rsa_bits", &k.rsa_bits, 0..=u32::MAX)?;
    if ![2048, 3072, 4096].contains(&rsa_bits) {
        return Err(ConfigError::new(
            "keys.rsa_bits",
            format!("{rsa_bits} is not 2048, 3072 or 4096"),
        ));
    }
    let jwks_max_age = bounded_duration("keys.jwks_max_age", &k.jwks_max_age, MAX_JWKS_MAX_AGE)?;
    let interval = duration("keys.rotation_interval", &k.rotation_interval)?;
    // A faster period could never be honoured: each `next` key must be published
    // for jwks_max_age before it signs.
    let floor = jwks_max_age.max(tokens.access_ttl);
    if !interval.is_zero() && interval < floor {
        return Err(ConfigError::new(
            "keys.rotation_interval",
            format!(
                "{} is shorter than {} (the larger of keys.jwks_max_age and tokens.access_ttl); use 0 to turn rotation off",
                humantime::format_duration(interval),
                humantime::format_duration(floor)
            ),
        ));
    }
    let reload_interval = bounded_duration(
        "keys.reload_interval",
        &k.reload_interval,
        Duration::from_secs(10),
    )?;
    if reload_interval.is_zero() {
        return Err(ConfigError::new(
            "keys.reload_interval",
            "must be more than 0",
        ));
    }
    Ok(KeySettings {
        algorithm,
        rsa_bits,
        kek: kek(k.kek.as_deref(), &k.kek_file, db)?,
        rotation_interval: (!interval.is_zero()).then_some(interval),
        jwks_max_age,
        reload_interval,
    })
}

fn kek(inline: Option<&str>, file: &str, db: &DatabaseUrl) -> Result<KekSetting, ConfigError> {
    if let Some(text) = inline.filter(|t| !t.trim().is_empty()) {
        return Kek::from_base64(text)
            .map(KekSetting::Loaded)
            .map_err(|m| ConfigError::new("keys.kek", m));
    }
    let path = PathBuf::from(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Kek::from_base64(&zeroize::Zeroizing::new(text))
            .map(KekSetting::Loaded)
            .map_err(|m| ConfigError::new("keys.kek_file", format!("{}: {m}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match db {
            // Only the embedded default may invent its own KEK: replicas sharing
            // PostgreSQL must all hold the same one, so it has to come from outside.
            DatabaseUrl::Sqlite(_) => Ok(KekSetting::CreateAt(path)),
            DatabaseUrl::Postgres(_) => Err(ConfigError::new(
                "keys.kek_file",
                format!(
                    "{} does not exist; with PostgreSQL supply the key-encryption key (keys.kek_file or keys.kek)",
                    path.display()
                ),
            )),
        },
        Err(e) => Err(ConfigError::new(
            "keys.kek_file",
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}
