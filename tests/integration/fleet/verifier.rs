//! One downstream API as it would really be written: it keeps a copy of the JWKS the
//! way an HTTP cache does (fresh for `max-age` counted from when the request was sent,
//! revalidated with `If-None-Match`), and verifies tokens with that copy alone. It
//! never refetches because of an unknown `kid`: the contract says a cache that
//! refreshes on schedule never meets one, and this is what holds tessera to it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{header, Client, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::common::verify_with_jwks;

/// How long before `exp` a held token is presented again, as a client would near the
/// end of its token's life. Well inside `exp` so a busy scheduler does not make it late.
const LATE_MARGIN: Duration = Duration::from_secs(1);

/// A token as the producer hands it over.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub grant: &'static str,
    pub replica: usize,
    pub issued_at: Instant,
}

#[derive(Debug, Default)]
pub struct Stats {
    pub fetched: u64,
    pub not_modified: u64,
    pub verified: u64,
    /// The longest a token waited between its issuance and its first verification.
    pub max_delay: Duration,
    pub late_verified: u64,
    /// Held tokens the scheduler woke up for only after their `exp`: not presented.
    pub late_missed: u64,
    pub kids: Vec<(String, String)>,
    pub failures: Vec<String>,
}

struct Cached {
    jwks: Value,
    etag: Option<String>,
    requested_at: Instant,
    max_age: Duration,
}

pub struct Verifier {
    name: String,
    http: Client,
    /// JWKS URLs of the replicas, tried in turn as a load balancer would.
    sources: Vec<String>,
    turn: usize,
    issuer: String,
    audience: String,
    cache: Option<Cached>,
    stats: Stats,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn max_age(headers: &header::HeaderMap) -> Result<Duration, String> {
    let value = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .ok_or("the JWKS has no Cache-Control")?;
    value
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|s| s.parse().ok())
        .map(Duration::from_secs)
        .ok_or_else(|| format!("no max-age in Cache-Control `{value}`"))
}

/// An error with its causes: reqwest's own message hides what went wrong.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

fn header_of(token: &str) -> Result<Value, String> {
    use base64::Engine;
    let first = token.split('.').next().ok_or("no header")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(first)
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

impl Verifier {
    pub fn new(name: String, sources: Vec<String>, first: usize, issuer: &str) -> Self {
        Self {
            name,
            // Idle connections are let go well before a server's keep-alive ends, so
            // a fetch never races the server closing the connection it reuses.
            http: Client::builder()
                .pool_idle_timeout(Duration::from_secs(1))
                .build()
                .unwrap(),
            sources,
            turn: first,
            issuer: issuer.to_owned(),
            audience: issuer.to_owned(),
            cache: None,
            stats: Stats::default(),
        }
    }

    /// The cached JWKS, refetched (or revalidated) only once its age reached max-age.
    async fn jwks(&mut self) -> Result<&Value, String> {
        let stale = self
            .cache
            .as_ref()
            .is_none_or(|c| c.requested_at.elapsed() >= c.max_age);
        if stale {
            self.fetch().await?;
        }
        Ok(&self.cache.as_ref().expect("fetched above").jwks)
    }

    async fn fetch(&mut self) -> Result<(), String> {
        let url = &self.sources[self.turn % self.sources.len()];
        self.turn += 1;
        let mut request = self.http.get(url);
        if let Some(tag) = self.cache.as_ref().and_then(|c| c.etag.as_ref()) {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        // RFC 9111 §4.2.3: age counts from when the request left, the cautious end.
        let requested_at = Instant::now();
        let res = request.send().await.map_err(|e| chain(&e))?;
        let max_age = max_age(res.headers())?;
        let etag = res
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match (res.status(), self.cache.as_mut()) {
            (StatusCode::NOT_MODIFIED, Some(cached)) => {
                self.stats.not_modified += 1;
                cached.requested_at = requested_at;
                cached.max_age = max_age;
            }
            (StatusCode::OK, _) => {
                self.stats.fetched += 1;
                let jwks = res.json().await.map_err(|e| e.to_string())?;
                self.cache = Some(Cached {
                    jwks,
                    etag,
                    requested_at,
                    max_age,
                });
            }
            (status, _) => return Err(format!("JWKS fetch from {url} answered {status}")),
        }
        Ok(())
    }

    /// Verifies as of `now` (Unix seconds): signature by a cached key, `typ`, `iss`,
    /// `aud`, `exp`, `nbf`. Returns the claims.
    async fn verify(&mut self, token: &str, now: f64) -> Result<Value, String> {
        let header = header_of(token)?;
        if header["typ"] != "at+jwt" {
            return Err(format!("typ is {}", header["typ"]));
        }
        let claims = verify_with_jwks(self.jwks().await?, token)?;
        if claims["iss"] != self.issuer.as_str() {
            return Err(format!("iss is {}", claims["iss"]));
        }
        let aud_ok = match &claims["aud"] {
            Value::String(a) => *a == self.audience,
            Value::Array(list) => list.iter().any(|a| *a == self.audience.as_str()),
            _ => false,
        };
        if !aud_ok {
            return Err(format!("aud is {}", claims["aud"]));
        }
        let exp = claims["exp"].as_f64().ok_or("no exp")?;
        if now >= exp {
            return Err(format!("expired: exp {exp}, now {now:.3}"));
        }
        if claims["nbf"].as_f64().is_some_and(|nbf| nbf > now) {
            return Err(format!("nbf {} is after now {now:.3}", claims["nbf"]));
        }
        let kid = header["kid"].as_str().unwrap_or_default().to_owned();
        let alg = header["alg"].as_str().unwrap_or_default().to_owned();
        if !self.stats.kids.iter().any(|(k, _)| *k == kid) {
            self.stats.kids.push((kid, alg));
        }
        Ok(claims)
    }

    fn fail(&mut self, what: &str, issued: &Issued, error: String) {
        self.stats.failures.push(format!(
            "{}: {what} {} token from replica {}: {error}",
            self.name, issued.grant, issued.replica
        ));
    }

    async fn on_arrival(&mut self, issued: Issued, held: &mut Held) {
        match self.verify(&issued.token, unix_now()).await {
            Ok(claims) => {
                self.stats.verified += 1;
                let delay = issued.issued_at.elapsed();
                self.stats.max_delay = self.stats.max_delay.max(delay);
                held.hold(issued, claims["exp"].as_f64().unwrap_or(0.0));
            }
            Err(e) => self.fail("fresh", &issued, e),
        }
    }

    async fn on_due(&mut self, issued: Issued, exp: f64) {
        let now = unix_now();
        if now >= exp {
            self.stats.late_missed += 1;
            return;
        }
        match self.verify(&issued.token, now).await {
            Ok(_) => self.stats.late_verified += 1,
            Err(e) => self.fail("near-expiry", &issued, e),
        }
    }

    /// Verifies every token at once on arrival, and again shortly before its `exp`;
    /// returns when the producer is done and every held token has been presented.
    pub async fn run(mut self, mut tokens: UnboundedReceiver<Issued>) -> Stats {
        let mut held = Held::default();
        let mut open = true;
        while open || held.next_due().is_some() {
            let due = held.next_due();
            let wake = tokio::time::sleep_until(due.unwrap_or_else(Instant::now).into());
            tokio::select! {
                received = tokens.recv(), if open => match received {
                    Some(issued) => self.on_arrival(issued, &mut held).await,
                    None => open = false,
                },
                () = wake, if due.is_some() => {
                    let (issued, exp) = held.pop();
                    self.on_due(issued, exp).await;
                }
            }
        }
        self.stats
    }
}

/// Tokens kept to be presented again near their `exp`, soonest first.
#[derive(Default)]
struct Held {
    due: BinaryHeap<Reverse<(Instant, u64)>>,
    tokens: HashMap<u64, (Issued, f64)>,
    seq: u64,
}

impl Held {
    fn hold(&mut self, issued: Issued, exp: f64) {
        let wait = (exp - unix_now() - LATE_MARGIN.as_secs_f64()).max(0.0);
        self.seq += 1;
        let at = Instant::now() + Duration::from_secs_f64(wait);
        self.due.push(Reverse((at, self.seq)));
        self.tokens.insert(self.seq, (issued, exp));
    }

    fn next_due(&self) -> Option<Instant> {
        self.due.peek().map(|Reverse((at, _))| *at)
    }

    fn pop(&mut self) -> (Issued, f64) {
        let Reverse((_, key)) = self.due.pop().expect("a token is due");
        self.tokens.remove(&key).expect("held once")
    }
}
