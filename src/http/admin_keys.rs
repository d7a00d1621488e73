//! `/admin/keys`: list, rotate, revoke.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::admin_guard::Admin;
use super::error::{ApiError, ErrorBody};
use super::json_body::optional_json;
use super::responses::{AdminErrors, Malformed, NotFound};
use crate::domain::{Algorithm, KeyState, RotationTrigger};
use crate::state::AppState;
use crate::storage::StoredKey;

#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyView {
    kid: String,
    alg: Algorithm,
    state: KeyState,
    published: bool,
    created_at: Option<DateTime<Utc>>,
    activated_at: Option<DateTime<Utc>>,
    deactivated_at: Option<DateTime<Utc>>,
    retired_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

fn time(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
}

impl From<&StoredKey> for KeyView {
    fn from(k: &StoredKey) -> Self {
        Self {
            kid: k.kid.clone(),
            alg: k.alg,
            state: k.state,
            published: k.state.is_published(),
            created_at: time(Some(k.created_at)),
            activated_at: time(k.activated_at),
            deactivated_at: time(k.deactivated_at),
            retired_at: time(k.retired_at),
            revoked_at: time(k.revoked_at),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyList {
    keys: Vec<KeyView>,
}

async fn key_list(state: &AppState) -> Result<HttpResponse, ApiError> {
    let keys = state.keys.list().await?;
    Ok(HttpResponse::Ok().json(KeyList {
        keys: keys.iter().map(KeyView::from).collect(),
    }))
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = KeyList),
        AdminErrors,
    )
)]
#[get("/admin/keys")]
pub async fn list(_admin: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    key_list(&state).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    algorithm: Option<Algorithm>,
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body(content = Option<RotateRequest>, content_type = "application/json"),
    responses(
        (status = 200, body = KeyList),
        Malformed,
        (status = 409, description = "rotation_too_early (see Retry-After) or a concurrent rotation", body = ErrorBody),
        AdminErrors,
    )
)]
#[post("/admin/keys/rotate")]
pub async fn rotate(
    admin: Admin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let request: Option<RotateRequest> = optional_json(&body)?;
    let algorithm = request.and_then(|r| r.algorithm);
    state.keys.rotate(RotationTrigger::Admin, algorithm).await?;
    state.status.changed().await;
    tracing::info!(admin = %admin.0.sub, ?algorithm, "keys rotated by an admin");
    key_list(&state).await
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("kid" = String, Path)),
    responses(
        (status = 200, body = KeyList),
        NotFound,
        AdminErrors,
    )
)]
#[post("/admin/keys/{kid}/revoke")]
pub async fn revoke(
    admin: Admin,
    state: web::Data<AppState>,
    kid: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.keys.revoke(&kid).await?;
    // The lists the key signed are re-signed, and its own lists read all-revoked, now.
    state.status.changed().await;
    tracing::warn!(admin = %admin.0.sub, kid = %kid, "signing key revoked");
    key_list(&state).await
}
