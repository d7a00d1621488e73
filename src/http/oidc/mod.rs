//! The authorization code flow's pages and endpoints: `/oauth/authorize`, the hosted
//! sign-in and consent pages, userinfo and RP-initiated logout. Pages are rendered on
//! the server (`page`), without a line of script; each handler parses, asks
//! `sessions::oidc` what to do, and answers.

pub(super) mod assets;
pub(super) mod authorize;
mod cookies;
mod flow;
pub(super) mod forms;
pub(super) mod logout;
mod page;
pub(super) mod userinfo;
