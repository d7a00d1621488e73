//! Group commit for refresh rotations. Concurrent rotations wait in one queue and a
//! lane takes everything queued at once: one transaction spends all their tokens
//! with one conditional UPDATE, reads their families with one SELECT, stores all the
//! children with one INSERT, and commits once. A rotation costs its share of five
//! round trips and one commit instead of four and one of its own (bench/refresh).
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
//! any later presentation), and the UPDATE only spends what is unspent, row by row,
//! under the engine's own locking. What the batch could not spend (reuse, grace, or a
//! token that died since the read) is settled one by one after the batch, by the same
//! code as an unbatched rotation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use prometheus::{Histogram, IntCounter, IntCounterVec};
use sqlx::any::AnyRow;
use sqlx::Row;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot, Mutex};

use super::screen::{read_presented, screen, ScreenRecord, Screened};
use super::sql::SqlStore;
use super::sql_sessions::{family_from_row, settle_unspent, verdict, FAMILY_FOR_ROTATION, SPEND};
use super::{RotateOutcome, Rotation, StoreError};

/// Batches never exceed this; the statements for a batch are padded up to a power of
/// two, so each connection prepares at most a handful of statement texts.
const MAX_BATCH: usize = 64;
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

/// One waiting rotation, owned so that it outlives the request that queued it: a
/// rotation is never cut in half because its client hung up.
pub(super) struct Job {
    presented: Vec<u8>,
    client: Option<String>,
    child: Vec<u8>,
    now: i64,
    idle_ttl: i64,
    grace: i64,
    reply: oneshot::Sender<Result<RotateOutcome, StoreError>>,
}

impl Job {
    fn rotation(&self) -> Rotation<'_> {
        Rotation {
            presented: &self.presented,
            client: self.client.as_deref(),
            child: &self.child,
            now: self.now,
            idle_ttl: self.idle_ttl,
            grace: self.grace,
        }
    }

    fn answer(self, outcome: Result<RotateOutcome, StoreError>) {
        // The request may be gone; its rotation is done all the same.
        let _ = self.reply.send(outcome);
    }
}

/// The queue's sending side; lanes stop when the last one is dropped.
#[derive(Clone)]
pub(super) struct RotationQueue {
    sender: mpsc::Sender<Job>,
}

impl RotationQueue {
    /// Starts `lanes` batch loops on `home`; `store` must not hold this queue.
    pub fn start(store: SqlStore, lanes: usize, metrics: RotationMetrics, home: &Handle) -> Self {
        // Every reason is exported from the start, at 0.
        for reason in Screened::ALL {
            metrics.screened_out.with_label_values(&[reason.as_str()]);
        }
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..lanes.max(1) {
            home.spawn(lane(store.clone(), receiver.clone(), metrics.clone()));
        }
        Self { sender }
    }

    pub async fn rotate(&self, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            presented: r.presented.to_vec(),
            client: r.client.map(str::to_owned),
            child: r.child.to_vec(),
            now: r.now,
            idle_ttl: r.idle_ttl,
            grace: r.grace,
            reply,
        };
        self.sender.try_send(job).map_err(|_| overloaded())?;
        answer.await.map_err(|_| overloaded())?
    }
}

/// The queue is full, or the runtime is going away: the client may try again.
fn overloaded() -> StoreError {
    StoreError::Unavailable(sqlx::Error::PoolTimedOut)
}

async fn lane(
    store: SqlStore,
    receiver: Arc<Mutex<mpsc::Receiver<Job>>>,
    metrics: RotationMetrics,
) {
    let record = ScreenRecord::default();
    loop {
        let mut jobs = Vec::with_capacity(MAX_BATCH);
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut jobs, MAX_BATCH).await == 0 {
                return;
            }
        }
        metrics.batch_sizes.observe(jobs.len() as f64);
        // Screened first while junk is about, and always a lone rotation (a read then
        // costs little); otherwise junk shares this batch's transaction and is screened
        // after it, before anything takes a transaction of its own.
        let screened = record.screen_first() || jobs.len() == 1;
        if screened {
            jobs = screen_first(&store, &metrics, &record, jobs).await;
            if jobs.is_empty() {
                continue;
            }
        }
        write_batch(&store, &metrics, &record, jobs, screened).await;
    }
}

/// Screens `jobs` before their batch is written, and records what it found.
async fn screen_first(
    store: &SqlStore,
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
async fn write_batch(
    store: &SqlStore,
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
        match spend_all(store, &batch).await {
            Ok(Spent {
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
        let outcome = settle_alone(store, &job.rotation()).await;
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
        let outcome = store.rotate(&job.rotation()).await;
        job.answer(outcome);
    }
}

/// Answers every job whose token one read shows to be unknown or dead (`Invalid`),
/// and returns the others, for the writer. If the read fails, every job gets its error:
/// the writer would most likely fail the same way, and junk must not reach it.
async fn screen_out(store: &SqlStore, metrics: &RotationMetrics, jobs: Vec<Job>) -> Vec<Job> {
    let mut hashes: Vec<&[u8]> = jobs.iter().map(|j| j.presented.as_slice()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let found = match read_presented(&store.pool, &hashes).await {
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
        match screen(found.get(&job.presented), job.now) {
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

/// A token the batch could not spend cannot become spendable again, so only the rest
/// of a rotation is left: reuse, grace, or a dead token.
async fn settle_alone(store: &SqlStore, r: &Rotation<'_>) -> Result<RotateOutcome, StoreError> {
    let tx = store.writer.begin().await?;
    settle_unspent(tx, r).await
}

/// What one batch transaction did: an outcome for every job whose token it spent
/// (`None`: not spendable, settled one by one afterwards), and whether the commit held.
struct Spent {
    outcomes: Vec<Option<RotateOutcome>>,
    committed: Result<(), StoreError>,
}

/// Spends every token of `batch` that is live and stores their children, in one
/// transaction. `Err` means nothing was committed.
async fn spend_all(store: &SqlStore, batch: &[Job]) -> Result<Spent, StoreError> {
    let now = batch.iter().map(|j| j.now).max().unwrap_or_default();
    let mut tx = store.writer.begin().await?;
    let n = padded(batch.len());
    let mut spend = sqlx::query(sqlx::AssertSqlSafe(spend_many_sql(n))).bind(now);
    for i in 0..n {
        let job = &batch[i.min(batch.len() - 1)];
        spend = spend.bind(job.presented.clone()).bind(job.child.clone());
    }
    let spent: HashMap<Vec<u8>, String> = spend
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("hash")?, row.try_get("family_id")?)))
        .collect::<Result<_, StoreError>>()?;
    let families = families_of(&mut tx, spent.values()).await?;

    let mut outcomes = Vec::with_capacity(batch.len());
    let mut children = Vec::new();
    let mut refused = Vec::new();
    for job in batch {
        let Some(family_id) = spent.get(&job.presented) else {
            outcomes.push(None);
            continue;
        };
        // SPEND checked the family in this transaction; if it is gone anyway, nothing
        // of the batch is kept rather than a token spent without its child.
        let row = families
            .get(family_id)
            .ok_or_else(|| StoreError::Corrupt(format!("family {family_id} vanished")))?;
        let family = family_from_row(row)?;
        let outcome = verdict(family, row, job.client.as_deref())?;
        match &outcome {
            RotateOutcome::Rotated { family, .. } => children.push(Child {
                hash: job.child.clone(),
                family_id: family.id.clone(),
                parent: job.presented.clone(),
                created_at: job.now,
                expires_at: (job.now + job.idle_ttl).min(family.expires_at),
            }),
            // Refused rotations spend nothing.
            _ => refused.push(job.presented.clone()),
        }
        outcomes.push(Some(outcome));
    }
    insert_children(&mut tx, &children).await?;
    if !refused.is_empty() {
        unspend(&mut tx, &refused).await?;
    }
    // A failed COMMIT may still have committed (the connection broke after the
    // server did it): those rotations are not run again, they answer with the error.
    let committed = tx.commit().await.map_err(StoreError::from);
    Ok(Spent {
        outcomes,
        committed,
    })
}

struct Child {
    hash: Vec<u8>,
    family_id: String,
    parent: Vec<u8>,
    created_at: i64,
    expires_at: i64,
}

/// The batch size rounded up to a power of two.
fn padded(n: usize) -> usize {
    n.next_power_of_two()
}

/// `SPEND` of `sql_sessions` for `n` tokens (`$2, $4, ...`), each linked to its own
/// child (`$3, $5, ...`), returning only which token of which family each row is: the
/// family columns come from one query per batch (`families_of`) instead of subqueries
/// per row.
fn spend_many_sql(n: usize) -> String {
    let (update, _) = SPEND
        .split_once(" RETURNING ")
        .expect("SPEND returns columns");
    let tokens = (0..n)
        .map(|i| format!("${}", 2 + 2 * i))
        .collect::<Vec<_>>()
        .join(", ");
    let links = (0..n)
        .map(|i| format!("WHEN ${} THEN ${}", 2 + 2 * i, 3 + 2 * i))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "{} RETURNING hash, family_id",
        update
            .replacen(
                "child_hash = $3",
                &format!("child_hash = CASE hash {links} END"),
                1
            )
            .replacen("WHERE hash = $2", &format!("WHERE hash IN ({tokens})"), 1)
    )
}

/// The rows of `FAMILY_FOR_ROTATION` for each of `ids`, by family id.
async fn families_of(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ids: impl Iterator<Item = &String>,
) -> Result<HashMap<String, AnyRow>, StoreError> {
    let ids: Vec<&String> = ids.collect::<HashSet<_>>().into_iter().collect();
    let Some(last) = ids.last() else {
        return Ok(HashMap::new());
    };
    let n = padded(ids.len());
    let sql = FAMILY_FOR_ROTATION.replacen(
        "WHERE f.id = $1",
        &format!("WHERE f.id IN ({})", placeholders(1, n, 1)),
        1,
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for i in 0..n {
        query = query.bind((*ids.get(i).unwrap_or(last)).clone());
    }
    query
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .map(|row| Ok((row.try_get("id")?, row)))
        .collect()
}

/// `$first, $(first+step), ...` groups of `width` parameters, `n` of them, each in
/// parentheses when `width > 1`.
fn placeholders(first: usize, n: usize, width: usize) -> String {
    (0..n)
        .map(|i| {
            let group = (0..width)
                .map(|k| format!("${}", first + i * width + k))
                .collect::<Vec<_>>()
                .join(", ");
            if width > 1 {
                format!("({group})")
            } else {
                group
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn insert_children(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    children: &[Child],
) -> Result<(), StoreError> {
    let Some(last) = children.last() else {
        return Ok(());
    };
    let n = padded(children.len());
    // Padding repeats the last row, which ON CONFLICT skips; a child hash is 256
    // random bits, so the row count still proves every child was stored.
    let sql = format!(
        "INSERT INTO refresh_tokens (hash, family_id, parent_hash, created_at, expires_at) \
         VALUES {} ON CONFLICT (hash) DO NOTHING",
        placeholders(1, n, 5)
    );
    let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
    for i in 0..n {
        let c = children.get(i).unwrap_or(last);
        insert = insert
            .bind(c.hash.clone())
            .bind(c.family_id.clone())
            .bind(c.parent.clone())
            .bind(c.created_at)
            .bind(c.expires_at);
    }
    let stored = insert.execute(&mut **tx).await?.rows_affected();
    if stored != children.len() as u64 {
        return Err(StoreError::Corrupt(format!(
            "stored {stored} of {} refresh tokens",
            children.len()
        )));
    }
    Ok(())
}

/// Puts back tokens whose rotation was refused (another client's family, a disabled
/// user), as the unbatched rotation does by rolling back.
async fn unspend(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    hashes: &[Vec<u8>],
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE refresh_tokens SET used_at = NULL, child_hash = NULL WHERE hash IN ({})",
        placeholders(1, hashes.len(), 1)
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for hash in hashes {
        query = query.bind(hash.clone());
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_parameter_once() {
        assert_eq!(placeholders(2, 3, 1), "$2, $3, $4");
        assert_eq!(placeholders(1, 2, 2), "($1, $2), ($3, $4)");
    }

    #[test]
    fn the_batch_spend_keeps_every_condition_of_the_single_one() {
        let sql = spend_many_sql(2);
        assert!(sql.starts_with("UPDATE refresh_tokens SET used_at = $1, child_hash = CASE hash WHEN $2 THEN $3 WHEN $4 THEN $5 END "), "{sql}");
        assert!(
            sql.contains("WHERE hash IN ($2, $4) AND used_at IS NULL"),
            "{sql}"
        );
        assert!(sql.ends_with("RETURNING hash, family_id"));
        let (single, _) = SPEND.split_once(" RETURNING ").unwrap();
        assert_eq!(sql.matches("$1").count(), single.matches("$1").count());
    }
}
