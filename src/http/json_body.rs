//! Body parsing that always answers a JSON 400 naming the problem.

use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// An optional JSON body: empty means `None`, anything else must parse.
pub fn optional_json<T: DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}
