//! Downstream APIs built on tessera-verify: each verifier fetches the JWKS and the
//! status lists through a load balancer (the issuer's URLs sent to the replicas in
//! turn), and presents every tracked token again and again until it expires.
//!
//! A token is judged against what the producer did to it: never revoked, it must
//! always verify; revoked, it may still verify until the answer to the revocation
//! came back plus the list's ttl plus 5 s, and never after.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tessera_verify::{Config, Fetch, FetchFuture, ReqwestFetcher, Verifier, VerifyError};

/// One access token as the producer knows it.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub token: String,
    pub user: usize,
    pub sid: String,
    pub exp: Instant,
    pub replica: usize,
    /// When the request that revokes it was sent: from then on a refusal is right.
    pub revoke_sent: Option<Instant>,
    /// When the answer to it came back: the deadline counts from here.
    pub revoked_at: Option<Instant>,
    pub how: &'static str,
}

pub type Ledger = Arc<Mutex<Vec<Tracked>>>;

/// Sends the issuer's URLs to the replicas in turn, as a load balancer would.
struct Balanced {
    issuer: String,
    replicas: Vec<String>,
    turn: AtomicUsize,
    http: ReqwestFetcher,
}

impl Fetch for Balanced {
    fn get<'a>(
        &'a self,
        url: &'a str,
        etag: Option<&'a str>,
        accept: &'static str,
    ) -> FetchFuture<'a> {
        Box::pin(async move {
            let turn = self.turn.fetch_add(1, Ordering::Relaxed);
            let base = &self.replicas[turn % self.replicas.len()];
            let routed = match url.strip_prefix(&self.issuer) {
                Some(path) => format!("{base}{path}"),
                None => url.to_owned(),
            };
            self.http.get(&routed, etag, accept).await
        })
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub verified: u64,
    pub refused_revoked: u64,
    /// Revoked tokens presented after their deadline (the ones the bound is about).
    pub past_deadline: u64,
    /// The longest a verifier accepted a token after the answer to its revocation.
    pub max_accepted_after: Duration,
    /// The longest from the answer to the revocation to the first refusal seen.
    pub max_refusal_delay: Duration,
    pub failures: Vec<String>,
}

pub fn verifiers(issuer: &str, replicas: &[String], count: usize) -> Vec<Verifier> {
    (0..count)
        .map(|i| {
            let mut config = Config::new(issuer);
            config.refetch_cooldown = Duration::from_secs(1);
            let fetcher = Balanced {
                issuer: issuer.to_owned(),
                replicas: replicas.to_vec(),
                turn: AtomicUsize::new(i),
                http: ReqwestFetcher::new(Duration::from_secs(5)).unwrap(),
            };
            Verifier::with_fetcher(config, fetcher)
        })
        .collect()
}

/// Presents every live token to every verifier, round after round, until `stop` and
/// every tracked token has expired.
pub async fn run(
    verifiers: Vec<Verifier>,
    ledger: Ledger,
    deadline: Duration,
    stop: Instant,
) -> Outcome {
    let mut out = Outcome::default();
    let mut first_refusal: std::collections::HashMap<String, Instant> = Default::default();
    loop {
        let now = Instant::now();
        let tokens: Vec<Tracked> = ledger
            .lock()
            .unwrap()
            .iter()
            .filter(|t| now + Duration::from_millis(1500) < t.exp)
            .cloned()
            .collect();
        if tokens.is_empty() && now >= stop {
            break;
        }
        for t in &tokens {
            for (v, verifier) in verifiers.iter().enumerate() {
                let result = verifier.verify(&t.token).await;
                let at = Instant::now();
                if at + Duration::from_millis(500) >= t.exp {
                    continue; // too close to exp to judge
                }
                judge(&mut out, &mut first_refusal, t, v, at, result, deadline);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    out
}

fn judge(
    out: &mut Outcome,
    first_refusal: &mut std::collections::HashMap<String, Instant>,
    t: &Tracked,
    v: usize,
    at: Instant,
    result: Result<tessera_verify::AccessClaims, VerifyError>,
    deadline: Duration,
) {
    let who = format!(
        "verifier {v}, token of user {} from replica {}",
        t.user, t.replica
    );
    match (result, t.revoke_sent, t.revoked_at) {
        (Ok(_), _, Some(done)) if at > done + deadline => {
            out.failures.push(format!(
                "{who}: accepted {:?} after its {} answered",
                at - done,
                t.how
            ));
        }
        (Ok(_), _, revoked) => {
            out.verified += 1;
            if let Some(done) = revoked {
                out.max_accepted_after = out
                    .max_accepted_after
                    .max(at.saturating_duration_since(done));
            }
        }
        (Err(e), None, _) => out
            .failures
            .push(format!("{who}: a valid token refused: {e}")),
        (Err(e), Some(sent), revoked) => {
            if !matches!(e, VerifyError::Revoked(_)) {
                out.failures.push(format!(
                    "{who}: refused after its {} for another reason: {e}",
                    t.how
                ));
            }
            out.refused_revoked += 1;
            let done = revoked.unwrap_or(sent);
            if at > done + deadline {
                out.past_deadline += 1;
            }
            let first = *first_refusal
                .entry(format!("{v}:{}", t.token))
                .or_insert(at);
            out.max_refusal_delay = out
                .max_refusal_delay
                .max(first.saturating_duration_since(done));
        }
    }
}
