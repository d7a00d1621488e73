//! A wrapper for values that must never reach a log line or a `Debug` dump, and must
//! not outlive their use in memory; and comparing secrets without leaking, through
//! timing, how much of a guess was right.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Holds a secret; `Debug` prints `[redacted]`. Read it with [`Secret::expose`].
///
/// The value is overwritten with zeroes when dropped, so a freed allocation (later
/// handed to other code, or dumped with the process) does not keep it. Copies made
/// from [`Secret::expose`] are the caller's to wipe.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself: the name makes each use easy to find in review.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: Zeroize> Zeroize for Secret<T> {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> ZeroizeOnDrop for Secret<T> {}

/// Whether two byte strings are equal, in a time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-hunter2".to_string());
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2-hunter2");
    }

    #[test]
    fn zeroize_overwrites_the_value() {
        let mut key = Secret::new([7u8; 32]);
        key.zeroize();
        assert_eq!(key.expose(), &[0u8; 32]);
        // A Vec is wiped over its whole capacity, then emptied.
        let mut der = Secret::new(vec![7u8; 48]);
        der.zeroize();
        assert!(der.expose().is_empty());
    }

    /// Records that it was wiped: what dropping a `Secret` does cannot be read back
    /// from freed memory without `unsafe`, but the call can be observed.
    struct Witness(Arc<AtomicBool>);

    impl Zeroize for Witness {
        fn zeroize(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_a_secret_wipes_it() {
        let wiped = Arc::new(AtomicBool::new(false));
        drop(Secret::new(Witness(wiped.clone())));
        assert!(wiped.load(Ordering::SeqCst));
    }

    #[test]
    fn secrets_of_key_material_zeroize_on_drop() {
        fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
        zeroize_on_drop::<Secret<Vec<u8>>>();
        zeroize_on_drop::<Secret<[u8; 32]>>();
        zeroize_on_drop::<Secret<String>>();
    }

    #[test]
    fn constant_time_eq_matches_only_equal_bytes() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"ab"));
    }
}
