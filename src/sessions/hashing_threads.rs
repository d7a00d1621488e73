//! The threads password hashes run on: as many as `PasswordHasher` lets run at once,
//! started once, at a lower CPU priority than the threads that serve requests.
//!
//! An argon2id hash keeps a core busy for tens of milliseconds. At the same priority
//! as the actix workers, a burst of logins made every other request wait for the
//! scheduler's turn: refresh p99 was 23-36 ms under 32 clients logging in
//! (bench/login_pressure). At nice 10 the kernel runs a worker that wakes up at once,
//! and hashes take whatever CPU the requests leave: only logins slow down when the
//! machine is saturated, which is where the cost of a login belongs.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// How much lower than normal hashing runs (nice values go from -20 to 19).
const NICENESS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct HashingThreads {
    jobs: mpsc::Sender<Job>,
}

impl HashingThreads {
    pub fn start(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // A poisoned lock only means another hashing thread panicked.
                        let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match next {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("spawn a hashing thread");
        }
        Self { jobs }
    }

    /// Runs `work` on a hashing thread; `None` if it panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = done.send(outcome.ok());
        });
        self.jobs.send(job).ok()?;
        result.await.ok().flatten()
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() {
    // On Linux the nice value belongs to the thread, so this leaves the rest alone.
    // Raising one's own niceness needs no privilege; failing it only costs latency.
    // SAFETY: plain system calls on the calling thread, no pointers involved.
    let failed = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICENESS) != 0
    };
    if failed {
        tracing::warn!("password hashing runs at normal priority: setpriority failed");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

/// This thread's nice value (Linux), for tests.
#[cfg(all(test, target_os = "linux"))]
fn niceness() -> i32 {
    // SAFETY: as above.
    unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_at_lower_priority_than_the_caller() {
        let threads = HashingThreads::start(1);
        let caller = niceness();
        let there = threads.run(niceness).await.unwrap();
        assert_eq!(there, (caller + NICENESS).min(19));
        assert_eq!(niceness(), caller, "the caller's thread is untouched");
        assert!(threads.run(|| panic!("bad input")).await.is_none());
        assert_eq!(
            threads.run(|| 7).await,
            Some(7),
            "a panic does not kill the thread"
        );
    }
}
