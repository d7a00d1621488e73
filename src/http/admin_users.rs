//! `/admin/users` and `/admin/clients`.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::admin_guard::Admin;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    email: String,
    password: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = NewUser, responses((status = 201, body = crate::sessions::UserView), (status = 400, description = "Malformed request", body = crate::error::ErrorBody), (status = 401, description = "Missing, invalid, expired or revoked credentials", body = crate::error::ErrorBody), (status = 403, description = "Not an admin", body = crate::error::ErrorBody), (status = 503, description = "Database unavailable: see Retry-After", body = crate::error::ErrorBody), (status = 409, description = "email_taken", body = crate::error::ErrorBody), (status = 413, description = "Body over 64 KiB", body = crate::error::ErrorBody)))]
#[post("/admin/users")]
pub async fn create_user(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user = state
        .sessions
        .create_user(&body.email, body.password, body.roles)
        .await?
        .ok_or_else(|| {
            ApiError::conflict("email_taken", "a user with this email already exists")
        })?;
    Ok(HttpResponse::Created().json(user))
}

#[utoipa::path(tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = crate::sessions::UserView), (status = 401, description = "Missing, invalid, expired or revoked credentials", body = crate::error::ErrorBody), (status = 403, description = "Not an admin", body = crate::error::ErrorBody), (status = 503, description = "Database unavailable: see Retry-After", body = crate::error::ErrorBody), (status = 404, description = "Not found", body = crate::error::ErrorBody)))]
#[get("/admin/users/{id}")]
pub async fn get_user(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user = state
        .sessions
        .user(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    Ok(HttpResponse::Ok().json(user))
}

#[utoipa::path(tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = Revoked), (status = 401, description = "Missing, invalid, expired or revoked credentials", body = crate::error::ErrorBody), (status = 403, description = "Not an admin", body = crate::error::ErrorBody), (status = 503, description = "Database unavailable: see Retry-After", body = crate::error::ErrorBody), (status = 404, description = "Not found", body = crate::error::ErrorBody)))]
#[post("/admin/users/{id}/revoke-sessions")]
pub async fn revoke_sessions(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !state.sessions.revoke_user_sessions(&id).await? {
        return Err(ApiError::not_found("no such user"));
    }
    tracing::warn!(admin = %admin.0.sub, user = %id, "all sessions of a user revoked");
    Ok(HttpResponse::Ok().json(Revoked { revoked: true }))
}

/// Extension: disables a user (no logins, refreshes or accepted tokens from now on).
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 200, body = crate::sessions::UserView), (status = 401, description = "Missing, invalid, expired or revoked credentials", body = crate::error::ErrorBody), (status = 403, description = "Not an admin", body = crate::error::ErrorBody), (status = 503, description = "Database unavailable: see Retry-After", body = crate::error::ErrorBody), (status = 404, description = "Not found", body = crate::error::ErrorBody)))]
#[post("/admin/users/{id}/disable")]
pub async fn disable_user(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !state.sessions.disable_user(&id).await? {
        return Err(ApiError::not_found("no such user"));
    }
    tracing::warn!(admin = %admin.0.sub, user = %id, "user disabled");
    let user = state
        .sessions
        .user(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Revoked {
    revoked: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedClient {
    client_id: String,
    client_secret: String,
}

#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = NewClient, responses((status = 201, body = CreatedClient), (status = 400, description = "Malformed request", body = crate::error::ErrorBody), (status = 401, description = "Missing, invalid, expired or revoked credentials", body = crate::error::ErrorBody), (status = 403, description = "Not an admin", body = crate::error::ErrorBody), (status = 503, description = "Database unavailable: see Retry-After", body = crate::error::ErrorBody), (status = 413, description = "Body over 64 KiB", body = crate::error::ErrorBody)))]
#[post("/admin/clients")]
pub async fn create_client(
    _admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<NewClient>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let created = state
        .sessions
        .create_client(&body.name, body.scopes)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedClient {
            client_id: created.client_id,
            client_secret: created.client_secret,
        }))
}
