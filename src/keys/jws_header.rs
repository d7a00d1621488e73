//! The JOSE header of every access token a key signs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

use crate::domain::Algorithm;

#[derive(Serialize)]
struct Header<'a> {
    alg: Algorithm,
    kid: &'a str,
    typ: &'static str,
}

/// The base64url JOSE header of every token a key signs (`typ: at+jwt`, RFC 9068).
/// It never changes for a key, so the key ring encodes it once.
pub fn encode_header(alg: Algorithm, kid: &str) -> String {
    let header = serde_json::to_vec(&Header {
        alg,
        kid,
        typ: "at+jwt",
    })
    .expect("header serializes");
    URL_SAFE_NO_PAD.encode(header)
}
