//! RFC 7662 introspection, for registered clients and admins.

use actix_web::{post, web, HttpRequest, HttpResponse};

use super::revoke::TokenOnlyForm;
use super::{authenticated_client, no_store};
use crate::http::admin_guard::bearer_token;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::responses::{Malformed, TooLarge, Unauthenticated, Unavailable};
use crate::sessions::{may_introspect, IntrospectionRefusal};
use crate::state::AppState;

#[utoipa::path(
    tag = "oauth",
    request_body(content = TokenOnlyForm, content_type = "application/x-www-form-urlencoded"),
    security(("basic" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "RFC 7662", body = crate::sessions::Introspection),
        Malformed,
        Unauthenticated,
        (status = 403, description = "Not an admin, or a client not registered for introspection", body = ErrorBody),
        TooLarge,
        Unavailable,
    )
)]
#[post("/oauth/introspect")]
pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenOnlyForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    let client = authenticated_client(&state, &req, form.credentials()).await?;
    // A bearer that is sent must be valid even when the client's credentials would do.
    let bearer = match bearer_token(&req) {
        Some(token) => Some(state.tokens.verify(token).await?),
        None => None,
    };
    let bearer_is_admin = bearer.as_ref().map(|claims| claims.has_role("admin"));
    may_introspect(client.as_ref(), bearer_is_admin).map_err(|refusal| match refusal {
        IntrospectionRefusal::ClientNotRegistered => ApiError::new(
            ErrorCode::UnauthorizedClient,
            "this client is not registered for introspection",
        ),
        IntrospectionRefusal::NoCredentials => ApiError::new(
            ErrorCode::InvalidClient,
            "a client registered for introspection or an admin bearer token is required",
        ),
        IntrospectionRefusal::NotAdmin => ApiError::forbidden("the admin role is required"),
    })?;
    let token = form.token()?;
    Ok(no_store(state.sessions.introspect(&token).await?))
}
