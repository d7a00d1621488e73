//! The key-encryption key and the AEAD sealing of private keys at rest.
//!
//! Sealed form: `nonce (12 bytes) || AES-256-GCM(ciphertext || tag)`, with the key's
//! `kid` as associated data so a sealed blob cannot be moved onto another key's row.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::secret::Secret;

/// 32 bytes that seal every private signing key; wiped when dropped (see [`Secret`]).
#[derive(Clone, Debug)]
pub struct Kek(Secret<[u8; 32]>);

impl ZeroizeOnDrop for Kek {}

/// The sealed blob did not open under this KEK (wrong KEK or tampered row).
#[derive(Debug, thiserror::Error)]
#[error("cannot unseal signing keys: wrong key-encryption key?")]
pub struct UnsealError;

impl Kek {
    /// Decodes the base64 text of a KEK file or of `keys.kek`.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| "is not base64".to_string())?,
        );
        let mut key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| format!("holds {} bytes; a KEK is 32 bytes of base64", bytes.len()))?;
        let kek = Self(Secret::new(key));
        // The array was copied into the Secret: wipe the stack copy too.
        key.zeroize();
        Ok(kek)
    }

    /// A fresh random KEK.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .expect("the OS random generator is available");
        let kek = Self(Secret::new(key));
        key.zeroize();
        kek
    }

    /// The KEK as the text of a KEK file.
    pub fn to_base64(&self) -> Secret<String> {
        // Sized up front: a String that grows leaves copies in the blocks it frees.
        let mut text = String::with_capacity(48);
        STANDARD.encode_string(self.0.expose(), &mut text);
        Secret::new(text)
    }

    /// Writes a new KEK file readable by its owner only; refuses to overwrite one.
    pub fn create_file(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let kek = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        writeln!(file, "{}", kek.to_base64().expose())?;
        file.sync_all()?;
        Ok(kek)
    }

    /// ring's AES key (the expanded key schedule) is ring's own and is not wiped when
    /// dropped; it lives only for one seal or unseal.
    fn key(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, self.0.expose()).expect("32-byte AES key"))
    }

    /// Seals `plaintext` for the key `kid`, with a fresh random nonce.
    pub fn seal(&self, kid: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the OS random generator is available");
        // Room for the tag up front: growing the Vec would free a block holding the
        // clear key before it is sealed in place.
        let mut buffer = Vec::with_capacity(plaintext.len() + AES_256_GCM.tag_len());
        buffer.extend_from_slice(plaintext);
        self.key()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut buffer,
            )
            .expect("AES-GCM sealing of a small buffer cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&buffer);
        sealed
    }

    /// Opens a blob sealed for `kid`.
    pub fn unseal(&self, kid: &str, sealed: &[u8]) -> Result<Secret<Vec<u8>>, UnsealError> {
        if sealed.len() < NONCE_LEN {
            return Err(UnsealError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| UnsealError)?;
        // Opened in place: the buffer holds the clear key, so it is wiped on every path.
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let len = self
            .key()
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut buffer)
            .map_err(|_| UnsealError)?
            .len();
        buffer.truncate(len);
        Ok(Secret::new(std::mem::take(&mut *buffer)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_the_same_kek_and_kid() {
        let kek = Kek::generate();
        let sealed = kek.seal("kid-1", b"private key bytes");
        assert!(
            !sealed.windows(7).any(|w| w == b"private"),
            "ciphertext hides the key"
        );
        assert_eq!(
            kek.unseal("kid-1", &sealed).unwrap().expose(),
            b"private key bytes"
        );
        assert!(kek.unseal("kid-2", &sealed).is_err(), "bound to its kid");
        assert!(
            Kek::generate().unseal("kid-1", &sealed).is_err(),
            "bound to its KEK"
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(
            kek.unseal("kid-1", &tampered).is_err(),
            "tampering is detected"
        );
        assert!(kek.unseal("kid-1", &sealed[..5]).is_err());
    }

    #[test]
    fn two_seals_of_the_same_key_differ() {
        let kek = Kek::generate();
        assert_ne!(
            kek.seal("k", b"same"),
            kek.seal("k", b"same"),
            "fresh nonce each time"
        );
    }

    #[test]
    fn base64_round_trip_and_debug_redaction() {
        let kek = Kek::generate();
        let again = Kek::from_base64(&format!("{}\n", kek.to_base64().expose())).unwrap();
        assert_eq!(again.to_base64(), kek.to_base64());
        assert!(!format!("{kek:?}").contains(kek.to_base64().expose().as_str()));
        assert!(Kek::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn the_kek_and_opened_keys_are_wiped_when_dropped() {
        fn zeroize_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        let kek = Kek::generate();
        zeroize_on_drop(&kek);
        let opened = kek.unseal("k", &kek.seal("k", b"pkcs8")).unwrap();
        zeroize_on_drop(&opened);
        assert_eq!(opened.expose(), b"pkcs8");
    }

    #[cfg(unix)]
    #[test]
    fn created_file_is_private_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/kek");
        let kek = Kek::create_file(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            Kek::from_base64(&text).unwrap().to_base64(),
            kek.to_base64()
        );
        assert!(Kek::create_file(&path).is_err());
    }
}
