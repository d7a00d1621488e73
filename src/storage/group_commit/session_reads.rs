//! The sign-in lookups of `/oauth/authorize`, batched: each request reads its
//! authority session by the hash of its cookie, and requests that arrive together are
//! answered by one read (`AuthorizationBatches::live_authority_sessions`) instead of
//! one each. A lone lookup is read as before.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use super::next_batch;

use crate::domain::UnixTime;
use crate::storage::{AuthoritySessionRow, AuthorizationBatches, AuthorizationStore, StoreError};

/// Reads never cover more sessions than this.
const MAX_BATCH: usize = 64;

type Answer = Result<Option<AuthoritySessionRow>, StoreError>;

/// One waiting lookup.
pub struct SessionRead {
    pub secret_hash: Vec<u8>,
    pub now: UnixTime,
    pub reply: oneshot::Sender<Answer>,
}

pub async fn session_reads<S: AuthorizationBatches + AuthorizationStore>(
    store: Arc<S>,
    receiver: Arc<Mutex<mpsc::Receiver<SessionRead>>>,
) {
    loop {
        let Some(mut reads) = next_batch(&receiver, MAX_BATCH).await else {
            return;
        };
        if let [read] = reads.as_slice() {
            let found = store
                .live_authority_session(&read.secret_hash, read.now)
                .await;
            if let Some(read) = reads.pop() {
                // The request may be gone; nothing was changed for it.
                let _ = read.reply.send(found);
            }
            continue;
        }
        read_together(&*store, reads).await;
    }
}

/// One read for every lookup: the sessions live at the earliest of their times, each
/// then held to its own.
async fn read_together<S: AuthorizationBatches>(store: &S, reads: Vec<SessionRead>) {
    let mut hashes: Vec<Vec<u8>> = reads.iter().map(|r| r.secret_hash.clone()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let Some(earliest) = reads.iter().map(|r| r.now).min() else {
        return;
    };
    match store.live_authority_sessions(&hashes, earliest).await {
        Ok(rows) => {
            let by_hash: HashMap<&[u8], &AuthoritySessionRow> = rows
                .iter()
                .map(|row| (row.secret_hash.as_slice(), row))
                .collect();
            for read in reads {
                let found = by_hash
                    .get(read.secret_hash.as_slice())
                    .filter(|row| row.expires_at > read.now.secs())
                    .map(|row| (*row).clone());
                let _ = read.reply.send(Ok(found));
            }
        }
        Err(e) => {
            for read in reads {
                let _ = read.reply.send(Err(e.again()));
            }
        }
    }
}
