//! The status lists of one replica: indices handed out from leased blocks, and the
//! signed lists served from memory (an `ArcSwap`, like the JWKS), rebuilt when the
//! database's status version or the key set moved: by a poller every second, and at
//! once after a revocation on this replica.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use super::lease::{take, window_at, BLOCK, CAPACITY};
use super::served::{build, ListSource, ServedList, RESIGN_AFTER_SECS};
use crate::clock::Clock;
use crate::domain::StatusSlot;
use crate::keys::{KeyMaterialError, KeyService};
use crate::storage::{LeaseRequest, SharedStore, StatusLease, StoreError};

/// A list id this replica does not serve is looked up in the database at most this
/// often: a flood of unknown ids costs one query per period, not one per request.
const MISS_COOLDOWN: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sign(#[from] KeyMaterialError),
}

type Lists = HashMap<String, Arc<ServedList>>;

pub struct StatusService {
    store: SharedStore,
    keys: Arc<KeyService>,
    clock: Arc<dyn Clock>,
    /// `<issuer>/statuslists/`.
    uri_prefix: String,
    ttl: u64,
    access_ttl: i64,
    served: ArcSwap<Lists>,
    /// The (status version, key-set version) the served lists were built at; its lock
    /// makes rebuilds one at a time.
    built_at: tokio::sync::Mutex<Option<(i64, i64)>>,
    lease: Mutex<Option<StatusLease>>,
    refill: tokio::sync::Mutex<()>,
    last_miss: Mutex<Option<Instant>>,
}

impl StatusService {
    pub fn new(
        store: SharedStore,
        keys: Arc<KeyService>,
        clock: Arc<dyn Clock>,
        issuer: &str,
        ttl: Duration,
        access_ttl: Duration,
    ) -> Self {
        Self {
            store,
            keys,
            clock,
            uri_prefix: format!("{}/statuslists/", issuer.trim_end_matches('/')),
            ttl: ttl.as_secs(),
            access_ttl: i64::try_from(access_ttl.as_secs()).unwrap_or(3600),
            served: ArcSwap::from_pointee(HashMap::new()),
            built_at: tokio::sync::Mutex::new(None),
            lease: Mutex::new(None),
            refill: tokio::sync::Mutex::new(()),
            last_miss: Mutex::new(None),
        }
    }

    /// The URI of list `id`: the `uri` of a token's `status_list` and the list's `sub`.
    pub fn uri(&self, list_id: &str) -> String {
        format!("{}{list_id}", self.uri_prefix)
    }

    /// The slot a `status_list` reference names, if it is one of this issuer's lists.
    pub fn slot_of(&self, uri: &str, idx: i64) -> Option<StatusSlot> {
        let id = uri.strip_prefix(&self.uri_prefix)?;
        (is_list_id(id) && idx >= 0).then(|| StatusSlot {
            list_id: id.to_owned(),
            idx,
        })
    }

    /// The next free index for a token that `kid` signs: from memory, or from a block
    /// leased with one database write.
    pub async fn allocate(&self, kid: &str) -> Result<StatusSlot, StoreError> {
        if let Some(slot) = take(
            &mut self.lease.lock().unwrap_or_else(|e| e.into_inner()),
            kid,
            self.now(),
        ) {
            return Ok(slot);
        }
        let _refill = self.refill.lock().await;
        let now = self.now();
        if let Some(slot) = take(
            &mut self.lease.lock().unwrap_or_else(|e| e.into_inner()),
            kid,
            now,
        ) {
            return Ok(slot);
        }
        // One window per access-token lifetime: two or three lists live at a time.
        let window = window_at(now, self.access_ttl.max(60), self.access_ttl);
        let new_list_id = new_list_id();
        let lease = self
            .store
            .lease_status_indices(&LeaseRequest {
                kid,
                window_start: window.start,
                accepts_until: window.accepts_until,
                expires_at: window.expires_at,
                capacity: CAPACITY,
                block: BLOCK,
                new_list_id: &new_list_id,
            })
            .await?;
        let unseen = !self.served.load().contains_key(&lease.list_id);
        let slot = {
            let mut held = self.lease.lock().unwrap_or_else(|e| e.into_inner());
            *held = Some(lease);
            take(&mut held, kid, now)
        };
        if unseen {
            // Serve the list before the first token naming it is out.
            self.changed().await;
        }
        slot.ok_or_else(|| StoreError::Corrupt("an empty lease of status indices".into()))
    }

    /// The list `id` as served now.
    pub fn list(&self, id: &str) -> Option<Arc<ServedList>> {
        self.served.load().get(id).cloned()
    }

    /// The list `id`, looking in the database (at most once per `MISS_COOLDOWN`) when
    /// this replica does not serve it yet: another replica may have opened it a moment ago.
    pub async fn find(&self, id: &str) -> Option<Arc<ServedList>> {
        if let Some(list) = self.list(id) {
            return Some(list);
        }
        if !is_list_id(id) {
            return None;
        }
        {
            let mut last = self.last_miss.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < MISS_COOLDOWN) {
                return None;
            }
            *last = Some(Instant::now());
        }
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "status lists could not be reloaded");
        }
        self.list(id)
    }

    /// The URIs of every list served.
    pub fn uris(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.served.load().keys().map(|id| self.uri(id)).collect();
        ids.sort();
        ids
    }

    /// A revocation on this replica committed: serve it now. A failure is logged, not
    /// returned: the revocation stands, and the poller serves it within a second.
    pub async fn changed(&self) {
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "status lists could not be rebuilt; the poller retries");
        }
    }

    /// Rebuilds the lists whose source changed, when the status version or the key set
    /// moved or a signature is getting old. One small query when nothing did.
    pub async fn refresh(&self) -> Result<(), StatusError> {
        let mut built_at = self.built_at.lock().await;
        let version = self.store.status_version().await?;
        let ring = self.keys.ring();
        let now = self.now();
        let old = self.served.load_full();
        let stale = old.values().any(|l| now - l.signed_at >= RESIGN_AFTER_SECS);
        if !stale && *built_at == Some((version, ring.version)) {
            return Ok(());
        }
        let Some(key) = ring.signing.clone() else {
            return Ok(());
        };
        let rows = self.store.status_lists().await?;
        let mut revoked: HashMap<String, Vec<i64>> = HashMap::new();
        for (list, idx) in self.store.status_revocations().await? {
            revoked.entry(list).or_default().push(idx);
        }
        let mut lists = Lists::with_capacity(rows.len());
        for row in rows {
            let mut indices = revoked.remove(&row.id).unwrap_or_default();
            indices.sort_unstable();
            let source = ListSource {
                signing_kid: key.kid.clone(),
                capacity: row.capacity,
                all_revoked: row.all_revoked,
                revoked: indices,
            };
            let list = match old.get(&row.id) {
                Some(prev) if prev.source == source && now - prev.signed_at < RESIGN_AFTER_SECS => {
                    prev.clone()
                }
                _ => Arc::new(build(&key, &self.uri(&row.id), source, now, self.ttl)?),
            };
            lists.insert(row.id, list);
        }
        self.served.store(Arc::new(lists));
        *built_at = Some((version, ring.version));
        Ok(())
    }

    /// Deletes lists every token of which has expired; returns rows deleted.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        let purged = self.store.purge_status_lists(self.now()).await?;
        if purged > 0 {
            self.changed().await;
        }
        Ok(purged)
    }

    /// Polls the database every `every` and rebuilds what changed, logging (not dying
    /// on) failures: meanwhile the lists built last are served.
    pub fn spawn_poller(self: Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.refresh().await {
                    tracing::warn!(error = %e, "status lists could not be reloaded; will retry");
                }
            }
        })
    }

    fn now(&self) -> i64 {
        self.clock.unix()
    }
}

/// 128 random bits, base64url: a list id.
fn new_list_id() -> String {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the OS random generator is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` can be a list id (22 base64url characters): anything else is not
/// worth a database lookup.
fn is_list_id(id: &str) -> bool {
    id.len() == 22
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_ids_are_22_url_safe_characters_and_nothing_else_passes() {
        let id = new_list_id();
        assert!(is_list_id(&id), "{id}");
        assert!(!is_list_id("../etc/passwd"));
        assert!(!is_list_id(""));
        assert!(!is_list_id(&"a".repeat(23)));
        assert!(!is_list_id("aaaaaaaaaaaaaaaaaaaaa%"));
    }
}
