//! OAuth clients. Secrets are 256 random bits, so a single SHA-256 is the right
//! hash: a slow password hash only helps against guessable secrets, and it would
//! make every client-authenticated request cost tens of milliseconds.

use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use super::SessionError;
use super::SessionService;
use crate::domain::scope::MAX_SCOPE_BYTES;
use crate::domain::{valid_scope_token, ClientId};
use crate::storage::ClientRow;
use crate::tokens::random_id;

/// A secret shown once, at creation.
pub struct NewClientSecret {
    pub client_id: String,
    pub client_secret: String,
}

/// What an admin registers.
pub struct ClientRegistration {
    pub name: String,
    pub scopes: Vec<String>,
    /// May introspect tokens (a resource server).
    pub introspection: bool,
}

/// Credentials as presented (HTTP Basic or form fields). A client id without a
/// secret is still an attempt to authenticate, and fails for a confidential client.
pub struct ClientCredentials {
    pub id: String,
    pub secret: Option<String>,
}

/// A client that proved its secret.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub id: String,
    pub scopes: Vec<String>,
    pub introspection: bool,
}

fn secret_hash(secret: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, secret.as_bytes())
        .as_ref()
        .to_vec()
}

/// Equal-length byte strings compared without an early exit.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A client name an admin can read back: 1 to 200 characters, no control characters.
fn valid_client_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 200 && !name.chars().any(char::is_control)
}

impl SessionService {
    pub async fn create_client(
        &self,
        registration: ClientRegistration,
    ) -> Result<NewClientSecret, SessionError> {
        let name = registration.name.trim();
        if !valid_client_name(name) {
            return Err(SessionError::Invalid(
                "name must be 1 to 200 characters, none of them control characters".into(),
            ));
        }
        if let Some(bad) = registration.scopes.iter().find(|s| !valid_scope_token(s)) {
            let shown: String = bad.chars().take(64).collect();
            return Err(SessionError::Invalid(format!(
                "scope `{}` is not a valid scope token",
                shown.escape_debug()
            )));
        }
        // Every token the client gets without naming a scope carries them all.
        if registration.scopes.join(" ").len() > MAX_SCOPE_BYTES {
            return Err(SessionError::Invalid(format!(
                "scopes must add up to at most {MAX_SCOPE_BYTES} bytes"
            )));
        }
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| SessionError::Internal(anyhow::anyhow!("no randomness")))?;
        let client_secret = URL_SAFE_NO_PAD.encode(secret);
        let client_id = random_id();
        self.store
            .insert_client(&ClientRow {
                id: client_id.clone(),
                name: name.to_owned(),
                secret_hash: secret_hash(&client_secret),
                scopes: registration.scopes,
                introspection: registration.introspection,
                created_at: self.clock.unix(),
            })
            .await?;
        Ok(NewClientSecret {
            client_id,
            client_secret,
        })
    }

    /// Checks a client's secret; every failure is the same `invalid_client`.
    pub async fn authenticate_client(
        &self,
        creds: &ClientCredentials,
    ) -> Result<AuthenticatedClient, SessionError> {
        // Every client registered so far is confidential: an id alone proves nothing.
        let Some(secret) = creds.secret.as_deref() else {
            return Err(SessionError::InvalidClient);
        };
        // An id no client can have never reaches the database.
        let Some(id) = ClientId::parse(&creds.id).filter(|_| secret.len() <= 256) else {
            return Err(SessionError::InvalidClient);
        };
        let client = self.client(&id).await?;
        let presented = secret_hash(secret);
        match client {
            Some(c) if constant_time_eq(&presented, &c.secret_hash) => Ok(AuthenticatedClient {
                id: c.id.clone(),
                scopes: c.scopes.clone(),
                introspection: c.introspection,
            }),
            _ => Err(SessionError::InvalidClient),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_matches_only_equal_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn client_names_have_no_control_characters() {
        assert!(valid_client_name("Billing API (prod)"));
        assert!(valid_client_name("Café"));
        for bad in ["", "nul\0byte", "line\nbreak", &"x".repeat(201)] {
            assert!(!valid_client_name(bad), "{bad:?}");
        }
    }
}
