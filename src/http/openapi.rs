//! The OpenAPI 3.1 document, generated from the handlers' own annotations and types
//! as the routes are registered, so the two cannot drift apart.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_actix_web::AppExt;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "tessera", description = "Token authority: JWT access tokens, JWKS, refresh families"),
    components(schemas(super::error::ErrorBody)),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// A published public key (documentation of the JWKS shape).
#[derive(Serialize, ToSchema)]
pub struct Jwk {
    kty: String,
    kid: String,
    alg: crate::domain::Algorithm,
    #[serde(rename = "use")]
    #[schema(rename = "use")]
    use_: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JwkSet {
    keys: Vec<Jwk>,
}

/// The document as served: every route registered by [`super::configure`].
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(super::configure)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    api
}

#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "This document", content_type = "application/json"),
    )
)]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi.clone())
}
