//! Request ids for the request log (`request_span`): unique, UUID-shaped, and cheap
//! enough to make for every request.
//!
//! tracing-actix-web drew a UUID v4 from the operating system for every request, a
//! `getrandom` system call each. Here each thread draws 16 random bytes once, then
//! counts: an id is the thread's random prefix and its next sequence number, written
//! as an RFC 9562 version 8 ("custom") UUID, so log tooling that parses UUIDs keeps
//! working. Ids of one thread never repeat (2^62 of them); two threads share ids only
//! if their 60 random prefix bits are equal.

use std::cell::Cell;
use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};

/// One request's id; formats as `xxxxxxxx-xxxx-8xxx-yxxx-xxxxxxxxxxxx`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct RequestId(u128);

const VERSION_8: u64 = 0x8000;
const VERSION_MASK: u64 = 0xf000;
const VARIANT_RFC: u64 = 0b10 << 62;
const SEQUENCE_MASK: u64 = (1 << 62) - 1;

thread_local! {
    /// (random prefix with the version set, next sequence number).
    static NEXT: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
}

impl RequestId {
    /// The calling thread's next id.
    pub fn next() -> Self {
        NEXT.with(|next| {
            let (prefix, sequence) = next.get().unwrap_or_else(thread_start);
            next.set(Some((prefix, sequence.wrapping_add(1) & SEQUENCE_MASK)));
            Self(u128::from(prefix) << 64 | u128::from(VARIANT_RFC | sequence))
        })
    }
}

/// A thread's random prefix and first sequence number.
fn thread_start() -> (u64, u64) {
    let mut seed = [0u8; 16];
    if SystemRandom::new().fill(&mut seed).is_err() {
        // No OS randomness (never seen): the std hasher's per-process random keys.
        use std::hash::{BuildHasher, RandomState};
        let state = RandomState::new();
        seed[..8].copy_from_slice(&state.hash_one(std::thread::current().id()).to_le_bytes());
        seed[8..].copy_from_slice(&state.hash_one(std::time::SystemTime::now()).to_le_bytes());
    }
    let [a, b] = [&seed[..8], &seed[8..]].map(|s| u64::from_le_bytes(s.try_into().unwrap()));
    (a & !VERSION_MASK | VERSION_8, b & SEQUENCE_MASK)
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 36];
        let mut at = 0;
        for (i, byte) in self.0.to_be_bytes().iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out[at] = b'-';
                at += 1;
            }
            out[at] = HEX[usize::from(byte >> 4)];
            out[at + 1] = HEX[usize::from(byte & 0xf)];
            at += 2;
        }
        f.write_str(std::str::from_utf8(&out).expect("hex digits and dashes are ASCII"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_8_uuids() {
        let id = RequestId::next().to_string();
        assert_eq!(id.len(), 36, "{id}");
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12],
            "{id}"
        );
        assert!(groups[2].starts_with('8'), "version 8: {id}");
        assert!(
            matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "RFC 9562 variant: {id}"
        );
        assert!(id
            .bytes()
            .all(|c| c == b'-' || c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
    }

    #[test]
    fn ids_do_not_repeat_within_or_across_threads() {
        let mut seen: std::collections::HashSet<RequestId> =
            (0..10_000).map(|_| RequestId::next()).collect();
        assert_eq!(seen.len(), 10_000);
        let other: Vec<RequestId> =
            std::thread::spawn(|| (0..10_000).map(|_| RequestId::next()).collect())
                .join()
                .unwrap();
        seen.extend(other);
        assert_eq!(seen.len(), 20_000);
    }
}
