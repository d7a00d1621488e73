//! A status list's bits as draft-ietf-oauth-status-list §4 lays them out: one bit
//! per token (`bits: 1`), index 0 the least significant bit of byte 0, the byte
//! array compressed with DEFLATE in the ZLIB format and base64url-encoded without
//! padding as `lst`.

use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::write::ZlibEncoder;
use flate2::Compression;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusBits {
    bytes: Vec<u8>,
}

impl StatusBits {
    /// `capacity` tokens, all valid (0).
    pub fn new(capacity: usize) -> Self {
        Self {
            bytes: vec![0; capacity.div_ceil(8)],
        }
    }

    /// `capacity` tokens, all revoked (1): the list of a revoked key.
    pub fn all_set(capacity: usize) -> Self {
        Self {
            bytes: vec![0xff; capacity.div_ceil(8)],
        }
    }

    /// Sets token `idx`'s bit; `false` when the list has no such index.
    pub fn set(&mut self, idx: usize) -> bool {
        match self.bytes.get_mut(idx / 8) {
            Some(byte) => {
                *byte |= 1 << (idx % 8);
                true
            }
            None => false,
        }
    }

    pub fn get(&self, idx: usize) -> Option<bool> {
        self.bytes.get(idx / 8).map(|b| b & (1 << (idx % 8)) != 0)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The ZLIB stream of the byte array, at the best compression (lists are built once
    /// per change and fetched by every verifier).
    pub fn compressed(&self) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(&self.bytes)
            .expect("writing to a Vec cannot fail");
        encoder.finish().expect("writing to a Vec cannot fail")
    }

    /// The `lst` member: the compressed bytes, base64url without padding.
    pub fn lst(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.compressed())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::ZlibDecoder;

    use super::*;

    /// A reader of `lst` written from the draft, not from the encoder above.
    fn decode_lst(lst: &str) -> Vec<u8> {
        let compressed = URL_SAFE_NO_PAD.decode(lst).unwrap();
        let mut bytes = Vec::new();
        ZlibDecoder::new(&compressed[..])
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    }

    /// The draft's 1-bit example (§4.1): statuses 1 0 0 1 1 1 0 1 1 1 0 0 0 1 0 1.
    const DRAFT_STATUSES: [u8; 16] = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    const DRAFT_BYTES: [u8; 2] = [0xb9, 0xa3];
    const DRAFT_LST: &str = "eNrbuRgAAhcBXQ";

    #[test]
    fn the_drafts_example_lays_out_bits_least_significant_first() {
        let mut bits = StatusBits::new(16);
        for (idx, status) in DRAFT_STATUSES.iter().enumerate() {
            if *status == 1 {
                assert!(bits.set(idx));
            }
        }
        assert_eq!(bits.as_bytes(), DRAFT_BYTES);
    }

    #[test]
    fn the_drafts_lst_decodes_to_its_bytes_and_ours_to_the_same() {
        assert_eq!(decode_lst(DRAFT_LST), DRAFT_BYTES);
        let mut bits = StatusBits::new(16);
        for (idx, status) in DRAFT_STATUSES.iter().enumerate() {
            if *status == 1 {
                bits.set(idx);
            }
        }
        assert_eq!(decode_lst(&bits.lst()), DRAFT_BYTES);
        // The same compressor settings as the draft's example (ZLIB, best).
        assert_eq!(bits.lst(), DRAFT_LST);
    }

    #[test]
    fn an_index_past_the_end_is_refused_and_neighbours_stay_valid() {
        let mut bits = StatusBits::new(10);
        assert!(!bits.set(16));
        assert!(bits.set(9));
        assert_eq!(bits.get(9), Some(true));
        assert_eq!(bits.get(8), Some(false));
        assert_eq!(bits.get(10), Some(false));
        assert_eq!(bits.get(16), None);
    }

    #[test]
    fn a_list_of_a_revoked_key_reads_revoked_everywhere() {
        let bits = StatusBits::all_set(1 << 10);
        assert!((0..1 << 10).all(|i| bits.get(i) == Some(true)));
    }

    /// The draft's size estimate: 1M tokens, 1% revoked at random, about 14 KB.
    #[test]
    fn a_million_tokens_with_one_percent_revoked_compress_to_about_14_kb() {
        let mut bits = StatusBits::new(1 << 20);
        // A fixed-seed xorshift: the figure is the same on every run.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut revoked = 0;
        while revoked < (1 << 20) / 100 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let idx = (state % (1 << 20)) as usize;
            if bits.get(idx) == Some(false) {
                bits.set(idx);
                revoked += 1;
            }
        }
        let size = bits.compressed().len();
        println!("1M tokens, 1% revoked: {size} bytes compressed");
        assert!(size < 20_000, "{size} bytes");
        assert_eq!(decode_lst(&bits.lst()), bits.as_bytes());
    }
}
