//! Registered clients, in SQL.

use async_trait::async_trait;
use sqlx::Row;

use super::{words, SqlStore};
use crate::domain::ClientId;
use crate::storage::{ClientRow, ClientStore, StoreError};

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(&self, client: &ClientRow) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO clients (id, name, secret_hash, scopes, introspection, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&client.id)
            .bind(&client.name)
            .bind(client.secret_hash.clone())
            .bind(client.scopes.join(" "))
            .bind(i64::from(client.introspection))
            .bind(client.created_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn client_by_id(&self, id: &ClientId) -> Result<Option<ClientRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, secret_hash, scopes, introspection, created_at FROM clients WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let scopes: String = row.try_get("scopes")?;
            let introspection: i64 = row.try_get("introspection")?;
            Ok(ClientRow {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                secret_hash: row.try_get("secret_hash")?,
                scopes: words(&scopes),
                introspection: introspection != 0,
                created_at: row.try_get("created_at")?,
            })
        })
        .transpose()
    }
}
