//! Which client a token-endpoint request says it is (RFC 6749 §2.3): HTTP Basic or
//! the form's `client_id`/`client_secret`, one method per request. Parsing only;
//! whether the credentials are good is the sessions service's to decide.

use actix_web::http::header::{HeaderMap, AUTHORIZATION};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::error::{ApiError, ErrorCode};
use crate::sessions::ClientCredentials;

/// Client authentication that cannot be read, or more than one method at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresentedError {
    /// Undecodable Basic credentials or a scheme this server cannot check: 401.
    Malformed,
    /// Basic and form credentials together (§2.3.1 "MUST NOT use more than one
    /// authentication method"), or a secret without an id: 400.
    Conflicting,
}

impl From<PresentedError> for ApiError {
    fn from(e: PresentedError) -> Self {
        match e {
            PresentedError::Malformed => ApiError::new(
                ErrorCode::InvalidClient,
                "malformed client authentication",
            ),
            PresentedError::Conflicting => ApiError::new(
                ErrorCode::InvalidRequest,
                "use one client authentication method: HTTP Basic or client_id with client_secret in the form",
            ),
        }
    }
}

/// The client credentials of a request, if it presents any. A `Bearer` authorization
/// is not client authentication (introspection checks it on its own).
pub fn presented_client(
    headers: &HeaderMap,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Result<Option<ClientCredentials>, PresentedError> {
    let basic = match headers.get(AUTHORIZATION) {
        None => None,
        Some(value) => {
            let value = value.to_str().map_err(|_| PresentedError::Malformed)?;
            match value.split_once(' ') {
                Some((scheme, encoded)) if scheme.eq_ignore_ascii_case("basic") => {
                    Some(basic_credentials(encoded.trim())?)
                }
                Some((scheme, _)) if scheme.eq_ignore_ascii_case("bearer") => None,
                // A credential this server cannot check is refused, never ignored in
                // favour of others in the form.
                _ => return Err(PresentedError::Malformed),
            }
        }
    };
    match (basic, form_id, form_secret) {
        (Some(creds), None, None) => Ok(Some(creds)),
        // Some libraries repeat the Basic client_id in the form: that names the same
        // client and is not a second method. A secret there, or another id, is.
        (Some(creds), Some(id), None) if id == creds.id => Ok(Some(creds)),
        (Some(_), _, _) => Err(PresentedError::Conflicting),
        (None, Some(id), secret) => Ok(Some(ClientCredentials {
            id: id.to_owned(),
            secret: secret.map(str::to_owned),
        })),
        (None, None, Some(_)) => Err(PresentedError::Conflicting),
        (None, None, None) => Ok(None),
    }
}

/// `base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1, RFC 7617).
fn basic_credentials(encoded: &str) -> Result<ClientCredentials, PresentedError> {
    let decoded = STANDARD
        .decode(encoded)
        .map_err(|_| PresentedError::Malformed)?;
    let text = String::from_utf8(decoded).map_err(|_| PresentedError::Malformed)?;
    let (id, secret) = text.split_once(':').ok_or(PresentedError::Malformed)?;
    Ok(ClientCredentials {
        id: form_decode(id)?,
        secret: Some(form_decode(secret)?),
    })
}

/// `application/x-www-form-urlencoded` decoding of one value: `+` is a space.
fn form_decode(text: &str) -> Result<String, PresentedError> {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| PresentedError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn basic(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    fn basic_of(id: &str, secret: &str) -> HeaderMap {
        basic(&format!(
            "Basic {}",
            STANDARD.encode(format!("{id}:{secret}"))
        ))
    }

    fn id_and_secret(c: Option<ClientCredentials>) -> Option<(String, Option<String>)> {
        c.map(|c| (c.id, c.secret))
    }

    #[test]
    fn basic_credentials_are_percent_decoded() {
        let found = presented_client(&basic_of("my%20app", "s%3Acret+x%2B"), None, None).unwrap();
        assert_eq!(
            id_and_secret(found),
            Some(("my app".into(), Some("s:cret x+".into())))
        );
    }

    #[test]
    fn basic_and_form_credentials_together_are_refused() {
        let headers = basic_of("a", "s");
        assert_eq!(
            presented_client(&headers, Some("b"), Some("t")).err(),
            Some(PresentedError::Conflicting)
        );
        assert_eq!(
            presented_client(&headers, None, Some("s")).err(),
            Some(PresentedError::Conflicting)
        );
        assert_eq!(
            presented_client(&headers, Some("b"), None).err(),
            Some(PresentedError::Conflicting)
        );
        // The same id repeated in the form is one method.
        assert!(presented_client(&headers, Some("a"), None).is_ok());
    }

    #[test]
    fn a_form_id_without_a_secret_is_still_presented() {
        let found = presented_client(&HeaderMap::new(), Some("a"), None).unwrap();
        assert_eq!(id_and_secret(found), Some(("a".into(), None)));
        assert_eq!(
            presented_client(&HeaderMap::new(), None, Some("s")).err(),
            Some(PresentedError::Conflicting)
        );
        assert!(presented_client(&HeaderMap::new(), None, None)
            .unwrap()
            .is_none());
    }

    #[test]
    fn unreadable_authorization_is_malformed() {
        for value in [
            "Basic !!!",
            "Basic Zm9v",
            "Digest x",
            "Basic YTolZmY=",
            "Basic /w==",
        ] {
            assert_eq!(
                presented_client(&basic(value), None, None).err(),
                Some(PresentedError::Malformed),
                "{value}"
            );
        }
        // A bearer token is not client authentication.
        assert!(presented_client(&basic("Bearer x.y.z"), None, None)
            .unwrap()
            .is_none());
    }
}
