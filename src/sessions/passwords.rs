//! argon2id with OWASP parameters, on hashing threads of their own (at a lower
//! priority than request handling) and never more hashes at once than leaves a core
//! for serving requests.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::Semaphore;

use super::hashing_threads::HashingThreads;
use super::SessionError;

/// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    threads: HashingThreads,
    /// Verified against when the user does not exist, so both answers take as long.
    dummy_hash: Arc<String>,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordHasher {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let at_once = cores.saturating_sub(1).max(1);
        Self {
            // Admission before the queue: a request dropped while it waits never hashes.
            permits: Arc::new(Semaphore::new(at_once)),
            threads: HashingThreads::start(at_once),
            dummy_hash: Arc::new(hash_now("tessera-dummy-password").expect("hashing works")),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String, SessionError> {
        let _permit = self.permits.acquire().await.map_err(internal)?;
        self.threads
            .run(move || hash_now(&password))
            .await
            .ok_or_else(|| SessionError::Internal(anyhow::anyhow!("password hashing panicked")))?
            .map_err(SessionError::Internal)
    }

    /// Checks `password` against `hash`, or against a dummy hash when there is no user.
    pub async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, SessionError> {
        let _permit = self.permits.acquire().await.map_err(internal)?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.as_str().to_owned());
        let matched = self
            .threads
            .run(move || {
                PasswordHash::new(&hash)
                    .map(|parsed| {
                        argon2()
                            .verify_password(password.as_bytes(), &parsed)
                            .is_ok()
                    })
                    .unwrap_or(false)
            })
            .await
            .ok_or_else(|| {
                SessionError::Internal(anyhow::anyhow!("password verification panicked"))
            })?;
        Ok(known && matched)
    }
}

fn internal(e: impl Into<anyhow::Error>) -> SessionError {
    SessionError::Internal(e.into())
}

fn hash_now(password: &str) -> Result<String, anyhow::Error> {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| anyhow::anyhow!("no randomness"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hasher = PasswordHasher::new();
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(hasher
            .verify("correct horse battery".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse battery".into(), Some(hash))
            .await
            .unwrap());
        assert!(
            !hasher
                .verify("tessera-dummy-password".into(), None)
                .await
                .unwrap(),
            "no user never matches"
        );
    }
}
