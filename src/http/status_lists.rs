//! `GET /statuslists/{id}`: a Status List Token (draft-ietf-oauth-status-list §8),
//! and `GET /statuslists`, the draft's Status List Aggregation (§9): both served from
//! memory, so they keep answering while the database is down.

use actix_web::http::header::{self, Header, IfNoneMatch};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use crate::state::AppState;
use crate::status::TYP;

#[utoipa::path(
    tag = "status-lists",
    params(
        ("id" = String, Path, description = "The list id, as the `uri` of a token's `status_list` names it"),
        ("If-None-Match" = Option<String>, Header, description = "ETag of a cached copy")
    ),
    responses(
        (status = 200, description = "The Status List Token: a JWT (`typ: statuslist+jwt`) whose `status_list.lst` \
            is the ZLIB-compressed bit array, one bit per token, 1 = revoked",
         content_type = "application/statuslist+jwt", body = String,
         headers(("Cache-Control" = String), ("ETag" = String))),
        (status = 304, description = "The cached copy is current"),
        (status = 404, description = "No such list (never issued, or every token in it has expired)",
         body = super::error::ErrorBody)
    )
)]
#[get("/statuslists/{id}")]
pub async fn status_list(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    // Read from the request rather than taken by extractors, as the JWKS is: verifiers
    // fetch lists as often as keys, and each extractor is a future of its own.
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("startup registers the AppState");
    let id = req.match_info().get("id").unwrap_or_default();
    let list = match state.status.list(id) {
        Some(list) => list,
        None => state
            .status
            .find(id)
            .await
            .ok_or_else(|| ApiError::not_found("no status list has that id"))?,
    };
    // RFC 9110 §13.1.2: If-None-Match compares weakly.
    let matched = match <IfNoneMatch as Header>::parse(&req) {
        Ok(IfNoneMatch::Any) => req.headers().contains_key(header::IF_NONE_MATCH),
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&list.tag)),
        Err(_) => false,
    };
    let mut response = if matched {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, state.status_cache_control.clone()))
        .insert_header((header::ETAG, list.etag.clone()));
    Ok(if matched {
        response.finish()
    } else {
        response
            .content_type(format!("application/{TYP}"))
            .body(list.body.clone())
    })
}

/// Every Status List Token this authority serves (draft-ietf-oauth-status-list §9).
#[derive(Serialize, ToSchema)]
pub struct StatusListAggregation {
    status_lists: Vec<String>,
}

#[utoipa::path(
    tag = "status-lists",
    responses(
        (status = 200, description = "The URIs of every status list served", body = StatusListAggregation,
         headers(("Cache-Control" = String))),
    )
)]
#[get("/statuslists")]
pub async fn aggregation(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, state.status_cache_control.clone()))
        .json(StatusListAggregation {
            status_lists: state.status.uris(),
        })
}
