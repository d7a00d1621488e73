//! Compact JWS, split and decoded without a JOSE library: the header into a stack
//! buffer, the signature into another, the payload left for the caller.
//!
//! `jku`, `x5u`, `x5c` and `jwk` headers are never read: the key comes from the
//! configured JWKS by `kid` alone. A `crit` header is refused (RFC 7515 §4.1.11: this
//! verifier understands no extension).

use std::borrow::Cow;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use crate::VerifyError;

/// Longer tokens are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
const MAX_HEADER_BYTES: usize = 512;
/// An RSA 4096 signature.
const MAX_SIGNATURE_BYTES: usize = 512;

/// The algorithms a tessera key signs with; `none` and HMAC never parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Es256,
    Rs256,
}

impl FromStr for Algorithm {
    type Err = ();

    /// Exact, case-sensitive names (RFC 7518 §3.1).
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "ES256" => Ok(Self::Es256),
            "RS256" => Ok(Self::Rs256),
            _ => Err(()),
        }
    }
}

#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    typ: Option<Cow<'a, str>>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// A compact JWS whose header has been read; the signature is not checked yet.
pub struct Jws<'t> {
    pub alg: Algorithm,
    pub kid: String,
    pub typ: TokenType,
    /// `header.payload`, what the signature covers.
    pub signed: &'t [u8],
    pub payload_b64: &'t str,
    signature: [u8; MAX_SIGNATURE_BYTES],
    signature_len: usize,
}

/// The `typ` header as far as this crate cares: compared without case and without
/// its optional `application/` prefix (RFC 7515 §4.1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// `at+jwt` (RFC 9068).
    AccessToken,
    /// `statuslist+jwt` (draft-ietf-oauth-status-list §5.1).
    StatusList,
    Other,
}

impl TokenType {
    fn of(typ: &str) -> Self {
        let bare = match typ.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
            _ => typ,
        };
        if bare.eq_ignore_ascii_case("at+jwt") {
            Self::AccessToken
        } else if bare.eq_ignore_ascii_case("statuslist+jwt") {
            Self::StatusList
        } else {
            Self::Other
        }
    }
}

impl<'t> Jws<'t> {
    /// Splits and reads the header. `allowed` is the algorithm allow-list.
    pub fn parse(token: &'t str, allowed: &[Algorithm]) -> Result<Self, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed);
        };
        let mut header_buf = [0u8; MAX_HEADER_BYTES];
        let header_len = decode_into(header_b64, &mut header_buf)?;
        let header: RawHeader<'_> = serde_json::from_slice(&header_buf[..header_len])
            .map_err(|_| VerifyError::Malformed)?;
        if header.crit.is_some() {
            return Err(VerifyError::Critical);
        }
        let alg: Algorithm = header.alg.parse().map_err(|_| VerifyError::Algorithm)?;
        if !allowed.contains(&alg) {
            return Err(VerifyError::Algorithm);
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?.into_owned();
        let typ = header
            .typ
            .as_deref()
            .map_or(TokenType::Other, TokenType::of);
        let mut signature = [0u8; MAX_SIGNATURE_BYTES];
        let signature_len = decode_into(signature_b64, &mut signature)?;
        Ok(Self {
            alg,
            kid,
            typ,
            signed: &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()],
            payload_b64,
            signature,
            signature_len,
        })
    }

    pub fn signature(&self) -> &[u8] {
        &self.signature[..self.signature_len]
    }

    pub fn payload(&self) -> Result<Vec<u8>, VerifyError> {
        URL_SAFE_NO_PAD
            .decode(self.payload_b64)
            .map_err(|_| VerifyError::Malformed)
    }
}

fn decode_into(segment: &str, buf: &mut [u8]) -> Result<usize, VerifyError> {
    // base64 wants room for whole 3-byte groups; a segment too long for the buffer is
    // malformed rather than truncated.
    if segment.len() / 4 * 3 + 3 > buf.len() {
        return Err(VerifyError::Malformed);
    }
    URL_SAFE_NO_PAD
        .decode_slice(segment, buf)
        .map_err(|_| VerifyError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str) -> String {
        format!("{}.{}.{}", b64(header), b64("{}"), b64("sig"))
    }

    const ALL: [Algorithm; 2] = [Algorithm::Es256, Algorithm::Rs256];

    #[test]
    fn reads_alg_kid_typ_and_ignores_key_carrying_headers() {
        let t = token(
            r#"{"alg":"ES256","kid":"k1","typ":"Application/AT+JWT","jku":"https://evil","x5u":"https://evil","jwk":{"kty":"EC"},"x5c":["AA"]}"#,
        );
        let jws = Jws::parse(&t, &ALL).unwrap();
        assert_eq!((jws.alg, jws.kid.as_str()), (Algorithm::Es256, "k1"));
        assert_eq!(jws.typ, TokenType::AccessToken);
        let list = token(r#"{"alg":"RS256","kid":"k","typ":"statuslist+jwt"}"#);
        assert_eq!(Jws::parse(&list, &ALL).unwrap().typ, TokenType::StatusList);
        let jwt = token(r#"{"alg":"RS256","kid":"k","typ":"JWT"}"#);
        assert_eq!(Jws::parse(&jwt, &ALL).unwrap().typ, TokenType::Other);
        assert_eq!(jws.signature(), b"sig");
    }

    #[test]
    fn refuses_none_hmac_lowercase_unlisted_and_crit() {
        for alg in ["none", "HS256", "es256", "ES384", "PS256"] {
            let t = token(&format!(r#"{{"alg":"{alg}","kid":"k","typ":"at+jwt"}}"#));
            assert_eq!(
                Jws::parse(&t, &ALL).err(),
                Some(VerifyError::Algorithm),
                "{alg}"
            );
        }
        let rs = token(r#"{"alg":"RS256","kid":"k","typ":"at+jwt"}"#);
        assert_eq!(
            Jws::parse(&rs, &[Algorithm::Es256]).err(),
            Some(VerifyError::Algorithm)
        );
        let crit = token(r#"{"alg":"ES256","kid":"k","typ":"at+jwt","crit":["b64"]}"#);
        assert_eq!(Jws::parse(&crit, &ALL).err(), Some(VerifyError::Critical));
    }

    #[test]
    fn refuses_malformed_shapes() {
        for t in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.e30.c2ln",
            &"A".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert!(Jws::parse(t, &ALL).is_err(), "{t:.20}");
        }
        let long_header = token(&format!(r#"{{"alg":"ES256","kid":"{}"}}"#, "k".repeat(600)));
        assert_eq!(
            Jws::parse(&long_header, &ALL).err(),
            Some(VerifyError::Malformed)
        );
        let no_kid = token(r#"{"alg":"ES256","typ":"at+jwt"}"#);
        assert_eq!(
            Jws::parse(&no_kid, &ALL).err(),
            Some(VerifyError::UnknownKey)
        );
    }
}
