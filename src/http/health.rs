use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Status {
    status: &'static str,
}

/// 200 while the process runs.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Status),
    )
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// 200 when the database takes a write and a signing key is loaded, else 503. The
/// database's answer is shared by every caller for up to a second (see `readiness`).
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Status),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.keys.ring().signing.is_none() || !state.readiness.database_writable().await {
        return Err(ApiError::unavailable());
    }
    Ok(HttpResponse::Ok().json(Status { status: "ready" }))
}
