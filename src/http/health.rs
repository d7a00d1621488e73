use actix_web::{get, web, HttpResponse};

use crate::error::ApiError;
use crate::state::AppState;

/// 200 while the process runs.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// 200 when the database answers and a signing key is loaded, else 503.
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
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}
