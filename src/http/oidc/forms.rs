//! The two form posts of the hosted flow: `POST /oauth/login` (the password) and
//! `POST /oauth/consent` (allow or deny). Each checks the CSRF token, then the
//! authorization request its hidden fields carry, all over again, then goes on.

use actix_web::http::{header, StatusCode};
use actix_web::{post, web, HttpRequest, HttpResponse};

use super::cookies::{form_token_matches, session, session_value};
use super::flow::{checked, current_sign_in, failure_page, login_page, proceed, redirect_error};
use super::page::error_page;
use crate::http::auth::client_address;
use crate::sessions::oidc::{
    AuthorizationParams, AuthorizationRequest, AuthzError, JustDone, RedirectedError,
};
use crate::sessions::LoginFailure;
use crate::state::AppState;

/// A posted form: its fields, and the authorization request among them.
struct Posted {
    fields: Vec<(String, String)>,
    params: AuthorizationParams,
}

impl Posted {
    fn new(form: web::Form<Vec<(String, String)>>) -> Self {
        let fields = form.into_inner();
        let params =
            AuthorizationParams::from_pairs(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        Self { fields, params }
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn forged() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "invalid_csrf",
        "the form is stale or was not sent from this site; go back and try again",
    )
}

/// The form, if its CSRF token is the browser's and the request it carries is good.
async fn accepted(
    req: &HttpRequest,
    state: &AppState,
    form: web::Form<Vec<(String, String)>>,
) -> Result<(Posted, AuthorizationRequest), HttpResponse> {
    let posted = Posted::new(form);
    if !form_token_matches(req, posted.field("csrf_token")) {
        return Err(forged());
    }
    let request = checked(state, &posted.params).await?;
    Ok((posted, request))
}

#[utoipa::path(
    tag = "oidc",
    request_body(content_type = "application/x-www-form-urlencoded", description = "email, password, csrf_token and the authorization request's parameters"),
    responses(
        (status = 303, description = "Signed in: on to the client with a code (or an error), the tessera_session cookie set"),
        (status = 200, description = "Signed in: the consent page", content_type = "text/html"),
        (status = 401, description = "Wrong email or password: the page again, with the error", content_type = "text/html"),
        (status = 400, description = "The authorization request in the form is not valid (an unknown client, an unregistered redirect_uri): an error page, never a redirect; a body that is not a form gets the JSON error", content(
            (String = "text/html"),
            (crate::http::error::ErrorBody = "application/json")
        )),
        (status = 403, description = "CSRF token missing or wrong", content_type = "text/html"),
        (status = 429, description = "Throttled: the page again, with Retry-After", content_type = "text/html"),
    )
)]
#[post("/oauth/login")]
pub async fn login_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (posted, request) = match accepted(&req, &state, form).await {
        Ok(both) => both,
        Err(answer) => return answer,
    };
    let email = posted.field("email").unwrap_or("");
    let password = posted.field("password").unwrap_or("").to_owned();
    let address = client_address(&req);
    let failed = |status, message: &str| {
        login_page(
            &state,
            &req,
            &request,
            &posted.params,
            (status, Some(message), email),
            Vec::new(),
        )
    };
    match state
        .sessions
        .sign_in(
            email,
            password,
            address.as_deref(),
            session_value(&req).as_deref(),
        )
        .await
    {
        Ok(new) => {
            let cookie = session(new.cookie_value, new.max_age, state.settings.cookies.secure);
            let done = JustDone {
                signed_in: true,
                consented: false,
            };
            proceed(
                &state,
                &req,
                &request,
                &posted.params,
                Some(&new.sign_in),
                done,
                vec![cookie],
            )
            .await
        }
        Err(LoginFailure::InvalidCredentials) => {
            failed(StatusCode::UNAUTHORIZED, "Invalid email or password.")
        }
        Err(LoginFailure::Throttled(secs)) => {
            let mut page = failed(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts. Wait a few minutes, then try again.",
            );
            if let Ok(value) = header::HeaderValue::from_str(&secs.max(1).to_string()) {
                page.headers_mut().insert(header::RETRY_AFTER, value);
            }
            page
        }
        Err(LoginFailure::Error(e)) => failure_page(e),
    }
}

#[utoipa::path(
    tag = "oidc",
    request_body(content_type = "application/x-www-form-urlencoded", description = "decision (allow or deny), csrf_token and the authorization request's parameters"),
    responses(
        (status = 303, description = "On to the client: a code when allowed, error=access_denied when denied"),
        (status = 200, description = "Not signed in (any more): the sign-in page", content_type = "text/html"),
        (status = 400, description = "The authorization request in the form is not valid (an unknown client, an unregistered redirect_uri): an error page, never a redirect; a body that is not a form gets the JSON error", content(
            (String = "text/html"),
            (crate::http::error::ErrorBody = "application/json")
        )),
        (status = 403, description = "CSRF token missing or wrong", content_type = "text/html"),
    )
)]
#[post("/oauth/consent")]
pub async fn consent_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let (posted, request) = match accepted(&req, &state, form).await {
        Ok(both) => both,
        Err(answer) => return answer,
    };
    let sign_in = match current_sign_in(&state, &req).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return login_page(
                &state,
                &req,
                &request,
                &posted.params,
                (StatusCode::OK, None, ""),
                Vec::new(),
            )
        }
        Err(answer) => return answer,
    };
    match posted.field("decision") {
        Some("allow") => {}
        Some("deny") => {
            return redirect_error(
                &state,
                &RedirectedError {
                    redirect_uri: request.redirect_uri.clone(),
                    state: request.state.clone(),
                    error: AuthzError::AccessDenied,
                    description: "the user denied the request",
                },
            )
        }
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "decision must be allow or deny",
            )
        }
    }
    if let Err(e) = state
        .sessions
        .record_consent(&sign_in.user_id, &request.client.id, &request.scope)
        .await
    {
        return failure_page(e);
    }
    // The password was typed in this flow, or the session was good enough to reach the
    // consent page: either way it is not asked for again here.
    let done = JustDone {
        signed_in: true,
        consented: true,
    };
    proceed(
        &state,
        &req,
        &request,
        &posted.params,
        Some(&sign_in),
        done,
        Vec::new(),
    )
    .await
}
