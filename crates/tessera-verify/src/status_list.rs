//! The Status List of draft-ietf-oauth-status-list §4: `bits` per token, packed from the
//! least significant bit of byte 0, the byte array DEFLATE-compressed in ZLIB format and
//! base64url-encoded in `lst`.

use std::io::Read;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::read::ZlibDecoder;
use serde::Deserialize;

/// The `status_list` claim of a Status List Token (draft §4.2).
#[derive(Debug, Clone, Deserialize)]
pub struct EncodedStatusList {
    pub bits: u8,
    pub lst: String,
}

/// Why a Status List could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    #[error("bits is {0}, not 1, 2, 4 or 8")]
    Bits(u8),
    #[error("lst is not base64url")]
    Base64,
    #[error("lst is not ZLIB-compressed data")]
    Zlib,
    #[error("the decompressed list is larger than {0} bytes")]
    TooLarge(usize),
}

/// A decoded Status List: the uncompressed byte array and its `bits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl StatusList {
    /// Decodes `lst`, refusing to inflate more than `max_bytes` (a small compressed
    /// list can claim gigabytes).
    pub fn decode(encoded: &EncodedStatusList, max_bytes: usize) -> Result<Self, StatusListError> {
        if !matches!(encoded.bits, 1 | 2 | 4 | 8) {
            return Err(StatusListError::Bits(encoded.bits));
        }
        let compressed = URL_SAFE_NO_PAD
            .decode(encoded.lst.trim_end_matches('='))
            .map_err(|_| StatusListError::Base64)?;
        let mut bytes = Vec::new();
        let limit = u64::try_from(max_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        ZlibDecoder::new(compressed.as_slice())
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|_| StatusListError::Zlib)?;
        if bytes.len() > max_bytes {
            return Err(StatusListError::TooLarge(max_bytes));
        }
        Ok(Self {
            bits: encoded.bits,
            bytes,
        })
    }

    /// How many tokens the list holds a status for.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64 * u64::from(8 / self.bits)
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The status value at `idx`, or `None` when `idx` is out of bounds (draft §8.3:
    /// then no statement can be made and the token must be rejected).
    pub fn get(&self, idx: u64) -> Option<u8> {
        let per_byte = u64::from(8 / self.bits);
        let byte = *self.bytes.get(usize::try_from(idx / per_byte).ok()?)?;
        let shift = (idx % per_byte) as u32 * u32::from(self.bits);
        let mask = ((1u16 << self.bits) - 1) as u8;
        Some((byte >> shift) & mask)
    }
}

#[cfg(test)]
mod tests;
