//! OAuth clients. Secrets are 256 random bits, so a single SHA-256 is the right
//! hash: a slow password hash only helps against guessable secrets, and it would
//! make every client-authenticated request cost tens of milliseconds.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};

use super::SessionService;
use crate::error::ApiError;
use crate::storage::ClientRow;
use crate::tokens::random_id;

/// A secret shown once, at creation.
pub struct NewClientSecret {
    pub client_id: String,
    pub client_secret: String,
}

/// Credentials as presented (HTTP Basic or form fields).
pub struct ClientCredentials {
    pub id: String,
    pub secret: String,
}

/// A client that proved its secret.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub id: String,
    pub scopes: Vec<String>,
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

pub fn valid_scope_token(s: &str) -> bool {
    // RFC 6749 §3.3: %x21 / %x23-5B / %x5D-7E
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

impl SessionService {
    pub async fn create_client(
        &self,
        name: &str,
        scopes: Vec<String>,
    ) -> Result<NewClientSecret, ApiError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::bad_request("name must be 1 to 200 characters"));
        }
        if let Some(bad) = scopes.iter().find(|s| !valid_scope_token(s)) {
            return Err(ApiError::bad_request(format!(
                "scope `{bad}` is not a valid scope token"
            )));
        }
        let mut secret = [0u8; 32];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| ApiError::internal(anyhow::anyhow!("no randomness")))?;
        let client_secret = URL_SAFE_NO_PAD.encode(secret);
        let client_id = random_id();
        self.store
            .insert_client(&ClientRow {
                id: client_id.clone(),
                name: name.to_owned(),
                secret_hash: secret_hash(&client_secret),
                scopes,
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
    ) -> Result<AuthenticatedClient, ApiError> {
        let invalid = || {
            ApiError::new(
                actix_web::http::StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        };
        if creds.id.len() > 256 || creds.secret.len() > 256 {
            return Err(invalid());
        }
        let client = self.store.client_by_id(&creds.id).await?;
        let presented = secret_hash(&creds.secret);
        match client {
            Some(c) if constant_time_eq(&presented, &c.secret_hash) => Ok(AuthenticatedClient {
                id: c.id,
                scopes: c.scopes,
            }),
            _ => Err(invalid()),
        }
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
    fn scope_tokens_follow_rfc6749() {
        assert!(valid_scope_token("read:users"));
        for bad in ["", "a b", "quote\"", "back\\slash", "é"] {
            assert!(!valid_scope_token(bad), "{bad:?}");
        }
    }
}
