//! The steps every page of the flow shares: checking the request the browser brought,
//! and going on from wherever it stands (sign-in page, consent page, code, error), as
//! `sessions::oidc::next_step` decides.

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

use super::cookies::form_token;
use super::page::{error_page, html, see_other, ConsentPage, LoginPage};
use crate::sessions::oidc::redirect::{origin, with_query};
use crate::sessions::oidc::{
    next_step, validate, AuthorizationParams, AuthorizationRequest, AuthzError, JustDone,
    RedirectedError, Refusal, SignIn, Step,
};
use crate::sessions::SessionError;
use crate::state::AppState;

/// The page for a failure of tessera itself (database down, no signing key).
pub fn failure_page(e: impl Into<SessionError>) -> HttpResponse {
    match e.into() {
        SessionError::Store(crate::storage::StoreError::Unavailable(cause)) => {
            tracing::warn!(error = %cause, "database unavailable");
            let mut page = error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the service is temporarily unavailable; retry later",
            );
            // As every JSON 503 does: the browser (or a person) may try again.
            page.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(crate::http::error::UNAVAILABLE_RETRY_SECS),
            );
            page
        }
        other => {
            tracing::error!(error = %other, "authorization flow failed");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error",
            )
        }
    }
}

/// The request as registered, or the response that refuses it: a page before the
/// redirect URI is known good, a redirect after.
pub async fn checked(
    state: &AppState,
    params: &AuthorizationParams,
) -> Result<AuthorizationRequest, HttpResponse> {
    let client = match params.client_id.as_deref() {
        Some(id) => state
            .sessions
            .client_by_id(id)
            .await
            .map_err(failure_page)?,
        None => None,
    };
    validate(params, client).map_err(|refusal| match refusal {
        Refusal::Shown { description } => {
            error_page(StatusCode::BAD_REQUEST, "invalid_request", description)
        }
        Refusal::Redirected(e) => redirect_error(state, &e),
    })
}

/// RFC 6749 §4.1.2.1 with RFC 9207's `iss`, to a redirect URI already checked.
pub fn redirect_error(state: &AppState, e: &RedirectedError) -> HttpResponse {
    let mut params = vec![
        ("error", e.error.as_str()),
        ("error_description", e.description),
    ];
    if let Some(s) = e.state.as_deref() {
        params.push(("state", s));
    }
    params.push(("iss", state.settings.issuer.as_str()));
    see_other(&with_query(&e.redirect_uri, &params), Vec::new())
}

fn refuse(
    state: &AppState,
    request: &AuthorizationRequest,
    error: AuthzError,
    description: &'static str,
) -> HttpResponse {
    redirect_error(
        state,
        &RedirectedError {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            error,
            description,
        },
    )
}

/// The sign-in page for this request.
pub fn login_page(
    state: &AppState,
    req: &HttpRequest,
    request: &AuthorizationRequest,
    params: &AuthorizationParams,
    (status, error, email): (StatusCode, Option<&str>, &str),
    mut cookies: Vec<Cookie<'static>>,
) -> HttpResponse {
    let (token, csrf) = form_token(req, state.settings.cookies.secure);
    cookies.push(csrf);
    let page = LoginPage {
        title: "Sign in",
        client_name: &request.client.name,
        email,
        error,
        csrf_token: &token,
        hidden: params.pairs(),
    };
    html(
        status,
        origin(&request.redirect_uri).as_deref(),
        &page,
        cookies,
    )
}

/// Goes on from where the browser stands; `cookies` ride on whatever answers.
pub async fn proceed(
    state: &AppState,
    req: &HttpRequest,
    request: &AuthorizationRequest,
    params: &AuthorizationParams,
    sign_in: Option<&SignIn>,
    done: JustDone,
    mut cookies: Vec<Cookie<'static>>,
) -> HttpResponse {
    let consented = match sign_in {
        Some(s) if !request.client.first_party => {
            match state
                .sessions
                .consented_scope(&s.user_id, &request.client.id)
                .await
            {
                Ok(c) => c,
                Err(e) => return failure_page(e),
            }
        }
        _ => None,
    };
    let now = state.clock.unix();
    match (
        next_step(request, sign_in, consented.as_deref(), now, done),
        sign_in,
    ) {
        (Step::Refuse(error), _) => {
            let description = match error {
                AuthzError::LoginRequired => "the user is not signed in",
                AuthzError::ConsentRequired => "the user has not consented to this client",
                _ => "the request was refused",
            };
            refuse(state, request, error, description)
        }
        (Step::Login, _) | (_, None) => login_page(
            state,
            req,
            request,
            params,
            (StatusCode::OK, None, ""),
            cookies,
        ),
        (Step::Consent, Some(s)) => {
            let email = match state.sessions.user(&s.user_id).await {
                Ok(Some(user)) => user.email,
                Ok(None) => {
                    return refuse(
                        state,
                        request,
                        AuthzError::LoginRequired,
                        "the account is gone",
                    )
                }
                Err(e) => return failure_page(e),
            };
            let (token, csrf) = form_token(req, state.settings.cookies.secure);
            cookies.push(csrf);
            let page = ConsentPage {
                title: "Allow access",
                client_name: &request.client.name,
                scopes: request.scope.split(' ').filter(|s| !s.is_empty()).collect(),
                user_email: &email,
                csrf_token: &token,
                hidden: params.pairs(),
            };
            html(
                StatusCode::OK,
                origin(&request.redirect_uri).as_deref(),
                &page,
                cookies,
            )
        }
        (Step::Issue, Some(s)) => match state.sessions.issue_code(request, s).await {
            Ok(issued) => {
                let mut query = vec![("code", issued.code.as_str())];
                if let Some(st) = request.state.as_deref() {
                    query.push(("state", st));
                }
                query.push(("iss", state.settings.issuer.as_str()));
                see_other(&with_query(&request.redirect_uri, &query), cookies)
            }
            Err(e) => failure_page(e),
        },
    }
}

/// The sign-in the browser's authority session cookie proves, if any.
pub async fn current_sign_in(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<SignIn>, HttpResponse> {
    match super::cookies::session_value(req) {
        None => Ok(None),
        Some(value) => state.sessions.signed_in(&value).await.map_err(failure_page),
    }
}
