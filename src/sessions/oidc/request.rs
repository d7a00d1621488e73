//! Is this authorization request one to act on? Pure: the client comes in as
//! registered. Until the client and its redirect URI are known to be registered,
//! every refusal is shown as a page (never a redirect: no open redirector); after,
//! refusals go back to the client (RFC 6749 §4.1.2.1).

use std::sync::Arc;

use super::params::AuthorizationParams;
use super::pkce::valid_challenge;
use super::{AuthzError, Prompt};
use crate::domain::{parse_scope, Grant};
use crate::storage::ClientRow;

/// Longest `state` and `nonce` accepted: they travel in URLs and hidden fields.
pub const MAX_ECHOED_BYTES: usize = 1024;

/// A request that passed every check.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: Arc<ClientRow>,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub prompt: Prompt,
    pub max_age: Option<i64>,
}

/// Why a request is refused, and how the refusal is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The client or its redirect URI is not what was registered: an error page.
    Shown { description: &'static str },
    /// To the registered redirect URI, with `state` (and `iss`).
    Redirected(RedirectedError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectedError {
    pub redirect_uri: String,
    pub state: Option<String>,
    pub error: AuthzError,
    pub description: &'static str,
}

/// Checks `params` against the registered `client` (`None`: no such client).
pub fn validate(
    params: &AuthorizationParams,
    client: Option<Arc<ClientRow>>,
) -> Result<AuthorizationRequest, Refusal> {
    let shown = |description| Err(Refusal::Shown { description });
    let repeated = |name: &str| params.repeated.iter().any(|r| r == name);
    if repeated("client_id") || repeated("redirect_uri") {
        return shown("client_id and redirect_uri may be sent only once");
    }
    if params.client_id.is_none() {
        return shown("client_id is required");
    }
    let Some(client) = client else {
        return shown("no client is registered with this client_id");
    };
    let Some(redirect_uri) = params.redirect_uri.clone() else {
        return shown("redirect_uri is required");
    };
    // Exact string comparison (RFC 9700 §4.1.3): no prefix, case or slash leniency.
    if !client.redirect_uris.contains(&redirect_uri) {
        return shown("redirect_uri is not registered for this client");
    }
    // From here on the client named a URI it registered: refusals go back there.
    let state = params.state.clone().filter(|s| s.len() <= MAX_ECHOED_BYTES);
    let refuse = |error, description| {
        Err(Refusal::Redirected(RedirectedError {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            error,
            description,
        }))
    };
    use AuthzError::*;
    if !params.repeated.is_empty() {
        return refuse(InvalidRequest, "a parameter was sent more than once");
    }
    if params
        .state
        .as_ref()
        .is_some_and(|s| s.len() > MAX_ECHOED_BYTES)
    {
        return refuse(InvalidRequest, "state is longer than 1024 bytes");
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return refuse(InvalidRequest, "response_type is required"),
        Some(_) => {
            return refuse(
                UnsupportedResponseType,
                "only response_type=code is supported",
            )
        }
    }
    if !client.grant_types.contains(&Grant::AuthorizationCode) {
        return refuse(
            UnauthorizedClient,
            "the client is not registered for the authorization_code grant",
        );
    }
    let Some(code_challenge) = params.code_challenge.clone() else {
        return refuse(
            InvalidRequest,
            "code_challenge is required (PKCE, RFC 7636)",
        );
    };
    match params.code_challenge_method.as_deref() {
        Some("S256") => {}
        None => {
            return refuse(
                InvalidRequest,
                "code_challenge_method=S256 is required; plain is not supported",
            )
        }
        Some(_) => {
            return refuse(
                InvalidRequest,
                "only code_challenge_method=S256 is supported",
            )
        }
    }
    if !valid_challenge(&code_challenge) {
        return refuse(
            InvalidRequest,
            "code_challenge is not a base64url SHA-256 (43 characters)",
        );
    }
    let scope = match params.scope.as_deref() {
        None => String::new(),
        Some(text) => match parse_scope(text) {
            None => return refuse(InvalidScope, "the scope is malformed"),
            Some(asked) if asked.iter().all(|s| client.scopes.iter().any(|a| a == s)) => {
                asked.join(" ")
            }
            Some(_) => {
                return refuse(
                    InvalidScope,
                    "a requested scope is not registered for this client",
                )
            }
        },
    };
    if params
        .nonce
        .as_ref()
        .is_some_and(|n| n.len() > MAX_ECHOED_BYTES)
    {
        return refuse(InvalidRequest, "nonce is longer than 1024 bytes");
    }
    let Some(prompt) = Prompt::parse(params.prompt.as_deref()) else {
        return refuse(
            InvalidRequest,
            "prompt must be none, or login and/or consent",
        );
    };
    let max_age = match params.max_age.as_deref() {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(secs) if (0..=i64::from(u32::MAX)).contains(&secs) && !text.starts_with('+') => {
                Some(secs)
            }
            _ => return refuse(InvalidRequest, "max_age must be a whole number of seconds"),
        },
    };
    Ok(AuthorizationRequest {
        client,
        redirect_uri,
        scope,
        state,
        code_challenge,
        nonce: params.nonce.clone(),
        prompt,
        max_age,
    })
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
