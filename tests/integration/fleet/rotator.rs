//! An operator rotating as fast as the lifecycle lets them: RS256 and ES256 `next` keys
//! in turn, each request to the other replica, waiting out `Retry-After` on a
//! `rotation_too_early`. Right after every rotation the other replica is asked to
//! rotate again, before it can have reloaded: it must refuse from the shared database.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::common::paths;
use crate::common::TestApp;

const ALGORITHMS: [&str; 2] = ["RS256", "ES256"];

#[derive(Debug, Default)]
pub struct Rotations {
    /// Successful rotations by the algorithm of the `next` key they published.
    pub by_alg: BTreeMap<&'static str, u64>,
    pub too_early: u64,
    pub refused_across_replicas: u64,
    /// Probes that rotated anyway (the probe came late); judged by the key listing.
    pub probes_rotated: u64,
    /// Requests whose admin token had expired by the time the answer came.
    pub admin_token_expired: u64,
    /// A rotation the lifecycle should have refused, or a refusal of the wrong kind.
    pub violations: Vec<String>,
}

async fn rotate(app: &TestApp, admin: &str, alg: &str) -> Response {
    app.client
        .post(app.url(paths::ADMIN_KEYS_ROTATE))
        .bearer_auth(admin)
        .json(&json!({"algorithm": alg}))
        .send()
        .await
        .unwrap()
}

/// The `Retry-After` seconds of a well-formed `rotation_too_early`.
async fn too_early(res: Response) -> Result<u64, String> {
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body: Value = res.json().await.unwrap_or_default();
    match (status, retry_after) {
        (StatusCode::CONFLICT, Some(secs)) if body["error"] == "rotation_too_early" && secs > 0 => {
            Ok(secs)
        }
        _ => Err(format!("{status}, Retry-After {retry_after:?}, {body}")),
    }
}

/// The `exp` claim of one of tessera's tokens.
fn exp_of(token: &str) -> f64 {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["exp"]
        .as_f64()
        .unwrap()
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

impl Rotations {
    /// Books one answer to a rotation request; returns whether it rotated and how long
    /// to wait before the next request.
    async fn book(
        &mut self,
        res: Response,
        admin: &str,
        alg: &'static str,
        probe: bool,
    ) -> (bool, u64) {
        // On a box busy enough the admin's token may run out between login and use.
        if res.status() == StatusCode::UNAUTHORIZED && unix_now() >= exp_of(admin) {
            self.admin_token_expired += 1;
            return (false, 0);
        }
        if res.status() == StatusCode::OK {
            *self.by_alg.entry(alg).or_insert(0) += 1;
            if probe {
                // Legitimate only if this replica was slow to ask: the key listing,
                // checked after the run, tells whether the lifecycle allowed it.
                self.probes_rotated += 1;
            }
            return (true, 0);
        }
        match too_early(res).await {
            Ok(secs) if probe => {
                self.refused_across_replicas += 1;
                (false, secs)
            }
            Ok(secs) => {
                self.too_early += 1;
                (false, secs)
            }
            Err(answer) => {
                self.violations.push(format!("rotation answered {answer}"));
                (false, 1)
            }
        }
    }
}

pub async fn run(replicas: &[TestApp], until: Instant) -> Rotations {
    let mut out = Rotations::default();
    let mut done = 0usize;
    let mut ready = Instant::now();
    for attempt in 0.. {
        // Logged in while waiting, and before the rotation so the probe follows at once.
        let admins = [
            replicas[0].admin_token().await,
            replicas[1].admin_token().await,
        ];
        tokio::time::sleep_until(ready.into()).await;
        if Instant::now() >= until {
            break;
        }
        let (here, other) = (attempt % 2, (attempt + 1) % 2);
        let alg = ALGORITHMS[done % 2];
        let res = rotate(&replicas[here], &admins[here], alg).await;
        let (rotated, mut wait) = out.book(res, &admins[here], alg, false).await;
        if rotated {
            done += 1;
            let alg = ALGORITHMS[done % 2];
            let probe = rotate(&replicas[other], &admins[other], alg).await;
            let (rotated, secs) = out.book(probe, &admins[other], alg, true).await;
            done += usize::from(rotated);
            wait = secs;
        }
        ready = Instant::now() + Duration::from_secs(wait);
    }
    out
}
