//! `/admin/clients`: register, read, list and remove OAuth clients.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::admin_guard::Admin;
use super::admin_users::scope_list;
use super::error::ApiError;
use super::json_body::JsonObject;
use super::responses::{AdminErrors, Malformed, NotFound, TooLarge};
use crate::sessions::ClientRegistration;
use crate::state::AppState;
use crate::storage::ClientRow;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// Trimmed; 1 to 200 characters, none of them a control character.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
    name: String,
    #[serde(default)]
    #[schema(schema_with = scope_list)]
    scopes: Vec<String>,
    /// `confidential` (default: gets a secret) or `public` (no secret: a browser or
    /// native app, which authenticates nothing and relies on PKCE). `null` is the same
    /// as absent.
    #[serde(default, rename = "type")]
    #[schema(value_type = Option<ClientTypeName>, nullable = true)]
    client_type: Option<String>,
    /// Exact redirect URIs: `https`, or `http` to a loopback host; no fragment.
    /// At least one for the `authorization_code` grant; at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the browser; the same rules.
    #[serde(default)]
    #[schema(max_items = 20)]
    post_logout_redirect_uris: Vec<String>,
    /// By type when absent: confidential `authorization_code`, `refresh_token`,
    /// `client_credentials`; public `authorization_code`, `refresh_token`. The
    /// `password` grant only when listed. `null` is the same as absent.
    #[serde(default)]
    #[schema(value_type = Option<Vec<GrantTypeName>>, nullable = true)]
    grant_types: Option<Vec<String>>,
    /// Trusted by the operator: its users are not asked for consent. Default false.
    #[serde(default)]
    first_party: bool,
    /// May call `/oauth/introspect` (a resource server; confidential only). Default false.
    #[serde(default)]
    introspection: bool,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code, reason = "the document's enum of `type`, never built")]
enum ClientTypeName {
    Confidential,
    Public,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(
    dead_code,
    reason = "the document's enum of `grant_types`, never built"
)]
enum GrantTypeName {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    Password,
}

/// A registered client as an admin reads it: never its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientView {
    client_id: String,
    name: String,
    #[serde(rename = "type")]
    #[schema(value_type = ClientTypeName)]
    client_type: &'static str,
    scopes: Vec<String>,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    #[schema(value_type = Vec<GrantTypeName>)]
    grant_types: Vec<&'static str>,
    first_party: bool,
    introspection: bool,
    /// Unix seconds.
    created_at: i64,
}

impl From<&ClientRow> for ClientView {
    fn from(c: &ClientRow) -> Self {
        Self {
            client_id: c.id.clone(),
            name: c.name.clone(),
            client_type: c.client_type.as_str(),
            scopes: c.scopes.clone(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c.grant_types.iter().map(|g| g.as_str()).collect(),
            first_party: c.first_party,
            introspection: c.introspection,
            created_at: c.created_at,
        }
    }
}

/// The new client; `client_secret` is shown this once, and only a confidential
/// client has one.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    client: ClientView,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    client_secret: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientList {
    clients: Vec<ClientView>,
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = NewClient,
    responses(
        (status = 201, body = CreatedClient),
        Malformed,
        TooLarge,
        AdminErrors,
    )
)]
#[post("/admin/clients")]
pub async fn create_client(
    admin: Admin,
    state: web::Data<AppState>,
    body: JsonObject<NewClient>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let created = state
        .sessions
        .create_client(ClientRegistration {
            name: body.name,
            scopes: body.scopes,
            client_type: body.client_type,
            redirect_uris: body.redirect_uris,
            post_logout_redirect_uris: body.post_logout_redirect_uris,
            grant_types: body.grant_types,
            first_party: body.first_party,
            introspection: body.introspection,
        })
        .await?;
    tracing::info!(admin = %admin.0.sub, client = %created.client.id, "client registered");
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedClient {
            client: ClientView::from(created.client.as_ref()),
            client_secret: created.client_secret,
        }))
}

/// Extension: every registered client, oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = ClientList), AdminErrors)
)]
#[get("/admin/clients")]
pub async fn list_clients(
    _admin: Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let clients = state.sessions.list_clients().await?;
    Ok(HttpResponse::Ok().json(ClientList {
        clients: clients.iter().map(ClientView::from).collect(),
    }))
}

#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ClientView), NotFound, AdminErrors)
)]
#[get("/admin/clients/{id}")]
pub async fn get_client(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let client = state
        .sessions
        .client_by_id(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such client"))?;
    Ok(HttpResponse::Ok().json(ClientView::from(client.as_ref())))
}

/// Removes the client and revokes every refresh family granted to it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Removed"), NotFound, AdminErrors)
)]
#[delete("/admin/clients/{id}")]
pub async fn remove_client(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !state.sessions.remove_client(&id).await? {
        return Err(ApiError::not_found("no such client"));
    }
    tracing::warn!(admin = %admin.0.sub, client = %id, "client removed");
    Ok(HttpResponse::NoContent().finish())
}
