//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5): a code, the
//! redirect URI it was issued for, and the PKCE verifier; a confidential client
//! authenticates as for every grant, a public one sends its `client_id` alone.

use actix_web::HttpResponse;
use serde::Serialize;

use super::no_store;
use crate::http::error::{ApiError, ErrorCode};
use crate::sessions::oidc::{CodeExchange, CodeFailure};
use crate::sessions::AuthenticatedClient;
use crate::state::AppState;

/// RFC 6749 §5.1, with OpenID Connect's `id_token` when `openid` was granted.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CodeTokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// The form fields this grant reads.
pub struct CodeForm<'a> {
    pub code: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

pub async fn code_grant(
    state: &AppState,
    form: CodeForm<'_>,
    client: Option<AuthenticatedClient>,
) -> Result<HttpResponse, ApiError> {
    let client = client.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidClient,
            "client authentication is required (a public client sends its client_id)",
        )
    })?;
    let exchanged = state
        .sessions
        .exchange_code(CodeExchange {
            code: form.code,
            redirect_uri: form.redirect_uri,
            code_verifier: form.code_verifier,
            client: &client,
        })
        .await;
    let tokens = match exchanged {
        Ok(tokens) => tokens,
        Err(CodeFailure::Missing(what)) => return Err(ApiError::bad_request(what)),
        Err(CodeFailure::InvalidGrant) => {
            return Err(ApiError::new(
                ErrorCode::InvalidGrant,
                "the code is invalid, expired, spent, or was issued for another client, redirect_uri or code_verifier",
            ))
        }
        Err(CodeFailure::Error(e)) => return Err(e.into()),
    };
    let session = tokens.session;
    Ok(no_store(CodeTokenResponse {
        access_token: session.access.token,
        token_type: "Bearer",
        expires_in: session.access.expires_in,
        refresh_token: session.refresh.as_str().to_owned(),
        scope: session.scope,
        id_token: tokens.id_token,
    }))
}
