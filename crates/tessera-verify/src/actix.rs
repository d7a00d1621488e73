//! An actix-web extractor: a handler that takes [`Verified`] runs only for a request
//! whose bearer token verifies. Register the verifier with
//! `App::new().app_data(web::Data::new(verifier))`.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::{bearer_token, refusal, AccessClaims, Verifier, VerifyError};

/// The claims of the request's verified bearer token.
#[derive(Debug, Clone)]
pub struct Verified(pub AccessClaims);

impl std::ops::Deref for Verified {
    type Target = AccessClaims;
    fn deref(&self) -> &AccessClaims {
        &self.0
    }
}

/// Why a request was refused: no bearer token, a token that does not verify (401), or
/// a verifier that cannot decide now (503).
#[derive(Debug)]
pub struct Refused(pub Option<VerifyError>);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(e) => write!(f, "{e}"),
            None => f.write_str("no bearer token"),
        }
    }
}

impl ResponseError for Refused {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(refusal(self.0.as_ref()).0).unwrap_or(StatusCode::UNAUTHORIZED)
    }

    fn error_response(&self) -> HttpResponse {
        let (_, body, challenge) = refusal(self.0.as_ref());
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/json");
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            res.insert_header((header::WWW_AUTHENTICATE, v));
        }
        res.body(body)
    }
}

impl FromRequest for Verified {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let verifier = req
            .app_data::<web::Data<Verifier>>()
            .map(|d| d.get_ref().clone())
            .or_else(|| req.app_data::<Verifier>().cloned());
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned);
        Box::pin(async move {
            let verifier = verifier.ok_or_else(|| {
                actix_web::error::ErrorInternalServerError(
                    "no tessera_verify::Verifier in app_data",
                )
            })?;
            let token = token.ok_or(Refused(None))?;
            match verifier.verify(&token).await {
                Ok(claims) => Ok(Verified(claims)),
                Err(e) => Err(Refused(Some(e)).into()),
            }
        })
    }
}
