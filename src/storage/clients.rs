//! Registered OAuth clients.

use async_trait::async_trait;

use super::{ClientRow, StoreError};
use crate::domain::{ClientId, UnixTime};

#[async_trait]
pub trait ClientStore {
    async fn insert_client(&self, client: &ClientRow) -> Result<(), StoreError>;
    async fn client_by_id(&self, id: &ClientId) -> Result<Option<ClientRow>, StoreError>;
    /// Every client, oldest first.
    async fn list_clients(&self) -> Result<Vec<ClientRow>, StoreError>;
    /// Deletes the client and revokes its live refresh families in one transaction, so
    /// no session outlives the client it was granted to. `Ok(false)`: no such client.
    async fn remove_client(&self, id: &ClientId, now: UnixTime) -> Result<bool, StoreError>;
}
