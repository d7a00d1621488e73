//! Configuration parsing on hostile values: `parse_duration` alone, and the whole
//! loader with fuzzer-chosen environment variables. Either may refuse with an error
//! naming the key; neither may panic, and whatever it accepts must respect the bounds
//! validation promises.

#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use tessera::config::{load_from, parse_duration, Settings};

#[derive(Arbitrary, Debug)]
enum Key {
    Issuer,
    Listen,
    MetricsListen,
    Workers,
    ShutdownTimeout,
    DatabaseUrl,
    MaxConnections,
    Algorithm,
    RsaBits,
    Kek,
    RotationInterval,
    JwksMaxAge,
    ReloadInterval,
    AccessTtl,
    RefreshTtl,
    RefreshIdleTtl,
    ReuseGrace,
    Audience,
    CookiesSecure,
    LogFormat,
    AdminEmail,
    AdminPassword,
    /// Any name after `TESSERA__`, for keys the loader does not expect.
    Raw(String),
}

impl Key {
    fn env_name(&self) -> String {
        let name = match self {
            Key::Issuer => "ISSUER",
            Key::Listen => "SERVER__LISTEN",
            Key::MetricsListen => "SERVER__METRICS_LISTEN",
            Key::Workers => "SERVER__WORKERS",
            Key::ShutdownTimeout => "SERVER__SHUTDOWN_TIMEOUT",
            Key::DatabaseUrl => "DATABASE__URL",
            Key::MaxConnections => "DATABASE__MAX_CONNECTIONS",
            Key::Algorithm => "KEYS__ALGORITHM",
            Key::RsaBits => "KEYS__RSA_BITS",
            Key::Kek => "KEYS__KEK",
            Key::RotationInterval => "KEYS__ROTATION_INTERVAL",
            Key::JwksMaxAge => "KEYS__JWKS_MAX_AGE",
            Key::ReloadInterval => "KEYS__RELOAD_INTERVAL",
            Key::AccessTtl => "TOKENS__ACCESS_TTL",
            Key::RefreshTtl => "TOKENS__REFRESH_TTL",
            Key::RefreshIdleTtl => "TOKENS__REFRESH_IDLE_TTL",
            Key::ReuseGrace => "TOKENS__REUSE_GRACE",
            Key::Audience => "TOKENS__AUDIENCE",
            Key::CookiesSecure => "COOKIES__SECURE",
            Key::LogFormat => "LOG__FORMAT",
            Key::AdminEmail => "BOOTSTRAP__ADMIN_EMAIL",
            Key::AdminPassword => "BOOTSTRAP__ADMIN_PASSWORD",
            Key::Raw(s) => s,
        };
        format!("TESSERA__{name}")
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    duration: String,
    env: Vec<(Key, String)>,
}

/// A KEK file that never exists: the loader only ever reads it, and a fuzzer-chosen
/// path (`/dev/zero`, a FIFO) would measure the machine rather than tessera.
const KEK_FILE: &str = "/nonexistent/tessera-fuzz/kek";
const KEK_FILE_VAR: &str = "TESSERA__KEYS__KEK_FILE";
/// A valid inline KEK by default, so most runs get past the KEK to the rest.
const KEK: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn check_duration(text: &str) {
    let Ok(parsed) = parse_duration(text) else {
        return;
    };
    let trimmed = text.trim();
    if trimmed.bytes().all(|b| b.is_ascii_digit()) {
        assert_eq!(Some(parsed), trimmed.parse().ok().map(Duration::from_secs));
    }
}

/// What validation promises about any settings it lets through.
fn check_settings(s: &Settings) {
    let t = &s.tokens;
    assert!(!t.access_ttl.is_zero() && t.access_ttl <= Duration::from_secs(3600));
    assert!(!t.refresh_ttl.is_zero() && t.refresh_ttl <= Duration::from_secs(30 * 86_400));
    assert!(!t.refresh_idle_ttl.is_zero() && t.refresh_idle_ttl <= t.refresh_ttl);
    assert!(t.reuse_grace <= Duration::from_secs(60));
    assert!(!t.audience.is_empty() && t.audience.iter().all(|a| !a.is_empty()));
    let k = &s.keys;
    assert!([2048, 3072, 4096].contains(&k.rsa_bits));
    assert!(!k.reload_interval.is_zero() && k.reload_interval <= Duration::from_secs(10));
    if let Some(every) = k.rotation_interval {
        assert!(every >= k.jwks_max_age.max(t.access_ttl));
    }
    assert!(s.server.listen != s.server.metrics_listen || s.server.listen.port() == 0);
    assert!(s.issuer.starts_with("http://") || s.issuer.starts_with("https://"));
}

fuzz_target!(|input: Input| {
    check_duration(&input.duration);
    let mut env = HashMap::from([("TESSERA__KEYS__KEK".to_string(), KEK.to_string())]);
    for (key, value) in input.env {
        let name = key.env_name();
        if !name.to_ascii_lowercase().contains("kek_file") {
            env.insert(name, value);
        }
    }
    env.insert(KEK_FILE_VAR.into(), KEK_FILE.into());
    // Err is a ConfigError by type; the property is that we got here without a panic.
    if let Ok(settings) = load_from(None, Some(env)) {
        check_settings(&settings);
    }
});
