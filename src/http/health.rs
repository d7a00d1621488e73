use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Status {
    status: &'static str,
}

/// 200 while the process runs.
#[utoipa::path(tag = "health", responses((status = 200, body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// 200 when the database answers and a signing key is loaded, else 503.
#[utoipa::path(tag = "health", responses((status = 200, body = Status), (status = 503, description = "Database unavailable", body = ErrorBody)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.keys.ring().signing.is_none() {
        return Err(ApiError::unavailable());
    }
    state
        .store
        .ping()
        .await
        .map_err(|_| ApiError::unavailable())?;
    Ok(HttpResponse::Ok().json(Status { status: "ready" }))
}
