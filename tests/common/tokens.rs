//! What a test reads out of responses: cookies, and access tokens verified by an
//! independent verifier (josekit and the published JWKS, nothing of tessera's).

use reqwest::Response;
use serde_json::Value;

/// The value of a named cookie among a response's `Set-Cookie` headers, with its attributes.
pub fn set_cookie(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

pub fn cookie_value(header: &str) -> String {
    header
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// Verifies `token` with josekit and nothing but the published JWKS: an independent verifier.
pub fn verify_with_jwks(jwks: &Value, token: &str) -> Result<Value, String> {
    use josekit::jws::{ES256, RS256};
    let header: Value = {
        use base64::Engine;
        let h = token.split('.').next().ok_or("no header")?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(h)
            .map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())?
    };
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let set = josekit::jwk::JwkSet::from_bytes(serde_json::to_vec(jwks).unwrap())
        .map_err(|e| e.to_string())?;
    let jwk = set
        .get(kid)
        .into_iter()
        .next()
        .ok_or_else(|| format!("kid {kid} is not in the JWKS"))?;
    let (payload, _) = match header["alg"].as_str() {
        Some("ES256") => josekit::jwt::decode_with_verifier(
            token,
            &ES256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?,
        ),
        Some("RS256") => josekit::jwt::decode_with_verifier(
            token,
            &RS256.verifier_from_jwk(jwk).map_err(|e| e.to_string())?,
        ),
        other => return Err(format!("unexpected alg {other:?}")),
    }
    .map_err(|e| e.to_string())?;
    Ok(serde_json::to_value(payload.claims_set()).unwrap())
}
