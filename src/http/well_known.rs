//! The JWKS and the RFC 8414 discovery documents: served from memory, so they keep
//! answering while the database is down.

use actix_web::http::header::{self, Header, IfNoneMatch};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Algorithm;
use crate::state::AppState;

#[utoipa::path(
    tag = "well-known",
    params(("If-None-Match" = Option<String>, Header, description = "ETag of a cached copy")),
    responses(
        (status = 200, description = "Every published public key", body = super::openapi::JwkSet,
         headers(("Cache-Control" = String), ("ETag" = String))),
        (status = 304, description = "The cached copy is current")
    )
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(req: HttpRequest) -> HttpResponse {
    // Read from the request rather than taken as a second extractor: the JWKS is the
    // hottest route, and each extractor is a future of its own per request.
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("startup registers the AppState");
    let ring = state.keys.ring();
    let jwks = &ring.jwks;
    // RFC 9110 §13.1.2: If-None-Match compares weakly.
    let matched = match <IfNoneMatch as Header>::parse(&req) {
        Ok(IfNoneMatch::Any) => req.headers().contains_key(header::IF_NONE_MATCH),
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&jwks.tag)),
        Err(_) => false,
    };
    let mut response = if matched {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, state.jwks_cache_control.clone()))
        .insert_header((header::ETAG, jwks.etag.clone()));
    if matched {
        response.finish()
    } else {
        response
            .content_type("application/json")
            .body(jwks.body.clone())
    }
}

/// RFC 8414 authorization server metadata.
#[derive(Serialize, ToSchema)]
pub struct Metadata {
    issuer: String,
    jwks_uri: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    end_session_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    /// draft-ietf-oauth-status-list §9: where the URIs of every status list are listed.
    status_list_aggregation_endpoint: String,
    grant_types_supported: Vec<&'static str>,
    response_types_supported: Vec<&'static str>,
    response_modes_supported: Vec<&'static str>,
    subject_types_supported: Vec<&'static str>,
    code_challenge_methods_supported: Vec<&'static str>,
    /// `openid` and `email`; a client is granted only the scopes registered for it.
    scopes_supported: Vec<&'static str>,
    claims_supported: Vec<&'static str>,
    prompt_values_supported: Vec<&'static str>,
    /// RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: bool,
    token_endpoint_auth_methods_supported: Vec<&'static str>,
    revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The algorithms of the published keys, under the name OpenID clients read.
    id_token_signing_alg_values_supported: Vec<Algorithm>,
    access_token_signing_alg_values_supported: Vec<Algorithm>,
}

const CLIENT_AUTH: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// What an ID token or userinfo answer may say (OpenID Connect Core §2, §5.1).
const CLAIMS: [&str; 11] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "sid",
    "email",
    "email_verified",
];

fn metadata(state: &AppState) -> HttpResponse {
    let issuer = state.settings.issuer.trim_end_matches('/');
    let algs = state.keys.ring().published_algorithms();
    let doc = Metadata {
        issuer: state.settings.issuer.clone(),
        jwks_uri: format!("{issuer}/.well-known/jwks.json"),
        authorization_endpoint: format!("{issuer}/oauth/authorize"),
        token_endpoint: format!("{issuer}/oauth/token"),
        userinfo_endpoint: format!("{issuer}/oauth/userinfo"),
        end_session_endpoint: format!("{issuer}/oauth/logout"),
        revocation_endpoint: format!("{issuer}/oauth/revoke"),
        introspection_endpoint: format!("{issuer}/oauth/introspect"),
        status_list_aggregation_endpoint: format!("{issuer}/statuslists"),
        grant_types_supported: vec![
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
        ],
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        subject_types_supported: vec!["public"],
        code_challenge_methods_supported: vec!["S256"],
        scopes_supported: vec!["openid", "email"],
        claims_supported: CLAIMS.to_vec(),
        prompt_values_supported: vec!["none", "login", "consent"],
        authorization_response_iss_parameter_supported: true,
        // "none": a public client names itself with client_id and proves nothing else.
        token_endpoint_auth_methods_supported: vec![
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        revocation_endpoint_auth_methods_supported: CLIENT_AUTH.to_vec(),
        introspection_endpoint_auth_methods_supported: CLIENT_AUTH.to_vec(),
        id_token_signing_alg_values_supported: algs.clone(),
        access_token_signing_alg_values_supported: algs,
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, state.jwks_cache_control.clone()))
        .json(doc)
}

#[utoipa::path(
    tag = "well-known",
    responses(
        (status = 200, body = Metadata),
    )
)]
#[get("/.well-known/openid-configuration")]
pub async fn openid_configuration(state: web::Data<AppState>) -> HttpResponse {
    metadata(&state)
}

#[utoipa::path(
    tag = "well-known",
    responses(
        (status = 200, body = Metadata),
    )
)]
#[get("/.well-known/oauth-authorization-server")]
pub async fn oauth_authorization_server(state: web::Data<AppState>) -> HttpResponse {
    metadata(&state)
}
