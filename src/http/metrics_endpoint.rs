//! `/metrics` on its own listener, for Prometheus.

use actix_web::{get, web, HttpResponse};

use crate::state::AppState;

/// The key gauges are set here, from this replica's key ring, so they are true at
/// every scrape whichever replica changed the keys.
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let ring = state.keys.ring();
    state.metrics.observe_keys(&ring.state_counts);
    if let Some(at) = ring.current_activated_at {
        state
            .metrics
            .current_key_age
            .set((state.clock.unix() - at).max(0));
    }
    let pool = &state.db.pool;
    state
        .metrics
        .db_pool_connections
        .with_label_values(&["open"])
        .set(i64::from(pool.size()));
    state
        .metrics
        .db_pool_connections
        .with_label_values(&["idle"])
        .set(i64::try_from(pool.num_idle()).unwrap_or(i64::MAX));
    HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(state.metrics.render())
}
