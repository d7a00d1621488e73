//! OpenID Connect ID tokens (Core 1.0 §2): minted with the current key beside the
//! access token of a code exchange, and read back as `id_token_hint` at logout.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{MintError, Rejection, TokenService};
use crate::domain::Algorithm;

/// The claims of an ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    pub sub: String,
    /// The client the token is for; a string, as one audience is written.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub at_hash: String,
    /// The authority session (the hosted login's sign-in) the token came from.
    pub sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

/// What an ID token is issued for.
pub struct IdTokenFor<'a> {
    pub sub: &'a str,
    pub client_id: &'a str,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub sid: &'a str,
    /// The access token issued with it, for `at_hash`.
    pub access_token: &'a str,
    /// With scope `email`.
    pub email: Option<&'a str>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    kid: String,
    #[serde(default)]
    typ: Option<String>,
}

/// Core §3.1.3.6: the left half of the hash of the access token, base64url. Both
/// algorithms tessera signs with (ES256, RS256) hash with SHA-256.
pub fn at_hash(access_token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

impl TokenService {
    /// Signs an ID token with the current key: header `typ: JWT`, life `access_ttl`.
    pub fn issue_id_token(&self, t: IdTokenFor<'_>) -> Result<String, MintError> {
        let ring = self.keys.ring();
        let key = ring.signing.as_ref().ok_or(MintError::NoSigningKey)?;
        let now = self.clock.unix();
        let claims = IdClaims {
            iss: self.expect.issuer.clone(),
            sub: t.sub.to_owned(),
            aud: t.client_id.to_owned(),
            exp: now + self.access_ttl,
            iat: now,
            auth_time: t.auth_time,
            nonce: t.nonce.map(str::to_owned),
            at_hash: at_hash(t.access_token),
            sid: t.sid.to_owned(),
            email: t.email.map(str::to_owned),
            // tessera never proves an address is its holder's.
            email_verified: t.email.map(|_| false),
        };
        let header = serde_json::to_vec(&Header {
            alg: key.alg.as_str().to_owned(),
            kid: key.kid.clone(),
            typ: Some("JWT".to_owned()),
        })
        .expect("header serializes");
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(
            serde_json::to_vec(&claims).expect("claims serialize"),
            &mut token,
        );
        let signature = key.signer.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    /// An `id_token_hint` (RP-initiated logout): signed by a key of ours that is not
    /// revoked, issued by us. Expiry is not checked: the hint names a session that may
    /// have outlived its token (RP-Initiated Logout 1.0 §2).
    pub fn id_token_hint(&self, token: &str) -> Result<IdClaims, Rejection> {
        if token.len() > super::MAX_TOKEN_BYTES {
            return Err(Rejection::TooLarge);
        }
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| Rejection::Malformed);
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed);
        };
        let header: Header =
            serde_json::from_slice(&decode(h)?).map_err(|_| Rejection::Malformed)?;
        let alg: Algorithm = header.alg.parse().map_err(|_| Rejection::Algorithm)?;
        if header.typ.as_deref() != Some("JWT") {
            return Err(Rejection::Type);
        }
        let ring = self.keys.ring();
        if ring.is_revoked(&header.kid) {
            return Err(Rejection::RevokedKey);
        }
        let (key_alg, verifier) = ring.verifier(&header.kid).ok_or(Rejection::UnknownKey)?;
        if key_alg != alg {
            return Err(Rejection::Algorithm);
        }
        if !verifier.verify(&token.as_bytes()[..h.len() + 1 + p.len()], &decode(s)?) {
            return Err(Rejection::Signature);
        }
        let claims: IdClaims =
            serde_json::from_slice(&decode(p)?).map_err(|_| Rejection::Malformed)?;
        if claims.iss != self.expect.issuer {
            return Err(Rejection::Issuer);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_sha256() {
        // OpenID Connect Core 1.0, appendix A.3's access token and at_hash.
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
