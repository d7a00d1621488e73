//! HTTP metrics labelled by route *pattern* and a known method, so cardinality stays
//! bounded whatever a client sends.
//!
//! Each worker resolves a series' handles once and keeps them (`Series`): prometheus's
//! `with_label_values` hashes the labels and takes a lock shared by every worker, on
//! every request. The cache holds what the registry holds (one entry per route
//! pattern, method label and status), so it is bounded the same way.

use std::cell::RefCell;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpRequest};
use prometheus::{Histogram, IntCounter};

use crate::metrics::Metrics;

/// Counts and times every request (`App::wrap`); unmatched paths share the label
/// `unmatched`.
pub struct RecordMetrics {
    metrics: Metrics,
}

impl RecordMetrics {
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RecordMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RecordMetricsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RecordMetricsService {
            service,
            series: Rc::new(Series {
                metrics: self.metrics.clone(),
                by_route: RefCell::default(),
            }),
        }))
    }
}

pub struct RecordMetricsService<S> {
    service: S,
    series: Rc<Series>,
}

impl<S, B> Service<ServiceRequest> for RecordMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Recorded<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        Recorded {
            started: Instant::now(),
            method: method_label(req.method()),
            series: self.series.clone(),
            inner: self.service.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    pub struct Recorded<F> {
        #[pin]
        inner: F,
        started: Instant,
        method: &'static str,
        series: Rc<Series>,
    }
}

impl<F, B> Future for Recorded<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = std::task::ready!(this.inner.poll(cx))?;
        this.series.record(
            res.request(),
            this.method,
            res.status(),
            this.started.elapsed().as_secs_f64(),
        );
        Poll::Ready(Ok(res))
    }
}

/// One worker's handles on the request series, by route pattern.
struct Series {
    metrics: Metrics,
    /// A list, not a map: a few dozen routes cost less to scan than a string to hash.
    by_route: RefCell<Vec<RouteSeries>>,
}

/// The series of one route and method.
struct RouteSeries {
    /// The resource whose pattern `route` is, when it has a name ([`Resource`]).
    resource: Option<Resource>,
    route: Box<str>,
    method: &'static str,
    duration: Histogram,
    requests: Vec<(StatusCode, IntCounter)>,
}

/// A matched resource, known by the address of its name in the worker's resource
/// map. actix finds the name of the matched resource without allocating, where the
/// route pattern is a new `String` per request; the address tells apart two resources
/// of the same name (`revoke` is two routes), and the map lives as long as the worker,
/// like this cache. Every `#[get]`-style route has a name; the default service has none.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Resource(usize);

fn resource_of(req: &HttpRequest) -> Option<Resource> {
    req.match_name()
        .map(|name| Resource(name.as_ptr() as usize))
}

impl Series {
    fn record(&self, req: &HttpRequest, method: &'static str, status: StatusCode, seconds: f64) {
        let mut by_route = self.by_route.borrow_mut();
        let resource = resource_of(req);
        let known = resource.and_then(|r| {
            by_route
                .iter()
                .position(|s| s.method == method && s.resource == Some(r))
        });
        let at = match known {
            Some(at) => at,
            None => {
                let route = req.match_pattern();
                let route = route.as_deref().unwrap_or("unmatched");
                match by_route
                    .iter()
                    .position(|s| s.method == method && &*s.route == route)
                {
                    Some(at) => at,
                    None => {
                        by_route.push(RouteSeries {
                            resource,
                            route: route.into(),
                            method,
                            duration: self
                                .metrics
                                .http_duration
                                .with_label_values(&[route, method]),
                            requests: Vec::new(),
                        });
                        by_route.len() - 1
                    }
                }
            }
        };
        let series = &mut by_route[at];
        series.duration.observe(seconds);
        let at = match series.requests.iter().position(|(s, _)| *s == status) {
            Some(at) => at,
            None => {
                let counter = self.metrics.http_requests.with_label_values(&[
                    &series.route,
                    series.method,
                    status.as_str(),
                ]);
                series.requests.push((status, counter));
                series.requests.len() - 1
            }
        };
        series.requests[at].1.inc();
    }
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
