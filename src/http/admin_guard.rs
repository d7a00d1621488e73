//! Bearer tokens: the one a request carries, and the extractor for an admin's.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use super::error::ApiError;
use crate::state::AppState;
use crate::tokens::AccessClaims;

/// A bearer whose `roles` holds `admin`.
pub struct Admin(pub AccessClaims);

/// The raw bearer token of a request, if it carries one.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The bearer token of a request that must carry one.
pub fn required_bearer_token(req: &HttpRequest) -> Result<&str, ApiError> {
    bearer_token(req).ok_or_else(|| ApiError::invalid_token("a bearer access token is required"))
}

async fn verified(req: HttpRequest) -> Result<AccessClaims, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?
        .clone();
    Ok(state.tokens.verify(required_bearer_token(&req)?).await?)
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let claims = verified(req).await?;
            if claims.has_role("admin") {
                Ok(Admin(claims))
            } else {
                Err(ApiError::forbidden("the admin role is required"))
            }
        })
    }
}
