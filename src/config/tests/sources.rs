//! Defaults, the order of sources, and how lists and URLs are read.

use std::time::Duration;

use super::super::*;
use super::{env, file};

#[test]
fn defaults_match_the_contract() {
    let s = load_from(None, env(&[])).unwrap();
    assert_eq!(s.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.server.metrics_listen.to_string(), "127.0.0.1:9464");
    assert_eq!(s.issuer, "http://localhost:8080");
    assert!(matches!(&s.database.url, DatabaseUrl::Sqlite(u) if u == "sqlite://data/tessera.db"));
    assert_eq!(s.keys.algorithm, Algorithm::Es256);
    assert_eq!(s.keys.rsa_bits, 2048);
    assert_eq!(
        s.keys.rotation_interval,
        Some(Duration::from_secs(30 * 86_400))
    );
    assert_eq!(s.keys.jwks_max_age, Duration::from_secs(300));
    assert_eq!(s.tokens.access_ttl, Duration::from_secs(900));
    assert_eq!(s.tokens.refresh_ttl, Duration::from_secs(30 * 86_400));
    assert_eq!(s.tokens.refresh_idle_ttl, Duration::from_secs(7 * 86_400));
    assert_eq!(s.tokens.reuse_grace, Duration::ZERO);
    assert_eq!(s.tokens.family_history, 1000);
    assert_eq!(s.tokens.audience, vec!["http://localhost:8080".to_string()]);
    assert!(s.cookies.secure);
    assert!(s.bootstrap.is_none());
}

#[test]
fn file_overrides_defaults_and_env_overrides_file() {
    let f = file(
        "issuer = \"https://auth.example.com\"\n[tokens]\naccess_ttl = \"10m\"\nreuse_grace = 5\n[keys]\nalgorithm = \"RS256\"\n",
    );
    let s = load_from(
        Some(f.path()),
        env(&[("TESSERA__TOKENS__ACCESS_TTL", "300")]),
    )
    .unwrap();
    assert_eq!(s.issuer, "https://auth.example.com", "file beats default");
    assert_eq!(s.keys.algorithm, Algorithm::Rs256, "file beats default");
    assert_eq!(
        s.tokens.reuse_grace,
        Duration::from_secs(5),
        "plain seconds in a file"
    );
    assert_eq!(
        s.tokens.access_ttl,
        Duration::from_secs(300),
        "env beats file"
    );
    assert_eq!(
        s.tokens.audience,
        vec!["https://auth.example.com".to_string()],
        "audience follows the issuer"
    );
}

#[test]
fn audience_is_one_value_or_a_list() {
    let s = load_from(None, env(&[("TESSERA__TOKENS__AUDIENCE", "api-a, api-b")])).unwrap();
    assert_eq!(s.tokens.audience, vec!["api-a", "api-b"]);
    let f = file("[tokens]\naudience = [\"x\", \"y\"]\n");
    let s = load_from(Some(f.path()), env(&[])).unwrap();
    assert_eq!(s.tokens.audience, vec!["x", "y"]);
}

#[test]
fn first_party_scopes_are_empty_by_default_and_comma_or_space_separated_in_env() {
    let s = load_from(None, env(&[])).unwrap();
    assert!(s.tokens.first_party_scopes.is_empty());
    let s = load_from(
        None,
        env(&[("TESSERA__TOKENS__FIRST_PARTY_SCOPES", "profile  read,write")]),
    )
    .unwrap();
    assert_eq!(
        s.tokens.first_party_scopes,
        vec!["profile", "read", "write"]
    );
    let f = file("[tokens]\nfirst_party_scopes = [\"x\", \"a,b\"]\n");
    let s = load_from(Some(f.path()), env(&[])).unwrap();
    assert_eq!(s.tokens.first_party_scopes, vec!["x", "a,b"]);
    let f = file("[tokens]\nfirst_party_scopes = [\"bad scope\"]\n");
    let e = load_from(Some(f.path()), env(&[])).unwrap_err();
    assert_eq!(e.key, "tokens.first_party_scopes");
}

#[test]
fn postgres_url_is_recognised_and_kept_out_of_debug() {
    let s = load_from(
        None,
        env(&[("TESSERA__DATABASE__URL", "postgres://u:pw@127.0.0.1/db")]),
    )
    .unwrap();
    assert!(matches!(s.database.url, DatabaseUrl::Postgres(_)));
    assert!(
        !format!("{s:?}").contains("pw@"),
        "credentials must not be printed"
    );
}
