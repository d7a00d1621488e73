//! Signing keys and the keyset version replicas poll.

use async_trait::async_trait;

use super::{KeyChange, StoreError, StoredKey};
use crate::domain::Kid;

#[async_trait]
pub trait KeyStore {
    /// Every key, retired and revoked ones included (their private parts are gone).
    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;

    /// A counter bumped by every key change; replicas poll it to know when to reload.
    async fn keyset_version(&self) -> Result<i64, StoreError>;

    /// Applies `change` atomically. `Ok(false)` when a precondition no longer held or a
    /// uniqueness guard fired: another caller (maybe another replica) changed the keys first.
    async fn change_keys(&self, change: &KeyChange) -> Result<bool, StoreError>;

    /// Replaces sealed private keys (a KEK rewrap), all or nothing.
    async fn reseal_keys(&self, sealed: &[(Kid, Vec<u8>)]) -> Result<(), StoreError>;
}
