//! RFC 6749 token endpoint, RFC 7009 revocation, RFC 7662 introspection.

use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::admin_guard::bearer_token;
use super::auth::{client_address, login_failure};
use super::client_auth::presented_client;
use super::error::{ApiError, ErrorBody, ErrorCode};
use super::responses::{Malformed, Throttled, TooLarge, Unauthenticated, Unavailable};
use crate::sessions::{
    AuthenticatedClient, LoginFailure, RefreshFailure, RevocationReason, ScopeError,
};
use crate::state::AppState;
use crate::tokens::{Grant, Subject};

/// Read leniently, so a missing parameter gets an answer that names it; the document
/// shows the stricter per-grant shapes of [`TokenRequest`].
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default, deserialize_with = "omitted_if_empty")]
    grant_type: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    username: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    password: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    refresh_token: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    scope: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    client_secret: Option<String>,
}

/// RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were
/// omitted from the request." So `client_id=` beside HTTP Basic is no second client
/// authentication, and `scope=` asks for the default scope. (Revocation and
/// introspection apply it to client authentication only: an empty `token` is answered
/// like any invalid token.)
fn omitted_if_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|v| !v.is_empty()))
}

/// A token request: one shape per grant (RFC 6749 §4.3, §6, §4.4). Client credentials
/// go in HTTP Basic or, as `client_id` with `client_secret`, in the form.
#[derive(utoipa::ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
#[allow(dead_code)] // The document's description of TokenForm, never built.
pub enum TokenRequest {
    Password {
        username: String,
        password: String,
        /// Space-separated scope tokens (RFC 6749 §3.3), at most 1024 bytes, each
        /// registered for the client (without one: `tokens.first_party_scopes`).
        #[schema(nullable = false)]
        scope: Option<String>,
        #[schema(nullable = false)]
        client_id: Option<String>,
        #[schema(nullable = false)]
        client_secret: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
        /// Narrows the new access token's scope to these of the family's scopes.
        #[schema(nullable = false)]
        scope: Option<String>,
        #[schema(nullable = false)]
        client_id: Option<String>,
        #[schema(nullable = false)]
        client_secret: Option<String>,
    },
    ClientCredentials {
        /// Space-separated scope tokens, each granted to the client; all of them when absent.
        #[schema(nullable = false)]
        scope: Option<String>,
        #[schema(nullable = false)]
        client_id: Option<String>,
        #[schema(nullable = false)]
        client_secret: Option<String>,
    },
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "str::is_empty")]
    scope: String,
}

fn invalid_grant() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidGrant,
        "the grant is invalid, expired or revoked",
    )
}

async fn authenticated_client(
    state: &AppState,
    req: &HttpRequest,
    id: Option<&str>,
    secret: Option<&str>,
) -> Result<Option<AuthenticatedClient>, ApiError> {
    match presented_client(req.headers(), id, secret)? {
        Some(creds) => Ok(Some(state.sessions.authenticate_client(&creds).await?)),
        None => Ok(None),
    }
}

fn no_store(body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

fn invalid_scope(e: ScopeError) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidScope,
        match e {
            ScopeError::Malformed => "the scope is malformed",
            ScopeError::NotAllowed => "a requested scope is not granted to this client",
        },
    )
}

#[utoipa::path(
    tag = "oauth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, description = "RFC 6749 §5.1", body = TokenResponse),
        (status = 400, description = "RFC 6749 §5.2", body = ErrorBody),
        (status = 401, description = "invalid_client", body = ErrorBody),
        TooLarge,
        Throttled,
        Unavailable,
    )
)]
#[post("/oauth/token")]
pub async fn token_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    let client = authenticated_client(
        &state,
        &req,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    match form.grant_type.as_deref() {
        Some("password") => {
            let (Some(username), Some(password)) = (form.username, form.password) else {
                return Err(ApiError::bad_request("username and password are required"));
            };
            let scope = state
                .sessions
                .user_scope(client.as_ref(), form.scope.as_deref())
                .map_err(invalid_scope)?;
            let address = client_address(&req);
            let session = state
                .sessions
                .login(
                    &username,
                    password,
                    address.as_deref(),
                    client.as_ref(),
                    &scope,
                )
                .await
                .map_err(|e| match e {
                    // RFC 6749 §5.2: a 400 here, where `/auth/login` answers 401.
                    LoginFailure::InvalidCredentials => invalid_grant(),
                    other => login_failure(other),
                })?;
            Ok(no_store(TokenResponse {
                access_token: session.access.token,
                token_type: "Bearer",
                expires_in: session.access.expires_in,
                refresh_token: Some(session.refresh.as_str().to_owned()),
                scope: session.scope,
            }))
        }
        Some("refresh_token") => {
            let presented = form
                .refresh_token
                .ok_or_else(|| ApiError::bad_request("refresh_token is required"))?;
            match state
                .sessions
                .refresh(
                    &presented,
                    client.as_ref().map(|c| c.id.as_str()),
                    form.scope.as_deref(),
                )
                .await
            {
                Ok(session) => Ok(no_store(TokenResponse {
                    access_token: session.access.token,
                    token_type: "Bearer",
                    expires_in: session.access.expires_in,
                    refresh_token: Some(session.refresh.as_str().to_owned()),
                    scope: session.scope,
                })),
                Err(RefreshFailure::Error(e)) => Err(e.into()),
                Err(RefreshFailure::InvalidScope(e)) => Err(invalid_scope(e)),
                Err(RefreshFailure::InvalidGrant | RefreshFailure::WrongClient) => {
                    Err(invalid_grant())
                }
            }
        }
        Some("client_credentials") => {
            let client = client.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidClient,
                    "client authentication is required",
                )
            })?;
            let scope = state
                .sessions
                .client_scope(&client, form.scope.as_deref())
                .map_err(invalid_scope)?;
            let issued = state.tokens.issue(
                Subject {
                    sub: &client.id,
                    client_id: &client.id,
                    scope: &scope,
                    roles: None,
                    sid: None,
                },
                Grant::ClientCredentials,
            )?;
            Ok(no_store(TokenResponse {
                access_token: issued.token,
                token_type: "Bearer",
                expires_in: issued.expires_in,
                refresh_token: None,
                scope,
            }))
        }
        Some(_) => Err(ApiError::new(
            ErrorCode::UnsupportedGrantType,
            "the grant type is not supported",
        )),
        None => Err(ApiError::bad_request("grant_type is required")),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenOnlyForm {
    // Optional here so its absence gets a 400 that names it; required in the document.
    // An empty token is a token like any other: inactive, or nothing to revoke.
    #[schema(value_type = String, required = true)]
    token: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "omitted_if_empty")]
    token_type_hint: Option<String>,
    #[schema(nullable = false)]
    #[serde(default, deserialize_with = "omitted_if_empty")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    #[schema(nullable = false)]
    client_secret: Option<String>,
}

#[utoipa::path(
    tag = "oauth",
    request_body(content = TokenOnlyForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke (RFC 7009)"),
        Malformed,
        (status = 401, description = "invalid_client", body = ErrorBody),
        TooLarge,
        Unavailable,
    )
)]
#[post("/oauth/revoke")]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenOnlyForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    // Optional: holding the token is proof enough to kill it; bad credentials still fail.
    authenticated_client(
        &state,
        &req,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    let token = form
        .token
        .ok_or_else(|| ApiError::bad_request("token is required"))?;
    let refresh_first = form.token_type_hint.as_deref() != Some("access_token");
    if refresh_first {
        if !state
            .sessions
            .revoke_refresh_token(&token, RevocationReason::Revoked)
            .await?
        {
            state.sessions.revoke_access_token(&token).await?;
        }
    } else if !state.sessions.revoke_access_token(&token).await? {
        state
            .sessions
            .revoke_refresh_token(&token, RevocationReason::Revoked)
            .await?;
    }
    // RFC 7009 §2.2: 200 whether or not the token was valid.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[utoipa::path(
    tag = "oauth",
    request_body(content = TokenOnlyForm, content_type = "application/x-www-form-urlencoded"),
    security(("basic" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "RFC 7662", body = crate::sessions::Introspection),
        Malformed,
        Unauthenticated,
        (status = 403, description = "Not an admin, or a client not registered for introspection", body = ErrorBody),
        TooLarge,
        Unavailable,
    )
)]
#[post("/oauth/introspect")]
pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenOnlyForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    let client = authenticated_client(
        &state,
        &req,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .await?;
    // A bearer that is sent must be valid even when the client's credentials would do.
    let bearer = match bearer_token(&req) {
        Some(token) => Some(state.tokens.verify(token).await?),
        None => None,
    };
    let admin = bearer
        .as_ref()
        .is_some_and(|claims| claims.has_role("admin"));
    match (&client, &bearer) {
        (Some(client), _) if client.introspection || admin => {}
        (Some(_), _) => {
            return Err(ApiError::new(
                ErrorCode::UnauthorizedClient,
                "this client is not registered for introspection",
            ))
        }
        (None, None) => {
            return Err(ApiError::new(
                ErrorCode::InvalidClient,
                "a client registered for introspection or an admin bearer token is required",
            ))
        }
        (None, Some(_)) if admin => {}
        (None, Some(_)) => return Err(ApiError::forbidden("the admin role is required")),
    }
    let token = form
        .token
        .ok_or_else(|| ApiError::bad_request("token is required"))?;
    Ok(no_store(state.sessions.introspect(&token).await?))
}
