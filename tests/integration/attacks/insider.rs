//! The server's own current private key, unsealed by the test from the database row
//! with ring's AES-256-GCM and the test KEK (independently of tessera's `Kek`).
//!
//! A signature check comes before every claim and most header checks, so an outsider
//! cannot reach them. Signing with the real key shows that those later checks refuse
//! on their own: a wrong `iss` or an extra `jku` is refused even when correctly signed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use josekit::jws::{JwsSigner, RS256};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use tessera::domain::KeyState;

use super::forge;
use crate::common::{TestApp, TEST_KEK};

pub struct ServerKey {
    pub kid: String,
    pub alg: &'static str,
    pkcs8: Vec<u8>,
}

impl ServerKey {
    /// The key that signs right now.
    pub async fn current(app: &TestApp) -> Self {
        let keys = app.store.signing_keys().await.unwrap();
        let key = keys
            .into_iter()
            .find(|k| k.state == KeyState::Current)
            .expect("a current key");
        let sealed = key
            .sealed_private
            .expect("the current key has a private part");
        let kek = STANDARD.decode(TEST_KEK).unwrap();
        let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &kek).unwrap());
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let mut buffer = ciphertext.to_vec();
        let plain = aead
            .open_in_place(
                Nonce::try_assume_unique_for_key(nonce).unwrap(),
                Aad::from(key.kid.as_bytes()),
                &mut buffer,
            )
            .expect("the test KEK opens the sealed key");
        let alg = match key.alg.as_str() {
            "ES256" => "ES256",
            "RS256" => "RS256",
            other => panic!("unexpected algorithm {other}"),
        };
        Self {
            kid: key.kid,
            alg,
            pkcs8: plain.to_vec(),
        }
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self.alg {
            "ES256" => {
                let rng = ring::rand::SystemRandom::new();
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &self.pkcs8, &rng)
                    .unwrap()
                    .sign(&rng, message)
                    .unwrap()
                    .as_ref()
                    .to_vec()
            }
            _ => RS256
                .signer_from_der(&self.pkcs8)
                .unwrap()
                .sign(message)
                .unwrap(),
        }
    }

    /// The header tessera itself writes, as JSON to alter.
    pub fn header(&self) -> Value {
        json!({"alg": self.alg, "kid": self.kid, "typ": "at+jwt"})
    }

    /// A correctly signed token with this exact header text and payload.
    pub fn token_raw(&self, header_text: &str, payload: &Value) -> String {
        forge::signed_raw(header_text, payload, |m| self.sign(m))
    }

    pub fn token(&self, header: &Value, payload: &Value) -> String {
        self.token_raw(&header.to_string(), payload)
    }
}
