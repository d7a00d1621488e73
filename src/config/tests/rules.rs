//! Every value that is refused names its key; the KEK and bootstrap rules.

use super::super::*;
use super::{env, error_of, file, TEST_KEK};

#[test]
fn every_unsafe_or_malformed_value_names_its_key() {
    let cases: &[(&str, &str, &str)] = &[
        ("TESSERA__TOKENS__ACCESS_TTL", "2h", "tokens.access_ttl"),
        ("TESSERA__TOKENS__ACCESS_TTL", "0", "tokens.access_ttl"),
        ("TESSERA__TOKENS__ACCESS_TTL", "soon", "tokens.access_ttl"),
        ("TESSERA__TOKENS__REUSE_GRACE", "61s", "tokens.reuse_grace"),
        ("TESSERA__TOKENS__REFRESH_TTL", "31d", "tokens.refresh_ttl"),
        (
            "TESSERA__TOKENS__FAMILY_HISTORY",
            "0",
            "tokens.family_history",
        ),
        (
            "TESSERA__TOKENS__FAMILY_HISTORY",
            "1000001",
            "tokens.family_history",
        ),
        (
            "TESSERA__TOKENS__FAMILY_HISTORY",
            "many",
            "tokens.family_history",
        ),
        (
            "TESSERA__TOKENS__REFRESH_IDLE_TTL",
            "60d",
            "tokens.refresh_idle_ttl",
        ),
        ("TESSERA__KEYS__ALGORITHM", "HS256", "keys.algorithm"),
        ("TESSERA__KEYS__ALGORITHM", "none", "keys.algorithm"),
        ("TESSERA__KEYS__RSA_BITS", "1024", "keys.rsa_bits"),
        ("TESSERA__KEYS__RSA_BITS", "big", "keys.rsa_bits"),
        ("TESSERA__KEYS__KEK", "c2hvcnQ=", "keys.kek"),
        ("TESSERA__KEYS__KEK", "not base64!", "keys.kek"),
        (
            "TESSERA__KEYS__ROTATION_INTERVAL",
            "1m",
            "keys.rotation_interval",
        ),
        // Replicas must see a key change within 10 s: the reload period cannot exceed it.
        (
            "TESSERA__KEYS__RELOAD_INTERVAL",
            "11s",
            "keys.reload_interval",
        ),
        (
            "TESSERA__KEYS__RELOAD_INTERVAL",
            "0",
            "keys.reload_interval",
        ),
        ("TESSERA__SERVER__LISTEN", "localhost", "server.listen"),
        (
            "TESSERA__SERVER__LISTEN",
            "127.0.0.1:99999",
            "server.listen",
        ),
        (
            "TESSERA__SERVER__METRICS_LISTEN",
            "127.0.0.1:8080",
            "server.metrics_listen",
        ),
        ("TESSERA__DATABASE__URL", "mysql://x/y", "database.url"),
        ("TESSERA__DATABASE__URL", "data/tessera.db", "database.url"),
        ("TESSERA__COOKIES__SECURE", "maybe", "cookies.secure"),
        ("TESSERA__ISSUER", "auth.example.com", "issuer"),
        ("TESSERA__LOG__FORMAT", "xml", "log.format"),
        (
            "TESSERA__BOOTSTRAP__ADMIN_EMAIL",
            "admin@example.com",
            "bootstrap.admin_password",
        ),
    ];
    for (var, value, key) in cases {
        let err = error_of(&[(var, value)]);
        assert_eq!(&err.key, key, "{var}={value} gave {err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
}

#[test]
fn bootstrap_admin_is_checked() {
    let err = error_of(&[
        ("TESSERA__BOOTSTRAP__ADMIN_EMAIL", "not-an-email"),
        ("TESSERA__BOOTSTRAP__ADMIN_PASSWORD", "long-enough-password"),
    ]);
    assert_eq!(err.key, "bootstrap.admin_email");
    let err = error_of(&[
        ("TESSERA__BOOTSTRAP__ADMIN_EMAIL", "admin@example.com"),
        ("TESSERA__BOOTSTRAP__ADMIN_PASSWORD", "short"),
    ]);
    assert_eq!(err.key, "bootstrap.admin_password");
    let s = load_from(
        None,
        env(&[
            ("TESSERA__BOOTSTRAP__ADMIN_EMAIL", "Admin@Example.COM"),
            ("TESSERA__BOOTSTRAP__ADMIN_PASSWORD", "000123456789"),
        ]),
    )
    .unwrap();
    let admin = s.bootstrap.unwrap();
    assert_eq!(admin.email, "admin@example.com");
    assert_eq!(admin.password.expose(), "000123456789", "digits stay text");
}

#[test]
fn kek_file_rules() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("kek");
    let missing_str = missing.to_str().unwrap();

    // A missing file is created later on the embedded default ...
    let mut vars = HashMap::from([(
        "TESSERA__KEYS__KEK_FILE".to_string(),
        missing_str.to_string(),
    )]);
    let s = load_from(None, Some(vars.clone())).unwrap();
    assert!(matches!(s.keys.kek, KekSetting::CreateAt(ref p) if p == &missing));

    // ... but never invented for PostgreSQL, where replicas must share it.
    vars.insert(
        "TESSERA__DATABASE__URL".into(),
        "postgres://localhost/x".into(),
    );
    let err = load_from(None, Some(vars.clone())).unwrap_err();
    assert_eq!(err.key, "keys.kek_file");

    // A present file must hold 32 bytes of base64.
    std::fs::write(&missing, "dG9vIHNob3J0\n").unwrap();
    let err = load_from(None, Some(vars.clone())).unwrap_err();
    assert_eq!(err.key, "keys.kek_file");
    std::fs::write(&missing, format!("{TEST_KEK}\n")).unwrap();
    let s = load_from(None, Some(vars.clone())).unwrap();
    assert!(matches!(s.keys.kek, KekSetting::Loaded(_)));

    // A path that cannot be read as a file.
    vars.insert(
        "TESSERA__KEYS__KEK_FILE".into(),
        dir.path().to_str().unwrap().into(),
    );
    let err = load_from(None, Some(vars)).unwrap_err();
    assert_eq!(err.key, "keys.kek_file");
}

#[test]
fn a_missing_config_file_is_refused() {
    let err = load_from(
        Some(std::path::Path::new("/nonexistent/tessera.toml")),
        env(&[]),
    )
    .unwrap_err();
    assert_eq!(err.key, "--config");
}

#[test]
fn rotation_can_be_turned_off() {
    let s = load_from(None, env(&[("TESSERA__KEYS__ROTATION_INTERVAL", "0")])).unwrap();
    assert_eq!(s.keys.rotation_interval, None);
}

#[test]
fn variable_names_that_are_not_setting_names_are_refused_not_allocated() {
    // The config crate would read `[99999999]` as an array index and allocate up to it.
    for name in [
        "TESSERA__X[99999999]",
        "TESSERA__X[-99999999]",
        "TESSERA__SERVER.LISTEN",
    ] {
        let e = error_of(&[(name, "1")]);
        assert_eq!(e.key, name);
    }
}

#[test]
fn file_keys_that_are_not_setting_names_are_refused_not_allocated() {
    let f = file("\"x[99999999]\" = \"1\"\n");
    let e = load_from(Some(f.path()), env(&[])).expect_err("refused");
    assert_eq!(e.key, "x[99999999]");
    // Sections still work.
    let ok = file("[server]\nlisten = \"127.0.0.1:9999\"\n");
    assert!(load_from(Some(ok.path()), env(&[])).is_ok());
}

#[test]
fn trusted_proxies_are_cidrs_from_a_list_or_comma_separated_env() {
    let s = load_from(None, env(&[])).unwrap();
    assert!(
        s.server.trusted_proxies.is_empty(),
        "no proxy is trusted by default"
    );

    let s = load_from(
        None,
        env(&[(
            "TESSERA__SERVER__TRUSTED_PROXIES",
            " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::1,",
        )]),
    )
    .unwrap();
    let nets: Vec<String> = s
        .server
        .trusted_proxies
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        nets,
        ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128"],
        "a bare address is that one address"
    );

    let f = file("[server]\ntrusted_proxies = [\"10.42.0.0/16\", \"10.1.2.3/8\"]\n");
    let s = load_from(Some(f.path()), env(&[])).unwrap();
    let nets: Vec<String> = s
        .server
        .trusted_proxies
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(
        nets,
        ["10.42.0.0/16", "10.0.0.0/8"],
        "host bits are dropped"
    );
    let f = file("[server]\ntrusted_proxies = []\n");
    let s = load_from(Some(f.path()), env(&[])).unwrap();
    assert!(s.server.trusted_proxies.is_empty());

    for bad in [
        "10.0.0.0/33",
        "10.0.0",
        "proxy.internal",
        "10.0.0.0/8 10.1.0.0/16",
        "0.0.0.0/0",
        "10.0.0.0/8,::/0",
    ] {
        let err = error_of(&[("TESSERA__SERVER__TRUSTED_PROXIES", bad)]);
        assert_eq!(err.key, "server.trusted_proxies", "{bad}: {err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
    let f = file("[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"fe80::/1000\"]\n");
    let err = load_from(Some(f.path()), env(&[])).unwrap_err();
    assert_eq!(err.key, "server.trusted_proxies", "{err}");
}
