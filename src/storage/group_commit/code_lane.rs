//! The lane for authorization codes: the codes `/oauth/authorize` issues and the
//! redemptions `/oauth/token` asks for, queued together and written in one
//! transaction per batch, as rotations are. Without it each code costs a write
//! transaction of its own at both ends of a flow (bench/codeflow).
//!
//! A redemption's rules still run inside the transaction that spends its code, and
//! exactly one presentation of a code wins: the store spends the batch's distinct
//! codes with one statement, and a code presented twice in one batch is spent by the
//! first presentation and found spent by the second (`sql::codes`). When a batch
//! fails, nothing of it was written and each job runs again alone, so each gets its
//! own answer.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use super::next_batch;

use crate::storage::{
    AuthorizationBatches, AuthorizationStore, CodeRedemption, CodeRow, RedeemOutcome, StoreError,
};

/// Batches never exceed this many jobs.
const MAX_BATCH: usize = 64;

/// One queued write, owned so that it outlives the request that queued it.
pub enum CodeJob {
    Insert(CodeRow, oneshot::Sender<Result<(), StoreError>>),
    Redeem(
        CodeRedemption,
        oneshot::Sender<Result<RedeemOutcome, StoreError>>,
    ),
}

impl CodeJob {
    /// Runs the job in a transaction of its own and answers it.
    async fn run_alone<S: AuthorizationStore>(self, store: &S) {
        // The request may be gone; its write is done all the same.
        match self {
            Self::Insert(code, reply) => {
                let _ = reply.send(store.insert_code(&code).await);
            }
            Self::Redeem(redemption, reply) => {
                let _ = reply.send(store.redeem_code(&redemption).await);
            }
        }
    }
}

pub async fn code_lane<S: AuthorizationBatches + AuthorizationStore>(
    store: Arc<S>,
    receiver: Arc<Mutex<mpsc::Receiver<CodeJob>>>,
) {
    loop {
        let Some(mut jobs) = next_batch(&receiver, MAX_BATCH).await else {
            return;
        };
        if jobs.len() == 1 {
            if let Some(job) = jobs.pop() {
                job.run_alone(&*store).await;
            }
            continue;
        }
        write_batch(&*store, jobs).await;
    }
}

async fn write_batch<S: AuthorizationBatches + AuthorizationStore>(store: &S, jobs: Vec<CodeJob>) {
    let mut codes = Vec::new();
    let mut inserted = Vec::new();
    let mut redemptions = Vec::new();
    for job in jobs {
        match job {
            CodeJob::Insert(code, reply) => {
                codes.push(code);
                inserted.push(reply);
            }
            CodeJob::Redeem(redemption, reply) => redemptions.push((redemption, reply)),
        }
    }
    // One order for every replica's batches, so that two batches spending the same
    // codes on PostgreSQL take their locks in the same order.
    redemptions.sort_by(|a, b| a.0.hash.cmp(&b.0.hash));
    let (redemptions, redeemed): (Vec<_>, Vec<_>) = redemptions.into_iter().unzip();
    match store.code_batch(&codes, &redemptions).await {
        Ok(outcomes) => {
            for reply in inserted {
                let _ = reply.send(Ok(()));
            }
            for (reply, outcome) in redeemed.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        // The database is not answering: running each job again would keep every
        // caller waiting for the pool in turn. Each gets a 503 now.
        Err(e @ StoreError::Unavailable(_)) => {
            for reply in inserted {
                let _ = reply.send(Err(e.again()));
            }
            for reply in redeemed {
                let _ = reply.send(Err(e.again()));
            }
        }
        Err(_) => {
            let alone = codes
                .into_iter()
                .zip(inserted)
                .map(|(c, r)| CodeJob::Insert(c, r))
                .chain(
                    redemptions
                        .into_iter()
                        .zip(redeemed)
                        .map(|(r, reply)| CodeJob::Redeem(r, reply)),
                );
            for job in alone {
                job.run_alone(store).await;
            }
        }
    }
}
