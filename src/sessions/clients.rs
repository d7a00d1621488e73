//! OAuth clients. Secrets are 256 random bits, so a single SHA-256 is the right
//! hash: a slow password hash only helps against guessable secrets, and it would
//! make every client-authenticated request cost tens of milliseconds.

use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use super::client_registration::{check_registration, ClientRegistration};
use super::SessionError;
use super::SessionService;
use crate::domain::{ClientId, ClientType, Grant, RevocationReason};
use crate::secret::constant_time_eq;
use crate::storage::ClientRow;
use crate::tokens::random_id;

/// A client as created: the secret is shown once, here, and only a confidential
/// client has one.
pub struct NewClient {
    pub client: Arc<ClientRow>,
    pub client_secret: Option<String>,
}

/// Credentials as presented (HTTP Basic or form fields). A client id without a
/// secret is still an attempt to authenticate, and fails for a confidential client.
pub struct ClientCredentials {
    pub id: String,
    pub secret: Option<String>,
}

/// A client that proved its secret, or a public client that named itself.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub id: String,
    pub client_type: ClientType,
    pub scopes: Vec<String>,
    pub grant_types: Vec<Grant>,
    pub introspection: bool,
}

impl AuthenticatedClient {
    /// Whether an admin registered this client for `grant`.
    pub fn may_use(&self, grant: Grant) -> bool {
        self.grant_types.contains(&grant)
    }
}

fn secret_hash(secret: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, secret.as_bytes())
        .as_ref()
        .to_vec()
}

impl SessionService {
    pub async fn create_client(
        &self,
        registration: ClientRegistration,
    ) -> Result<NewClient, SessionError> {
        let checked = check_registration(registration).map_err(SessionError::Invalid)?;
        let client_secret = match checked.client_type {
            ClientType::Confidential => {
                let mut secret = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut secret)
                    .map_err(|_| SessionError::Internal(anyhow::anyhow!("no randomness")))?;
                Some(URL_SAFE_NO_PAD.encode(secret))
            }
            ClientType::Public => None,
        };
        let row = ClientRow {
            id: random_id(),
            name: checked.name,
            secret_hash: client_secret.as_deref().map(secret_hash),
            client_type: checked.client_type,
            scopes: checked.scopes,
            redirect_uris: checked.redirect_uris,
            post_logout_redirect_uris: checked.post_logout_redirect_uris,
            grant_types: checked.grant_types,
            first_party: checked.first_party,
            introspection: checked.introspection,
            created_at: self.clock.unix(),
        };
        self.store.insert_client(&row).await?;
        Ok(NewClient {
            client: Arc::new(row),
            client_secret,
        })
    }

    /// A registered client, or `None` for an id no client has.
    pub async fn client_by_id(&self, id: &str) -> Result<Option<Arc<ClientRow>>, SessionError> {
        match ClientId::parse(id) {
            Some(id) => self.client(&id).await,
            None => Ok(None),
        }
    }

    pub async fn list_clients(&self) -> Result<Vec<ClientRow>, SessionError> {
        Ok(self.store.list_clients().await?)
    }

    /// Removes the client and revokes its refresh families; `Ok(false)` if there was
    /// none. This replica forgets it at once; others within the client cache's TTL.
    pub async fn remove_client(&self, id: &str) -> Result<bool, SessionError> {
        let Some(id) = ClientId::parse(id) else {
            return Ok(false);
        };
        let removed = self
            .store
            .remove_client(&id, self.clock.unix_time())
            .await?;
        self.clients.evict(&id);
        Ok(self.counted(removed, RevocationReason::ClientRemoved).await)
    }

    /// Checks a client's secret; every failure is the same `invalid_client`. A public
    /// client has no secret to check: it is who it says it is, and sending a secret
    /// for it is a mistake that fails like a wrong one.
    pub async fn authenticate_client(
        &self,
        creds: &ClientCredentials,
    ) -> Result<AuthenticatedClient, SessionError> {
        // An id no client can have never reaches the database.
        let Some(id) = ClientId::parse(&creds.id)
            .filter(|_| creds.secret.as_deref().is_none_or(|s| s.len() <= 256))
        else {
            return Err(SessionError::InvalidClient);
        };
        let Some(client) = self.client(&id).await? else {
            return Err(SessionError::InvalidClient);
        };
        let proven = match (&client.secret_hash, creds.secret.as_deref()) {
            (Some(stored), Some(secret)) => constant_time_eq(&secret_hash(secret), stored),
            (None, None) => client.client_type == ClientType::Public,
            _ => false,
        };
        if !proven {
            return Err(SessionError::InvalidClient);
        }
        Ok(AuthenticatedClient {
            id: client.id.clone(),
            client_type: client.client_type,
            scopes: client.scopes.clone(),
            grant_types: client.grant_types.clone(),
            introspection: client.introspection,
        })
    }
}

impl SessionService {
    /// The client's record, from memory while it is fresh (`client_cache`).
    async fn client(&self, id: &ClientId) -> Result<Option<Arc<ClientRow>>, SessionError> {
        let now = Instant::now();
        if let Some(row) = self.clients.get(id, now) {
            return Ok(Some(row));
        }
        let Some(row) = self.store.client_by_id(id).await? else {
            return Ok(None);
        };
        let row = Arc::new(row);
        self.clients.insert(row.clone(), now);
        Ok(Some(row))
    }
}
