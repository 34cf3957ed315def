//! Synchronous resampling of a cycle (or part of one) to a fixed number of points.
//!
//! Decision and measured reason: the interpolator is a Kaiser-windowed sinc tabulated at 128
//! phases per sample (built by `build.rs`) with linear interpolation between phases, in two
//! lengths sized to the configuration. 16 taps (β = 7) keep the magnitude response within
//! 6·10⁻⁴ of unity up to 0.36·fs at every fractional position (the 50th harmonic of 57.5 Hz at
//! 8 kHz sampling is 0.359·fs), where linear interpolation loses up to 40 % and a cubic Lagrange
//! interpolator up to 40 % at mid-sample; images above 0.64·fs are attenuated by about 68 dB.
//! 12 taps (β = 8) stay within 3.4·10⁻⁴ up to 0.29·fs, which covers the interharmonic subgroup
//! above the 50th harmonic of 57.5 Hz at 10.24 kHz (0.286·fs), for three quarters of the work. Cost: one multiply-add per tap, point
//! and channel, plus the taps' interpolation, shared by all channels.

use crate::types::SampleTime;

include!(concat!(env!("OUT_DIR"), "/kernel.rs"));

/// Taps per point of the longer kernel (the most any point reaches).
pub(crate) const TAPS: usize = KERNEL[0].len();
/// Samples needed after the last point (for the taps right of it).
pub(crate) const LOOKAHEAD: u64 = TAPS as u64 / 2 + 1;
/// Samples needed before the first point.
pub(crate) const LOOKBEHIND: u64 = TAPS as u64 / 2;

/// The interpolation kernel a configuration uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// `Long` first: the all-zero encoding of an unconfigured meter (see `Meter::UNCONFIGURED`).
pub(crate) enum Kernel {
    /// [`KERNEL`]: 16 taps, flat to 0.36·fs.
    Long,
    /// [`KERNEL_SHORT`]: 12 taps, flat to 0.29·fs.
    Short,
}

impl Kernel {
    /// Highest frequency, as a fraction of the sample rate, where [`Kernel::Short`] is flat
    /// enough (response within 3.4·10⁻⁴ of unity at every fractional position; see `build.rs`).
    const SHORT_UP_TO: f32 = 0.29;

    /// The shorter kernel that is flat up to `highest_hz` at `sample_rate_hz`.
    pub fn for_band(highest_hz: f32, sample_rate_hz: f32) -> Self {
        if highest_hz <= Self::SHORT_UP_TO * sample_rate_hz {
            Kernel::Short
        } else {
            Kernel::Long
        }
    }
}

/// The kernel rows on either side of fractional position `mu` in `[0, 1)` and the weight
/// between them: tap k is `a[k] + w·(b[k] − a[k])`.
#[inline(always)]
pub(crate) fn rows<const T: usize>(
    table: &'static [[f32; T]; KERNEL_PHASES + 1],
    mu: f32,
) -> (&'static [f32; T], &'static [f32; T], f32) {
    let x = mu * KERNEL_PHASES as f32;
    let i = (x as usize).min(KERNEL_PHASES - 1);
    let w = x - i as f32;
    (&table[i], &table[i + 1], w)
}

/// Position of point `j` of `count` points spread over `[start, start + len)`: the sample
/// index at or before it and the fraction past that sample.
#[inline]
pub(crate) fn position(start: SampleTime, len: f32, j: usize, count: usize) -> (u64, f32) {
    let offset = start.frac + len * (j as f32 / count as f32);
    // 0 ≤ offset < the ring length, so a 32-bit conversion is exact (the target has no 64-bit
    // float-to-integer conversion in hardware).
    let whole = offset as u32;
    let frac = offset - whole as f32;
    // f32 rounding can land exactly on 1.0.
    if frac >= 1.0 {
        (start.sample + whole as u64 + 1, 0.0)
    } else {
        (start.sample + whole as u64, frac)
    }
}
