//! OpenID Connect userinfo (Core 1.0 §5.3): the user an access token with `openid`
//! names, as live as the token is (a revoked token gets 401).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::http::admin_guard::required_bearer_token;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::responses::{Unauthenticated, Unavailable};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    sub: String,
    /// With scope `email`.
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// With scope `email`: always false, tessera does not verify addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verified: Option<bool>,
}

async fn answer(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let token = required_bearer_token(&req)?;
    let (claims, user) = state.tokens.verify_with_user(token).await?;
    let user =
        user.ok_or_else(|| ApiError::invalid_token("the token does not belong to a user"))?;
    let scopes: Vec<&str> = claims.scope.split(' ').collect();
    if !scopes.contains(&"openid") {
        return Err(ApiError::forbidden(
            "the access token was not granted the openid scope",
        ));
    }
    let email = scopes.contains(&"email");
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(UserInfo {
            sub: user.id,
            email: email.then_some(user.email),
            email_verified: email.then_some(false),
        }))
}

#[utoipa::path(
    tag = "oidc",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserInfo),
        Unauthenticated,
        (status = 403, description = "The token lacks the openid scope", body = ErrorBody),
        Unavailable,
    )
)]
#[get("/oauth/userinfo")]
pub async fn userinfo_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    answer(req, state).await
}

#[utoipa::path(
    tag = "oidc",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserInfo),
        Unauthenticated,
        (status = 403, description = "The token lacks the openid scope", body = ErrorBody),
        Unavailable,
    )
)]
#[post("/oauth/userinfo")]
pub async fn userinfo_post(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    answer(req, state).await
}
