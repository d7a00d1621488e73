//! The binary refuses bad configuration with exit code 2 and one line naming the key.

use std::process::Command;

fn run_with(vars: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("migrate")
        .current_dir(dir.path())
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_bad_value_exits_2_with_one_line_naming_the_key() {
    let cases = [
        ("TESSERA__TOKENS__ACCESS_TTL", "2h", "tokens.access_ttl"),
        ("TESSERA__TOKENS__REUSE_GRACE", "2m", "tokens.reuse_grace"),
        ("TESSERA__KEYS__ALGORITHM", "HS256", "keys.algorithm"),
        ("TESSERA__KEYS__KEK_FILE", "/", "keys.kek_file"),
        ("TESSERA__SERVER__LISTEN", "localhost:port", "server.listen"),
        (
            "TESSERA__DATABASE__URL",
            "mysql://localhost/db",
            "database.url",
        ),
    ];
    for (var, value, key) in cases {
        let (code, stderr) = run_with(&[(var, value)]);
        assert_eq!(code, 2, "{var}={value}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(lines[0].contains(key), "{stderr}");
    }
}

#[test]
fn a_missing_config_file_exits_2() {
    let (code, stderr) = run_with(&[("TESSERA_CONFIG", "/nonexistent.toml")]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn a_wrong_kek_stops_startup_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let run = |kek: &str| {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["keys", "list"])
            .current_dir(dir.path())
            .env_clear()
            .env("TESSERA__KEYS__KEK", kek)
            .env("TESSERA__LOG__FILTER", "error")
            .output()
            .unwrap()
    };
    let first = run("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let wrong = run("HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=");
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("cannot unseal signing keys: wrong key-encryption key?"),
        "{stderr}"
    );
}

#[test]
fn the_embedded_default_creates_a_private_kek_and_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["keys", "list"])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("data/tessera.db").exists());
    let kek = dir.path().join("keys/kek");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&kek).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("current") && listed.contains("next"),
        "{listed}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("GENERATED A NEW KEY-ENCRYPTION KEY"),
        "a loud warning: {stderr}"
    );
}

#[test]
fn rewrap_reseals_every_key_under_a_new_kek() {
    let dir = tempfile::tempdir().unwrap();
    let old = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let new = "HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=";
    std::fs::write(dir.path().join("new-kek"), format!("{new}\n")).unwrap();
    let run = |kek: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("TESSERA__KEYS__KEK", kek)
            .env("TESSERA__LOG__FILTER", "error")
            .output()
            .unwrap()
    };
    let before = run(old, &["keys", "list"]);
    assert!(before.status.success());
    let rewrap = run(old, &["keys", "rewrap", "--new-kek-file", "new-kek"]);
    assert!(
        rewrap.status.success(),
        "{}",
        String::from_utf8_lossy(&rewrap.stderr)
    );
    assert!(String::from_utf8_lossy(&rewrap.stdout).contains("re-sealed 2 keys"));

    let after = run(new, &["keys", "list"]);
    assert!(after.status.success(), "the new KEK opens the keys");
    assert_eq!(after.stdout, before.stdout, "the same keys, unchanged");
    assert_eq!(
        run(old, &["keys", "list"]).status.code(),
        Some(2),
        "the old KEK no longer does"
    );
}
