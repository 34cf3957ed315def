//! Packing of ADC codes into the `data` of a [`Body::Samples`](crate::Body::Samples) message.

use crate::{SampleEncoding, WireError};

impl SampleEncoding {
    /// Bytes per code of the fixed-width encodings (4 for [`SampleEncoding::Delta`], whose
    /// codes have no fixed width: it is packed by [`crate::pack_delta`]).
    pub const fn width(self) -> usize {
        match self {
            Self::I16 => 2,
            Self::I24 => 3,
            Self::I32 | Self::Delta => 4,
        }
    }

    /// Smallest code this encoding carries.
    pub const fn min_code(self) -> i32 {
        match self {
            Self::I16 => i16::MIN as i32,
            Self::I24 => -(1 << 23),
            Self::I32 | Self::Delta => i32::MIN,
        }
    }

    /// Largest code this encoding carries.
    pub const fn max_code(self) -> i32 {
        match self {
            Self::I16 => i16::MAX as i32,
            Self::I24 => (1 << 23) - 1,
            Self::I32 | Self::Delta => i32::MAX,
        }
    }
}

/// Packs `codes` into `out` as little-endian two's-complement integers of `enc`'s width, in the
/// order given (for a sample block: interleaved by frame, channel 0 first). Returns the number of
/// bytes written, `codes.len() * enc.width()`.
///
/// # Errors
///
/// - [`WireError::SampleRange`] if a code lies outside `enc.min_code()..=enc.max_code()` (codes
///   are never truncated);
/// - [`WireError::BufferTooSmall`] if `out` is shorter than `codes.len() * enc.width()`.
///
/// Nothing is written when an error is returned.
///
/// # Examples
///
/// ```
/// use percycle_wire::{pack_samples, unpack_samples, SampleEncoding, WireError};
///
/// let mut data = [0u8; 6];
/// assert_eq!(pack_samples(&[-2, 0x12_3456], SampleEncoding::I24, &mut data), Ok(6));
/// assert_eq!(data, [0xFE, 0xFF, 0xFF, 0x56, 0x34, 0x12]);
/// assert_eq!(pack_samples(&[1 << 23], SampleEncoding::I24, &mut data), Err(WireError::SampleRange));
///
/// let mut codes = [0i32; 2];
/// assert_eq!(unpack_samples(&data, SampleEncoding::I24, &mut codes), Ok(2));
/// assert_eq!(codes, [-2, 0x12_3456]);
/// ```
pub fn pack_samples(
    codes: &[i32],
    enc: SampleEncoding,
    out: &mut [u8],
) -> Result<usize, WireError> {
    if !enc.is_fixed_width() {
        return Err(WireError::SampleLength);
    }
    let width = enc.width();
    let range = enc.min_code()..=enc.max_code();
    if !codes.iter().all(|c| range.contains(c)) {
        return Err(WireError::SampleRange);
    }
    let len = codes.len() * width;
    let out = out.get_mut(..len).ok_or(WireError::BufferTooSmall)?;
    for (chunk, code) in out.chunks_exact_mut(width).zip(codes) {
        chunk.copy_from_slice(&code.to_le_bytes()[..width]);
    }
    Ok(len)
}

/// Unpacks little-endian codes of `enc`'s width from `data` into `out`, sign-extending 16- and
/// 24-bit codes. Returns the number of codes written, `data.len() / enc.width()`.
///
/// # Errors
///
/// - [`WireError::SampleLength`] if `data.len()` is not a multiple of `enc.width()`;
/// - [`WireError::BufferTooSmall`] if `out` cannot hold all the codes.
///
/// Nothing is written when an error is returned.
///
/// # Examples
///
/// ```
/// use percycle_wire::{unpack_samples, SampleEncoding, WireError};
///
/// let mut codes = [0i32; 4];
/// assert_eq!(unpack_samples(&[0x00, 0x80, 0xFF, 0x7F], SampleEncoding::I16, &mut codes), Ok(2));
/// assert_eq!(codes[..2], [-32768, 32767]);
/// assert_eq!(unpack_samples(&[1, 2, 3], SampleEncoding::I16, &mut codes), Err(WireError::SampleLength));
/// ```
pub fn unpack_samples(
    data: &[u8],
    enc: SampleEncoding,
    out: &mut [i32],
) -> Result<usize, WireError> {
    let width = enc.width();
    if !enc.is_fixed_width() || data.len() % width != 0 {
        return Err(WireError::SampleLength);
    }
    let count = data.len() / width;
    let out = out.get_mut(..count).ok_or(WireError::BufferTooSmall)?;
    for (code, chunk) in out.iter_mut().zip(data.chunks_exact(width)) {
        // Place the code in the top bytes of an i32, then shift back arithmetically to extend
        // the sign.
        let mut le = [0u8; 4];
        le[4 - width..].copy_from_slice(chunk);
        *code = i32::from_le_bytes(le) >> (8 * (4 - width));
    }
    Ok(count)
}

/// Unpacks a sample block of `channels` channels in any encoding (fixed width or
/// [`SampleEncoding::Delta`]) into `out`; returns the number of codes.
///
/// # Errors
/// As [`unpack_samples`] and [`crate::unpack_delta`].
pub fn unpack_block(
    data: &[u8],
    enc: SampleEncoding,
    channels: usize,
    out: &mut [i32],
) -> Result<usize, WireError> {
    match enc {
        SampleEncoding::Delta => crate::unpack_delta(data, channels, out),
        _ => unpack_samples(data, enc, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    const ALL: [SampleEncoding; 3] =
        [SampleEncoding::I16, SampleEncoding::I24, SampleEncoding::I32];

    fn round_trip(codes: &[i32], enc: SampleEncoding) -> Vec<i32> {
        let mut data = vec![0u8; codes.len() * enc.width()];
        assert_eq!(pack_samples(codes, enc, &mut data), Ok(data.len()));
        let mut back = vec![0i32; codes.len()];
        assert_eq!(unpack_samples(&data, enc, &mut back), Ok(codes.len()));
        back
    }

    #[test]
    fn codes_round_trip_in_every_encoding_including_the_extremes() {
        for enc in ALL {
            let (lo, hi) = (enc.min_code(), enc.max_code());
            let codes = [lo, lo + 1, -256, -255, -1, 0, 1, 255, 256, 0x7F, 0x80, hi - 1, hi];
            assert_eq!(round_trip(&codes, enc), codes, "{enc:?}");
        }
        assert_eq!(SampleEncoding::I24.min_code(), -8_388_608);
        assert_eq!(SampleEncoding::I24.max_code(), 8_388_607);
    }

    #[test]
    fn codes_are_packed_little_endian_at_the_encoding_width() {
        let mut data = [0u8; 8];
        assert_eq!(pack_samples(&[0x1234, -2], SampleEncoding::I16, &mut data), Ok(4));
        assert_eq!(data[..4], [0x34, 0x12, 0xFE, 0xFF]);
        assert_eq!(
            pack_samples(&[-(1 << 23), (1 << 23) - 1], SampleEncoding::I24, &mut data),
            Ok(6)
        );
        assert_eq!(data[..6], [0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F]);
        assert_eq!(pack_samples(&[i32::MIN, 0x0102_0304], SampleEncoding::I32, &mut data), Ok(8));
        assert_eq!(data, [0, 0, 0, 0x80, 4, 3, 2, 1]);
    }

    #[test]
    fn codes_outside_the_encoding_range_are_rejected_not_truncated() {
        let mut data = [0xAAu8; 16];
        for enc in [SampleEncoding::I16, SampleEncoding::I24] {
            for bad in [enc.min_code() - 1, enc.max_code() + 1, i32::MIN, i32::MAX] {
                assert_eq!(pack_samples(&[0, bad], enc, &mut data), Err(WireError::SampleRange));
                assert_eq!(data, [0xAA; 16], "nothing written");
            }
        }
        assert_eq!(pack_samples(&[i32::MIN, i32::MAX], SampleEncoding::I32, &mut data), Ok(8));
    }

    #[test]
    fn buffers_that_are_too_small_or_data_of_a_partial_code_are_errors() {
        for enc in ALL {
            let mut short = vec![0u8; 3 * enc.width() - 1];
            assert_eq!(pack_samples(&[1, 2, 3], enc, &mut short), Err(WireError::BufferTooSmall));
            let data = vec![1u8; 3 * enc.width()];
            let mut two = [0i32; 2];
            assert_eq!(unpack_samples(&data, enc, &mut two), Err(WireError::BufferTooSmall));
            assert_eq!(two, [0, 0]);
            let mut three = [0i32; 3];
            assert_eq!(
                unpack_samples(&data[..data.len() - 1], enc, &mut three),
                Err(WireError::SampleLength)
            );
            assert_eq!(unpack_samples(&[], enc, &mut three), Ok(0));
            assert_eq!(pack_samples(&[], enc, &mut []), Ok(0));
        }
    }

    proptest! {
        #[test]
        fn in_range_codes_round_trip(
            raw in proptest::collection::vec(any::<i32>(), 0..200),
            which in 0usize..3,
        ) {
            let enc = ALL[which];
            // Fold arbitrary values into the encoding's range, extremes included.
            let span = i64::from(enc.max_code()) - i64::from(enc.min_code()) + 1;
            let codes: Vec<i32> = raw
                .iter()
                .map(|&c| (i64::from(enc.min_code()) + (i64::from(c) - i64::from(i32::MIN)) % span) as i32)
                .collect();
            prop_assert_eq!(round_trip(&codes, enc), codes);
        }
    }
}
