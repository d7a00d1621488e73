//! The answer to a request no route takes: `405` with `Allow` when the path is one of
//! the documented resources and only the method is wrong (RFC 9110 §15.5.6), else `404`.

use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::http::header::{HeaderValue, ALLOW};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::error::ApiError;

/// Each documented path with its `Allow` value. Read from the OpenAPI document, which
/// is generated from the registered routes, so the two cannot disagree.
fn resources() -> &'static [(ResourceDef, HeaderValue)] {
    static RESOURCES: OnceLock<Vec<(ResourceDef, HeaderValue)>> = OnceLock::new();
    RESOURCES.get_or_init(|| {
        let api = super::openapi::document();
        api.paths
            .paths
            .iter()
            .filter_map(|(path, item)| {
                let methods: Vec<&str> = [
                    ("GET", &item.get),
                    // Every GET resource answers HEAD (`head::as_get`).
                    (
                        "HEAD",
                        if item.get.is_some() {
                            &item.get
                        } else {
                            &item.head
                        },
                    ),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                    ("OPTIONS", &item.options),
                    ("TRACE", &item.trace),
                ]
                .into_iter()
                .filter_map(|(name, op)| op.as_ref().map(|_| name))
                .collect();
                let allow = HeaderValue::from_str(&methods.join(", ")).ok()?;
                Some((ResourceDef::new(path.as_str()), allow))
            })
            .collect()
    })
}

pub async fn answer(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    match resources().iter().find(|(def, _)| def.is_match(path)) {
        Some((_, allow)) => {
            let mut res = ApiError::for_status(StatusCode::METHOD_NOT_ALLOWED).error_response();
            res.headers_mut().insert(ALLOW, allow.clone());
            res
        }
        None => ApiError::for_status(StatusCode::NOT_FOUND).error_response(),
    }
}
