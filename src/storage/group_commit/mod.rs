//! Group commit for refresh rotations and authorization codes, as a decorator around a
//! store: `GroupCommit` queues the rotations, the codes to store and redeem
//! (`code_lane`) and the sign-in lookups of `/oauth/authorize` (`session_reads`), and
//! forwards every other call to the store it wraps, which carries
//! out the batches (`RotationBatches`, `AuthorizationBatches`) and knows nothing of
//! the queues. The queues and their lanes hold no SQL.
//!
//! Concurrent rotations wait in one queue and a lane takes everything queued at once:
//! one transaction spends all their tokens, stores all the children and commits once.
//! A rotation costs its share of five round trips and one commit instead of four and
//! one of its own (bench/refresh).
//!
//! Before any of that, one read on the reader pool screens the batch (`screen`):
//! unknown tokens, and tokens that are expired or of a dead family, are answered at
//! once, and a batch left with nothing opens no transaction. Anyone can present a
//! well-formed token, and junk must not queue real rotations behind the one writer.
//! With nothing to find the read still costs time and CPU (about a tenth of the
//! rotations a second on SQLite), so after a run of clean screenings a lane screens
//! beforehand only once a second, until junk shows up again: junk then shares one
//! batch's transaction, never one of its own, is answered after one read, and turns
//! screening first back on.
//!
//! Exactly one of concurrent presentations of a token still wins: a batch holds each
//! token once (a repeat waits for the batch to commit, then meets the spent token like
//! any later presentation), and the store spends only what is unspent. What the batch
//! could not spend (reuse, grace, or a token that died since the read) is settled one
//! by one after the batch.
//!
//! May import the rest of `storage`; never `sql`, the engines or the services.

mod code_lane;
mod forward;
mod forward_authorization;
mod lane;
mod screen;
mod session_reads;

use std::sync::Arc;

use prometheus::{Histogram, IntCounter, IntCounterVec};
use tokio::sync::{mpsc, oneshot, Mutex};

use super::{
    AuthorizationBatches, AuthorizationStore, CodeRedemption, CodeRow, RedeemOutcome,
    RotateOutcome, Rotation, RotationBatches, StoreError,
};
use code_lane::{code_lane, CodeJob};
use lane::{lane, Job};
use screen::Screened;
use session_reads::{session_reads, SessionRead};

/// Rotations waiting beyond this are not queued: the caller gets a 503.
const QUEUE_DEPTH: usize = 8 * 1024;

/// What the lanes count, beyond the contract: what rotations cost the writer.
#[derive(Clone)]
pub struct RotationMetrics {
    /// How many rotations each batch carried.
    pub batch_sizes: Histogram,
    /// Writer transactions begun: one per batch, and one per rotation run alone.
    pub writer_transactions: IntCounter,
    /// Presentations answered by the screening read alone, by `reason` (`Screened`).
    pub screened_out: IntCounterVec,
}

/// `S` with its rotations group-committed.
pub struct GroupCommit<S> {
    store: Arc<S>,
    /// The lanes stop when this, the queue's only sender, is dropped.
    queue: mpsc::Sender<Job>,
    /// Codes to store and to redeem, for the code lanes; they stop likewise.
    codes: mpsc::Sender<CodeJob>,
    /// Sign-in lookups, read together.
    sessions: mpsc::Sender<SessionRead>,
}

impl<S: RotationBatches + AuthorizationBatches + AuthorizationStore + 'static> GroupCommit<S> {
    /// Starts `lanes` batch loops on the runtime that calls this. That is the
    /// process's multi-thread runtime, not an actix worker's single-threaded one: a
    /// pooled connection's socket belongs to the reactor of the runtime that opened
    /// it, so a rotation's whole transaction stays on one reactor instead of being
    /// woken through another worker's thread on every round trip.
    pub fn start(store: S, lanes: usize, metrics: RotationMetrics) -> Self {
        // Every reason is exported from the start, at 0.
        for reason in Screened::ALL {
            metrics.screened_out.with_label_values(&[reason.as_str()]);
        }
        let store = Arc::new(store);
        let (queue, receiver) = mpsc::channel(QUEUE_DEPTH);
        let receiver = Arc::new(Mutex::new(receiver));
        let (codes, code_receiver) = mpsc::channel(QUEUE_DEPTH);
        let code_receiver = Arc::new(Mutex::new(code_receiver));
        let (sessions, session_receiver) = mpsc::channel(QUEUE_DEPTH);
        let session_receiver = Arc::new(Mutex::new(session_receiver));
        for _ in 0..lanes.max(1) {
            tokio::spawn(lane(store.clone(), receiver.clone(), metrics.clone()));
            tokio::spawn(code_lane(store.clone(), code_receiver.clone()));
        }
        // Reads need no writer: two, so that one forms while the other reads.
        for _ in 0..lanes.max(2) {
            tokio::spawn(session_reads(store.clone(), session_receiver.clone()));
        }
        Self {
            store,
            queue,
            codes,
            sessions,
        }
    }
}

impl<S> GroupCommit<S> {
    /// Queues `r` and waits for its lane's answer. The lane owns the rotation: it runs
    /// to the end even when the caller goes away, so it is never cut in half.
    async fn rotate(&self, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .try_send(Job::new(r, reply))
            .map_err(|_| overloaded())?;
        answer.await.map_err(|_| overloaded())?
    }

    /// Queues a code to store, and waits for its lane's answer.
    async fn queue_code(&self, code: &CodeRow) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.codes
            .try_send(CodeJob::Insert(code.clone(), reply))
            .map_err(|_| overloaded())?;
        answer.await.map_err(|_| overloaded())?
    }

    /// Queues a redemption, and waits for its lane's answer. The lane owns it: a
    /// code is never spent without its family started because its client hung up.
    async fn queue_redemption(&self, r: &CodeRedemption) -> Result<RedeemOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.codes
            .try_send(CodeJob::Redeem(r.clone(), reply))
            .map_err(|_| overloaded())?;
        answer.await.map_err(|_| overloaded())?
    }
}

impl<S> GroupCommit<S> {
    /// Queues a sign-in lookup, and waits for its answer.
    async fn read_session(
        &self,
        secret_hash: &[u8],
        now: crate::domain::UnixTime,
    ) -> Result<Option<super::AuthoritySessionRow>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sessions
            .try_send(SessionRead {
                secret_hash: secret_hash.to_vec(),
                now,
                reply,
            })
            .map_err(|_| overloaded())?;
        answer.await.map_err(|_| overloaded())?
    }
}

/// Everything queued, up to `max`, once there is something: what a lane takes at a
/// time. `None` once the queue is closed and empty.
async fn next_batch<T>(receiver: &Mutex<mpsc::Receiver<T>>, max: usize) -> Option<Vec<T>> {
    let mut batch = Vec::with_capacity(max);
    let mut receiver = receiver.lock().await;
    (receiver.recv_many(&mut batch, max).await > 0).then_some(batch)
}

/// The queue is full, or the runtime is going away: the client may try again.
fn overloaded() -> StoreError {
    StoreError::Unavailable(sqlx::Error::PoolTimedOut)
}
