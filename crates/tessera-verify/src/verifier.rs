//! The verifier: the authority's own checks of an access token, then its status bit.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;

use crate::cache::{Cached, Counters, Parsed, Policy};
use crate::config::is_trusted_status_uri;
use crate::fetch::Fetch;
use crate::jwks::KeySet;
use crate::jws::{Jws, TokenType};
use crate::status_list::StatusList;
use crate::{AccessClaims, Config, VerifyError};

mod status;

const JWKS_MEDIA_TYPE: &str = "application/jwk-set+json, application/json";
const STATUS_LIST_MEDIA_TYPE: &str = "application/statuslist+jwt";

/// What went over the wire since the verifier was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// JWKS answers with a body (200) that parsed.
    pub jwks_fetched: u64,
    /// JWKS revalidations answered `304`.
    pub jwks_not_modified: u64,
    pub jwks_failed: u64,
    pub lists_fetched: u64,
    pub lists_not_modified: u64,
    pub lists_failed: u64,
}

/// Verifies tessera access tokens. Cheap to clone (one `Arc`); share one per process.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    status_prefix: String,
    fetcher: Box<dyn Fetch>,
    jwks: Cached<KeySet>,
    jwks_policy: Policy,
    jwks_counters: Counters,
    lists: ArcSwap<HashMap<String, Arc<Cached<StatusList>>>>,
    list_policy: Policy,
    list_counters: Counters,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)
}

impl Verifier {
    /// A verifier fetching with the default reqwest client (10 s timeout).
    #[cfg(feature = "reqwest")]
    pub fn new(config: Config) -> Result<Self, crate::FetchError> {
        let fetcher = crate::ReqwestFetcher::new(Duration::from_secs(10))?;
        Ok(Self::with_fetcher(config, fetcher))
    }

    /// A verifier fetching through `fetcher`.
    pub fn with_fetcher(config: Config, fetcher: impl Fetch) -> Self {
        let policy = |max_staleness, accept| Policy {
            default_max_age: config.default_max_age,
            min_max_age: config.min_max_age,
            max_max_age: config.max_max_age,
            max_staleness,
            cooldown: config.refetch_cooldown,
            accept,
        };
        let inner = Inner {
            status_prefix: config.status_list_prefix(),
            fetcher: Box::new(fetcher),
            jwks: Cached::new(config.jwks_uri.clone()),
            jwks_policy: policy(config.max_jwks_staleness, JWKS_MEDIA_TYPE),
            jwks_counters: Counters::default(),
            lists: ArcSwap::from_pointee(HashMap::new()),
            list_policy: policy(config.max_status_staleness, STATUS_LIST_MEDIA_TYPE),
            list_counters: Counters::default(),
            config,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn stats(&self) -> FetchStats {
        let (j, l) = (&self.inner.jwks_counters, &self.inner.list_counters);
        FetchStats {
            jwks_fetched: j.fetched.load(Relaxed),
            jwks_not_modified: j.not_modified.load(Relaxed),
            jwks_failed: j.failed.load(Relaxed),
            lists_fetched: l.fetched.load(Relaxed),
            lists_not_modified: l.not_modified.load(Relaxed),
            lists_failed: l.failed.load(Relaxed),
        }
    }

    /// Verifies an access token (the compact JWS, without `Bearer `): form, `typ`,
    /// `alg` against the allow-list and the key, signature, `exp`/`nbf`/`iat` with the
    /// configured leeway, `iss`, `aud`, then the status bit from its own `status`
    /// claim. From warm caches nothing awaits.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, VerifyError> {
        let inner = &*self.inner;
        let jws = Jws::parse(token, &inner.config.algorithms)?;
        if jws.typ != TokenType::AccessToken {
            return Err(VerifyError::Type);
        }
        let keys = self.keys_with(&jws.kid).await?;
        let key = keys.get(&jws.kid).ok_or(VerifyError::UnknownKey)?;
        if key.alg() != jws.alg {
            return Err(VerifyError::Algorithm);
        }
        if !key.verify(jws.signed, jws.signature()) {
            return Err(VerifyError::Signature);
        }
        let claims: AccessClaims =
            serde_json::from_slice(&jws.payload()?).map_err(|_| VerifyError::Malformed)?;
        self.check_claims(&claims, unix_now())?;
        self.check_status(&claims).await?;
        Ok(claims)
    }

    fn check_claims(&self, claims: &AccessClaims, now: i64) -> Result<(), VerifyError> {
        let c = &self.inner.config;
        if now >= claims.exp.saturating_add(secs(c.exp_leeway)) {
            return Err(VerifyError::Expired);
        }
        let latest = now.saturating_add(secs(c.leeway));
        if claims.nbf.is_some_and(|nbf| nbf > latest) || claims.iat > latest {
            return Err(VerifyError::NotYetValid);
        }
        if claims.iss != c.issuer {
            return Err(VerifyError::Issuer);
        }
        if !claims.aud.contains_any(&c.audiences) {
            return Err(VerifyError::Audience);
        }
        Ok(())
    }

    async fn check_status(&self, claims: &AccessClaims) -> Result<(), VerifyError> {
        let Some(reference) = claims.status.as_ref().and_then(|s| s.status_list.as_ref()) else {
            return match self.inner.config.require_status {
                true => Err(VerifyError::MissingStatus),
                false => Ok(()),
            };
        };
        if !is_trusted_status_uri(&self.inner.status_prefix, &reference.uri) {
            return Err(VerifyError::UntrustedStatusList);
        }
        let list = self.status_list(&reference.uri).await?;
        match list.get(reference.idx) {
            None => Err(VerifyError::StatusIndex),
            Some(0) => Ok(()),
            Some(status) => Err(VerifyError::Revoked(status)),
        }
    }

    /// The key set, holding `kid` if a fetch allowed now can find it.
    async fn keys_with(&self, kid: &str) -> Result<Arc<KeySet>, VerifyError> {
        let inner = &*self.inner;
        let keys = inner
            .jwks
            .get(
                &*inner.fetcher,
                &inner.jwks_policy,
                &inner.jwks_counters,
                parse_jwks,
            )
            .await?;
        if keys.get(kid).is_some() {
            return Ok(keys);
        }
        let refetched = inner
            .jwks
            .refetch_for(
                &*inner.fetcher,
                &inner.jwks_policy,
                &inner.jwks_counters,
                |set: &KeySet| set.get(kid).is_some(),
                parse_jwks,
            )
            .await;
        refetched.ok_or(VerifyError::UnknownKey)
    }

    async fn status_list(&self, uri: &str) -> Result<Arc<StatusList>, VerifyError> {
        let slot = self.list_slot(uri);
        let inner = &*self.inner;
        slot.get(
            &*inner.fetcher,
            &inner.list_policy,
            &inner.list_counters,
            |body| self.parse_status_list(body, uri),
        )
        .await
    }

    /// The cache slot of one list; a new one is added copy-on-write (lists appear a
    /// few times a day), dropping slots no longer usable so rolled-over lists go.
    fn list_slot(&self, uri: &str) -> Arc<Cached<StatusList>> {
        if let Some(slot) = self.inner.lists.load().get(uri) {
            return slot.clone();
        }
        let now = Instant::now();
        let mut added = None;
        self.inner.lists.rcu(|lists| {
            let mut next: HashMap<_, _> = lists
                .iter()
                .filter(|(_, s)| {
                    let e = s.state.load();
                    e.last_attempt.is_none() || now < e.timing.usable_until
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let slot = next
                .entry(uri.to_owned())
                .or_insert_with(|| Arc::new(Cached::new(uri.to_owned())))
                .clone();
            added = Some(slot);
            next
        });
        added.expect("rcu ran at least once")
    }
}

async fn parse_jwks(body: Vec<u8>) -> Result<Parsed<KeySet>, String> {
    let set = KeySet::parse(&body)?;
    Ok(Parsed {
        value: set,
        ttl: None,
        expires: None,
    })
}
