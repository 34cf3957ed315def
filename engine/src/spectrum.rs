//! Harmonics: per-cycle spectrum (orders 1..=50, THD) and the IEC 61000-4-7 interval (10 cycles
//! at 50 Hz, 12 at 60 Hz): harmonic subgroups, centred interharmonic subgroups, THDS.
//!
//! Per cycle, every channel is resampled synchronously to [`CYCLE_POINTS`] points between its
//! zero-crossing boundaries (see `resample`) and transformed with a 128-point real FFT; bin h is
//! harmonic h exactly. For the interval, each cycle is resampled into its share of an
//! `IV`-point window (102.4 points per cycle for 1024 points over 10 cycles), so the window is
//! synchronous cycle by cycle, and one `IV`-point real FFT gives bins 5 Hz apart.
//!
//! Decision and measured reason (FFT): the engine's own real FFT (`fft`), tables generated at
//! build time and no fused multiply-add, so host and target compute the same f32 values. On the
//! Cortex-M4F (QEMU mps2-an386, `benches/mcu/fft/run.sh`, firmware profile) it runs 3.6 k
//! instructions at 128 points and 104 k at 2048, where microfft 0.6 ran 5.1 k and 138 k.
//!
//! Grouping (bins C_k in rms, N = cycles per window): harmonic subgroup
//! `G_sg,h² = C_{Nh−1}² + C_{Nh}² + C_{Nh+1}²` (h ≥ 1; `G_sg,0 = C_1`, DC is reported apart),
//! centred interharmonic subgroup `C_isg,h² = Σ_{k=Nh+2}^{Nh+N−2} C_k²` (between orders h and
//! h+1). Bins 1..=50N+N−2 are each counted once, so the groups add up to rms² − DC² for a signal
//! without content above that. THD (single bins) and THDS (subgroups) are in percent of the
//! fundamental, over orders 2..=50 and 2..=40 (EN 50160).

use crate::config::MAX_CHANNELS;
use crate::fft;
use crate::math;
use crate::types::{Flags, Phasor, SampleTime};

/// Points per cycle of the per-cycle spectrum.
pub const CYCLE_POINTS: usize = 128;
/// Highest harmonic order reported.
pub const MAX_ORDER: usize = 50;

/// Harmonics of every channel over one cycle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CycleSpectrum {
    /// Cycle counter of the [`crate::CycleReport`] this belongs to.
    pub index: u64,
    /// Harmonic phasors per channel (frame order), V or A rms; `[c][h]` for h = 0..=50, `[c][0]`
    /// is the mean. Phase convention as [`Phasor`]: x ≈ Σ √2·|X_h|·cos(h·θ + arg X_h), θ = 0 at
    /// the cycle start.
    pub harmonics: [[Phasor; MAX_ORDER + 1]; MAX_CHANNELS],
    /// THD over orders 2..=50, % of the fundamental, per channel.
    pub thd_pct: [f32; MAX_CHANNELS],
    /// THD over orders 2..=40 (EN 50160), % of the fundamental, per channel.
    pub thd40_pct: [f32; MAX_CHANNELS],
}

impl CycleSpectrum {
    /// All zero.
    pub(crate) const ZERO: Self = Self {
        index: 0,
        harmonics: [[Phasor::ZERO; MAX_ORDER + 1]; MAX_CHANNELS],
        thd_pct: [0.0; MAX_CHANNELS],
        thd40_pct: [0.0; MAX_CHANNELS],
    };
}

impl Default for CycleSpectrum {
    fn default() -> Self {
        Self::ZERO
    }
}

/// One IEC 61000-4-30 basic interval (10 cycles at 50 Hz, 12 at 60 Hz) with IEC 61000-4-7 groups.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IntervalReport {
    /// Interval counter since start or reset.
    pub index: u64,
    /// Start of the first cycle.
    pub start: SampleTime,
    /// Length in samples.
    pub duration_samples: f32,
    /// Cycles in the window.
    pub cycles: u32,
    /// Frequency: cycles / duration, Hz.
    pub frequency: f32,
    /// rms over the window per channel (frame order), from the time-domain integrals, V or A.
    pub rms: [f32; MAX_CHANNELS],
    /// Mean per channel, V or A.
    pub dc: [f32; MAX_CHANNELS],
    /// Harmonic subgroups G_sg,h per channel, h = 0..=50, rms.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_arrays"))]
    pub subgroups: [[f32; MAX_ORDER + 1]; MAX_CHANNELS],
    /// Centred interharmonic subgroups C_isg,h per channel, h = 0..=50 (between h and h+1), rms.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_arrays"))]
    pub interharmonic_subgroups: [[f32; MAX_ORDER + 1]; MAX_CHANNELS],
    /// Single-bin harmonic values C_{Nh} per channel, rms.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_arrays"))]
    pub harmonics: [[f32; MAX_ORDER + 1]; MAX_CHANNELS],
    /// THD from single bins, orders 2..=50, %.
    pub thd_pct: [f32; MAX_CHANNELS],
    /// THDS from subgroups, orders 2..=50, %.
    pub thds_pct: [f32; MAX_CHANNELS],
    /// THDS from subgroups, orders 2..=40 (EN 50160), %.
    pub thds40_pct: [f32; MAX_CHANNELS],
    /// Fundamental phasor of each channel over the window (bin N), rms, θ = 0 at the window start.
    pub fundamental: [Phasor; MAX_CHANNELS],
    /// Voltage unbalance u2 = |U−|/|U+| from the fundamental phasors, % (3P4W only).
    pub u2_pct: f32,
    /// Zero-sequence voltage unbalance u0 = |U0|/|U+|, % (3P4W only).
    pub u0_pct: f32,
    /// Under-deviation per phase (IEC 61000-4-30 Annex D): (Udin − U_under)/Udin in %, with
    /// U_under the rms over the window's cycles of min(U, Udin).
    pub under_deviation_pct: [f32; 3],
    /// Over-deviation per phase: (U_over − Udin)/Udin in %, U_over the rms of max(U, Udin).
    pub over_deviation_pct: [f32; 3],
    /// Current unbalance i2 = |I−|/|I+|, % (3P4W only).
    pub i2_pct: f32,
    /// Zero-sequence current unbalance i0 = |I0|/|I+|, % (3P4W only).
    pub i0_pct: f32,
    /// Union of the flags of the cycles in the window.
    pub flags: Flags,
}

impl IntervalReport {
    /// All zero.
    pub(crate) const ZERO: Self = Self {
        index: 0,
        start: SampleTime::ZERO,
        duration_samples: 0.0,
        cycles: 0,
        frequency: 0.0,
        rms: [0.0; MAX_CHANNELS],
        dc: [0.0; MAX_CHANNELS],
        subgroups: [[0.0; MAX_ORDER + 1]; MAX_CHANNELS],
        interharmonic_subgroups: [[0.0; MAX_ORDER + 1]; MAX_CHANNELS],
        harmonics: [[0.0; MAX_ORDER + 1]; MAX_CHANNELS],
        thd_pct: [0.0; MAX_CHANNELS],
        thds_pct: [0.0; MAX_CHANNELS],
        thds40_pct: [0.0; MAX_CHANNELS],
        fundamental: [Phasor::ZERO; MAX_CHANNELS],
        u2_pct: 0.0,
        u0_pct: 0.0,
        under_deviation_pct: [0.0; 3],
        over_deviation_pct: [0.0; 3],
        i2_pct: 0.0,
        i0_pct: 0.0,
        flags: Flags::empty(),
    };
}

impl Default for IntervalReport {
    fn default() -> Self {
        Self::ZERO
    }
}

/// Per-cycle harmonics of one channel from its resampled cycle (destroyed), orders up to `top`
/// (the rest absent: zero).
pub(crate) fn cycle_harmonics(
    points: &mut [f32; CYCLE_POINTS],
    out: &mut [Phasor; MAX_ORDER + 1],
    top: usize,
) -> (f32, f32) {
    fft::rfft_128(points);
    let n = CYCLE_POINTS as f32;
    // Packed: points[0] is the DC sum, points[2h], points[2h + 1] bin h (orders ≤ 50 < 64).
    out[0] = Phasor { re: points[0] / n, im: 0.0 };
    let scale = core::f32::consts::SQRT_2 / n;
    for (h, o) in out.iter_mut().enumerate().skip(1) {
        *o = match points.get(2 * h..2 * h + 2) {
            Some(&[re, im]) if h <= top => Phasor { re: re * scale, im: im * scale },
            _ => Phasor::ZERO,
        };
    }
    thd(top, |h| {
        let p = out[h];
        p.re * p.re + p.im * p.im
    })
}

/// THD over 2..=min(50, top) and 2..=min(40, top) in percent from squared values of orders
/// 1..=50.
fn thd(top: usize, sq: impl Fn(usize) -> f32) -> (f32, f32) {
    let fund = sq(1);
    let mut s40 = 0.0f32;
    let mut s50 = 0.0f32;
    for h in 2..=MAX_ORDER.min(top) {
        let v = sq(h);
        if h <= 40 {
            s40 += v;
        }
        s50 += v;
    }
    if fund > 0.0 {
        (100.0 * math::sqrtf(s50 / fund), 100.0 * math::sqrtf(s40 / fund))
    } else {
        (0.0, 0.0)
    }
}

/// Groups of one channel's interval window (destroyed), `n` cycles per window, orders up to
/// `top` (the rest absent: zero; the interharmonic subgroup of `top` too, as it reaches past it).
pub(crate) fn interval_groups<const IV: usize>(
    window: &mut [f32; IV],
    n: usize,
    r: &mut IntervalReport,
    c: usize,
    top: usize,
) {
    match IV {
        1024 => match <&mut [f32; 1024]>::try_from(&mut window[..]) {
            Ok(w) => fft::rfft_1024(w),
            Err(_) => return,
        },
        1280 => match <&mut [f32; 1280]>::try_from(&mut window[..]) {
            Ok(w) => fft::rfft_1280(w),
            Err(_) => return,
        },
        1536 => match <&mut [f32; 1536]>::try_from(&mut window[..]) {
            Ok(w) => fft::rfft_1536(w),
            Err(_) => return,
        },
        2048 => match <&mut [f32; 2048]>::try_from(&mut window[..]) {
            Ok(w) => fft::rfft_2048(w),
            Err(_) => return,
        },
        _ => return,
    }
    let spectrum: &[f32] = &window[..];
    // Bin k, 1 ≤ k < IV/2, of the packed spectrum (DC and the Nyquist bin are past every group).
    let bin = |k: usize| -> Option<(f32, f32)> {
        match spectrum.get(2 * k..2 * k + 2) {
            Some(&[re, im]) if k > 0 => Some((re, im)),
            _ => None,
        }
    };
    let scale = 2.0 / (IV as f32 * IV as f32);
    // Squared rms of bin k.
    let c2 = |k: usize| -> f32 { bin(k).map_or(0.0, |(re, im)| (re * re + im * im) * scale) };
    if let Some((re, im)) = bin(n) {
        let k = core::f32::consts::SQRT_2 / IV as f32;
        r.fundamental[c] = Phasor { re: re * k, im: im * k };
    }
    r.subgroups[c][0] = math::sqrtf(c2(1));
    for h in 1..=MAX_ORDER {
        let k = n * h;
        let present = h <= top;
        r.subgroups[c][h] = if present { math::sqrtf(c2(k - 1) + c2(k) + c2(k + 1)) } else { 0.0 };
        r.harmonics[c][h] = if present { math::sqrtf(c2(k)) } else { 0.0 };
    }
    for h in 0..=MAX_ORDER {
        if h >= top {
            r.interharmonic_subgroups[c][h] = 0.0;
            continue;
        }
        let k = n * h;
        let mut s = 0.0f32;
        for j in k + 2..=k + n - 2 {
            s += c2(j);
        }
        r.interharmonic_subgroups[c][h] = math::sqrtf(s);
    }
    let g = r.subgroups[c];
    let b = r.harmonics[c];
    let (thds, thds40) = thd(top, |h| g[h] * g[h]);
    r.thds_pct[c] = thds;
    r.thds40_pct[c] = thds40;
    r.thd_pct[c] = thd(top, |h| b[h] * b[h]).0;
}
