//! HTTP metrics labelled by route *pattern* and a known method, so cardinality stays
//! bounded whatever a client sends.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

/// Counts and times every request; unmatched paths share the label `unmatched`.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = method_label(req.method());
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics
            .http_requests
            .with_label_values(&[&route, method, res.status().as_str()])
            .inc();
        metrics
            .http_duration
            .with_label_values(&[&route, method])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}

/// The `method` label: the RFC 9110 methods as themselves, any other token as
/// `other`. A method is whatever token a client sends (`FOOA1`, or 2,000 characters);
/// each distinct label value is a series kept for the life of the process.
pub fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "CONNECT" => "CONNECT",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_keep_their_name() {
        for name in [
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
        ] {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            assert_eq!(method_label(&method), name);
        }
    }

    #[test]
    fn any_other_token_is_other() {
        let long = "X".repeat(2_000);
        // Methods are case-sensitive (RFC 9110 §9.1): `get` is not GET.
        for name in ["FOOA1", "get", "Post", "PROPFIND", "QUERY", long.as_str()] {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            assert_eq!(
                method_label(&method),
                "other",
                "{}",
                &name[..name.len().min(8)]
            );
        }
    }
}
