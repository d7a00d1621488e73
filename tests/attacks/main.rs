//! Attack tokens against the running app: every forged or dead token is refused, never a 5xx.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
