//! HTTP metrics labelled by route *pattern*, so cardinality stays bounded.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
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
    let method = req.method().as_str().to_owned();
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let status = res.status().as_u16().to_string();
        metrics
            .http_requests
            .with_label_values(&[&route, &method, &status])
            .inc();
        metrics
            .http_duration
            .with_label_values(&[&route, &method])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}
