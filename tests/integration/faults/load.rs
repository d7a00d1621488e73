//! A few clients that keep going through an outage: one carries a refresh family
//! forward (and calls /auth/me with each access token), one logs in over and over,
//! one reads the JWKS and discovery. Every answer is kept with the phase it started in.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::task::JoinHandle;

use super::session::{self, Reply};
use crate::common::paths;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Before,
    /// The database is being stopped: either state may be met.
    GoingDown,
    Outage,
    Recovering,
    After,
}

const PHASES: [Phase; 5] = [
    Phase::Before,
    Phase::GoingDown,
    Phase::Outage,
    Phase::Recovering,
    Phase::After,
];

#[derive(Debug)]
pub struct Sample {
    /// The phase when the request was sent, and when its answer came: a request that
    /// spans a change of phase may meet either state of the database.
    pub phase: Phase,
    pub phase_at_answer: Phase,
    pub route: &'static str,
    /// `None`: no answer at all.
    pub status: Option<StatusCode>,
    pub clean_unavailable: bool,
    pub latency: Duration,
    pub detail: String,
}

/// What the refresh client had to tolerate: a refresh answered 503 whose token was
/// spent after all (PostgreSQL committed, then the connection died before the answer).
#[derive(Debug, Default)]
pub struct Report {
    pub samples: Vec<Sample>,
    pub lost_answers: usize,
    pub rotations: usize,
}

pub struct Load {
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<Report>>,
}

/// A pause between requests so the load is steady, not a flood, on two cores.
const PACE: Duration = Duration::from_millis(25);

struct Ctx {
    base: String,
    email: String,
    password: String,
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
}

impl Ctx {
    fn phase(&self) -> Phase {
        PHASES[usize::from(self.phase.load(Ordering::SeqCst))]
    }

    fn running(&self) -> bool {
        !self.stop.load(Ordering::SeqCst)
    }

    fn record(&self, report: &mut Report, phase: Phase, route: &'static str, reply: &Reply) {
        let phase_at_answer = self.phase();
        report.samples.push(match reply {
            Ok(a) => Sample {
                phase,
                phase_at_answer,
                route,
                status: Some(a.status),
                clean_unavailable: session::is_clean_unavailable(a),
                latency: a.latency,
                detail: a.body.to_string(),
            },
            Err(e) => Sample {
                phase,
                phase_at_answer,
                route,
                status: None,
                clean_unavailable: false,
                latency: Duration::ZERO,
                detail: e.clone(),
            },
        });
    }
}

impl Load {
    pub fn start(base: &str, email: &str, password: &str) -> Load {
        let phase = Arc::new(AtomicU8::new(Phase::Before as u8));
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = || {
            Arc::new(Ctx {
                base: base.to_owned(),
                email: email.to_owned(),
                password: password.to_owned(),
                phase: phase.clone(),
                stop: stop.clone(),
            })
        };
        let tasks = vec![
            tokio::spawn(refresh_client(ctx())),
            tokio::spawn(login_client(ctx())),
            tokio::spawn(reader_client(ctx())),
        ];
        Load { phase, stop, tasks }
    }

    pub fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::SeqCst);
    }

    pub async fn finish(self) -> Report {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Report::default();
        for task in self.tasks {
            let r = task.await.expect("a load task panicked");
            all.samples.extend(r.samples);
            all.lost_answers += r.lost_answers;
            all.rotations += r.rotations;
        }
        all
    }
}

async fn refresh_client(ctx: Arc<Ctx>) -> Report {
    let client = crate::common::process::client();
    let mut report = Report::default();
    let mut tokens = None;
    // Set when a refresh was refused with 503: its token may have been spent anyway.
    let mut unsure = false;
    while ctx.running() {
        tokio::time::sleep(PACE).await;
        let phase = ctx.phase();
        let Some(current) = tokens.clone() else {
            let reply = session::login(&client, &ctx.base, &ctx.email, &ctx.password).await;
            ctx.record(&mut report, phase, "login", &reply);
            tokens = reply.ok().and_then(|a| a.tokens);
            continue;
        };
        let super::session::Tokens { refresh, access } = current;
        let reply = session::me(&client, &ctx.base, &access).await;
        ctx.record(&mut report, phase, "me", &reply);
        let reply = session::refresh(&client, &ctx.base, &refresh).await;
        match &reply {
            Ok(a) if a.status == StatusCode::OK => {
                tokens = a.tokens.clone();
                unsure = false;
                report.rotations += 1;
            }
            Ok(a) if unsure && session::is_invalid_grant(a) => {
                report.lost_answers += 1;
                tokens = None;
                unsure = false;
                continue;
            }
            Ok(a) if a.status == StatusCode::SERVICE_UNAVAILABLE => unsure = true,
            _ => {}
        }
        ctx.record(&mut report, phase, "refresh", &reply);
    }
    report
}

async fn login_client(ctx: Arc<Ctx>) -> Report {
    let client = crate::common::process::client();
    let mut report = Report::default();
    while ctx.running() {
        tokio::time::sleep(PACE).await;
        let phase = ctx.phase();
        let reply = session::login(&client, &ctx.base, &ctx.email, &ctx.password).await;
        ctx.record(&mut report, phase, "login", &reply);
    }
    report
}

async fn reader_client(ctx: Arc<Ctx>) -> Report {
    let client = crate::common::process::client();
    let mut report = Report::default();
    while ctx.running() {
        tokio::time::sleep(PACE).await;
        let phase = ctx.phase();
        let reply = session::get(&client, &ctx.base, paths::JWKS).await;
        ctx.record(&mut report, phase, "jwks", &reply);
        let reply = session::get(&client, &ctx.base, paths::OPENID_CONFIGURATION).await;
        ctx.record(&mut report, phase, "discovery", &reply);
    }
    report
}
