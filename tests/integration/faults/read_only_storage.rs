//! The SQLite outage: the database's files refuse every write, as they do on a disk
//! the kernel remounted read-only after an I/O error, the usual way an embedded
//! database becomes unusable in production.
//!
//! Why the immutable flag (`chattr +i`) and not the other ways to take the file away,
//! each tried against a connection already open in WAL mode, as the server's are:
//! - renaming or deleting the file or its directory changes nothing: open descriptors
//!   keep working (SQLite checks for a moved file only outside WAL mode);
//! - `chmod` does not stop root, and never stops descriptors that are already open;
//! - another connection cannot take `locking_mode=EXCLUSIVE` while the server holds
//!   the shared memory, and `BEGIN EXCLUSIVE` (the same as IMMEDIATE in WAL mode) only
//!   makes writers wait out the busy timeout;
//! - holding the WAL read locks from outside makes readers spin for 10 s and then fail
//!   with SQLITE_PROTOCOL: a hang, not an outage;
//! - a mount made read-only or full needs mount privileges (not in every sandbox), a
//!   read-only remount is refused while files are open for writing, and a full disk
//!   only fails writes that need new blocks.
//!
//! The immutable flag fails every write through an open descriptor at once (EPERM,
//! SQLITE_IOERR_WRITE), reads keep being served, and clearing it undoes it: the
//! server must recover by itself. It needs root (CAP_LINUX_IMMUTABLE) and a file
//! system that has the flag (ext4, xfs, btrfs); elsewhere the test says so and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct ReadOnlyStorage {
    files: Vec<PathBuf>,
}

fn chattr(flag: &str, path: &Path) -> bool {
    Command::new("chattr")
        .arg(flag)
        .arg(path)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether files in `dir` can be made immutable here.
pub fn supported(dir: &Path) -> bool {
    let probe = dir.join("immutable-probe");
    std::fs::write(&probe, b"probe").unwrap();
    let ok = chattr("+i", &probe) && std::fs::write(&probe, b"changed").is_err();
    chattr("-i", &probe);
    let _ = std::fs::remove_file(&probe);
    ok
}

impl ReadOnlyStorage {
    /// Makes the database file and its WAL immutable. Not the `-shm` file: it is memory
    /// that SQLite maps, and a refused write to a mapping is SIGBUS, not an error.
    pub fn begin(db: &Path) -> Self {
        let mut files = Vec::new();
        for suffix in ["", "-wal"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            if path.exists() {
                assert!(chattr("+i", &path), "chattr +i {}", path.display());
                files.push(path);
            }
        }
        assert!(!files.is_empty(), "no database files at {}", db.display());
        Self { files }
    }

    pub fn end(&mut self) {
        for path in self.files.drain(..) {
            chattr("-i", &path);
        }
    }
}

impl Drop for ReadOnlyStorage {
    /// Never leave immutable files behind: the temporary directory could not be removed.
    fn drop(&mut self) {
        self.end();
    }
}
