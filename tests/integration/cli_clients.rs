//! `tessera clients add|list|remove` on the embedded SQLite default: the operator's way
//! to register the apps that sign users in with the code flow.

use std::path::Path;
use std::process::Output;

use crate::common::process::TesseraCommand;

const KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn tessera(dir: &Path, args: &[&str]) -> Output {
    TesseraCommand::bare()
        .dir(dir)
        .envs(&[
            ("TESSERA__KEYS__KEK", KEK),
            ("TESSERA__LOG__FILTER", "error"),
        ])
        .output(args)
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value printed after `label` on its own line of `text`.
fn field(text: &str, label: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|v| v.trim().to_owned())
}

#[test]
fn clients_are_added_listed_and_removed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let public = stdout(&tessera(
        dir.path(),
        &[
            "clients",
            "add",
            "--name",
            "SPA",
            "--type",
            "public",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--scope",
            "openid",
        ],
    ));
    let spa = field(&public, "client_id").expect("the id is printed");
    assert!(
        field(&public, "client_secret").is_none(),
        "a public client has no secret: {public}"
    );

    let confidential = stdout(&tessera(
        dir.path(),
        &[
            "clients",
            "add",
            "--name",
            "Billing",
            "--grant-type",
            "client_credentials",
            "--scope",
            "read",
        ],
    ));
    let billing = field(&confidential, "client_id").unwrap();
    let secret = field(&confidential, "client_secret").expect("shown once");
    assert!(secret.len() >= 43);

    let listed = stdout(&tessera(dir.path(), &["clients", "list"]));
    assert!(
        listed.contains(&spa) && listed.contains(&billing),
        "{listed}"
    );
    assert!(listed.contains("https://app.example.com/cb"), "{listed}");
    assert!(
        !listed.contains(&secret),
        "a list never shows a secret: {listed}"
    );

    // Refusals name the rule and change nothing.
    let refused = tessera(
        dir.path(),
        &[
            "clients",
            "add",
            "--name",
            "x",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("loopback"),
        "{refused:?}"
    );

    stdout(&tessera(dir.path(), &["clients", "remove", &spa]));
    let listed = stdout(&tessera(dir.path(), &["clients", "list"]));
    assert!(
        !listed.contains(&spa) && listed.contains(&billing),
        "{listed}"
    );
    let again = tessera(dir.path(), &["clients", "remove", &spa]);
    assert!(!again.status.success(), "removing it twice is an error");
}
