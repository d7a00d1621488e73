//! Signing keys and the keyset version replicas poll, and the other secret sealed
//! under the KEK: the refresh-token MAC key.

use async_trait::async_trait;

use super::{KeyChange, SealedMacKey, StoreError, StoredKey};
use crate::domain::{Kid, UnixTime};

#[async_trait]
pub trait KeyStore {
    /// Every key, retired and revoked ones included (their private parts are gone).
    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;

    /// A counter bumped by every key change; replicas poll it to know when to reload.
    async fn keyset_version(&self) -> Result<i64, StoreError>;

    /// Applies `change` atomically. `Ok(false)` when a precondition no longer held or a
    /// uniqueness guard fired: another caller (maybe another replica) changed the keys first.
    async fn change_keys(&self, change: &KeyChange) -> Result<bool, StoreError>;

    /// Replaces sealed private keys and the sealed MAC key (a KEK rewrap), all or nothing.
    async fn reseal_keys(
        &self,
        sealed: &[(Kid, Vec<u8>)],
        mac_key: Option<&[u8]>,
    ) -> Result<(), StoreError>;

    /// The refresh-token MAC key, once some replica created it.
    async fn mac_key(&self) -> Result<Option<SealedMacKey>, StoreError>;

    /// Stores `sealed` as the MAC key unless one exists (another replica may be first),
    /// with `legacy_until` the latest expiry of a live family, or `now` if none is.
    async fn create_mac_key(&self, sealed: &[u8], now: UnixTime) -> Result<(), StoreError>;
}
