//! The browser flow: `/auth/login`, `/auth/refresh`, `/auth/logout`, `/auth/me`.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::{Deserialize, Serialize};

use super::admin_guard::{bearer_token, required_bearer_token};
use super::cookies::{self, CSRF_COOKIE, CSRF_HEADER, REFRESH_COOKIE};
use super::error::{ApiError, ErrorBody, ErrorCode};
use super::json_body::JsonObject;
use super::responses::{Malformed, Throttled, TooLarge, Unauthenticated, Unavailable};
use crate::sessions::{LoginFailure, RefreshFailure, RevocationReason, Session};
use crate::state::AppState;
use crate::tokens::random_id;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AccessTokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
}

/// The client address as the login throttle keys it: the peer, or what a trusted
/// proxy says (see `client_address`), never a header anyone else sent.
pub fn client_address(req: &HttpRequest) -> Option<String> {
    super::client_address::client_address(req).map(|ip| ip.to_string())
}

pub fn login_failure(e: LoginFailure) -> ApiError {
    match e {
        LoginFailure::InvalidCredentials => {
            ApiError::new(ErrorCode::InvalidGrant, "invalid email or password")
                .with_status(StatusCode::UNAUTHORIZED)
        }
        LoginFailure::Throttled(secs) => ApiError::too_many_requests(secs),
        LoginFailure::Error(e) => e.into(),
    }
}

fn with_session(
    mut response: HttpResponseBuilder,
    state: &AppState,
    session: Session,
) -> HttpResponse {
    let secure = state.settings.cookies.secure;
    response
        .insert_header(("Cache-Control", "no-store"))
        .cookie(cookies::refresh(
            session.refresh.as_str().to_owned(),
            session.refresh_max_age,
            secure,
        ))
        .cookie(cookies::csrf(random_id(), session.refresh_max_age, secure))
        .json(AccessTokenResponse {
            access_token: session.access.token,
            token_type: "Bearer",
            expires_in: session.access.expires_in,
        })
}

#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Access token; refresh token and CSRF token in cookies", body = AccessTokenResponse),
        Malformed,
        Unauthenticated,
        TooLarge,
        Throttled,
        Unavailable,
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonObject<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let address = client_address(&req);
    let session = state
        .sessions
        .login(&body.email, body.password, address.as_deref(), None, "")
        .await
        .map_err(login_failure)?;
    Ok(with_session(HttpResponse::Ok(), &state, session))
}

/// The double-submit check: the header must repeat the CSRF cookie.
fn check_csrf(req: &HttpRequest) -> Result<(), ApiError> {
    let cookie = req.cookie(CSRF_COOKIE);
    let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match (cookie, header) {
        (Some(c), Some(h)) if !c.value().is_empty() && c.value() == h => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::InvalidCsrf,
            "the X-CSRF-Token header must equal the tessera_csrf cookie",
        )),
    }
}

#[utoipa::path(
    tag = "auth",
    params(
        ("X-CSRF-Token" = String, Header, description = "The value of the tessera_csrf cookie"),
        ("tessera_csrf" = Option<String>, Cookie, nullable = false, description = "Set by login and refresh"),
        ("tessera_refresh" = Option<String>, Cookie, nullable = false, description = "The refresh token, set by login and refresh"),
    ),
    responses(
        (status = 200, description = "Rotated: new access token, new cookies", body = AccessTokenResponse),
        Unauthenticated,
        (status = 403, description = "CSRF header missing or different from the cookie", body = ErrorBody),
        Unavailable,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req)?;
    let presented = req
        .cookie(REFRESH_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    match state.sessions.refresh(&presented, None, None).await {
        Ok(session) => Ok(with_session(HttpResponse::Ok(), &state, session)),
        Err(RefreshFailure::Error(e)) => Err(e.into()),
        Err(
            RefreshFailure::InvalidGrant
            | RefreshFailure::WrongClient
            | RefreshFailure::InvalidScope(_),
        ) => Err(ApiError::new(
            ErrorCode::InvalidGrant,
            "the refresh token is invalid, expired or revoked",
        )
        .with_status(StatusCode::UNAUTHORIZED)),
    }
}

#[utoipa::path(
    tag = "auth",
    params(
        ("X-CSRF-Token" = String, Header, description = "The value of the tessera_csrf cookie"),
        ("tessera_csrf" = Option<String>, Cookie, nullable = false, description = "Set by login and refresh"),
        ("tessera_refresh" = Option<String>, Cookie, nullable = false, description = "The refresh token, set by login and refresh"),
    ),
    responses(
        (status = 204, description = "Family revoked, bearer denylisted, cookies cleared"),
        (status = 403, description = "CSRF header missing or different from the cookie", body = ErrorBody),
        Unavailable,
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    check_csrf(&req)?;
    if let Some(cookie) = req.cookie(REFRESH_COOKIE) {
        state
            .sessions
            .revoke_refresh_token(cookie.value(), RevocationReason::Logout)
            .await?;
    }
    if let Some(token) = bearer_token(&req) {
        state.sessions.revoke_access_token(token).await?;
    }
    let mut response = HttpResponse::NoContent();
    for cookie in cookies::cleared(state.settings.cookies.secure) {
        response.cookie(cookie);
    }
    Ok(response.finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    sub: String,
    email: String,
    roles: Vec<String>,
}

#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Me),
        Unauthenticated,
        Unavailable,
    )
)]
#[get("/auth/me")]
pub async fn me(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let token = required_bearer_token(&req)?;
    // One query checks the token's revocation and reads its user.
    let (_, user) = state.tokens.verify_with_user(token).await?;
    let user =
        user.ok_or_else(|| ApiError::invalid_token("the token does not belong to a user"))?;
    Ok(HttpResponse::Ok().json(Me {
        sub: user.id,
        email: user.email,
        roles: user.roles,
    }))
}
