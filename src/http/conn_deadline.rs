//! A deadline on each connection for the phases actix does not time.
//!
//! actix times the first request head (`client_request_timeout`) and an idle
//! kept-alive connection (`keep_alive`), nothing else: a client that sends
//! the *next* request head one byte at a time (or one byte and then nothing),
//! or a request body one byte at a time, holds its connection and file
//! descriptor for ever (slowloris). Here every connection gets a watchdog:
//! from a response to the next request's head it allows the keep-alive wait
//! plus the head timeout, and from a head to its response [`REQUEST`]. When
//! the deadline passes, the socket is shut down, which ends the connection as
//! if the client had gone. tests/bounds drives these attacks.
//!
//! Moving the deadline wakes nobody: the watchdog never sleeps more than
//! [`BETWEEN_REQUESTS`] at a time, and every deadline a request sets is at
//! least that far ahead, so it can only move past the watchdog's alarm, never
//! before it. When the alarm rings the watchdog reads the deadline again. (It
//! used to be woken twice per request, to re-arm a timer each time: more CPU
//! than the rest of the middleware together.)

use std::any::Any;
use std::cell::Cell;
use std::future::{ready, Future, Ready};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::{
    forward_ready, Extensions, Service, ServiceRequest, ServiceResponse, Transform,
};
use actix_web::Error;
use tokio::time::{sleep_until, Instant};

/// How long a kept-alive connection may wait for its next request.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// How long a client has to send its first request head, from connecting.
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// From a response to the next request's head being read.
const BETWEEN_REQUESTS: Duration = KEEP_ALIVE.saturating_add(REQUEST_HEAD_TIMEOUT);
/// From a request's head to its response: reading a body of 64 KiB at most
/// and handling it. Handlers take well under a second and the database gives
/// up after a few; only a client trickling its body comes near this.
pub const REQUEST: Duration = Duration::from_secs(30);

// What lets `Watch::set` skip waking the watchdog (see the module doc).
const _: () = assert!(REQUEST.as_nanos() >= BETWEEN_REQUESTS.as_nanos());

struct Watch {
    deadline: Cell<Instant>,
    in_flight: Cell<usize>,
}

impl Watch {
    /// `after` is never less than `BETWEEN_REQUESTS`.
    fn set(&self, after: Duration) {
        self.deadline.set(Instant::now() + after);
    }
}

/// The connection's watchdog; dropped with the connection, which stops it.
struct ConnDeadline {
    watch: Rc<Watch>,
    // Owned here, not by the watchdog task, so that the descriptor closes
    // together with actix's: the peer sees the connection end at once.
    _socket: Rc<std::net::TcpStream>,
    watchdog: tokio::task::JoinHandle<()>,
}

impl Drop for ConnDeadline {
    fn drop(&mut self) {
        self.watchdog.abort();
    }
}

/// `HttpServer::on_connect`: starts the watchdog of a plain TCP connection.
pub fn on_connect(io: &dyn Any, data: &mut Extensions) {
    let Some(stream) = io.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    // A second descriptor of the same socket: shutting it down ends the
    // connection actix holds, and it can never name another connection's socket.
    let Ok(fd) = stream.as_fd().try_clone_to_owned() else {
        return;
    };
    let socket = Rc::new(std::net::TcpStream::from(fd));
    let watch = Rc::new(Watch {
        deadline: Cell::new(Instant::now() + BETWEEN_REQUESTS),
        in_flight: Cell::new(0),
    });
    let watchdog = actix_web::rt::spawn({
        let watch = watch.clone();
        let socket = Rc::downgrade(&socket);
        async move {
            loop {
                let now = Instant::now();
                let deadline = watch.deadline.get();
                if now >= deadline {
                    tracing::debug!("connection over its deadline: closed");
                    if let Some(socket) = socket.upgrade() {
                        let _ = socket.shutdown(Shutdown::Both);
                    }
                    return;
                }
                // Never past now + BETWEEN_REQUESTS: no later deadline can be set
                // before this alarm, so none needs to wake the watchdog.
                sleep_until(deadline.min(now + BETWEEN_REQUESTS)).await;
            }
        }
    });
    data.insert(ConnDeadline {
        watch,
        _socket: socket,
        watchdog,
    });
}

/// Marks a request in flight on its connection for as long as it is.
pub struct InFlight(Rc<Watch>);

impl InFlight {
    fn start(watch: Rc<Watch>) -> Self {
        watch.in_flight.set(watch.in_flight.get() + 1);
        watch.set(REQUEST);
        Self(watch)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let left = self.0.in_flight.get().saturating_sub(1);
        self.0.in_flight.set(left);
        if left == 0 {
            self.0.set(BETWEEN_REQUESTS);
        }
    }
}

/// Moves each connection's deadline as its requests start and end (`App::wrap`).
/// A `Transform` rather than `middleware::from_fn`, which boxes a future per request.
pub struct Track;

impl<S, B> Transform<S, ServiceRequest> for Track
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = TrackService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(TrackService { service }))
    }
}

pub struct TrackService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for TrackService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Tracked<S::Future>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let in_flight = req
            .conn_data::<ConnDeadline>()
            .map(|c| InFlight::start(c.watch.clone()));
        Tracked {
            inner: self.service.call(req),
            _in_flight: in_flight,
        }
    }
}

pin_project_lite::pin_project! {
    /// The request's handling; the connection counts it in flight until it is dropped.
    pub struct Tracked<F> {
        #[pin]
        inner: F,
        _in_flight: Option<InFlight>,
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}
