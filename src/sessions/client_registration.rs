//! What an admin may register as a client: the pure checks behind
//! `POST /admin/clients` and `tessera clients add`, each refusal written for the admin.

use crate::domain::scope::MAX_SCOPE_BYTES;
use crate::domain::{check_redirect_uri, valid_scope_token, ClientType, Grant};

/// Enough for every environment of one app; a longer list is a mistake or an attack
/// on the page that lists them.
pub const MAX_REDIRECT_URIS: usize = 20;

/// What an admin registers, as sent.
#[derive(Debug, Clone, Default)]
pub struct ClientRegistration {
    pub name: String,
    pub scopes: Vec<String>,
    /// `confidential` when absent.
    pub client_type: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// By type when absent: see [`default_grants`].
    pub grant_types: Option<Vec<String>>,
    pub first_party: bool,
    /// May introspect tokens (a resource server).
    pub introspection: bool,
}

/// A registration that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRegistration {
    pub name: String,
    pub scopes: Vec<String>,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<Grant>,
    pub first_party: bool,
    pub introspection: bool,
}

/// The grants a client gets when the registration names none. The password grant is
/// never a default (RFC 9700 §2.4: it MUST NOT be used); an admin enables it by name.
pub fn default_grants(client_type: ClientType) -> Vec<Grant> {
    match client_type {
        ClientType::Confidential => vec![
            Grant::AuthorizationCode,
            Grant::RefreshToken,
            Grant::ClientCredentials,
        ],
        ClientType::Public => vec![Grant::AuthorizationCode, Grant::RefreshToken],
    }
}

/// A client name an admin can read back: 1 to 200 characters, no control characters.
pub fn valid_client_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 200 && !name.chars().any(char::is_control)
}

pub fn check_registration(r: ClientRegistration) -> Result<CheckedRegistration, String> {
    let name = r.name.trim();
    if !valid_client_name(name) {
        return Err("name must be 1 to 200 characters, none of them control characters".into());
    }
    if let Some(bad) = r.scopes.iter().find(|s| !valid_scope_token(s)) {
        return Err(format!("scope `{}` is not a valid scope token", shown(bad)));
    }
    // Every token the client gets without naming a scope carries them all.
    if r.scopes.join(" ").len() > MAX_SCOPE_BYTES {
        return Err(format!(
            "scopes must add up to at most {MAX_SCOPE_BYTES} bytes"
        ));
    }
    let client_type = match r.client_type.as_deref() {
        None => ClientType::Confidential,
        Some(t) => ClientType::parse(t)
            .ok_or_else(|| format!("type `{}` is not `confidential` or `public`", shown(t)))?,
    };
    let grant_types = match r.grant_types {
        None => default_grants(client_type),
        Some(names) => grants(&names)?,
    };
    if client_type == ClientType::Public && grant_types.contains(&Grant::ClientCredentials) {
        return Err("a public client has no secret, so it cannot use client_credentials".into());
    }
    if client_type == ClientType::Public && r.introspection {
        return Err("a public client has no secret, so it cannot introspect".into());
    }
    let redirect_uris = uris("redirect_uris", r.redirect_uris)?;
    if grant_types.contains(&Grant::AuthorizationCode) && redirect_uris.is_empty() {
        return Err("authorization_code needs at least one redirect URI in redirect_uris".into());
    }
    let post_logout_redirect_uris = uris("post_logout_redirect_uris", r.post_logout_redirect_uris)?;
    Ok(CheckedRegistration {
        name: name.to_owned(),
        scopes: dedup(r.scopes),
        client_type,
        redirect_uris,
        post_logout_redirect_uris,
        grant_types,
        first_party: r.first_party,
        introspection: r.introspection,
    })
}

fn grants(names: &[String]) -> Result<Vec<Grant>, String> {
    let mut out = Vec::new();
    for name in names {
        let grant = Grant::parse(name)
            .ok_or_else(|| format!("grant type `{}` is not supported", shown(name)))?;
        if !out.contains(&grant) {
            out.push(grant);
        }
    }
    Ok(out)
}

fn uris(field: &str, list: Vec<String>) -> Result<Vec<String>, String> {
    if list.len() > MAX_REDIRECT_URIS {
        return Err(format!("{field} holds at most {MAX_REDIRECT_URIS} URIs"));
    }
    for uri in &list {
        check_redirect_uri(uri).map_err(|why| format!("{field}: `{}` {why}", shown(uri)))?;
    }
    Ok(dedup(list))
}

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// A refused value echoed back: short, and with control characters escaped.
fn shown(value: &str) -> String {
    let cut: String = value.chars().take(64).collect();
    cut.escape_debug().to_string()
}

#[cfg(test)]
mod tests;
