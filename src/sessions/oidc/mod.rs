//! The authorization code flow and OpenID Connect: requests checked (`request`), what
//! they lead to (`step`), PKCE (`pkce`), redirects (`redirect`) as pure functions; the
//! authority session of the hosted login page (`authority`), codes (`codes`) and
//! consents (`consents`) as services applying them through the store.

mod authority;
mod codes;
mod consents;
mod params;
pub mod pkce;
pub mod redirect;
mod request;
mod step;

pub use authority::NewSignIn;
pub use codes::{CodeExchange, CodeFailure, IssuedCode, OidcTokens};
pub use params::AuthorizationParams;
pub use request::{validate, AuthorizationRequest, RedirectedError, Refusal};
pub use step::{covers, next_step, AuthzError, JustDone, Prompt, SignIn, Step};
