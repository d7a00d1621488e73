//! `GET /oauth/authorize` (RFC 6749 §4.1.1 with PKCE), and the two pages it may lead
//! to, also reachable by GET with the same query: `/oauth/login` and `/oauth/consent`.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};

use super::flow::{checked, current_sign_in, login_page, proceed};
use super::page::error_page;
use crate::sessions::oidc::{AuthorizationParams, JustDone, Prompt};
use crate::state::AppState;

/// The query's parameters; `None` for a query that does not decode.
fn query_params(req: &HttpRequest) -> Option<AuthorizationParams> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string()).ok()?;
    Some(AuthorizationParams::from_pairs(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}

#[utoipa::path(
    tag = "oidc",
    params(
        ("response_type" = String, Query, description = "`code`"),
        ("client_id" = String, Query),
        ("redirect_uri" = String, Query, description = "One of the client's, exactly"),
        ("scope" = Option<String>, Query, description = "Each registered for the client"),
        ("state" = Option<String>, Query, description = "Echoed on the redirect"),
        ("code_challenge" = String, Query, description = "RFC 7636, S256"),
        ("code_challenge_method" = String, Query, description = "`S256`"),
        ("nonce" = Option<String>, Query, description = "Copied into the ID token"),
        ("prompt" = Option<String>, Query, description = "`none`, or `login` and/or `consent`"),
        ("max_age" = Option<i64>, Query, description = "Seconds since the last sign-in"),
    ),
    responses(
        (status = 200, description = "The sign-in or consent page", content_type = "text/html"),
        (status = 303, description = "Back to redirect_uri with code, state and iss, or error, error_description, state and iss"),
        (status = 400, description = "Unknown client or unregistered redirect_uri: an error page, never a redirect", content_type = "text/html"),
    )
)]
#[get("/oauth/authorize")]
pub async fn authorize(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    step_from_query(&req, &state, Page::Next).await
}

/// OpenID Connect Core §3.1.2.1: the authorization endpoint takes POST too, the
/// parameters in a form.
#[utoipa::path(
    tag = "oidc",
    request_body(content_type = "application/x-www-form-urlencoded", description = "The parameters of GET /oauth/authorize"),
    responses(
        (status = 200, description = "The sign-in or consent page", content_type = "text/html"),
        (status = 303, description = "Back to redirect_uri with a code or an error"),
        (status = 400, description = "An error page, never a redirect; a body that is not a form gets the JSON error", content(
            (String = "text/html"),
            (crate::http::error::ErrorBody = "application/json")
        )),
    )
)]
#[post("/oauth/authorize")]
pub async fn authorize_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let params =
        AuthorizationParams::from_pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    step(&req, &state, params, Page::Next).await
}

#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The sign-in page for the authorization request in the query", content_type = "text/html"),
        (status = 303, description = "An error sent back to the client"),
        (status = 400, description = "An error page", content_type = "text/html"),
    )
)]
#[get("/oauth/login")]
pub async fn login_page_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    step_from_query(&req, &state, Page::Login).await
}

#[utoipa::path(
    tag = "oidc",
    responses(
        (status = 200, description = "The consent page (or the sign-in page without a session) for the request in the query", content_type = "text/html"),
        (status = 303, description = "An error sent back to the client"),
        (status = 400, description = "An error page", content_type = "text/html"),
    )
)]
#[get("/oauth/consent")]
pub async fn consent_page_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    step_from_query(&req, &state, Page::Consent).await
}

enum Page {
    /// Wherever the request leads.
    Next,
    Login,
    Consent,
}

async fn step_from_query(req: &HttpRequest, state: &AppState, page: Page) -> HttpResponse {
    match query_params(req) {
        Some(params) => step(req, state, params, page).await,
        None => error_page(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the query does not decode",
        ),
    }
}

async fn step(
    req: &HttpRequest,
    state: &AppState,
    params: AuthorizationParams,
    page: Page,
) -> HttpResponse {
    let mut request = match checked(state, &params).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    if let Page::Login = page {
        return login_page(
            state,
            req,
            &request,
            &params,
            (StatusCode::OK, None, ""),
            Vec::new(),
        );
    }
    let sign_in = match current_sign_in(state, req).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    if let Page::Consent = page {
        // Asked for the page by name: show it, as `prompt=consent` would.
        request.prompt = Prompt {
            consent: true,
            ..request.prompt
        };
    }
    proceed(
        state,
        req,
        &request,
        &params,
        sign_in.as_ref(),
        JustDone::default(),
        Vec::new(),
    )
    .await
}
