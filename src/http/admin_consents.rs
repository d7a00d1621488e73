//! `/admin/users/{id}/consents`: what each user allowed which client, and taking it
//! back (which also revokes the client's families for that user).

use actix_web::{delete, get, web, HttpResponse};
use serde::Serialize;

use super::admin_guard::Admin;
use super::error::ApiError;
use super::responses::{AdminErrors, NotFound};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Consent {
    client_id: String,
    /// Space-separated scopes the user allowed.
    scope: String,
    /// Unix seconds.
    granted_at: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Consents {
    consents: Vec<Consent>,
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = Consents),
        NotFound,
        AdminErrors,
    )
)]
#[get("/admin/users/{id}/consents")]
pub async fn list(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if state.sessions.user(&id).await?.is_none() {
        return Err(ApiError::not_found("no such user"));
    }
    let consents = state
        .sessions
        .consents_of(&id)
        .await?
        .into_iter()
        .map(|c| Consent {
            client_id: c.client_id,
            scope: c.scope,
            granted_at: c.granted_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Consents { consents }))
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path), ("client_id" = String, Path)),
    responses(
        (status = 204, description = "Forgotten; the client's refresh families for the user are revoked"),
        NotFound,
        AdminErrors,
    )
)]
#[delete("/admin/users/{id}/consents/{client_id}")]
pub async fn revoke(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user, client) = path.into_inner();
    if !state.sessions.revoke_consent(&user, &client).await? {
        return Err(ApiError::not_found("no such consent"));
    }
    tracing::warn!(admin = %admin.0.sub, %user, %client, "consent revoked");
    Ok(HttpResponse::NoContent().finish())
}
