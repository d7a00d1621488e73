//! Turns raw text into typed settings, refusing unsafe or malformed values with
//! an error that names the key.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use super::raw::{OneOrMany, RawSettings};
use super::validate_keys::keys;
use super::values::{boolean, bounded_duration, duration, number, socket_addr};
use super::*;

const MAX_ACCESS_TTL: Duration = Duration::from_secs(3600);
/// Verifiers cache a status list this long: revocations reach them within it (plus 5 s).
const MAX_STATUS_LIST_TTL: Duration = Duration::from_secs(300);
const MAX_REFRESH_TTL: Duration = Duration::from_secs(30 * 86_400);
const MAX_REUSE_GRACE: Duration = Duration::from_secs(60);
const MAX_FAMILY_HISTORY: u32 = 1_000_000;
const MAX_SESSION_TTL: Duration = Duration::from_secs(30 * 86_400);

pub(super) fn validate(raw: RawSettings) -> Result<Settings, ConfigError> {
    let issuer = issuer(&raw.issuer)?;
    let server = ServerSettings {
        listen: socket_addr("server.listen", &raw.server.listen)?,
        metrics_listen: socket_addr("server.metrics_listen", &raw.server.metrics_listen)?,
        workers: number("server.workers", &raw.server.workers, 0..=1024)?,
        shutdown_timeout: duration("server.shutdown_timeout", &raw.server.shutdown_timeout)?,
        trusted_proxies: trusted_proxies(&raw.server.trusted_proxies)?,
    };
    if server.listen == server.metrics_listen && server.listen.port() != 0 {
        return Err(ConfigError::new(
            "server.metrics_listen",
            "must differ from server.listen",
        ));
    }
    let url = database_url(&raw.database.url)?;
    let database = DatabaseSettings {
        max_connections: number(
            "database.max_connections",
            &raw.database.max_connections,
            1..=1000,
        )?,
        url,
    };
    let tokens = tokens(&raw, &issuer)?;
    let keys = keys(&raw, &database.url, &tokens)?;
    Ok(Settings {
        issuer,
        server,
        database,
        keys,
        tokens,
        status_list: StatusListSettings {
            ttl: bounded_duration("status_list.ttl", &raw.status_list.ttl, MAX_STATUS_LIST_TTL)?,
        },
        cookies: CookieSettings {
            secure: boolean("cookies.secure", &raw.cookies.secure)?,
        },
        sessions: SessionSettings {
            ttl: session_ttl(&raw.sessions.ttl)?,
        },
        log: LogSettings {
            format: match raw.log.format.trim().to_ascii_lowercase().as_str() {
                "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError::new(
                        "log.format",
                        format!("`{other}` is not `pretty` or `json`"),
                    ))
                }
            },
            filter: raw.log.filter.clone(),
        },
        bootstrap: bootstrap(raw.bootstrap)?,
    })
}

/// `sessions.ttl`: at least a minute (a sign-in must outlive its own redirect), at
/// most 30 days.
fn session_ttl(text: &str) -> Result<Duration, ConfigError> {
    let ttl = bounded_duration("sessions.ttl", text, MAX_SESSION_TTL)?;
    if ttl < Duration::from_secs(60) {
        return Err(ConfigError::new("sessions.ttl", "must be at least 1m"));
    }
    Ok(ttl)
}

fn issuer(text: &str) -> Result<String, ConfigError> {
    let ok = (text.starts_with("https://") || text.starts_with("http://"))
        && text.len() > "https://".len()
        && !text.chars().any(char::is_whitespace);
    if ok {
        Ok(text.to_string())
    } else {
        Err(ConfigError::new(
            "issuer",
            format!("`{text}` is not an http(s) URL"),
        ))
    }
}

/// `server.trusted_proxies`: CIDRs, a bare address meaning just that address.
fn trusted_proxies(raw: &OneOrMany) -> Result<Vec<IpNet>, ConfigError> {
    let key = "server.trusted_proxies";
    let entries: Vec<&str> = match raw {
        OneOrMany::One(text) => text.split(',').collect(),
        OneOrMany::Many(list) => list.iter().map(String::as_str).collect(),
    };
    let mut nets = Vec::new();
    for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
        let net = entry
            .parse::<IpNet>()
            .ok()
            .or_else(|| {
                entry
                    .parse::<IpAddr>()
                    .ok()
                    .map(|ip| ip.to_canonical().into())
            })
            .ok_or_else(|| {
                let example = "such as 10.0.0.0/8 or 2001:db8::/32";
                ConfigError::new(
                    key,
                    format!("`{entry}` is not an address or CIDR {example}"),
                )
            })?;
        // Everyone would be a proxy, so every client could name its own address.
        if net.prefix_len() == 0 {
            return Err(ConfigError::new(
                key,
                format!("`{entry}` trusts every peer; list only your proxies' addresses"),
            ));
        }
        nets.push(net.trunc());
    }
    Ok(nets)
}

fn database_url(text: &str) -> Result<DatabaseUrl, ConfigError> {
    let scheme = text.split_once(':').map(|(s, _)| s).unwrap_or("");
    match scheme {
        "sqlite" => Ok(DatabaseUrl::Sqlite(text.to_string())),
        "postgres" | "postgresql" => Ok(DatabaseUrl::Postgres(Secret::new(text.to_string()))),
        _ => Err(ConfigError::new(
            "database.url",
            format!(
                "unsupported scheme `{scheme}`; expected sqlite://PATH or postgres://USER@HOST/DB"
            ),
        )),
    }
}

fn tokens(raw: &RawSettings, issuer: &str) -> Result<TokenSettings, ConfigError> {
    let t = &raw.tokens;
    let access_ttl = bounded_duration("tokens.access_ttl", &t.access_ttl, MAX_ACCESS_TTL)?;
    let refresh_ttl = bounded_duration("tokens.refresh_ttl", &t.refresh_ttl, MAX_REFRESH_TTL)?;
    let refresh_idle_ttl =
        bounded_duration("tokens.refresh_idle_ttl", &t.refresh_idle_ttl, refresh_ttl)
            .map_err(|e| ConfigError::new(e.key, format!("{} (tokens.refresh_ttl)", e.message)))?;
    for (key, value) in [
        ("tokens.access_ttl", access_ttl),
        ("tokens.refresh_ttl", refresh_ttl),
        ("tokens.refresh_idle_ttl", refresh_idle_ttl),
    ] {
        if value.is_zero() {
            return Err(ConfigError::new(key, "must be more than 0"));
        }
    }
    let audience = match &t.audience {
        None => vec![issuer.to_string()],
        Some(OneOrMany::One(text)) => text.split(',').map(|s| s.trim().to_string()).collect(),
        Some(OneOrMany::Many(list)) => list.iter().map(|s| s.trim().to_string()).collect(),
    };
    if audience.is_empty() || audience.iter().any(String::is_empty) {
        return Err(ConfigError::new("tokens.audience", "has an empty value"));
    }
    Ok(TokenSettings {
        access_ttl,
        refresh_ttl,
        refresh_idle_ttl,
        reuse_grace: bounded_duration("tokens.reuse_grace", &t.reuse_grace, MAX_REUSE_GRACE)?,
        // At least the token just spent, or reuse could never be recognised.
        family_history: number(
            "tokens.family_history",
            &t.family_history,
            1..=MAX_FAMILY_HISTORY,
        )?,
        audience,
        first_party_scopes: first_party_scopes(t.first_party_scopes.as_ref())?,
    })
}

fn first_party_scopes(raw: Option<&OneOrMany>) -> Result<Vec<String>, ConfigError> {
    const KEY: &str = "tokens.first_party_scopes";
    let scopes: Vec<String> = match raw {
        None => Vec::new(),
        // Commas like every list in env (the chart joins lists with them), and spaces as
        // OAuth writes a scope; a scope with a comma in it can be set from a file.
        Some(OneOrMany::One(text)) => text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(OneOrMany::Many(list)) => list.iter().map(|s| s.trim().to_owned()).collect(),
    };
    match scopes.iter().find(|s| !crate::domain::valid_scope_token(s)) {
        Some(bad) => Err(ConfigError::new(
            KEY,
            format!("`{bad}` is not a scope token (RFC 6749 §3.3)"),
        )),
        None => Ok(scopes),
    }
}

fn bootstrap(raw: super::raw::RawBootstrap) -> Result<Option<BootstrapAdmin>, ConfigError> {
    let email = raw.admin_email.filter(|s| !s.trim().is_empty());
    let password = raw.admin_password.filter(|s| !s.is_empty());
    match (email, password) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::new(
            "bootstrap.admin_password",
            "is required when bootstrap.admin_email is set",
        )),
        (None, Some(_)) => Err(ConfigError::new(
            "bootstrap.admin_email",
            "is required when bootstrap.admin_password is set",
        )),
        (Some(email), Some(password)) => {
            let email = crate::domain::Email::parse(&email)
                .map_err(|m| ConfigError::new("bootstrap.admin_email", m))?;
            crate::domain::Password::check_policy(&password)
                .map_err(|m| ConfigError::new("bootstrap.admin_password", m))?;
            Ok(Some(BootstrapAdmin {
                email: email.into_inner(),
                password: Secret::new(password),
            }))
        }
    }
}
