//! Client records kept in memory, so that a client-authenticated request (every
//! client-credentials grant) does not wait on a database read.
//!
//! Only clients that exist are kept, so ids made up by a client cannot fill it, and a
//! client registered a moment ago is found at once. An entry is trusted for
//! `ENTRY_TTL`, the bound in which every replica also sees a key change. Removing a
//! client drops its entry on the replica that removed it; other replicas honour the
//! removal at most `ENTRY_TTL` later. The secret is still checked on every request, against the
//! cached hash.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::domain::ClientId;
use crate::storage::ClientRow;

/// How long a record read from the database is used without reading it again.
pub const ENTRY_TTL: Duration = Duration::from_secs(10);
/// Clients kept at most; beyond it the oldest half is dropped. Far above the clients
/// an authority registers, so in practice every client stays.
const CAPACITY: usize = 10_000;

#[derive(Debug, Default)]
pub struct ClientCache {
    entries: RwLock<HashMap<ClientId, (Arc<ClientRow>, Instant)>>,
}

impl ClientCache {
    /// The record of `id` if it was read less than `ENTRY_TTL` before `now`.
    pub fn get(&self, id: &ClientId, now: Instant) -> Option<Arc<ClientRow>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let (row, read_at) = entries.get(id)?;
        (now.saturating_duration_since(*read_at) < ENTRY_TTL).then(|| row.clone())
    }

    /// Keeps `row`, read from the database at `now`.
    pub fn insert(&self, row: Arc<ClientRow>, now: Instant) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            let mut ages: Vec<Instant> = entries.values().map(|(_, at)| *at).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            entries.retain(|_, (_, at)| *at > cutoff);
        }
        entries.insert(ClientId::new(row.id.clone()), (row, now));
    }

    /// Forgets `id`, so the next request reads the database.
    pub fn evict(&self, id: &ClientId) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> Arc<ClientRow> {
        Arc::new(ClientRow {
            id: id.into(),
            name: "n".into(),
            secret_hash: Some(vec![1; 32]),
            client_type: crate::domain::ClientType::Confidential,
            scopes: vec![],
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec![],
            first_party: false,
            introspection: false,
            created_at: 0,
        })
    }

    #[test]
    fn an_entry_is_used_until_its_time_is_up() {
        let cache = ClientCache::default();
        let t0 = Instant::now();
        cache.insert(row("a"), t0);
        let id = ClientId::new("a");
        assert!(cache
            .get(&id, t0 + ENTRY_TTL - Duration::from_millis(1))
            .is_some());
        assert!(
            cache.get(&id, t0 + ENTRY_TTL).is_none(),
            "read again after the ttl"
        );
        assert!(cache.get(&ClientId::new("b"), t0).is_none());
    }

    #[test]
    fn a_full_cache_drops_its_oldest_half() {
        let cache = ClientCache::default();
        let t0 = Instant::now();
        for i in 0..CAPACITY {
            cache.insert(row(&format!("c{i}")), t0 + Duration::from_nanos(i as u64));
        }
        cache.insert(row("newest"), t0 + Duration::from_secs(1));
        let len = cache.entries.read().unwrap().len();
        assert!(len <= CAPACITY / 2 + 1, "{len} entries");
        assert!(cache
            .get(&ClientId::new("newest"), t0 + Duration::from_secs(1))
            .is_some());
        assert!(
            cache.get(&ClientId::new("c0"), t0).is_none(),
            "the oldest went"
        );
    }

    #[test]
    fn an_evicted_entry_is_read_again() {
        let cache = ClientCache::default();
        let t0 = Instant::now();
        cache.insert(row("a"), t0);
        cache.insert(row("b"), t0);
        cache.evict(&ClientId::new("a"));
        assert!(cache.get(&ClientId::new("a"), t0).is_none());
        assert!(
            cache.get(&ClientId::new("b"), t0).is_some(),
            "only `a` went"
        );
    }
}
