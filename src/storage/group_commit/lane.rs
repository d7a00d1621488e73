//! A lane: takes what is queued, screens it, spends it in one batch and settles the
//! rest (see the module doc of `group_commit`).

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use super::next_batch;

use super::screen::{screen, ScreenRecord};
use super::RotationMetrics;
use crate::domain::{ClientId, StatusSlot, UnixTime};
use crate::storage::{
    RotateOutcome, Rotation, RotationBatches, RotationRules, SpentBatch, StoreError,
};

/// Batches never exceed this; the store pads a batch's statements up to a power of
/// two, so each connection prepares at most a handful of statement texts.
const MAX_BATCH: usize = 64;

/// One waiting rotation, owned so that it outlives the request that queued it: a
/// rotation is never cut in half because its client hung up.
pub struct Job {
    presented: Vec<u8>,
    client: Option<ClientId>,
    child: Vec<u8>,
    child_status: Option<StatusSlot>,
    now: UnixTime,
    idle_ttl: i64,
    grace: i64,
    rules: RotationRules,
    reply: oneshot::Sender<Result<RotateOutcome, StoreError>>,
}

impl Job {
    pub fn new(
        r: &Rotation<'_>,
        reply: oneshot::Sender<Result<RotateOutcome, StoreError>>,
    ) -> Self {
        Self {
            presented: r.presented.to_vec(),
            client: r.client.cloned(),
            child: r.child.to_vec(),
            child_status: r.child_status.cloned(),
            now: r.now,
            idle_ttl: r.idle_ttl,
            grace: r.grace,
            rules: r.rules,
            reply,
        }
    }

    fn rotation(&self) -> Rotation<'_> {
        Rotation {
            presented: &self.presented,
            client: self.client.as_ref(),
            child: &self.child,
            child_status: self.child_status.as_ref(),
            now: self.now,
            idle_ttl: self.idle_ttl,
            grace: self.grace,
            rules: self.rules,
        }
    }

    fn answer(self, outcome: Result<RotateOutcome, StoreError>) {
        // The request may be gone; its rotation is done all the same.
        let _ = self.reply.send(outcome);
    }
}

pub async fn lane<S: RotationBatches>(
    store: Arc<S>,
    receiver: Arc<Mutex<mpsc::Receiver<Job>>>,
    metrics: RotationMetrics,
) {
    let record = ScreenRecord::default();
    loop {
        let Some(mut jobs) = next_batch(&receiver, MAX_BATCH).await else {
            return;
        };
        metrics.batch_sizes.observe(jobs.len() as f64);
        // Screened first while junk is about, and always a lone rotation (a read then
        // costs little); otherwise junk shares this batch's transaction and is screened
        // after it, before anything takes a transaction of its own.
        let screened = record.screen_first() || jobs.len() == 1;
        if screened {
            jobs = screen_first(&*store, &metrics, &record, jobs).await;
            if jobs.is_empty() {
                continue;
            }
        }
        write_batch(&*store, &metrics, &record, jobs, screened).await;
    }
}

/// Screens `jobs` before their batch is written, and records what it found.
async fn screen_first<S: RotationBatches>(
    store: &S,
    metrics: &RotationMetrics,
    record: &ScreenRecord,
    jobs: Vec<Job>,
) -> Vec<Job> {
    let received = jobs.len();
    let rest = screen_out(store, metrics, jobs).await;
    record.screened_first(rest.len() < received);
    rest
}

/// Spends a batch of rotations and settles what it could not spend; `all_screened`
/// when every job was screened before.
async fn write_batch<S: RotationBatches>(
    store: &S,
    metrics: &RotationMetrics,
    record: &ScreenRecord,
    jobs: Vec<Job>,
    all_screened: bool,
) {
    // A token presented twice in one batch: the first presentation goes in, the
    // others wait for the batch and then rotate on their own.
    let mut seen = HashSet::new();
    let (batch, repeats): (Vec<Job>, Vec<Job>) = jobs
        .into_iter()
        .partition(|j| seen.insert(j.presented.clone()));
    let mut unspent = Vec::new();
    let mut alone = Vec::new();
    let mut retried = Vec::new();
    if batch.len() == 1 {
        alone = batch;
    } else {
        metrics.writer_transactions.inc();
        let rotations: Vec<Rotation> = batch.iter().map(Job::rotation).collect();
        let spent = store.spend_batch(&rotations).await;
        match spent {
            Ok(SpentBatch {
                outcomes,
                committed,
            }) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    match outcome {
                        Some(outcome) => job.answer(match &committed {
                            Ok(()) => Ok(outcome),
                            Err(e) => Err(e.again()),
                        }),
                        None => unspent.push(job),
                    }
                }
            }
            // The database is not answering: running each rotation again would keep
            // every caller waiting for the pool in turn. Each gets a 503 now.
            Err(e @ StoreError::Unavailable(_)) => {
                for job in batch {
                    job.answer(Err(e.again()));
                }
            }
            // Nothing was written: each rotation runs again on its own, so each gets
            // its own answer (and a deadlock between batches resolves itself).
            Err(_) => retried = batch,
        }
    }
    // What was not screened first (late joiners, or every job while the lane skips
    // screening) is screened now: junk ends here, after one read, before anything takes
    // a transaction of its own, and turns screening first back on.
    let not_spent = unspent.len();
    let unspent = screen_out(store, metrics, unspent).await;
    if unspent.len() < not_spent {
        record.record(true);
    }
    for job in unspent {
        metrics.writer_transactions.inc();
        let outcome = store.settle_unspent(&job.rotation()).await;
        job.answer(outcome);
    }
    // A lone rotation that was not screened (one token presented twice, say) is
    // screened like the rest before it takes a transaction of its own.
    if !all_screened {
        retried.append(&mut alone);
    }
    let alone_next: Vec<Job> = retried.into_iter().chain(repeats).collect();
    let not_screened = alone_next.len();
    let retried = screen_out(store, metrics, alone_next).await;
    if retried.len() < not_screened {
        record.record(true);
    }
    for job in alone.into_iter().chain(retried) {
        metrics.writer_transactions.inc();
        let outcome = store.rotate_alone(&job.rotation()).await;
        job.answer(outcome);
    }
}

/// Answers every job whose token one read shows to be unknown or dead (`Invalid`),
/// and returns the others, for the writer. If the read fails, every job gets its error:
/// the writer would most likely fail the same way, and junk must not reach it.
async fn screen_out<S: RotationBatches>(
    store: &S,
    metrics: &RotationMetrics,
    jobs: Vec<Job>,
) -> Vec<Job> {
    let mut hashes: Vec<&[u8]> = jobs.iter().map(|j| j.presented.as_slice()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let found = match store.read_presented(&hashes).await {
        Ok(found) => found,
        Err(e) => {
            for job in jobs {
                job.answer(Err(e.again()));
            }
            return Vec::new();
        }
    };
    let mut rest = Vec::with_capacity(jobs.len());
    for job in jobs {
        match screen(found.get(&job.presented), job.now.secs()) {
            Some(reason) => {
                metrics
                    .screened_out
                    .with_label_values(&[reason.as_str()])
                    .inc();
                job.answer(Ok(RotateOutcome::Invalid));
            }
            None => rest.push(job),
        }
    }
    rest
}
