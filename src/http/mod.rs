//! The public listener's routes, one file per resource, and the request-level
//! policies they share: body limit, JSON errors for every framework failure.
//!
//! Owns: parsing requests into the services' arguments and mapping their answers
//! and errors (`error_mapping.rs`) to HTTP. Holds no rule and no SQL, and never
//! reaches the store. May import: `state`, `sessions`, `tokens`, `status`, `keys`, `storage`
//! (its error, to map it), `metrics`, `config`, `domain`, `clock`.

mod admin_clients;
mod admin_consents;
pub mod admin_guard;
mod admin_keys;
mod admin_users;
mod auth;
pub mod client_address;
mod client_auth;
pub mod conn_deadline;
mod cookies;
pub mod cors;
pub mod error;
mod error_code;
mod error_mapping;
pub mod head;
mod health;
mod json_body;
pub mod metrics_endpoint;
pub mod no_store;
mod not_routed;
mod oauth;
mod oidc;
pub mod openapi;
pub mod request_id;
pub mod request_metrics;
pub mod request_span;
mod responses;
mod status_lists;
mod well_known;

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpResponse, ResponseError};

use error::ApiError;

pub use cookies::{CSRF_COOKIE, CSRF_HEADER, REFRESH_COOKIE};

/// Request bodies larger than this are refused with 413 before being read in full.
pub const BODY_LIMIT: usize = 64 * 1024;

fn too_large() -> ApiError {
    ApiError::for_status(actix_web::http::StatusCode::PAYLOAD_TOO_LARGE)
}

/// Every route of the public listener.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(BODY_LIMIT)
            .error_handler(|err, _| match err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => too_large().into(),
                err => ApiError::bad_request(format!("invalid JSON body: {err}")).into(),
            }),
    )
    .app_data(
        web::FormConfig::default()
            .limit(BODY_LIMIT)
            .error_handler(|err, _| match err {
                UrlencodedError::Overflow { .. } => too_large().into(),
                err => ApiError::bad_request(format!("invalid form body: {err}")).into(),
            }),
    )
    .app_data(web::PayloadConfig::new(BODY_LIMIT))
    .app_data(
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::bad_request(format!("invalid path: {err}")).into()),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|err, _| ApiError::bad_request(format!("invalid query: {err}")).into()),
    )
    // Routing tries the routes in this order: the busiest first.
    .service(well_known::jwks)
    .service(status_lists::status_list)
    .service(openapi::openapi_json)
    .service(health::healthz)
    .service(health::readyz)
    .service(well_known::openid_configuration)
    .service(well_known::oauth_authorization_server)
    .service(status_lists::aggregation)
    .service(auth::login)
    .service(auth::refresh)
    .service(auth::logout)
    .service(auth::me)
    .service(oauth::token::token_endpoint)
    .service(oauth::revoke::revoke)
    .service(oauth::introspect::introspect)
    .service(admin_keys::list)
    .service(admin_keys::rotate)
    .service(admin_keys::revoke)
    .service(admin_users::create_user)
    .service(admin_users::get_user)
    .service(admin_users::revoke_sessions)
    .service(admin_users::disable_user)
    .service(admin_clients::create_client)
    .service(admin_clients::list_clients)
    .service(admin_clients::get_client)
    .service(admin_clients::remove_client)
    .service(admin_consents::list)
    .service(admin_consents::revoke)
    .service(oidc::authorize::authorize)
    .service(oidc::authorize::authorize_post)
    .service(oidc::authorize::login_page_get)
    .service(oidc::forms::login_post)
    .service(oidc::authorize::consent_page_get)
    .service(oidc::forms::consent_post)
    .service(oidc::userinfo::userinfo_get)
    .service(oidc::userinfo::userinfo_post)
    .service(oidc::logout::logout)
    .service(oidc::assets::stylesheet)
    .default_service(web::to(not_routed::answer));
}

/// Rewrites any error response the framework produced (405, 413, ...) into the
/// contract's JSON error body. Responses that already are JSON pass untouched, and so
/// do the hosted flow's HTML error pages (`oidc`), which a browser shows.
pub fn json_errors<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let answered = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
        if answered {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let (req, _) = res.into_parts();
        let replaced: HttpResponse = ApiError::for_status(status).error_response();
        let res: ServiceResponse<EitherBody<B>> =
            ServiceResponse::new(req, replaced).map_into_right_body();
        Ok(ErrorHandlerResponse::Response(res))
    })
}
