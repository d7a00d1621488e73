//! Body parsing that always answers a JSON 400 naming the problem.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ApiError;

fn invalid(e: serde_json::Error) -> ApiError {
    ApiError::bad_request(format!("invalid JSON body: {e}"))
}

/// serde builds a struct from an array of its fields in order as well (`["a@b.c", "pw"]`),
/// which the document does not allow: only an object becomes `T`.
fn from_object<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(object)).map_err(invalid)
}

/// An optional JSON object body: empty or `null` means `None`, anything else must parse.
pub fn optional_json<T: DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Option<Map<String, Value>>>(body).map_err(invalid)? {
        Some(object) => from_object(object).map(Some),
        None => Ok(None),
    }
}

/// A JSON object body, extracted like `web::Json` (content type, size limit, errors).
pub struct JsonObject<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let object = web::Json::<Map<String, Value>>::from_request(req, payload);
        Box::pin(async move { Ok(JsonObject(from_object(object.await?.into_inner())?)) })
    }
}
