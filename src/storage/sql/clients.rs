//! Registered clients, in SQL. Lists (scopes, redirect URIs, grant types) are stored
//! space separated; a public client's secret hash is stored empty.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::revoke_families::{revoke_families, Families};
use super::{corrupt, words, SqlStore};
use crate::domain::{ClientId, ClientType, Grant, RevocationReason, UnixTime};
use crate::storage::{ClientRow, ClientStore, StoreError};

/// The columns every query names, in one place; a macro so the text stays static.
macro_rules! columns {
    () => {
        "id, name, secret_hash, client_type, scopes, redirect_uris, \
         post_logout_redirect_uris, grant_types, first_party, introspection, created_at"
    };
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(&self, client: &ClientRow) -> Result<(), StoreError> {
        let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
        sqlx::query(concat!(
            "INSERT INTO clients (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&client.id)
        .bind(&client.name)
        .bind(client.secret_hash.clone().unwrap_or_default())
        .bind(client.client_type.as_str())
        .bind(client.scopes.join(" "))
        .bind(client.redirect_uris.join(" "))
        .bind(client.post_logout_redirect_uris.join(" "))
        .bind(grant_types.join(" "))
        .bind(i64::from(client.first_party))
        .bind(i64::from(client.introspection))
        .bind(client.created_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn client_by_id(&self, id: &ClientId) -> Result<Option<ClientRow>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM clients WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    async fn list_clients(&self) -> Result<Vec<ClientRow>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM clients ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(client_from_row).collect()
    }

    async fn remove_client(&self, id: &ClientId, now: UnixTime) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        revoke_families(
            &mut tx,
            Families::OfClient(id.as_str()),
            now.secs(),
            RevocationReason::ClientRemoved,
        )
        .await?;
        let deleted = sqlx::query("DELETE FROM clients WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() == 1)
    }
}

fn client_from_row(row: &AnyRow) -> Result<ClientRow, StoreError> {
    let secret_hash: Vec<u8> = row.try_get("secret_hash")?;
    let client_type: String = row.try_get("client_type")?;
    let grant_types = words(&row.try_get::<String, _>("grant_types")?)
        .iter()
        .map(|g| Grant::parse(g).ok_or_else(|| corrupt("clients.grant_types")))
        .collect::<Result<_, _>>()?;
    Ok(ClientRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        secret_hash: (!secret_hash.is_empty()).then_some(secret_hash),
        client_type: ClientType::parse(&client_type)
            .ok_or_else(|| corrupt("clients.client_type"))?,
        scopes: words(&row.try_get::<String, _>("scopes")?),
        redirect_uris: words(&row.try_get::<String, _>("redirect_uris")?),
        post_logout_redirect_uris: words(&row.try_get::<String, _>("post_logout_redirect_uris")?),
        grant_types,
        first_party: row.try_get::<i64, _>("first_party")? != 0,
        introspection: row.try_get::<i64, _>("introspection")? != 0,
        created_at: row.try_get("created_at")?,
    })
}
