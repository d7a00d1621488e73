//! RFC 6749's token endpoint: the password, refresh-token and client-credentials
//! grants.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::code_grant::{code_grant, CodeForm};
use super::{authenticated_client, no_store, omitted_if_empty, FormCredentials};
use crate::http::auth::{client_address, login_failure};
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::responses::{Throttled, TooLarge, Unavailable};
use crate::sessions::{AuthenticatedClient, LoginFailure, RefreshFailure, ScopeError, Session};
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
    #[serde(default, deserialize_with = "omitted_if_empty")]
    code: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    redirect_uri: Option<String>,
    #[serde(default, deserialize_with = "omitted_if_empty")]
    code_verifier: Option<String>,
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
    /// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5); the answer adds `id_token` when
    /// `openid` was granted. A public client sends `client_id` alone.
    AuthorizationCode {
        code: String,
        /// Exactly the authorization request's.
        redirect_uri: String,
        /// 43 to 128 characters of `[A-Za-z0-9-._~]`.
        code_verifier: String,
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
    /// OpenID Connect Core §3.1.3.3: only from the authorization code grant with `openid`
    /// (answered by `code_grant.rs`; described here so the document shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    id_token: Option<String>,
}

fn invalid_grant() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidGrant,
        "the grant is invalid, expired or revoked",
    )
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
        (status = 200, description = "RFC 6749 §5.1 (with `id_token` for an authorization code granted `openid`)", body = TokenResponse),
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
    let client = authenticated_client(&state, &req, form.credentials()).await?;
    let grant = match form.grant_type.as_deref().map(Grant::parse) {
        Some(Some(grant)) => grant,
        Some(None) => {
            return Err(ApiError::new(
                ErrorCode::UnsupportedGrantType,
                "the grant type is not supported",
            ))
        }
        None => return Err(ApiError::bad_request("grant_type is required")),
    };
    if let Some(client) = &client {
        if !client.may_use(grant) {
            return Err(unauthorized_client(grant));
        }
    }
    match grant {
        Grant::Password => password_grant(&state, &req, form, client).await,
        Grant::RefreshToken => refresh_grant(&state, form, client).await,
        Grant::ClientCredentials => client_credentials_grant(&state, form, client).await,
        Grant::AuthorizationCode => {
            let fields = CodeForm {
                code: form.code.as_deref(),
                redirect_uri: form.redirect_uri.as_deref(),
                code_verifier: form.code_verifier.as_deref(),
            };
            code_grant(&state, fields, client).await
        }
    }
}

/// RFC 6749 §5.2: the client is real but not registered for this grant; a 400 there.
fn unauthorized_client(grant: Grant) -> ApiError {
    ApiError::new(
        ErrorCode::UnauthorizedClient,
        format!(
            "the client is not registered for the {} grant",
            grant.as_str()
        ),
    )
    .with_status(actix_web::http::StatusCode::BAD_REQUEST)
}

impl TokenForm {
    fn credentials(&self) -> FormCredentials<'_> {
        (self.client_id.as_deref(), self.client_secret.as_deref())
    }
}

async fn password_grant(
    state: &AppState,
    req: &HttpRequest,
    form: TokenForm,
    client: Option<AuthenticatedClient>,
) -> Result<HttpResponse, ApiError> {
    let (Some(username), Some(password)) = (form.username, form.password) else {
        return Err(ApiError::bad_request("username and password are required"));
    };
    let scope = state
        .sessions
        .user_scope(client.as_ref(), form.scope.as_deref())
        .map_err(invalid_scope)?;
    let address = client_address(req);
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
    Ok(no_store(TokenResponse::from(session)))
}

async fn refresh_grant(
    state: &AppState,
    form: TokenForm,
    client: Option<AuthenticatedClient>,
) -> Result<HttpResponse, ApiError> {
    let presented = form
        .refresh_token
        .ok_or_else(|| ApiError::bad_request("refresh_token is required"))?;
    let client_id = client.as_ref().map(|c| c.id.as_str());
    match state
        .sessions
        .refresh(&presented, client_id, form.scope.as_deref())
        .await
    {
        Ok(session) => Ok(no_store(TokenResponse::from(session))),
        Err(RefreshFailure::Error(e)) => Err(e.into()),
        Err(RefreshFailure::InvalidScope(e)) => Err(invalid_scope(e)),
        Err(RefreshFailure::InvalidGrant | RefreshFailure::WrongClient) => Err(invalid_grant()),
    }
}

async fn client_credentials_grant(
    state: &AppState,
    form: TokenForm,
    client: Option<AuthenticatedClient>,
) -> Result<HttpResponse, ApiError> {
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
    let issued = state
        .tokens
        .issue_now(
            Subject {
                sub: &client.id,
                client_id: &client.id,
                scope: &scope,
                roles: None,
                sid: None,
            },
            Grant::ClientCredentials,
        )
        .await?;
    Ok(no_store(TokenResponse {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        refresh_token: None,
        scope,
        id_token: None,
    }))
}

impl From<Session> for TokenResponse {
    fn from(session: Session) -> Self {
        Self {
            access_token: session.access.token,
            token_type: "Bearer",
            expires_in: session.access.expires_in,
            refresh_token: Some(session.refresh.as_str().to_owned()),
            scope: session.scope,
            id_token: None,
        }
    }
}
