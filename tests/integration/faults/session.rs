//! Requests as a client sees them: the test carries refresh tokens itself, so it knows
//! exactly which ones it saw replaced, and a transport error (no answer at all) is kept
//! apart from an answer.

use std::time::{Duration, Instant};

use crate::common::paths;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};

/// Any value works for the double-submit check as long as cookie and header agree.
const CSRF: &str = "faults-csrf";

#[derive(Debug, Clone)]
pub struct Tokens {
    pub refresh: String,
    pub access: String,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub retry_after: Option<String>,
    pub content_type: String,
    pub latency: Duration,
    /// The new tokens of a successful login or refresh.
    pub tokens: Option<Tokens>,
}

/// `Err` when no answer arrived: the server may or may not have acted.
pub type Reply = Result<Answer, String>;

async fn send(req: RequestBuilder) -> Reply {
    let started = Instant::now();
    let res = req.send().await.map_err(|e| e.to_string())?;
    let status = res.status();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after");
    let content_type = header("content-type").unwrap_or_default();
    let cookie_refresh = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tessera_refresh="))
        .map(crate::common::cookie_value)
        .filter(|v| !v.is_empty());
    let text = res.text().await.map_err(|e| e.to_string())?;
    let latency = started.elapsed();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let tokens = match (body["access_token"].as_str(), status) {
        (Some(access), StatusCode::OK) => body["refresh_token"]
            .as_str()
            .map(str::to_owned)
            .or(cookie_refresh)
            .map(|refresh| Tokens {
                refresh,
                access: access.to_owned(),
            }),
        _ => None,
    };
    Ok(Answer {
        status,
        body,
        retry_after,
        content_type,
        latency,
        tokens,
    })
}

pub async fn login(client: &Client, base: &str, email: &str, password: &str) -> Reply {
    send(
        client
            .post(format!("{base}{}", paths::LOGIN))
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

pub async fn refresh(client: &Client, base: &str, refresh: &str) -> Reply {
    send(
        client
            .post(format!("{base}{}", paths::REFRESH))
            .header(
                "Cookie",
                format!("tessera_refresh={refresh}; tessera_csrf={CSRF}"),
            )
            .header("X-CSRF-Token", CSRF),
    )
    .await
}

pub async fn me(client: &Client, base: &str, access: &str) -> Reply {
    send(
        client
            .get(format!("{base}{}", paths::ME))
            .bearer_auth(access),
    )
    .await
}

pub async fn oauth_token(client: &Client, base: &str, form: &[(&str, &str)]) -> Reply {
    send(client.post(format!("{base}{}", paths::TOKEN)).form(form)).await
}

pub async fn get(client: &Client, base: &str, path: &str) -> Reply {
    send(client.get(format!("{base}{path}"))).await
}

pub async fn post_json(
    client: &Client,
    base: &str,
    path: &str,
    bearer: &str,
    body: Value,
) -> Reply {
    send(
        client
            .post(format!("{base}{path}"))
            .bearer_auth(bearer)
            .json(&body),
    )
    .await
}

/// The clean answer of an endpoint that needs an unavailable database.
pub fn is_clean_unavailable(a: &Answer) -> bool {
    a.status == StatusCode::SERVICE_UNAVAILABLE
        && a.content_type.starts_with("application/json")
        && a.body["error"] == "temporarily_unavailable"
        && a.body["error_description"].is_string()
        && a.retry_after
            .as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|s| s >= 1)
}

pub fn assert_clean_unavailable(what: &str, reply: &Reply) {
    match reply {
        Ok(a) => assert!(
            is_clean_unavailable(a),
            "{what}: expected a 503 temporarily_unavailable with Retry-After, got {} {} (retry-after {:?})",
            a.status,
            a.body,
            a.retry_after
        ),
        Err(e) => panic!("{what}: no answer: {e}"),
    }
}

/// The refusal of a spent, unknown or dead refresh token on `/auth/refresh`.
pub fn is_invalid_grant(a: &Answer) -> bool {
    a.status == StatusCode::UNAUTHORIZED && a.body["error"] == "invalid_grant"
}
