//! The pages' one stylesheet, compiled into the binary (the CSP allows styles from
//! 'self' only, never inline).

use actix_web::http::header;
use actix_web::{get, HttpResponse};

const CSS: &str = include_str!("../../../templates/oidc/tessera.css");

#[utoipa::path(
    tag = "oidc",
    responses((status = 200, description = "The hosted pages' stylesheet", content_type = "text/css"))
)]
#[get("/oauth/assets/tessera.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .content_type("text/css; charset=utf-8")
        .body(CSS)
}
