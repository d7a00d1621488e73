//! Registered OAuth clients.

use async_trait::async_trait;

use super::{ClientRow, StoreError};
use crate::domain::ClientId;

#[async_trait]
pub trait ClientStore {
    async fn insert_client(&self, client: &ClientRow) -> Result<(), StoreError>;
    async fn client_by_id(&self, id: &ClientId) -> Result<Option<ClientRow>, StoreError>;
}
