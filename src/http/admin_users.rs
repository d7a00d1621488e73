//! `/admin/users`.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::admin_guard::Admin;
use super::error::{ApiError, ErrorBody, ErrorCode};
use super::json_body::JsonObject;
use super::responses::{AdminErrors, Malformed, NotFound, TooLarge};
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Trimmed and lower-cased; one `@`, no spaces.
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// At least 12 characters and at most 1024 bytes of UTF-8.
    #[schema(min_length = 12, max_length = 1024)]
    password: String,
    #[serde(default)]
    #[schema(schema_with = role_list)]
    roles: Vec<String>,
}

/// A role is one word of letters, digits and `_-:.`, at most 64 bytes.
fn role_list() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Za-z0-9_:.-]{1,64}$")),
        )
        .build()
}

/// RFC 6749 §3.3 scope tokens: printable ASCII but space, `"` and `\`.
pub(super) fn scope_list() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[\x21\x23-\x5B\x5D-\x7E]+$")),
        )
        .build()
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, body = crate::sessions::UserView),
        Malformed,
        (status = 409, description = "email_taken", body = ErrorBody),
        TooLarge,
        AdminErrors,
    )
)]
#[post("/admin/users")]
pub async fn create_user(
    _admin: Admin,
    state: web::Data<AppState>,
    body: JsonObject<NewUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let user = state
        .sessions
        .create_user(&body.email, body.password, body.roles)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::EmailTaken,
                "a user with this email already exists",
            )
        })?;
    Ok(HttpResponse::Created().json(user))
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = crate::sessions::UserView),
        NotFound,
        AdminErrors,
    )
)]
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

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = Revoked),
        NotFound,
        AdminErrors,
    )
)]
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
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, body = crate::sessions::UserView),
        NotFound,
        AdminErrors,
    )
)]
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
