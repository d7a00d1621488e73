use serde::{Deserialize, Serialize};

/// The claims of an access token. Nothing secret goes in here: any holder can read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub client_id: String,
    /// Space separated, as RFC 6749 §3.3 writes scopes.
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The refresh family (session) a user token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Where the token's revocation shows (draft-ietf-oauth-status-list §6.1). Every
    /// token tessera issues carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

/// The `status` claim of a Referenced Token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub status_list: StatusListRef,
}

/// One bit of one Status List Token: `uri` is the list's, `idx` the token's index in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusListRef {
    pub idx: i64,
    pub uri: String,
}

/// `aud` is a string for one audience and an array for several (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn from_list(list: &[String]) -> Self {
        match list {
            [one] => Self::One(one.clone()),
            many => Self::Many(many.to_vec()),
        }
    }

    pub fn contains_any(&self, accepted: &[String]) -> bool {
        match self {
            Self::One(a) => accepted.contains(a),
            Self::Many(list) => list.iter().any(|a| accepted.contains(a)),
        }
    }
}

impl AccessClaims {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles
            .as_ref()
            .is_some_and(|r| r.iter().any(|x| x == role))
    }
}
