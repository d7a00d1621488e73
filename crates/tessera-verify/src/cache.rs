//! One cached document (the JWKS, or one status list): read without a lock, fetched by
//! at most one task at a time (single flight), kept when a fetch fails.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::fetch::{Fetch, Fetched};
use crate::freshness::{after_failure, plan, Plan, Timing};
use crate::VerifyError;

/// A parsed document and what it says about its own lifetime.
pub struct Parsed<T> {
    pub value: T,
    /// The document's own freshness (a status list's `ttl`), over `Cache-Control`.
    pub ttl: Option<Duration>,
    /// Never used after this (a status list token's `exp`).
    pub expires: Option<Instant>,
}

/// How long documents of one kind are fresh and may be kept stale.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub default_max_age: Duration,
    pub min_max_age: Duration,
    pub max_max_age: Duration,
    pub max_staleness: Duration,
    pub cooldown: Duration,
    pub accept: &'static str,
}

pub struct Entry<T> {
    pub value: Option<Arc<T>>,
    etag: Option<String>,
    pub timing: Timing,
    ttl: Option<Duration>,
    expires: Option<Instant>,
    pub last_attempt: Option<Instant>,
    /// Completed fetch attempts: a task that waited for the flight sees whether
    /// another one fetched meanwhile.
    attempts: u64,
    last_error: Option<String>,
}

impl<T> Entry<T> {
    fn empty() -> Self {
        let now = Instant::now();
        Self {
            value: None,
            etag: None,
            timing: Timing {
                held: false,
                fresh_until: now,
                usable_until: now,
                failed_at: None,
            },
            ttl: None,
            expires: None,
            last_attempt: None,
            attempts: 0,
            last_error: None,
        }
    }

    fn unavailable(&self) -> VerifyError {
        VerifyError::Unavailable(
            self.last_error
                .clone()
                .unwrap_or_else(|| "no copy held".to_owned()),
        )
    }

    fn answer(&self, plan: Plan) -> Result<Arc<T>, VerifyError> {
        match (plan, &self.value) {
            (Plan::Use | Plan::UseStale, Some(v)) => Ok(v.clone()),
            _ => Err(self.unavailable()),
        }
    }
}

/// Counters of what went over the wire.
#[derive(Debug, Default)]
pub struct Counters {
    pub fetched: std::sync::atomic::AtomicU64,
    pub not_modified: std::sync::atomic::AtomicU64,
    pub failed: std::sync::atomic::AtomicU64,
}

pub struct Cached<T> {
    url: String,
    pub state: ArcSwap<Entry<T>>,
    flight: tokio::sync::Mutex<()>,
}

fn add(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .unwrap_or(at + Duration::from_secs(86400 * 365))
}

impl<T: Send + Sync> Cached<T> {
    pub fn new(url: String) -> Self {
        Self {
            url,
            state: ArcSwap::from_pointee(Entry::empty()),
            flight: tokio::sync::Mutex::new(()),
        }
    }

    /// The document as the freshness rules allow: the held copy when fresh, else
    /// fetched (one flight for every waiting task), else the stale copy within its
    /// bound, else `Unavailable`.
    pub async fn get<F, Fut>(
        &self,
        fetcher: &dyn Fetch,
        policy: &Policy,
        counters: &Counters,
        parse: F,
    ) -> Result<Arc<T>, VerifyError>
    where
        F: FnOnce(Vec<u8>) -> Fut,
        Fut: Future<Output = Result<Parsed<T>, String>>,
    {
        let entry = self.state.load();
        let first = plan(Instant::now(), &entry.timing, policy.cooldown);
        if first != Plan::Fetch {
            return entry.answer(first);
        }
        let seen = entry.attempts;
        drop(entry);
        let _flight = self.flight.lock().await;
        let entry = self.state.load_full();
        if entry.attempts != seen {
            let again = plan(Instant::now(), &entry.timing, policy.cooldown);
            if again != Plan::Fetch {
                return entry.answer(again);
            }
        }
        let entry = self.fetch(&entry, fetcher, policy, counters, parse).await;
        entry.answer(after_failure_or_use(&entry))
    }

    /// Fetches now, whatever the held copy's freshness, unless another task fetched
    /// while this one waited for the flight or the cooldown since the last attempt has
    /// not passed. For an unknown `kid`: `wanted` says whether a copy holds it.
    pub async fn refetch_for<F, Fut>(
        &self,
        fetcher: &dyn Fetch,
        policy: &Policy,
        counters: &Counters,
        wanted: impl Fn(&T) -> bool,
        parse: F,
    ) -> Option<Arc<T>>
    where
        F: FnOnce(Vec<u8>) -> Fut,
        Fut: Future<Output = Result<Parsed<T>, String>>,
    {
        use crate::freshness::may_refetch_for_unknown_kid as may;
        let holds = |e: &Entry<T>| e.value.as_ref().filter(|v| wanted(v)).cloned();
        let entry = self.state.load();
        if let Some(v) = holds(&entry) {
            return Some(v);
        }
        if !may(Instant::now(), entry.last_attempt, policy.cooldown) {
            return None;
        }
        drop(entry);
        let _flight = self.flight.lock().await;
        let entry = self.state.load_full();
        if let Some(v) = holds(&entry) {
            return Some(v);
        }
        if !may(Instant::now(), entry.last_attempt, policy.cooldown) {
            return None;
        }
        let entry = self.fetch(&entry, fetcher, policy, counters, parse).await;
        holds(&entry)
    }

    /// One fetch, under the flight lock; stores and returns the new entry.
    async fn fetch<F, Fut>(
        &self,
        held: &Entry<T>,
        fetcher: &dyn Fetch,
        policy: &Policy,
        counters: &Counters,
        parse: F,
    ) -> Arc<Entry<T>>
    where
        F: FnOnce(Vec<u8>) -> Fut,
        Fut: Future<Output = Result<Parsed<T>, String>>,
    {
        use std::sync::atomic::Ordering::Relaxed;
        // RFC 9111 §4.2.3: age counts from when the request left, the cautious end.
        let requested_at = Instant::now();
        // A copy past its own expiry is not revalidated: a 304 could not revive it.
        let revalidate = held.value.is_some() && held.expires.is_none_or(|e| requested_at < e);
        let etag = held.etag.as_deref().filter(|_| revalidate);
        let outcome = match fetcher.get(&self.url, etag, policy.accept).await {
            Ok(Fetched::Body {
                body,
                etag,
                max_age,
            }) => match parse(body).await {
                Ok(parsed) => Ok((
                    Some(Arc::new(parsed.value)),
                    etag,
                    parsed.ttl,
                    max_age,
                    parsed.expires,
                )),
                Err(e) => Err(format!("{}: {e}", self.url)),
            },
            Ok(Fetched::NotModified { max_age }) if revalidate && etag.is_some() => {
                counters.not_modified.fetch_add(1, Relaxed);
                Ok((None, held.etag.clone(), held.ttl, max_age, held.expires))
            }
            Ok(Fetched::NotModified { .. }) => {
                Err(format!("{}: 304 to an unconditional request", self.url))
            }
            Err(e) => Err(e.0),
        };
        let now = Instant::now();
        let next = match outcome {
            Ok((value, etag, ttl, max_age, expires)) => {
                if value.is_some() {
                    counters.fetched.fetch_add(1, Relaxed);
                }
                let age = ttl.or(max_age).unwrap_or(policy.default_max_age).clamp(
                    policy.min_max_age,
                    policy.max_max_age.max(policy.min_max_age),
                );
                let cap = |at: Instant| expires.map_or(at, |e| at.min(e));
                let fresh_until = cap(add(requested_at, age));
                Entry {
                    value: value.or_else(|| held.value.clone()),
                    etag,
                    timing: Timing {
                        held: true,
                        fresh_until,
                        usable_until: cap(add(fresh_until, policy.max_staleness)),
                        failed_at: None,
                    },
                    ttl,
                    expires,
                    last_attempt: Some(now),
                    attempts: held.attempts + 1,
                    last_error: None,
                }
            }
            Err(error) => {
                counters.failed.fetch_add(1, Relaxed);
                Entry {
                    value: held.value.clone(),
                    etag: held.etag.clone(),
                    timing: Timing {
                        failed_at: Some(now),
                        ..held.timing
                    },
                    ttl: held.ttl,
                    expires: held.expires,
                    last_attempt: Some(now),
                    attempts: held.attempts + 1,
                    last_error: Some(error),
                }
            }
        };
        let next = Arc::new(next);
        self.state.store(next.clone());
        next
    }
}

fn after_failure_or_use<T>(entry: &Entry<T>) -> Plan {
    match entry.timing.failed_at {
        Some(at) => after_failure(at, &entry.timing),
        None => Plan::Use,
    }
}
