//! Every path of the HTTP contract, spelled once (`/work/shared/CONTRACT.md`); the
//! endpoint methods of `TestApp` and the process tests build their URLs from these.

pub const LOGIN: &str = "/auth/login";
pub const REFRESH: &str = "/auth/refresh";
pub const LOGOUT: &str = "/auth/logout";
pub const ME: &str = "/auth/me";

pub const TOKEN: &str = "/oauth/token";
pub const REVOKE: &str = "/oauth/revoke";
pub const INTROSPECT: &str = "/oauth/introspect";
pub const AUTHORIZE: &str = "/oauth/authorize";
pub const OAUTH_LOGIN: &str = "/oauth/login";
pub const OAUTH_CONSENT: &str = "/oauth/consent";
pub const USERINFO: &str = "/oauth/userinfo";
pub const OAUTH_LOGOUT: &str = "/oauth/logout";

pub const JWKS: &str = "/.well-known/jwks.json";
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";

pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const OPENAPI: &str = "/openapi.json";
/// On the metrics listener, not the API one.
pub const METRICS: &str = "/metrics";

pub const ADMIN_KEYS: &str = "/admin/keys";
pub const ADMIN_KEYS_ROTATE: &str = "/admin/keys/rotate";
pub const ADMIN_USERS: &str = "/admin/users";
pub const ADMIN_CLIENTS: &str = "/admin/clients";

/// `GET /admin/users/{id}/consents`, or with a client `DELETE .../{client_id}`.
pub fn admin_user_consents(id: &str, client: Option<&str>) -> String {
    match client {
        Some(c) => format!("{ADMIN_USERS}/{id}/consents/{c}"),
        None => format!("{ADMIN_USERS}/{id}/consents"),
    }
}

/// `POST /admin/keys/{kid}/revoke`
pub fn admin_key_revoke(kid: &str) -> String {
    format!("{ADMIN_KEYS}/{kid}/revoke")
}

/// `GET /admin/users/{id}`
pub fn admin_user(id: &str) -> String {
    format!("{ADMIN_USERS}/{id}")
}

/// `POST /admin/users/{id}/{action}`: `revoke-sessions` or `disable`.
pub fn admin_user_action(id: &str, action: &str) -> String {
    format!("{ADMIN_USERS}/{id}/{action}")
}

/// `GET /statuslists`: the status list aggregation; `/statuslists/{id}` one list.
pub const STATUS_LISTS: &str = "/statuslists";
