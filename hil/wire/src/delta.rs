//! Second-order delta packing of a sample block ([`SampleEncoding::Delta`]): each channel's
//! codes are predicted linearly from the two before (`2·x[k−1] − x[k−2]`) and only the
//! residuals are sent, zigzag-coded at the smallest bit width that holds every residual of the
//! channel in the block.
//!
//! Mains waveforms are smooth at metering sample rates, so the residuals are small: a 24-bit
//! code of a 230 V channel at 10.24 kHz with the EN 50160 harmonic limits leaves residuals of
//! about 14 bits, against 24 bits for the codes themselves. The packing is lossless for any
//! `i32` codes (a residual of extreme codes needs up to 35 bits; widths go to 40).
//!
//! Layout: the frame count (2 bytes little-endian), then channel after channel: the first code
//! (4 bytes little-endian), the residual width in bits (1 byte, 0..=40), then the `frames − 1`
//! residuals as a little-endian bit stream, padded to a whole byte.

use crate::{SampleEncoding, WireError};

/// Widest residual: second differences of `i32` codes need 35 bits with the zigzag sign.
const MAX_WIDTH: u32 = 40;

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    (u >> 1) as i64 ^ -((u & 1) as i64)
}

/// Residual of frame `k` of a channel: the code minus its linear prediction.
fn residual(prev2: i64, prev1: i64, x: i64, k: usize) -> i64 {
    match k {
        1 => x - prev1,
        _ => x - (2 * prev1 - prev2),
    }
}

/// Packed size of one channel of `frames` codes at residual width `w`.
const fn channel_len(frames: usize, w: u32) -> usize {
    5 + ((frames - 1) * w as usize).div_ceil(8)
}

/// Packs interleaved `codes` of `channels` channels (a whole number of frames) into `out`.
/// Returns the bytes written.
///
/// # Errors
/// [`WireError::SampleLength`] when `codes` is not a whole number of frames (or `channels` is
/// 0, or there are more than 65 535 frames), [`WireError::BufferTooSmall`] when `out` is too
/// short (nothing useful is written).
///
/// # Examples
///
/// ```
/// use percycle_wire::{pack_delta, unpack_delta};
///
/// let codes: Vec<i32> = (0..100).flat_map(|k| [k * 3, -k * k]).collect();
/// let mut data = [0u8; 1024];
/// let n = pack_delta(&codes, 2, &mut data)?;
/// assert!(n < codes.len() * 3 / 4, "{n} bytes for {} codes", codes.len());
/// let mut back = [0i32; 200];
/// assert_eq!(unpack_delta(&data[..n], 2, &mut back)?, 200);
/// assert_eq!(back[..], codes[..]);
/// # Ok::<(), percycle_wire::WireError>(())
/// ```
pub fn pack_delta(codes: &[i32], channels: usize, out: &mut [u8]) -> Result<usize, WireError> {
    if channels == 0 || codes.len() % channels != 0 {
        return Err(WireError::SampleLength);
    }
    let frames = codes.len() / channels;
    let header = u16::try_from(frames).map_err(|_| WireError::SampleLength)?;
    out.get_mut(..2).ok_or(WireError::BufferTooSmall)?.copy_from_slice(&header.to_le_bytes());
    if frames == 0 {
        return Ok(2);
    }
    let mut at = 2;
    for c in 0..channels {
        let x = |k: usize| codes[k * channels + c] as i64;
        // Widest residual of the channel.
        let mut widest = 0u64;
        for k in 1..frames {
            let prev2 = if k >= 2 { x(k - 2) } else { 0 };
            widest = widest.max(zigzag(residual(prev2, x(k - 1), x(k), k)));
        }
        let w = 64 - widest.leading_zeros();
        let len = channel_len(frames, w);
        let dst = out.get_mut(at..at + len).ok_or(WireError::BufferTooSmall)?;
        dst[..4].copy_from_slice(&(x(0) as i32).to_le_bytes());
        dst[4] = w as u8;
        let bits = &mut dst[5..];
        bits.fill(0);
        let mut pos = 0usize;
        for k in 1..frames {
            let prev2 = if k >= 2 { x(k - 2) } else { 0 };
            let mut v = zigzag(residual(prev2, x(k - 1), x(k), k));
            let mut left = w as usize;
            while left > 0 {
                let byte = pos / 8;
                let shift = pos % 8;
                let take = (8 - shift).min(left);
                bits[byte] |= ((v & ((1 << take) - 1)) as u8) << shift;
                v >>= take;
                pos += take;
                left -= take;
            }
        }
        at += len;
    }
    Ok(at)
}

/// Unpacks what [`pack_delta`] wrote for `channels` channels into `out` (interleaved).
/// Returns the number of codes.
///
/// # Errors
/// [`WireError::SampleLength`] when `data` is not a valid packing (a width above 40, a length
/// that does not match one frame count for every channel, or codes outside `i32`),
/// [`WireError::BufferTooSmall`] when `out` cannot hold the codes.
pub fn unpack_delta(data: &[u8], channels: usize, out: &mut [i32]) -> Result<usize, WireError> {
    let (Some(&[lo, hi]), true) = (data.first_chunk::<2>(), channels > 0) else {
        return Err(WireError::SampleLength);
    };
    let frames = u16::from_le_bytes([lo, hi]) as usize;
    let count = frames * channels;
    // Every channel's length follows from its width: they must add up to the data exactly.
    let mut at = 2;
    for _ in 0..if frames == 0 { 0 } else { channels } {
        let w = *data.get(at + 4).ok_or(WireError::SampleLength)? as u32;
        if w > MAX_WIDTH {
            return Err(WireError::SampleLength);
        }
        at += channel_len(frames, w);
    }
    if at != data.len() {
        return Err(WireError::SampleLength);
    }
    let out = out.get_mut(..count).ok_or(WireError::BufferTooSmall)?;
    let mut at = 2;
    for c in 0..if frames == 0 { 0 } else { channels } {
        let w = data[at + 4] as u32;
        let len = channel_len(frames, w);
        let src = &data[at..at + len];
        let first = i32::from_le_bytes([src[0], src[1], src[2], src[3]]) as i64;
        let bits = &src[5..];
        let (mut prev2, mut prev1) = (0i64, first);
        out[c] = first as i32;
        let mut pos = 0usize;
        for k in 1..frames {
            let mut v = 0u64;
            let mut got = 0usize;
            while got < w as usize {
                let byte = pos / 8;
                let shift = pos % 8;
                let take = (8 - shift).min(w as usize - got);
                let part = (bits[byte] >> shift) as u64 & ((1 << take) - 1);
                v |= part << got;
                got += take;
                pos += take;
            }
            let r = unzigzag(v);
            let x = match k {
                1 => prev1 + r,
                _ => 2 * prev1 - prev2 + r,
            };
            let x = i32::try_from(x).map_err(|_| WireError::SampleLength)?;
            out[k * channels + c] = x;
            (prev2, prev1) = (prev1, x as i64);
        }
        at += len;
    }
    Ok(count)
}

impl SampleEncoding {
    /// Whether the encoding packs each code at a fixed width (every one but
    /// [`SampleEncoding::Delta`]).
    pub const fn is_fixed_width(self) -> bool {
        !matches!(self, Self::Delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    fn round_trip(codes: &[i32], channels: usize) -> Vec<i32> {
        let mut data = vec![0u8; codes.len() * 6 + 8 * channels];
        let n = pack_delta(codes, channels, &mut data).unwrap();
        let mut back = vec![0i32; codes.len()];
        assert_eq!(unpack_delta(&data[..n], channels, &mut back).unwrap(), codes.len());
        back
    }

    #[test]
    fn extreme_codes_and_single_frames_round_trip() {
        let codes = [i32::MIN, i32::MAX, i32::MAX, i32::MIN, i32::MIN, 0, i32::MAX, -1];
        assert_eq!(round_trip(&codes, 2), codes);
        assert_eq!(round_trip(&codes, 1), codes);
        assert_eq!(round_trip(&[5, -7, 9], 3), [5, -7, 9]);
        assert_eq!(round_trip(&[3; 64], 4), [3; 64]);
        assert_eq!(round_trip(&[], 4), []);
    }

    #[test]
    fn a_mains_block_packs_to_well_under_three_bytes_a_code() {
        // 64 frames of 7 channels, 24-bit codes of 50 Hz at 10.24 kHz with a 5 % 5th harmonic.
        let codes: Vec<i32> = (0..64)
            .flat_map(|k| {
                (0..7).map(move |c| {
                    let t = k as f64 / 10_240.0 + c as f64 * 0.003;
                    let w = 2.0 * core::f64::consts::PI * 50.0 * t;
                    (8.0e6 * (libm::sin(w) + 0.05 * libm::sin(5.0 * w))) as i32
                })
            })
            .collect();
        let mut data = vec![0u8; 4096];
        let n = pack_delta(&codes, 7, &mut data).unwrap();
        // 16-bit residuals against 24-bit codes.
        assert!(n * 5 < codes.len() * 12, "{n} bytes for {} codes", codes.len());
        assert_eq!(round_trip(&codes, 7), codes);
    }

    #[test]
    fn short_buffers_and_invalid_packings_are_errors_not_panics() {
        let codes = [1, 2, 3, 4, 5, 6];
        let mut data = [0u8; 64];
        assert_eq!(pack_delta(&codes, 4, &mut data), Err(WireError::SampleLength));
        assert_eq!(pack_delta(&codes, 0, &mut data), Err(WireError::SampleLength));
        assert_eq!(pack_delta(&codes, 2, &mut data[..6]), Err(WireError::BufferTooSmall));
        let n = pack_delta(&codes, 2, &mut data).unwrap();
        let mut out = [0i32; 6];
        assert_eq!(unpack_delta(&data[..n], 2, &mut out[..5]), Err(WireError::BufferTooSmall));
        assert_eq!(unpack_delta(&data[..n - 1], 2, &mut out), Err(WireError::SampleLength));
        let mut bad = data;
        bad[6] = 41;
        assert_eq!(unpack_delta(&bad[..n], 2, &mut out), Err(WireError::SampleLength));
    }

    proptest! {
        #[test]
        fn any_codes_round_trip(
            channels in 1usize..8,
            frames in 1usize..80,
            seed in any::<u64>(),
            scale in 0u32..32,
        ) {
            let mut s = seed | 1;
            let codes: Vec<i32> = (0..channels * frames)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    (s as i32) >> scale
                })
                .collect();
            prop_assert_eq!(round_trip(&codes, channels), codes);
        }

        #[test]
        fn unpacking_arbitrary_bytes_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            channels in 1usize..8,
        ) {
            let mut out = vec![0i32; 4096];
            let _ = unpack_delta(&bytes, channels, &mut out);
        }
    }
}
