//! A bounded history per family: housekeeping keeps the newest `tokens.family_history`
//! spent tokens of a family and deletes older ones, so a session refreshing in a tight
//! loop cannot grow the database without limit. Nothing of it runs on the refresh path.
//!
//! What an older spent token loses: presented again, it is unknown, so it is refused as
//! `invalid_grant` but is no longer recognised as reuse, and its family is not revoked.
//! Reuse is still detected for the newest `family_history` spent tokens, which is where a
//! stolen token sits unless its family has rotated that many times since the theft.
//!
//! What a pass costs, without reading every token:
//! - Lookup keys lead with their issue time, so the tokens issued since the last pass
//!   are a range of the primary-key index: one range scan over them finds the families
//!   to look at.
//! - Of those, only families with a sampled new key are looked at: key bytes after the
//!   time are a hash, so about 1 key in `family_history / 8` is sampled, fairly and out of
//!   any client's control. A family is trimmed about every `family_history / 8`
//!   rotations (every rotation below 16), so it holds about `family_history * 9 / 8`
//!   spent tokens at most, and a rotation costs a few index entries of trimming however
//!   large the history is.
//! - Trimming one family reads its tokens through the `family_id` index and sorts them
//!   (about `family_history` rows).
//!
//! Each replica scans from its own start: tokens issued while no replica ran are looked
//! at when their family next rotates, which a tight loop soon does.

use std::sync::atomic::Ordering;

use super::refresh_token::{unix_millis_now, KEY_HASH_OFFSET};
use super::{RefreshToken, SessionService};
use crate::storage::StoreError;

/// The two key bytes at `KEY_HASH_OFFSET` that sample a key when at most this: about
/// one key in `max(1, keep / 8)`.
fn sample_threshold(keep: u32) -> [u8; 2] {
    let every = (keep / 8).max(1);
    let threshold = u16::try_from(u32::from(u16::MAX) / every).unwrap_or(u16::MAX);
    threshold.to_be_bytes()
}

impl SessionService {
    /// Trims the families that rotated since the last pass; returns tokens deleted.
    pub(super) async fn trim_histories(&self) -> Result<u64, StoreError> {
        let until = unix_millis_now() + 1;
        let from = self.history_since.swap(until, Ordering::SeqCst);
        let families = self
            .store
            .families_with_keys_between(
                &RefreshToken::first_key_at(from),
                &RefreshToken::first_key_at(until),
                KEY_HASH_OFFSET as i64,
                &sample_threshold(self.family_history),
            )
            .await?;
        let mut trimmed = 0;
        for family in families {
            trimmed += self
                .store
                .trim_family_history(&family, i64::from(self.family_history))
                .await?;
            tokio::task::yield_now().await;
        }
        Ok(trimmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_histories_look_at_every_family() {
        for keep in [1, 3, 8, 15] {
            assert_eq!(sample_threshold(keep), [0xff, 0xff], "{keep}");
        }
    }

    #[test]
    fn the_default_history_samples_about_one_key_in_125() {
        let threshold = u16::from_be_bytes(sample_threshold(1000));
        let every = 65_536.0 / (f64::from(threshold) + 1.0);
        assert!((120.0..130.0).contains(&every), "{every}");
    }
}
