//! The binary refuses bad configuration with exit code 2 and one line naming the key.

use std::path::Path;
use std::process::Output;

use crate::common::process::TesseraCommand;

const KEK_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEK_B: &str = "HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=";

/// Runs the binary in `dir` with nothing but `vars` in its environment.
fn tessera(dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    TesseraCommand::bare().dir(dir).envs(vars).output(args)
}

fn run_with(vars: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = tessera(dir.path(), vars, &["migrate"]);
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
        ("TESSERA__STATUS_LIST__TTL", "6m", "status_list.ttl"),
        ("TESSERA__STATUS_LIST__TTL", "soon", "status_list.ttl"),
        ("TESSERA__SESSIONS__TTL", "10s", "sessions.ttl"),
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

fn keys_list(dir: &Path, kek: &str) -> Output {
    tessera(
        dir,
        &[
            ("TESSERA__KEYS__KEK", kek),
            ("TESSERA__LOG__FILTER", "error"),
        ],
        &["keys", "list"],
    )
}

#[test]
fn a_wrong_kek_stops_startup_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let first = keys_list(dir.path(), KEK_A);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let wrong = keys_list(dir.path(), KEK_B);
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
    let out = tessera(dir.path(), &[], &["keys", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("data/tessera.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys/kek"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
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
    std::fs::write(dir.path().join("new-kek"), format!("{KEK_B}\n")).unwrap();
    let before = keys_list(dir.path(), KEK_A);
    assert!(before.status.success());
    let rewrap = tessera(
        dir.path(),
        &[("TESSERA__KEYS__KEK", KEK_A)],
        &["keys", "rewrap", "--new-kek-file", "new-kek"],
    );
    assert!(
        rewrap.status.success(),
        "{}",
        String::from_utf8_lossy(&rewrap.stderr)
    );
    assert!(String::from_utf8_lossy(&rewrap.stdout)
        .contains("re-sealed 2 keys and the refresh-token MAC key"));

    // Start-up unseals the MAC key too: it fails unless that was re-sealed as well.
    let after = keys_list(dir.path(), KEK_B);
    assert!(after.status.success(), "the new KEK opens the keys");
    assert_eq!(after.stdout, before.stdout, "the same keys, unchanged");
    assert_eq!(
        keys_list(dir.path(), KEK_A).status.code(),
        Some(2),
        "the old KEK no longer does"
    );
}
