//! An authorization request's parameters as the browser brought them, from the query
//! of `GET /oauth/authorize` or the hidden fields of the login and consent forms.
//! Nothing here is trusted: `request::validate` checks every one again each time.

use serde::{Deserialize, Serialize};

/// The parameters of RFC 6749 §4.1.1, RFC 7636 §4.3 and OpenID Connect Core §3.1.2.1
/// that tessera reads; an empty value counts as absent (RFC 6749 §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    /// Names of parameters sent more than once (RFC 6749 §3.1: "MUST NOT").
    #[serde(skip)]
    pub repeated: Vec<String>,
}

impl AuthorizationParams {
    /// Reads name-value pairs (a decoded query or form); unknown names are ignored
    /// (RFC 6749 §3.1), repeated known ones are recorded.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut params = Self::default();
        for (name, value) in pairs {
            let Some(slot) = params.slot(name) else {
                continue;
            };
            if slot.is_some() {
                params.repeated.push(name.to_owned());
                continue;
            }
            if !value.is_empty() {
                *slot = Some(value.to_owned());
            }
        }
        params
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "response_type" => &mut self.response_type,
            "client_id" => &mut self.client_id,
            "redirect_uri" => &mut self.redirect_uri,
            "scope" => &mut self.scope,
            "state" => &mut self.state,
            "code_challenge" => &mut self.code_challenge,
            "code_challenge_method" => &mut self.code_challenge_method,
            "nonce" => &mut self.nonce,
            "prompt" => &mut self.prompt,
            "max_age" => &mut self.max_age,
            _ => return None,
        })
    }

    /// The parameters that are set, to carry in hidden form fields.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", &self.scope),
            ("state", &self.state),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("nonce", &self.nonce),
            ("prompt", &self.prompt),
            ("max_age", &self.max_age),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_absent_and_repeats_are_recorded() {
        let params = AuthorizationParams::from_pairs([
            ("client_id", "a"),
            ("scope", ""),
            ("client_id", "b"),
            ("unknown", "x"),
        ]);
        assert_eq!(params.client_id.as_deref(), Some("a"));
        assert_eq!(params.scope, None);
        assert_eq!(params.repeated, ["client_id"]);
    }

    #[test]
    fn pairs_round_trip() {
        let params = AuthorizationParams::from_pairs([("state", "s"), ("nonce", "n")]);
        let again = AuthorizationParams::from_pairs(params.pairs());
        assert_eq!(again, params);
    }
}
