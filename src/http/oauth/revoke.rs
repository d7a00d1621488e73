//! RFC 7009 token revocation.

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{authenticated_client, omitted_if_empty, FormCredentials};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses::{Malformed, TooLarge, Unavailable};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenOnlyForm {
    // Optional here so its absence gets a 400 that names it; required in the document.
    // An empty token is a token like any other: inactive, or nothing to revoke.
    #[schema(value_type = String, required = true)]
    pub(super) token: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "omitted_if_empty")]
    pub(super) token_type_hint: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "omitted_if_empty")]
    pub(super) client_id: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    #[schema(nullable = false)]
    pub(super) client_secret: Option<String>,
}

#[utoipa::path(
    tag = "oauth",
    request_body(content = TokenOnlyForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke (RFC 7009)"),
        Malformed,
        (status = 401, description = "invalid_client", body = ErrorBody),
        TooLarge,
        Unavailable,
    )
)]
#[post("/oauth/revoke")]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenOnlyForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    // Optional: holding the token is proof enough to kill it; bad credentials still fail.
    authenticated_client(&state, &req, form.credentials()).await?;
    let token = form.token()?;
    state
        .sessions
        .revoke_token(&token, form.token_type_hint.as_deref())
        .await?;
    // RFC 7009 §2.2: 200 whether or not the token was valid.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

impl TokenOnlyForm {
    pub(super) fn credentials(&self) -> FormCredentials<'_> {
        (self.client_id.as_deref(), self.client_secret.as_deref())
    }

    /// The `token` parameter, which both endpoints require.
    pub(super) fn token(&self) -> Result<String, ApiError> {
        self.token
            .clone()
            .ok_or_else(|| ApiError::bad_request("token is required"))
    }
}
