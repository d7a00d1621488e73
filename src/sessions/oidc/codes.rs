//! Authorization codes: 256 random bits, stored as their SHA-256, 60 seconds, single
//! use, bound to everything the request and the sign-in said. Redeeming one spends it
//! and starts its family in one transaction; a second presentation revokes that family
//! (RFC 6749 §4.1.2).

use std::sync::Arc;

use super::authority::{random_secret, sha256};
use super::pkce::{valid_verifier, verifier_matches};
use super::{AuthorizationRequest, SignIn};
use crate::domain::{FamilyId, Grant, RevocationReason};
use crate::sessions::{AuthenticatedClient, RefreshToken, Session, SessionError, SessionService};
use crate::storage::{CodeFamily, CodeRedemption, CodeRow, RedeemOutcome};
use crate::tokens::{random_id, IdTokenFor, Subject};

/// A code lives this long (seconds).
pub const CODE_TTL: i64 = 60;

/// The code the browser takes back to the client.
pub struct IssuedCode {
    pub code: String,
}

/// A token request with `grant_type=authorization_code`, its client authenticated
/// (a public client by its id alone).
pub struct CodeExchange<'a> {
    pub code: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    pub client: &'a AuthenticatedClient,
}

#[derive(Debug)]
pub enum CodeFailure {
    /// A parameter is missing: `invalid_request`.
    Missing(&'static str),
    /// Unknown, expired, spent, another client's, another redirect URI's, or a verifier
    /// that does not match: one `invalid_grant` for all.
    InvalidGrant,
    Error(SessionError),
}

impl From<SessionError> for CodeFailure {
    fn from(e: SessionError) -> Self {
        Self::Error(e)
    }
}

impl From<crate::storage::StoreError> for CodeFailure {
    fn from(e: crate::storage::StoreError) -> Self {
        Self::Error(e.into())
    }
}

impl From<crate::tokens::MintError> for CodeFailure {
    fn from(e: crate::tokens::MintError) -> Self {
        Self::Error(e.into())
    }
}

/// A code exchange's tokens: a login's, and an ID token when `openid` was granted.
pub struct OidcTokens {
    pub session: Session,
    pub id_token: Option<String>,
}

fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}

impl SessionService {
    /// Issues a code for a request that `next_step` said to issue.
    pub async fn issue_code(
        &self,
        request: &AuthorizationRequest,
        sign_in: &SignIn,
    ) -> Result<IssuedCode, SessionError> {
        let code = random_secret()?;
        self.store
            .insert_code(&CodeRow {
                hash: sha256(&code),
                client_id: request.client.id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                scope: request.scope.clone(),
                nonce: request.nonce.clone(),
                user_id: sign_in.user_id.clone(),
                session_id: sign_in.session_id.clone(),
                auth_time: sign_in.auth_time,
                expires_at: self.clock.unix() + CODE_TTL,
            })
            .await?;
        Ok(IssuedCode { code })
    }

    /// Redeems a code for tokens: the family starts as a login's does.
    pub async fn exchange_code(&self, x: CodeExchange<'_>) -> Result<OidcTokens, CodeFailure> {
        let code = x.code.ok_or(CodeFailure::Missing("code is required"))?;
        let redirect_uri = x
            .redirect_uri
            .ok_or(CodeFailure::Missing("redirect_uri is required"))?;
        let verifier = x.code_verifier.ok_or(CodeFailure::Missing(
            "code_verifier is required (PKCE, RFC 7636)",
        ))?;
        // A code no issued code can be, or a verifier of the wrong form, costs nothing.
        if code.len() != 43 || !valid_verifier(verifier) {
            return Err(CodeFailure::InvalidGrant);
        }
        let client_id = x.client.id.as_str();
        let accept = {
            let (client_id, redirect_uri, verifier) = (
                client_id.to_owned(),
                redirect_uri.to_owned(),
                verifier.to_owned(),
            );
            move |row: &CodeRow| {
                row.client_id == client_id
                    && row.redirect_uri == redirect_uri
                    && verifier_matches(&verifier, &row.code_challenge)
            }
        };
        let now = self.clock.unix();
        let refresh = RefreshToken::generate(&self.refresh_mac);
        let family_id = random_id();
        // The access token's status slot goes on the family's first row, in the
        // redemption's own transaction.
        let reserved = self.tokens.reserve().await.map_err(SessionError::from)?;
        let outcome = self
            .store
            .redeem_code(&CodeRedemption {
                hash: sha256(code),
                client_id: client_id.to_owned(),
                now: self.clock.unix_time(),
                accept: Arc::new(accept),
                family: CodeFamily {
                    id: family_id.clone(),
                    expires_at: now + self.refresh_ttl,
                    first_token_hash: refresh.lookup_key(),
                    first_token_expires_at: now + self.refresh_idle_ttl.min(self.refresh_ttl),
                    first_token_status: reserved.slot.clone(),
                },
            })
            .await?;
        let (code, email, roles) = match outcome {
            RedeemOutcome::Redeemed { code, email, roles } => (code, email, roles),
            RedeemOutcome::Reused { family_id } => {
                tracing::warn!(client = client_id, family = ?family_id, "authorization code presented twice");
                if let Some(family) = family_id {
                    self.revoke_families(&[FamilyId::new(family)], RevocationReason::Reuse)
                        .await?;
                }
                return Err(CodeFailure::InvalidGrant);
            }
            RedeemOutcome::Refused | RedeemOutcome::Invalid => {
                return Err(CodeFailure::InvalidGrant)
            }
        };
        let access = self.tokens.issue(
            Subject {
                sub: &code.user_id,
                client_id,
                scope: &code.scope,
                roles: Some(roles),
                sid: Some(&family_id),
            },
            Grant::AuthorizationCode,
            reserved,
        )?;
        let id_token = if has_scope(&code.scope, "openid") {
            Some(self.tokens.issue_id_token(IdTokenFor {
                sub: &code.user_id,
                client_id,
                auth_time: code.auth_time,
                nonce: code.nonce.as_deref(),
                sid: &code.session_id,
                access_token: &access.token,
                email: has_scope(&code.scope, "email").then_some(email.as_str()),
            })?)
        } else {
            None
        };
        tracing::info!(user = %code.user_id, client = client_id, "authorization code redeemed");
        Ok(OidcTokens {
            session: Session {
                access,
                refresh,
                scope: code.scope,
                refresh_max_age: self.refresh_ttl,
            },
            id_token,
        })
    }
}
