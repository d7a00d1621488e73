//! The refresh-token MAC key: 256 random bits, created once by whichever replica starts
//! first, sealed under the KEK like the private signing keys, and the same on every
//! replica so that each recognises the others' tokens.

use ring::rand::{SecureRandom, SystemRandom};

use super::{KeyError, KeyService};
use crate::domain::{Kek, UnixTime, UnsealError};
use crate::secret::Secret;

/// The sealing's associated data: a sealed MAC key cannot pass for a signing key.
const AAD: &str = "refresh-token-mac";

/// The MAC key in clear, and until when tokens without a MAC are still accepted.
pub struct MacKey {
    pub key: Secret<Vec<u8>>,
    pub legacy_until: UnixTime,
}

impl KeyService {
    /// Loads the MAC key, creating it first if no replica has.
    pub async fn refresh_mac_key(&self) -> Result<MacKey, KeyError> {
        if self.store.mac_key().await?.is_none() {
            let mut fresh = zeroize::Zeroizing::new([0u8; 32]);
            SystemRandom::new()
                .fill(fresh.as_mut())
                .expect("the OS random generator is available");
            let sealed = self.kek.seal(AAD, fresh.as_ref());
            self.store
                .create_mac_key(&sealed, self.clock.unix_time())
                .await?;
        }
        // Read back: when replicas start together, the one stored is the one used.
        let stored = self.store.mac_key().await?.ok_or_else(|| {
            KeyError::Store(crate::storage::StoreError::Corrupt(
                "refresh_token_mac".into(),
            ))
        })?;
        Ok(MacKey {
            key: unseal_mac_key(&self.kek, &stored.sealed)?,
            legacy_until: UnixTime::from_secs(stored.legacy_until),
        })
    }
}

/// The MAC key in clear from its stored, sealed form.
pub fn unseal_mac_key(kek: &Kek, sealed: &[u8]) -> Result<Secret<Vec<u8>>, UnsealError> {
    kek.unseal(AAD, sealed)
}

/// `sealed` (under `old`) sealed again under `new`.
pub(super) fn reseal(old: &Kek, new: &Kek, sealed: &[u8]) -> Result<Vec<u8>, UnsealError> {
    let clear = unseal_mac_key(old, sealed)?;
    Ok(new.seal(AAD, clear.expose()))
}
