//! The key service: bootstraps, rotates, revokes and retires keys in the database and
//! keeps this replica's in-memory [`KeyRing`] in step with it.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::keyring::KeyRingError;
use super::lifecycle::{self, Policy, Refusal};
use super::{generate, KeyMaterialError, KeyRing};
use crate::clock::Clock;
use crate::domain::{Algorithm, Kek, KeyState, Kid, RotationTrigger, UnsealError};
use crate::metrics::Metrics;
use crate::storage::{KeyChange, NewKey, SharedStore, StoreError, StoredKey};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unseal(#[from] UnsealError),
    #[error(transparent)]
    Material(#[from] KeyMaterialError),
    #[error("the next key has been published for too short a time; retry in {retry_after}s")]
    TooEarly { retry_after: i64 },
    #[error("no signing key has that kid")]
    UnknownKey,
    #[error("the key set changed concurrently; retry")]
    Conflict,
}

impl From<KeyRingError> for KeyError {
    fn from(e: KeyRingError) -> Self {
        match e {
            KeyRingError::Unseal(e) => Self::Unseal(e),
            KeyRingError::Material(e) => Self::Material(e),
        }
    }
}

impl From<Refusal> for KeyError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::TooEarly { retry_after } => Self::TooEarly { retry_after },
            Refusal::UnknownKey => Self::UnknownKey,
        }
    }
}

pub struct KeyService {
    pub(super) store: SharedStore,
    pub(super) kek: Kek,
    policy: Policy,
    algorithm: Algorithm,
    rsa_bits: u32,
    pub(super) clock: Arc<dyn Clock>,
    metrics: Metrics,
    ring: ArcSwap<KeyRing>,
}

pub struct KeyServiceConfig {
    pub kek: Kek,
    pub policy: Policy,
    pub algorithm: Algorithm,
    pub rsa_bits: u32,
}

impl KeyService {
    /// Loads the key set, creating the first keys when the database has none.
    pub async fn start(
        store: SharedStore,
        config: KeyServiceConfig,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
    ) -> Result<Arc<Self>, KeyError> {
        let version = store.keyset_version().await?;
        let keys = store.signing_keys().await?;
        let ring = KeyRing::build(version, &keys, &config.kek)?;
        let service = Arc::new(Self {
            store,
            kek: config.kek,
            policy: config.policy,
            algorithm: config.algorithm,
            rsa_bits: config.rsa_bits,
            clock,
            metrics,
            ring: ArcSwap::from_pointee(ring),
        });
        if !keys.iter().any(|k| k.state == KeyState::Current) {
            service.create_initial_keys().await?;
        }
        service.reload().await?;
        Ok(service)
    }

    /// The lifecycle timetable this replica applies.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The key ring as it is now: lock-free, for every request.
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring.load_full()
    }

    /// Every key with its state and timestamps, newest first.
    pub async fn list(&self) -> Result<Vec<StoredKey>, KeyError> {
        let mut keys = self.store.signing_keys().await?;
        keys.reverse();
        Ok(keys)
    }

    async fn create_initial_keys(&self) -> Result<(), KeyError> {
        let current = self.new_key(self.algorithm).await?;
        let next = self.new_key(self.algorithm).await?;
        // Another replica starting at the same moment may win; its keys are as good.
        self.store
            .change_keys(&lifecycle::plan_initial(current, next))
            .await?;
        Ok(())
    }

    /// Generates and seals a key on the blocking pool (RSA takes up to seconds).
    async fn new_key(&self, alg: Algorithm) -> Result<NewKey, KeyError> {
        let bits = self.rsa_bits;
        let generated = tokio::task::spawn_blocking(move || generate(alg, bits))
            .await
            .map_err(|e| KeyMaterialError::from_join(&e))??;
        let kid = generated.jwk.kid.clone();
        Ok(NewKey {
            sealed_private: self.kek.seal(&kid, generated.private_pkcs8.expose()),
            kid,
            alg,
            state: KeyState::Next,
            public_jwk: generated.jwk,
            created_at: self.clock.unix(),
        })
    }

    /// Re-reads the key set when the database's version moved. Cheap when nothing did.
    pub async fn reload(&self) -> Result<bool, KeyError> {
        let version = self.store.keyset_version().await?;
        if version == self.ring.load().version {
            return Ok(false);
        }
        let keys = self.store.signing_keys().await?;
        let ring = KeyRing::build(version, &keys, &self.kek)?;
        self.ring.store(Arc::new(ring));
        Ok(true)
    }

    /// Rotates now, if the `next` key has been published long enough.
    pub async fn rotate(
        &self,
        trigger: RotationTrigger,
        algorithm: Option<Algorithm>,
    ) -> Result<(), KeyError> {
        let keys = self.store.signing_keys().await?;
        // Refuse before paying for a key generation.
        if let Some(next) = keys.iter().find(|k| k.state == KeyState::Next) {
            let ready = self.policy.signable_at(next);
            let now = self.clock.unix();
            if ready > now {
                return Err(KeyError::TooEarly {
                    retry_after: ready - now,
                });
            }
        }
        let new_next = self.new_key(algorithm.unwrap_or(self.algorithm)).await?;
        let change = lifecycle::plan_rotation(&self.policy, &keys, self.clock.unix(), new_next)?;
        self.apply(change, trigger).await
    }

    /// Revokes a key at once. A revoked `current` key is replaced by `next`.
    pub async fn revoke(&self, kid: &str) -> Result<(), KeyError> {
        let keys = self.store.signing_keys().await?;
        let (mut change, needs) = lifecycle::plan_revocation(&keys, kid, self.clock.unix())?;
        if let Some(state) = needs {
            let key = self.new_key(self.algorithm).await?;
            change.inserts.push(NewKey { state, ..key });
        }
        if change.transitions.is_empty() {
            return Ok(());
        }
        self.apply(change, RotationTrigger::Revocation).await
    }

    async fn apply(&self, change: KeyChange, trigger: RotationTrigger) -> Result<(), KeyError> {
        let promoted = change.transitions.iter().any(|t| t.to == KeyState::Current);
        let applied = self.store.change_keys(&change).await?;
        self.reload().await?;
        if !applied {
            return Err(KeyError::Conflict);
        }
        if promoted {
            self.metrics
                .key_rotations
                .with_label_values(&[trigger.as_str()])
                .inc();
        }
        tracing::info!(trigger = trigger.as_str(), "signing keys changed");
        Ok(())
    }

    /// One maintenance pass: retire expired `previous` keys, rotate when due, then
    /// reload so this replica also picks up changes made elsewhere.
    /// Every replica runs it; the database's conditional updates let exactly one win.
    pub async fn maintain(&self) -> Result<(), KeyError> {
        let keys = self.store.signing_keys().await?;
        let now = self.clock.unix();
        let retirements = lifecycle::plan_retirements(&self.policy, &keys, now);
        for transition in retirements.transitions {
            let single = KeyChange {
                transitions: vec![transition],
                inserts: vec![],
            };
            self.store.change_keys(&single).await?;
        }
        if self.policy.rotation_due(&keys, now) {
            match self.rotate(RotationTrigger::Schedule, None).await {
                Ok(()) | Err(KeyError::TooEarly { .. }) | Err(KeyError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        self.reload().await?;
        Ok(())
    }

    /// Runs [`Self::maintain`] forever at `every`, logging (not dying on) failures.
    pub fn spawn_maintenance(
        self: Arc<Self>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.maintain().await {
                    tracing::warn!(error = %e, "key maintenance failed; will retry");
                }
            }
        })
    }

    /// Re-seals every stored private key and the refresh-token MAC key under `new`,
    /// all in one transaction; returns how many private keys. Run with the old KEK loaded.
    pub async fn rewrap(&self, new: &Kek) -> Result<usize, KeyError> {
        let keys = self.store.signing_keys().await?;
        let mut resealed = Vec::new();
        for key in &keys {
            if let Some(sealed) = &key.sealed_private {
                let plain = self.kek.unseal(&key.kid, sealed)?;
                resealed.push((
                    Kid::new(key.kid.clone()),
                    new.seal(&key.kid, plain.expose()),
                ));
            }
        }
        let mac_key = match self.store.mac_key().await? {
            Some(stored) => Some(super::mac_key::reseal(&self.kek, new, &stored.sealed)?),
            None => None,
        };
        self.store
            .reseal_keys(&resealed, mac_key.as_deref())
            .await?;
        Ok(resealed.len())
    }
}
