//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): ends the authority
//! session (the browser's, and the one the `id_token_hint` names) and revokes every
//! family it started; then back to a registered `post_logout_redirect_uri`, or a page.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};

use super::cookies::{session_cleared, session_value};
use super::flow::failure_page;
use super::page::{error_page, html, see_other, SignedOutPage};
use crate::sessions::oidc::redirect::with_query;
use crate::state::AppState;

fn refused(description: &str) -> HttpResponse {
    error_page(StatusCode::BAD_REQUEST, "invalid_request", description)
}

#[utoipa::path(
    tag = "oidc",
    params(
        ("id_token_hint" = Option<String>, Query, description = "An ID token tessera issued (expired is fine)"),
        ("post_logout_redirect_uri" = Option<String>, Query, description = "Registered for the client, exactly"),
        ("client_id" = Option<String>, Query, description = "The client, when no id_token_hint names it"),
        ("state" = Option<String>, Query, description = "Echoed on the redirect"),
    ),
    responses(
        (status = 303, description = "Signed out: to post_logout_redirect_uri with state"),
        (status = 200, description = "Signed out: a page", content_type = "text/html"),
        (status = 400, description = "A bad hint or an unregistered URI: an error page, never a redirect", content_type = "text/html"),
    )
)]
#[get("/oauth/logout")]
pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Ok(query) = web::Query::<Vec<(String, String)>>::from_query(req.query_string()) else {
        return refused("the query does not decode");
    };
    // Each at most once (RFC 6749 §3.1 holds for these too); empty is absent.
    let param = |name: &str| {
        let mut values = query.iter().filter(|(k, v)| k == name && !v.is_empty());
        let first = values.next().map(|(_, v)| v.as_str());
        (first, values.next().is_some())
    };
    let names = [
        "id_token_hint",
        "post_logout_redirect_uri",
        "client_id",
        "state",
    ];
    let [hint, redirect_uri, client_id, echo] = names.map(param);
    if [hint, redirect_uri, client_id, echo]
        .iter()
        .any(|(_, repeated)| *repeated)
    {
        return refused("a parameter was sent more than once");
    }
    let (hint, redirect_uri, client_id, echo) = (hint.0, redirect_uri.0, client_id.0, echo.0);
    let hint = match hint.map(|t| state.tokens.id_token_hint(t)) {
        None => None,
        Some(Ok(claims)) => Some(claims),
        Some(Err(reason)) => {
            tracing::info!(%reason, "id_token_hint refused");
            return refused("id_token_hint is not an ID token this issuer signed");
        }
    };
    let client_id = match (hint.as_ref().map(|h| h.aud.as_str()), client_id) {
        (Some(aud), Some(id)) if aud != id => {
            return refused("client_id is not the id_token_hint's audience")
        }
        (Some(aud), _) => Some(aud),
        (None, id) => id,
    };
    let client = match client_id {
        None => None,
        Some(id) => match state.sessions.client_by_id(id).await {
            Ok(Some(client)) => Some(client),
            Ok(None) => return refused("no client is registered with this client_id"),
            Err(e) => return failure_page(e),
        },
    };
    if let Some(uri) = redirect_uri {
        let registered = client
            .as_ref()
            .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
        if !registered {
            return refused("post_logout_redirect_uri is not registered for this client");
        }
    }
    let mut ended = Vec::new();
    if let Some(h) = &hint {
        ended.push(h.sid.clone());
    }
    if let Some(value) = session_value(&req) {
        match state.sessions.signed_in(&value).await {
            Ok(Some(s)) => ended.push(s.session_id),
            Ok(None) => {}
            Err(e) => return failure_page(e),
        }
    }
    for sid in ended {
        if let Err(e) = state.sessions.sign_out(&sid).await {
            return failure_page(e);
        }
    }
    let cleared = vec![session_cleared(state.settings.cookies.secure)];
    match redirect_uri {
        Some(uri) => {
            let query: Vec<(&str, &str)> = echo.map(|s| vec![("state", s)]).unwrap_or_default();
            see_other(&with_query(uri, &query), cleared)
        }
        None => html(
            StatusCode::OK,
            None,
            &SignedOutPage {
                title: "Signed out",
            },
            cleared,
        ),
    }
}
