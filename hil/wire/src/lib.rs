#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

#[cfg(feature = "engine")]
mod convert;
mod crc;
mod dedup;
mod delta;
mod frame;
mod message;
mod record;
mod samples;

pub use crc::crc32;
pub use dedup::Dedup;
pub use delta::{pack_delta, unpack_delta};
pub use frame::{encode_frame, max_encoded_len, FrameDecoder, MAX_ENCODED_FRAME, MAX_FRAME};
pub use message::{
    decode_message, encode_message, Body, CostCounters, Envelope, ErrorCode, Identity, RecordKind,
    SampleEncoding, WireConfig, WireCycle, WireEnergy, MAX_RECORD_PART, MAX_SAMPLE_DATA,
};
pub use record::Records;
pub use samples::{pack_samples, unpack_block, unpack_samples};

/// Protocol version spoken by this build of the bench and firmware, reported in
/// [`Identity::protocol`]. Any change to the frame format or to the messages changes it.
pub const PROTOCOL_VERSION: u16 = 5;

/// Why framing, message coding or sample packing failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WireError {
    /// A frame ended inside a COBS block: truncated or corrupted.
    Cobs,
    /// A frame's CRC did not match its payload, or the frame was too short to hold a payload
    /// byte and a CRC.
    Crc,
    /// A payload longer than the limit: [`MAX_FRAME`] when encoding, the decoder's capacity
    /// when decoding (the frame is then discarded up to its delimiter).
    TooLong,
    /// A delimiter with no frame before it (decoding), or an empty payload (encoding: a frame
    /// carries at least one payload byte).
    Empty,
    /// An output buffer too small for the result.
    BufferTooSmall,
    /// postcard could not encode the message.
    Encode,
    /// A payload that is not exactly one valid message.
    Decode,
    /// A code outside the range of the sample encoding.
    SampleRange,
    /// Sample data whose length is not a whole number of codes.
    SampleLength,
}

impl core::fmt::Display for WireError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Cobs => "frame ends inside a COBS block",
            Self::Crc => "frame CRC mismatch",
            Self::TooLong => "payload too long",
            Self::Empty => "empty frame",
            Self::BufferTooSmall => "output buffer too small",
            Self::Encode => "message cannot be encoded",
            Self::Decode => "payload is not a valid message",
            Self::SampleRange => "sample code out of range for its encoding",
            Self::SampleLength => "sample data is not a whole number of codes",
        })
    }
}

impl core::error::Error for WireError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn every_error_has_a_distinct_message() {
        let all = [
            WireError::Cobs,
            WireError::Crc,
            WireError::TooLong,
            WireError::Empty,
            WireError::BufferTooSmall,
            WireError::Encode,
            WireError::Decode,
            WireError::SampleRange,
            WireError::SampleLength,
        ];
        let texts: std::collections::BTreeSet<_> = all.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), all.len());
    }
}
