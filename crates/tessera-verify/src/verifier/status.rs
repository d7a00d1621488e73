//! Validating a fetched Status List Token (draft-ietf-oauth-status-list §5.1, §8.3):
//! `typ`, an allowed `alg` and a key of the JWKS, `sub` equal to the URI it was
//! fetched from, `iat`, `exp` not passed, a positive `ttl`, then the list itself.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{secs, unix_now, Verifier};
use crate::cache::Parsed;
use crate::jws::{Jws, TokenType};
use crate::status_list::{EncodedStatusList, StatusList};

#[derive(Deserialize)]
struct ListClaims {
    sub: String,
    iat: i64,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    ttl: Option<f64>,
    status_list: EncodedStatusList,
}

impl Verifier {
    pub(super) async fn parse_status_list(
        &self,
        body: Vec<u8>,
        uri: &str,
    ) -> Result<Parsed<StatusList>, String> {
        let c = &self.inner.config;
        let text = std::str::from_utf8(&body)
            .map_err(|_| "the body is not text")?
            .trim();
        let jws = Jws::parse(text, &c.algorithms).map_err(|e| format!("status list token: {e}"))?;
        if jws.typ != TokenType::StatusList {
            return Err("the typ header is not statuslist+jwt".into());
        }
        let keys = self.keys_with(&jws.kid).await.map_err(|e| e.to_string())?;
        let key = keys.get(&jws.kid).ok_or("signing key is unknown")?;
        if key.alg() != jws.alg {
            return Err("alg does not match the key".into());
        }
        if !key.verify(jws.signed, jws.signature()) {
            return Err("signature is invalid".into());
        }
        let payload = jws.payload().map_err(|e| e.to_string())?;
        let claims: ListClaims =
            serde_json::from_slice(&payload).map_err(|e| format!("claims: {e}"))?;
        if claims.sub != uri {
            return Err(format!(
                "sub is {}, not the URI it was fetched from",
                claims.sub
            ));
        }
        let now = unix_now();
        if claims.iat > now.saturating_add(secs(c.leeway)) {
            return Err("iat is in the future".into());
        }
        let expires = match claims.exp {
            Some(exp) => {
                let left = exp.saturating_add(secs(c.exp_leeway)) - now;
                if left <= 0 {
                    return Err("the status list token has expired".into());
                }
                Some(Instant::now() + Duration::from_secs(left.unsigned_abs()))
            }
            None => None,
        };
        let ttl = match claims.ttl {
            Some(t) if t.is_finite() && t > 0.0 => Some(Duration::from_secs_f64(t.min(1e9))),
            Some(_) => return Err("ttl is not a positive number".into()),
            None => None,
        };
        let list = StatusList::decode(&claims.status_list, c.max_status_list_bytes)
            .map_err(|e| e.to_string())?;
        Ok(Parsed {
            value: list,
            ttl,
            expires,
        })
    }
}
