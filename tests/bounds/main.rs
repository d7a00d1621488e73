//! Resource bounds: huge bodies, many headers, slow and idle clients.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
