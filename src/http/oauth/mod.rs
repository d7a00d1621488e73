//! The OAuth 2.0 endpoints: RFC 6749's token endpoint, RFC 7009 revocation and
//! RFC 7662 introspection. Each parses its form, calls the session service and maps
//! the answer; the rules are in `sessions`.

pub(super) mod code_grant;
pub(super) mod introspect;
pub(super) mod revoke;
pub(super) mod token;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::client_auth::presented_client;
use super::error::ApiError;
use crate::sessions::AuthenticatedClient;
use crate::state::AppState;

/// RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
/// omitted from the request." So `client_id=` beside HTTP Basic is no second client
/// authentication, and `scope=` asks for the default scope. (Revocation and
/// introspection apply it to client authentication only: an empty `token` is answered
/// like any invalid token.)
fn omitted_if_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|v| !v.is_empty()))
}

/// `client_id` and `client_secret` of a form (RFC 6749 §2.3.1), each when sent.
type FormCredentials<'a> = (Option<&'a str>, Option<&'a str>);

/// The client a request authenticates as, in HTTP Basic or in the form, if it
/// presents credentials; credentials that are presented must be right.
async fn authenticated_client(
    state: &AppState,
    req: &HttpRequest,
    (id, secret): FormCredentials<'_>,
) -> Result<Option<AuthenticatedClient>, ApiError> {
    match presented_client(req.headers(), id, secret)? {
        Some(creds) => Ok(Some(state.sessions.authenticate_client(&creds).await?)),
        None => Ok(None),
    }
}

/// A 200 no cache keeps (RFC 6749 §5.1).
fn no_store(body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}
