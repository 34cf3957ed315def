//! The f64 reference analyzer: cycles, synchronous resampling and IEC 61000-4-7 subgroups.
//!
//! This is an independent oracle for tests. It works on the raw samples of a [`Waveform`] in
//! `f64` and shares no code with `percycle-engine`.
//!
//! # Cycles
//!
//! Cycles run between consecutive rising zero crossings of the *fundamental* of the reference
//! signal: a single channel (`U1` by default), or for three phases the space-vector component
//! `α = (2·U1 − U2 − U3)/3`, which equals U1 for a balanced positive-sequence system and is
//! less disturbed by a dip on one phase.
//!
//! Crossings are found in two stages.
//!
//! 1. **Detection.** The fundamental is isolated over the whole record by a zero-phase
//!    band-pass: a symmetric FIR centred on each output sample (no delay, no phase shift),
//!    the difference of two ideal low-passes with edges at `(1 ± FILTER_HALF_BAND)·nominal_hz`
//!    windowed by a Kaiser window (β = [`FILTER_BETA`]) of ±[`FILTER_HALF_CYCLES`] nominal
//!    cycles, applied by FFT convolution (`realfft`). It passes 0.85…1.15·`nominal_hz` with a
//!    gain above 0.7 and attenuates DC, everything below 0.45·`nominal_hz` and everything above
//!    1.55·`nominal_hz` by more than 110 dB. The filter reads beyond both ends of the record, so
//!    the record is continued there by whole periods: the sample at `t` before the start is the
//!    band-limited interpolation (see *Resampling*) of the record at `t + m·T`, `m` the smallest
//!    whole number of periods that lands inside, and likewise after the end. A first pass uses
//!    the nominal period; a second uses the periods measured from the first pass, as far from
//!    the ends as the record allows. A rising crossing is a sign change `y[n] ≤ 0 < y[n+1]` of
//!    the filtered signal `y` once `y` has been below `−CROSSING_HYSTERESIS·√2·rms(y)` since the
//!    previous crossing (or the record starts in a negative half-cycle); its sub-sample position
//!    is the root of the band-limited interpolant of `y` (Illinois method).
//! 2. **Refinement.** Each detected crossing is then located by a weighted least-squares fit
//!    of `d + a·cos φ(τ) + b·sin φ(τ)` with `φ(τ) = ω·τ + α·τ²/2` and `τ = n − c`, where the
//!    offset `d`, the amplitudes `a, b`, the frequency `ω` and its ramp `α` are all free
//!    (Gauss–Newton from the detected period), over ±[`FIT_HALF_CYCLES`] nominal cycles of the
//!    raw reference around the sample `c` nearest to the crossing, with Kaiser weights
//!    (β = [`FIT_BETA`]). The crossing is where the fitted sinusoid rises through zero
//!    (`φ(τ) + atan2(a, b) = 2πk`). Near the ends of the record the window is shifted inside
//!    the record (and shortened, with less rejection, when the record is shorter than the
//!    window) and the fitted sinusoid is extrapolated to the crossing, so no continuation is
//!    involved and components that are not periodic in the fundamental, such as
//!    interharmonics, do not disturb crossings near the ends. The window's transform is below
//!    −180 dB from 0.65·`nominal_hz` away from the fundamental on, so DC, harmonics and
//!    interharmonics further than that from the fundamental are rejected; interharmonics
//!    closer than that (for example 25 or 75 Hz at 50 Hz) are not. A linear frequency ramp,
//!    as the synthesiser makes, is part of the model.
//!
//! Crossing times are `position / fs`, with `t = 0` at the first sample. Crossings refined to
//! within [`EDGE_TOLERANCE`] samples outside the record are moved onto its first or last
//! sample; others outside are dropped. A crossing is also dropped when the ac rms of the
//! reference over the nominal period centred on it is below `CROSSING_HYSTERESIS` times that
//! of the whole record, so an interruption (where the band-pass rings on) adds none, and of
//! crossings less than half a nominal period apart only the first is kept.
//!
//! Measured on synthesised signals at 8 and 12.8 kHz (tests, errors in periods): clean sines
//! at 42.5, 50, 57.5 and 60 Hz, 4e-15; the EN 50160 limit harmonics, 2e-10; a 1 %
//! interharmonic at 125 Hz or above, 2e-11, at 25 or 75 Hz, 4e-5; ramps of −1 to 2 Hz/s
//! against the synthesiser's truth, 1e-14. The fit assumes a smooth signal: within about
//! `FIT_HALF_CYCLES` cycles of an amplitude step, phase jump or interruption, crossings move by
//! up to a few hundredths of a period.
//!
//! # Windows
//!
//! [`intervals`] groups the crossings into consecutive, non-overlapping windows of
//! `window_cycles` cycles, the first starting at the first crossing; a window ends at a crossing
//! (incomplete windows at the end are dropped). [`cycles`] makes one window per cycle.
//!
//! # Resampling
//!
//! Each window `[t_start, t_end)` is resampled to `M` points, point `j` at
//! `t_start + j·(t_end − t_start)/M`, so the `M` points cover exactly the window's cycles. The
//! interpolator is a Kaiser-windowed sinc with [`INTERP_TAPS`] taps and β = [`INTERP_BETA`],
//! cut off at the input Nyquist frequency and evaluated directly in f64 (no table). Its measured
//! pointwise error is below 1e-9 of the amplitude for sines up to 0.45·fs; components above
//! about 0.46·fs are attenuated. No anti-alias filter is applied: content above the output
//! Nyquist frequency `M/(2·(t_end − t_start))` aliases, so `M` must be large enough for the
//! signal (2048 points reach order 102 over 10 cycles, 85 over 12). Within `INTERP_TAPS/2`
//! samples of the record ends the interpolator reads the record continued by whole periods as
//! described under *Cycles*, with the mean periods of the first and last four cycles; this is
//! exact for content periodic in the fundamental only.
//!
//! # Spectrum and groups
//!
//! `X_k` is the `realfft` forward transform (`X_k = Σ_j x_j·e^{−2πi·jk/M}`) of the resampled
//! window, and the rms bins are `C_0 = |X_0|/M` and `C_k = √2·|X_k|/M` for `0 < 2k < M`. With
//! `N` cycles in the window, bin `N·h` is harmonic `h`. For `h = 0..=50` (IEC 61000-4-7
//! grouping):
//!
//! ```text
//! harmonic subgroup              G_sg,h  = √(C_{Nh−1}² + C_{Nh}² + C_{Nh+1}²)      h ≥ 1
//!                                G_sg,0  = C_1            (DC is reported separately as `dc`)
//! centred interharmonic subgroup C_isg,h = √(Σ_{k=Nh+2}^{Nh+N−2} C_k²)
//! ```
//!
//! so bins `1..=50N + N − 2` are each counted exactly once and, for a signal without content
//! above that bin, `Σ G_sg,h² + Σ C_isg,h² = rms² − dc²`. An interharmonic exactly midway
//! between two harmonics, such as 125 Hz at 50 Hz, falls on bin `N·h + N/2` (bin 25 here) and so
//! entirely inside the centred interharmonic subgroup `h`; the half weights of the IEC harmonic
//! *groups* are not used by subgroups. Bins at or above the Nyquist bin `M/2` count as 0, so
//! orders whose bin is not below it get 0.
//!
//! With a one-cycle window (`N = 1`, [`cycles`]) every bin is a harmonic: `G_sg,h = C_h`,
//! `G_sg,0 = 0` and every `C_isg,h = 0`.
//!
//! `harmonics[h] = (C_{Nh}, arg X_{Nh})` with the phase in radians, in `(−π, π]`, of the cosine
//! convention: with `θ = 2π·(t − t_start)/(t_end − t_start)·N` (0 at the window start, 2π per
//! cycle)
//!
//! ```text
//! x(t) ≈ dc + Σ_h √2·C_{Nh}·cos(h·θ + arg X_{Nh})      (+ interharmonic bins)
//! ```
//!
//! so a component `√2·A·sin(h·θ + φ)` has phase `φ − π/2`. `harmonics[0] = (dc, 0)`, where `dc`
//! is the signed mean of the window (`|dc| = C_0`).
//!
//! Distortion, in percent of the fundamental (0 when the fundamental is exactly 0):
//!
//! ```text
//! thd_pct    = √(Σ_{h=2}^{50} C_{Nh}²) / C_N · 100      thd40_pct  = same over h = 2..=40
//! thds_pct   = √(Σ_{h=2}^{50} G_sg,h²) / G_sg,1 · 100   thds40_pct = same over h = 2..=40
//! ```
//!
//! `rms` is `√(Σ_j x_j² / M)` over the resampled window, which equals the time-domain rms of the
//! window for a band-limited signal.

use std::f64::consts::{PI, SQRT_2, TAU};
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};

use crate::synth::Waveform;

/// Highest harmonic order reported.
pub const MAX_ORDER: usize = 50;
/// Taps of the band-limited interpolator (Kaiser-windowed sinc).
pub const INTERP_TAPS: usize = 128;
/// Kaiser β of the interpolator window.
pub const INTERP_BETA: f64 = 20.0;
/// Half-length of the fundamental band-pass, in nominal cycles.
pub const FILTER_HALF_CYCLES: f64 = 8.0;
/// Kaiser β of the fundamental band-pass window.
pub const FILTER_BETA: f64 = 12.0;
/// Half-width of the ideal fundamental pass band, relative to `nominal_hz`.
pub const FILTER_HALF_BAND: f64 = 0.30;
/// Half-length of the sine fit that refines each crossing, in nominal cycles.
pub const FIT_HALF_CYCLES: f64 = 6.0;
/// Kaiser β of the sine-fit window.
pub const FIT_BETA: f64 = 24.0;
/// Crossings refined to at most this many samples outside the record are moved onto its
/// first or last sample.
pub const EDGE_TOLERANCE: f64 = 1e-6;
/// Hysteresis of the crossing detector, relative to the peak `√2·rms` of the filtered signal.
pub const CROSSING_HYSTERESIS: f64 = 0.05;

const HALF_TAPS: usize = INTERP_TAPS / 2;
/// Margin kept around the record so the interpolator never reads outside it.
const MARGIN: usize = HALF_TAPS + 2;
/// Cycles used to measure the period at each end of the record.
const END_CYCLES: usize = 4;

/// What to analyse and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferenceConfig {
    /// Nominal mains frequency, Hz: centres the fundamental band-pass.
    pub nominal_hz: f64,
    /// Cycles per interval window `N`: 10 at 50 Hz, 12 at 60 Hz (IEC 61000-4-7). 1 or ≥ 3.
    pub window_cycles: usize,
    /// Resampled points per interval window (≥ 4).
    pub interval_points: usize,
    /// Resampled points per single-cycle window (≥ 4).
    pub cycle_points: usize,
    /// Reference channels: one name (that channel), or three names `[a, b, c]` for the
    /// space-vector `α = (2a − b − c)/3` when all three exist (otherwise the first alone).
    pub reference_channels: Vec<String>,
}

impl ReferenceConfig {
    /// The IEC 61000-4-7 configuration for a nominal frequency: `window_cycles` =
    /// `round(0.2 s · nominal_hz)` (10 at 50 Hz, 12 at 60 Hz), 2048 points per interval, 256 per
    /// cycle, and reference `["U1", "U2", "U3"]`: α of the three when the waveform has them, `U1`
    /// alone otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_vectors::reference::ReferenceConfig;
    /// assert_eq!(ReferenceConfig::new(60.0).window_cycles, 12);
    /// assert_eq!(ReferenceConfig::new(50.0).interval_points, 2048);
    /// ```
    pub fn new(nominal_hz: f64) -> Self {
        let window_cycles = if nominal_hz.is_finite() && nominal_hz > 0.0 {
            ((0.2 * nominal_hz).round() as usize).max(3)
        } else {
            10
        };
        ReferenceConfig {
            nominal_hz,
            window_cycles,
            interval_points: 2048,
            cycle_points: 256,
            reference_channels: vec!["U1".into(), "U2".into(), "U3".into()],
        }
    }

    fn validate(&self) -> Result<(), ReferenceError> {
        let bad = |field, message: String| Err(ReferenceError::InvalidConfig { field, message });
        if !(self.nominal_hz.is_finite() && self.nominal_hz > 0.0) {
            return bad("nominal_hz", format!("must be finite and > 0 (got {})", self.nominal_hz));
        }
        if self.window_cycles == 0 || self.window_cycles == 2 {
            return bad(
                "window_cycles",
                format!(
                    "must be 1 or ≥ 3 so that subgroups do not overlap (got {})",
                    self.window_cycles
                ),
            );
        }
        if self.interval_points < 4 {
            return bad("interval_points", format!("must be ≥ 4 (got {})", self.interval_points));
        }
        if self.cycle_points < 4 {
            return bad("cycle_points", format!("must be ≥ 4 (got {})", self.cycle_points));
        }
        if !matches!(self.reference_channels.len(), 1 | 3) {
            return bad(
                "reference_channels",
                format!("must name 1 or 3 channels (got {})", self.reference_channels.len()),
            );
        }
        Ok(())
    }
}

/// The spectrum of every channel over one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpectrumWindow {
    /// Position of the window in the list, from 0.
    pub index: usize,
    /// Start (a rising crossing), s from the first sample.
    pub start_s: f64,
    /// End (a rising crossing), s from the first sample.
    pub end_s: f64,
    /// Cycles in the window divided by its duration, Hz.
    pub frequency_hz: f64,
    /// One entry per waveform channel, in waveform channel order.
    pub channels: Vec<ChannelSpectrum>,
}

/// The spectrum of one channel over one window (see the module docs for the definitions).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelSpectrum {
    /// Channel name.
    pub name: String,
    /// Rms over the window, V or A.
    pub rms: f64,
    /// Mean over the window (signed), V or A.
    pub dc: f64,
    /// `(C_{Nh}, phase)` for `h = 0..=50`: rms in V or A, cosine phase in radians at the window
    /// start; `[0] = (dc, 0)`.
    pub harmonics: Vec<(f64, f64)>,
    /// Harmonic subgroups `G_sg,h` for `h = 0..=50`, V or A.
    pub subgroups: Vec<f64>,
    /// Centred interharmonic subgroups `C_isg,h` for `h = 0..=50` (between `h` and `h + 1`),
    /// V or A.
    pub interharmonic_subgroups: Vec<f64>,
    /// THD over orders 2..=50 from single bins, % of the fundamental.
    pub thd_pct: f64,
    /// THD over orders 2..=40 from single bins, % of the fundamental.
    pub thd40_pct: f64,
    /// THD over orders 2..=50 from subgroups, % of the fundamental subgroup.
    pub thds_pct: f64,
    /// THD over orders 2..=40 from subgroups, % of the fundamental subgroup.
    pub thds40_pct: f64,
}

/// Why a waveform could not be analysed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// A configuration field is out of range.
    #[error("reference config: `{field}`: {message}")]
    InvalidConfig {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The waveform is malformed (sample rate, channel lengths, non-finite samples).
    #[error("waveform: {message}")]
    InvalidWaveform {
        /// What is wrong.
        message: String,
    },
    /// The waveform has none of the reference channels.
    #[error("no reference channel: wanted {wanted:?}, the waveform has {available:?}")]
    NoReferenceChannel {
        /// Names asked for.
        wanted: Vec<String>,
        /// Channels of the waveform.
        available: Vec<String>,
    },
    /// The record is too short to locate cycles.
    #[error("record too short: {samples} samples, need at least {needed}")]
    TooShort {
        /// Samples per channel.
        samples: usize,
        /// Samples needed.
        needed: usize,
    },
    /// The reference fundamental never rises through zero.
    #[error("no rising zero crossing of the reference fundamental")]
    NoCrossings,
    /// Not enough crossings for one window.
    #[error("{found} rising crossings, need at least {needed} for one window")]
    TooFewCycles {
        /// Crossings found.
        found: usize,
        /// Crossings needed.
        needed: usize,
    },
}

/// Rising zero crossings of the reference fundamental, s from the first sample.
///
/// # Errors
///
/// [`ReferenceError`] for a bad configuration or waveform, a missing reference channel, a
/// record shorter than 1.5 nominal cycles plus the interpolator's reach at both ends, or no
/// crossing.
///
/// # Examples
///
/// ```
/// use percycle_vectors::reference::{crossings, ReferenceConfig};
/// use percycle_vectors::{synthesize, Recipe, Topology};
/// let mut recipe = Recipe::new("demo", Topology::SinglePhase).with_duration(0.2);
/// recipe.phases[0].u_phase_deg = -90.0; // U1 rises through zero at 5 ms, 25 ms, …
/// let v = synthesize(&recipe)?;
/// let t = crossings(&v.waveform, &ReferenceConfig::new(50.0))?;
/// assert_eq!(t.len(), 10);
/// assert!((t[1] - 0.025).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn crossings(w: &Waveform, cfg: &ReferenceConfig) -> Result<Vec<f64>, ReferenceError> {
    let located = locate(w, cfg)?;
    Ok(located.crossings.iter().map(|p| p / w.sample_rate_hz).collect())
}

/// Spectra over consecutive windows of `window_cycles` cycles, resampled to `interval_points`.
///
/// # Errors
///
/// As [`crossings`], and [`ReferenceError::TooFewCycles`] when no whole window fits.
///
/// # Examples
///
/// ```
/// use percycle_vectors::reference::{intervals, ReferenceConfig};
/// use percycle_vectors::{synthesize, Recipe, Topology};
/// let recipe = Recipe::new("demo", Topology::SinglePhase)
///     .with_duration(0.25)
///     .with_u_harmonic(5, 6.0, 0.0);
/// let v = synthesize(&recipe)?;
/// let w = &intervals(&v.waveform, &ReferenceConfig::new(50.0))?[0];
/// let u1 = &w.channels[0];
/// assert!((u1.subgroups[5] - 230.0 * 0.06).abs() < 1e-6);
/// assert!((u1.thd_pct - 6.0).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn intervals(
    w: &Waveform,
    cfg: &ReferenceConfig,
) -> Result<Vec<SpectrumWindow>, ReferenceError> {
    analyse_windows(w, cfg, cfg.window_cycles, cfg.interval_points)
}

/// Spectra over every single cycle, resampled to `cycle_points`; orders at or above the
/// resampled Nyquist frequency get 0.
///
/// # Errors
///
/// As [`crossings`], and [`ReferenceError::TooFewCycles`] with fewer than two crossings.
///
/// # Examples
///
/// ```
/// use percycle_vectors::reference::{cycles, ReferenceConfig};
/// use percycle_vectors::{synthesize, Recipe, Topology};
/// let v = synthesize(&Recipe::new("demo", Topology::SinglePhase).with_duration(0.1))?;
/// let c = cycles(&v.waveform, &ReferenceConfig::new(50.0))?;
/// assert_eq!(c.len(), 4); // crossings at 0, 20, 40, 60 and 80 ms
/// assert!((c[0].channels[0].rms - 230.0).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cycles(w: &Waveform, cfg: &ReferenceConfig) -> Result<Vec<SpectrumWindow>, ReferenceError> {
    analyse_windows(w, cfg, 1, cfg.cycle_points)
}

/// Band-limited value of `x` at fractional sample `position` (Kaiser-windowed sinc,
/// [`INTERP_TAPS`] taps, β = [`INTERP_BETA`]); samples outside `x` count as 0, so the result is
/// accurate only at least `INTERP_TAPS/2` samples inside either end.
///
/// # Examples
///
/// ```
/// use percycle_vectors::reference::interpolate;
/// let x: Vec<f64> = (0..400).map(|n| (0.3 * n as f64).sin()).collect();
/// assert!((interpolate(&x, 200.25) - (0.3 * 200.25f64).sin()).abs() < 1e-9);
/// assert_eq!(interpolate(&x, 17.0), x[17]);
/// ```
pub fn interpolate(x: &[f64], position: f64) -> f64 {
    let kernel = Kernel::new();
    let (first, weights) = kernel.weights(position);
    dot_at(x, first, &weights)
}

/// Resamples `x` at `points` fractional sample positions `first + j·step` with
/// [`interpolate`].
///
/// # Examples
///
/// ```
/// use percycle_vectors::reference::resample;
/// let x: Vec<f64> = (0..400).map(|n| n as f64).collect();
/// let y = resample(&x, 100.0, 0.5, 3);
/// assert!((y[1] - 100.5).abs() < 1e-6);
/// ```
pub fn resample(x: &[f64], first: f64, step: f64, points: usize) -> Vec<f64> {
    let kernel = Kernel::new();
    (0..points)
        .map(|j| {
            let (start, weights) = kernel.weights(first + j as f64 * step);
            dot_at(x, start, &weights)
        })
        .collect()
}

/// `Σ w[k]·x[first + k]` with samples outside `x` taken as 0.
fn dot_at(x: &[f64], first: i64, weights: &[f64]) -> f64 {
    weights
        .iter()
        .enumerate()
        .filter_map(|(k, w)| {
            let i = first + k as i64;
            (i >= 0 && (i as usize) < x.len()).then(|| w * x[i as usize])
        })
        .sum()
}

/// Modified Bessel function of the first kind, order 0, by its power series (exact to a few
/// ulp for the arguments used here, ≤ 24).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut term, mut sum, mut k) = (1.0, 1.0, 1.0);
    loop {
        term *= q / (k * k);
        sum += term;
        if term < sum * 1e-17 {
            return sum;
        }
        k += 1.0;
    }
}

/// The Kaiser-windowed sinc interpolator.
struct Kernel {
    inv_i0_beta: f64,
}

impl Kernel {
    fn new() -> Self {
        Kernel { inv_i0_beta: 1.0 / bessel_i0(INTERP_BETA) }
    }

    /// First sample index and the [`INTERP_TAPS`] weights for `position`.
    fn weights(&self, position: f64) -> (i64, Vec<f64>) {
        let floor = position.floor();
        let frac = position - floor;
        let base = floor as i64;
        let first = base - HALF_TAPS as i64 + 1;
        let mut w = vec![0.0; INTERP_TAPS];
        if frac == 0.0 {
            w[HALF_TAPS - 1] = 1.0;
            return (first, w);
        }
        // sin(π·frac) = sin(π·(1 − frac)); the smaller argument keeps it accurate when
        // `position` is just below a whole sample (`1 − frac` is exact for frac ≥ 0.5).
        let s = (PI * frac.min(1.0 - frac)).sin();
        let half = HALF_TAPS as f64;
        for (k, wk) in w.iter_mut().enumerate() {
            // Tap k reads sample first + k, at distance x = position − (first + k) = frac + m.
            let m = HALF_TAPS as i64 - 1 - k as i64;
            let x = frac + m as f64;
            let r = x / half;
            if r.abs() >= 1.0 {
                continue;
            }
            let sin_pi_x = if m.rem_euclid(2) == 0 { s } else { -s };
            let window = bessel_i0(INTERP_BETA * (1.0 - r * r).sqrt()) * self.inv_i0_beta;
            *wk = sin_pi_x / (PI * x) * window;
        }
        (first, w)
    }
}

/// Zero-phase FIR band-pass around the nominal frequency, applied by FFT convolution.
struct BandPass {
    half_len: usize,
    fft_len: usize,
    kernel_spectrum: Vec<Complex<f64>>,
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn realfft::ComplexToReal<f64>>,
}

impl BandPass {
    /// A band-pass for inputs of `input_len` samples.
    fn new(fs: f64, nominal_hz: f64, input_len: usize) -> Self {
        let half_len = (FILTER_HALF_CYCLES * fs / nominal_hz).ceil() as usize;
        let f1 = (1.0 - FILTER_HALF_BAND) * nominal_hz / fs;
        let f2 = (1.0 + FILTER_HALF_BAND) * nominal_hz / fs;
        let inv_i0 = 1.0 / bessel_i0(FILTER_BETA);
        let low_pass = |f: f64, m: f64| {
            if m == 0.0 {
                2.0 * f
            } else {
                (2.0 * PI * f * m).sin() / (PI * m)
            }
        };
        let taps = 2 * half_len + 1;
        let fft_len = (input_len + taps).next_power_of_two();
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(fft_len);
        let inverse = planner.plan_fft_inverse(fft_len);
        let mut buf = forward.make_input_vec();
        for (j, b) in buf.iter_mut().take(taps).enumerate() {
            let m = j as f64 - half_len as f64;
            let r = m / half_len as f64;
            let window = bessel_i0(FILTER_BETA * (1.0 - r * r).max(0.0).sqrt()) * inv_i0;
            *b = window * (low_pass(f2, m) - low_pass(f1, m)) / fft_len as f64;
        }
        let mut kernel_spectrum = forward.make_output_vec();
        forward.process(&mut buf, &mut kernel_spectrum).expect("buffers come from the plan");
        BandPass { half_len, fft_len, kernel_spectrum, forward, inverse }
    }

    /// Filters `input`; output `j` is centred on input `j + half_len`, for
    /// `j = 0..input.len() − 2·half_len`.
    fn apply(&self, input: &[f64]) -> Vec<f64> {
        debug_assert!(input.len() + 2 * self.half_len < self.fft_len);
        let mut buf = self.forward.make_input_vec();
        buf[..input.len()].copy_from_slice(input);
        let mut spec = self.forward.make_output_vec();
        self.forward.process(&mut buf, &mut spec).expect("buffers come from the plan");
        for (s, k) in spec.iter_mut().zip(&self.kernel_spectrum) {
            *s *= k;
        }
        // The inverse transform needs real DC and Nyquist bins; they are real up to rounding.
        spec[0].im = 0.0;
        if let Some(last) = spec.last_mut() {
            last.im = 0.0;
        }
        self.inverse.process(&mut spec, &mut buf).expect("buffers come from the plan");
        let valid = input.len() - 2 * self.half_len;
        buf[2 * self.half_len..2 * self.half_len + valid].to_vec()
    }
}

/// The record continued at both ends by whole periods (see the module docs).
struct Continued {
    /// `data[offset + n]` is sample `n` of the record, for `n` in `−offset..len + offset`.
    data: Vec<f64>,
    offset: usize,
}

impl Continued {
    /// Continues `x` by `extra` samples at each end, with periods `left` and `right` (samples).
    fn new(x: &[f64], extra: usize, left: f64, right: f64, kernel: &Kernel) -> Self {
        let len = x.len();
        let mut data = vec![0.0; len + 2 * extra];
        data[extra..extra + len].copy_from_slice(x);
        let lo = (HALF_TAPS + 1) as f64;
        let hi = len as f64 - (HALF_TAPS + 2) as f64;
        let mut cache: Option<(f64, i64, Vec<f64>)> = None;
        let mut value = |p: f64| {
            let frac = p - p.floor();
            let reuse = matches!(&cache, Some((f, _, _)) if *f == frac);
            if !reuse {
                let (first, w) = kernel.weights(p);
                cache = Some((frac, first - p.floor() as i64, w));
            }
            let (_, rel, w) = cache.as_ref().expect("just filled");
            dot_at(x, p.floor() as i64 + rel, w)
        };
        for k in 1..=extra {
            let n = -(k as f64);
            let m = ((lo - n) / left).ceil();
            data[extra - k] = value(n + m * left);
        }
        for k in 0..extra {
            let n = (len + k) as f64;
            let m = ((n - hi) / right).ceil();
            data[extra + len + k] = value(n - m * right);
        }
        Continued { data, offset: extra }
    }
}

/// Crossings and the mean periods at the two ends of the record, all in samples.
struct Located {
    crossings: Vec<f64>,
    left_period: f64,
    right_period: f64,
}

fn validate_waveform(w: &Waveform) -> Result<(), ReferenceError> {
    let bad = |message: String| Err(ReferenceError::InvalidWaveform { message });
    if !(w.sample_rate_hz.is_finite() && w.sample_rate_hz > 0.0) {
        return bad(format!("sample rate must be finite and > 0 (got {})", w.sample_rate_hz));
    }
    if w.channels.len() != w.samples.len() {
        return bad(format!(
            "{} channel names but {} sample vectors",
            w.channels.len(),
            w.samples.len()
        ));
    }
    let len = w.len();
    for (name, s) in w.channels.iter().zip(&w.samples) {
        if s.len() != len {
            return bad(format!("channel {name} has {} samples, the first channel {len}", s.len()));
        }
        if let Some(n) = s.iter().position(|x| !x.is_finite()) {
            return bad(format!("channel {name}: sample {n} is not finite"));
        }
    }
    Ok(())
}

fn reference_signal(w: &Waveform, cfg: &ReferenceConfig) -> Result<Vec<f64>, ReferenceError> {
    let names = &cfg.reference_channels;
    let found: Vec<Option<&[f64]>> = names.iter().map(|n| w.channel(n)).collect();
    match found.as_slice() {
        [Some(a), Some(b), Some(c)] => {
            Ok(a.iter().zip(*b).zip(*c).map(|((a, b), c)| (2.0 * a - b - c) / 3.0).collect())
        }
        [Some(a), ..] => Ok(a.to_vec()),
        _ => Err(ReferenceError::NoReferenceChannel {
            wanted: names.clone(),
            available: w.channels.clone(),
        }),
    }
}

/// Locates the rising crossings of the reference fundamental (module docs, *Cycles*).
fn locate(w: &Waveform, cfg: &ReferenceConfig) -> Result<Located, ReferenceError> {
    cfg.validate()?;
    validate_waveform(w)?;
    let fs = w.sample_rate_hz;
    if fs < 4.0 * cfg.nominal_hz {
        return Err(ReferenceError::InvalidWaveform {
            message: format!(
                "sample rate {fs} Hz is below 4 × nominal_hz ({} Hz)",
                4.0 * cfg.nominal_hz
            ),
        });
    }
    let r = reference_signal(w, cfg)?;
    let len = r.len();
    let nominal_period = fs / cfg.nominal_hz;
    // Continuation needs one period plus the interpolator's reach inside the record, at the
    // lowest frequency of the pass band.
    let needed = (nominal_period / (1.0 - FILTER_HALF_BAND)).ceil() as usize + 2 * MARGIN + 2;
    if len < needed {
        return Err(ReferenceError::TooShort { samples: len, needed });
    }
    let kernel = Kernel::new();
    let half_len = (FILTER_HALF_CYCLES * nominal_period).ceil() as usize;
    let extra = half_len + MARGIN;
    let band_pass = BandPass::new(fs, cfg.nominal_hz, len + 2 * extra);
    // Round 0 continues the record with the nominal period, which puts the crossings near the
    // ends slightly off; round 1 continues it with the period measured as far inside as the
    // record allows.
    let (mut left, mut right) = (nominal_period, nominal_period);
    let mut coarse = Vec::new();
    for round in 0..2 {
        let continued = Continued::new(&r, extra, left, right, &kernel);
        // y[j] is the filtered signal at sample j − MARGIN.
        let y = band_pass.apply(&continued.data);
        coarse = rising_crossings(&y, len, &kernel)?;
        if coarse.len() < 2 || round == 1 {
            break;
        }
        let skip = (FILTER_HALF_CYCLES * (1.0 + FILTER_HALF_BAND)).ceil() as usize + 1;
        (left, right) = end_periods(&coarse, skip);
    }
    if coarse.is_empty() {
        return Err(ReferenceError::NoCrossings);
    }
    let fit = SineFit::new((FIT_HALF_CYCLES * nominal_period).ceil() as usize, len);
    let last = (len - 1) as f64;
    let crossings: Vec<f64> = coarse
        .iter()
        .enumerate()
        .map(|(j, &guess)| {
            let period = match (j.checked_sub(1).map(|i| coarse[i]), coarse.get(j + 1)) {
                (Some(a), Some(&b)) => (b - a) / 2.0,
                (Some(a), None) => guess - a,
                (None, Some(&b)) => b - guess,
                (None, None) => nominal_period,
            };
            fit.crossing(&r, guess, period)
        })
        .filter(|&t| (-EDGE_TOLERANCE..=last + EDGE_TOLERANCE).contains(&t))
        .map(|t| t.clamp(0.0, last))
        .collect();
    // Drop crossings where the reference is dead (the band-pass rings into an interruption).
    let ac_rms = |x: &[f64]| {
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
    };
    let floor = CROSSING_HYSTERESIS * ac_rms(&r);
    let mut crossings: Vec<f64> = crossings
        .into_iter()
        .filter(|&t| {
            let from = (t - nominal_period / 2.0).max(0.0) as usize;
            let to = ((t + nominal_period / 2.0).ceil() as usize).min(len - 1);
            ac_rms(&r[from..=to]) >= floor
        })
        .collect();
    // Two detections refined onto the same crossing count once.
    crossings.sort_by(f64::total_cmp);
    crossings.dedup_by(|later, earlier| *later - *earlier < 0.5 * nominal_period);
    if crossings.is_empty() {
        return Err(ReferenceError::NoCrossings);
    }
    let (left_period, right_period) =
        if crossings.len() < 2 { (left, right) } else { end_periods(&crossings, 0) };
    Ok(Located { crossings, left_period, right_period })
}

/// Mean periods over up to [`END_CYCLES`] cycles, starting `skip` cycles (at most half of the
/// spare ones) inside each end; needs at least two crossings.
fn end_periods(c: &[f64], skip: usize) -> (f64, f64) {
    let n = c.len();
    let k = END_CYCLES.min(n - 1);
    let j = skip.min((n - 1 - k) / 2);
    ((c[j + k] - c[j]) / k as f64, (c[n - 1 - j] - c[n - 1 - j - k]) / k as f64)
}

/// Rising crossings of `y` (which starts `MARGIN` samples before the record), in record
/// samples, from the sample pair `(−1, 0)` to `(len − 1, len)`.
fn rising_crossings(y: &[f64], len: usize, kernel: &Kernel) -> Result<Vec<f64>, ReferenceError> {
    let record = &y[MARGIN..MARGIN + len];
    let rms = (record.iter().map(|v| v * v).sum::<f64>() / len as f64).sqrt();
    if rms == 0.0 {
        return Err(ReferenceError::NoCrossings);
    }
    let threshold = CROSSING_HYSTERESIS * SQRT_2 * rms;
    let value = |p: f64| {
        let (first, w) = kernel.weights(p + MARGIN as f64);
        dot_at(y, first, &w)
    };
    let scan = &y[MARGIN - 1..MARGIN + len + 1];
    let mut armed = scan[0] <= 0.0;
    let mut out = Vec::new();
    for (i, pair) in scan.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        if a < -threshold {
            armed = true;
        }
        if armed && a <= 0.0 && b > 0.0 {
            let n = i as f64 - 1.0;
            out.push(illinois(n, a, n + 1.0, b, value));
            armed = false;
        }
    }
    Ok(out)
}

/// Windowed least-squares fit of `d + a·cos φ(τ) + b·sin φ(τ)`, `φ = ω·τ + α·τ²/2`,
/// `τ = n − c`, with unknown `d, a, b, ω, α`, over `2·half + 1` samples centred on `c` (module
/// docs, *Cycles*).
struct SineFit {
    half: usize,
    weights: Vec<f64>,
}

impl SineFit {
    /// A fit over `±half` samples, shortened to fit a record of `len` samples.
    fn new(half: usize, len: usize) -> Self {
        let half = half.min((len - 1) / 2).max(1);
        let inv_i0 = 1.0 / bessel_i0(FIT_BETA);
        let weights = (0..=2 * half)
            .map(|k| {
                let r = (k as f64 - half as f64) / (half as f64 + 1.0);
                bessel_i0(FIT_BETA * (1.0 - r * r).sqrt()) * inv_i0
            })
            .collect();
        SineFit { half, weights }
    }

    /// The rising crossing of the fitted sinusoid nearest to `guess` (samples), starting from
    /// the period `period` (samples).
    fn crossing(&self, x: &[f64], guess: f64, period: f64) -> f64 {
        let half = self.half as i64;
        let c = (guess.round() as i64).clamp(half, x.len() as i64 - 1 - half);
        let data = &x[(c - half) as usize..=(c + half) as usize];
        let scale = 1.0 / self.half as f64;
        let mut omega = TAU / period;
        let mut alpha = 0.0;
        let phase = |tau: f64, omega: f64, alpha: f64| omega * tau + 0.5 * alpha * tau * tau;
        let mut p = [0.0; 3]; // d, a, b
        for iteration in 0..20 {
            // Gauss–Newton on (d, a, b, ω, α) with the ω and α columns scaled by 1/half and
            // 1/half²; the first pass is the linear fit at the guessed ω and α = 0.
            let mut m = [[0.0; 5]; 5];
            let mut v = [0.0; 5];
            for (k, (&xk, &wk)) in data.iter().zip(&self.weights).enumerate() {
                let tau = (k as i64 - half) as f64;
                let (s, co) = phase(tau, omega, alpha).sin_cos();
                let slope = p[2] * co - p[1] * s;
                let ts = tau * scale;
                let g = [1.0, co, s, ts * slope, 0.5 * ts * ts * slope];
                let resid = if iteration == 0 { xk } else { xk - (p[0] + p[1] * co + p[2] * s) };
                for i in 0..5 {
                    v[i] += wk * g[i] * resid;
                    for j in 0..5 {
                        m[i][j] += wk * g[i] * g[j];
                    }
                }
            }
            if iteration == 0 {
                let m3 = std::array::from_fn(|i| std::array::from_fn(|j| m[i][j]));
                p = solve(m3, [v[0], v[1], v[2]]);
                continue;
            }
            let step = solve(m, v);
            for (pi, si) in p.iter_mut().zip(&step) {
                *pi += si;
            }
            omega += step[3] * scale;
            alpha += step[4] * scale * scale;
            if !(omega.is_finite() && omega > 0.0 && alpha.is_finite()) {
                return guess;
            }
            if step[3].abs() + step[4].abs() < 1e-13 * omega * self.half as f64 {
                break;
            }
        }
        // a·cos φ + b·sin φ = R·sin(φ + ψ) with ψ = atan2(a, b); it rises through 0 where
        // φ(τ) + ψ = 2πk, solved by Newton steps from the linear-phase root nearest the guess.
        let psi = p[1].atan2(p[2]);
        let tau0 = guess - c as f64;
        let k = ((phase(tau0, omega, alpha) + psi) / TAU).round();
        let mut tau = (TAU * k - psi) / omega;
        for _ in 0..8 {
            let f = phase(tau, omega, alpha) + psi - TAU * k;
            tau -= f / (omega + alpha * tau);
        }
        let t = c as f64 + tau;
        if t.is_finite() {
            t
        } else {
            guess
        }
    }
}

/// Solves `m·x = v` by Gaussian elimination with partial pivoting; an unknown with a zero
/// pivot gets 0.
fn solve<const N: usize>(mut m: [[f64; N]; N], mut v: [f64; N]) -> [f64; N] {
    for col in 0..N {
        let pivot = (col..N)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .expect("non-empty range");
        m.swap(col, pivot);
        v.swap(col, pivot);
        if m[col][col] == 0.0 {
            continue;
        }
        let pivot_row = m[col];
        for row in col + 1..N {
            let f = m[row][col] / pivot_row[col];
            for (a, b) in m[row].iter_mut().zip(&pivot_row).skip(col) {
                *a -= f * b;
            }
            v[row] -= f * v[col];
        }
    }
    let mut x = [0.0; N];
    for row in (0..N).rev() {
        if m[row][row] == 0.0 {
            continue;
        }
        let tail: f64 = (row + 1..N).map(|k| m[row][k] * x[k]).sum();
        x[row] = (v[row] - tail) / m[row][row];
    }
    x
}

/// Root of `f` in `[a, b]` with `f(a) ≤ 0 < f(b)`, by the Illinois method, to 1e-12.
fn illinois(mut a: f64, mut fa: f64, mut b: f64, mut fb: f64, f: impl Fn(f64) -> f64) -> f64 {
    if fa == 0.0 {
        return a;
    }
    let mut c = b;
    for _ in 0..100 {
        let next = (a * fb - b * fa) / (fb - fa);
        let fc = f(next);
        let done = fc == 0.0 || (next - c).abs() < 1e-12;
        c = next;
        if done {
            break;
        }
        if (fc > 0.0) == (fb > 0.0) {
            fa *= 0.5;
        } else {
            a = b;
            fa = fb;
        }
        b = c;
        fb = fc;
    }
    c
}

fn analyse_windows(
    w: &Waveform,
    cfg: &ReferenceConfig,
    cycles_per_window: usize,
    points: usize,
) -> Result<Vec<SpectrumWindow>, ReferenceError> {
    let located = locate(w, cfg)?;
    let c = &located.crossings;
    if c.len() < cycles_per_window + 1 {
        return Err(ReferenceError::TooFewCycles { found: c.len(), needed: cycles_per_window + 1 });
    }
    let kernel = Kernel::new();
    let channels: Vec<Continued> = w
        .samples
        .iter()
        .map(|s| Continued::new(s, MARGIN, located.left_period, located.right_period, &kernel))
        .collect();
    let fs = w.sample_rate_hz;
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(points);
    let mut spectrum = fft.make_output_vec();
    let mut resampled = vec![vec![0.0; points]; channels.len()];
    let mut out = Vec::new();
    for (index, pair) in c.windows(cycles_per_window + 1).step_by(cycles_per_window).enumerate() {
        let (start, end) = (pair[0], pair[cycles_per_window]);
        let step = (end - start) / points as f64;
        for j in 0..points {
            let (first, weights) = kernel.weights(start + j as f64 * step);
            for (ch, r) in channels.iter().zip(resampled.iter_mut()) {
                r[j] = dot_at(&ch.data, first + ch.offset as i64, &weights);
            }
        }
        let spectra = w
            .channels
            .iter()
            .zip(resampled.iter_mut())
            .map(|(name, x)| {
                channel_spectrum(name, x, cycles_per_window, fft.as_ref(), &mut spectrum)
            })
            .collect();
        out.push(SpectrumWindow {
            index,
            start_s: start / fs,
            end_s: end / fs,
            frequency_hz: cycles_per_window as f64 * fs / (end - start),
            channels: spectra,
        });
    }
    Ok(out)
}

/// Spectrum of one resampled window of `n` cycles (module docs, *Spectrum and groups*);
/// `x` is overwritten.
fn channel_spectrum(
    name: &str,
    x: &mut [f64],
    n: usize,
    fft: &dyn RealToComplex<f64>,
    spectrum: &mut [Complex<f64>],
) -> ChannelSpectrum {
    let m = x.len();
    let mf = m as f64;
    let rms = (x.iter().map(|v| v * v).sum::<f64>() / mf).sqrt();
    fft.process(x, spectrum).expect("buffers match the plan");
    let dc = spectrum[0].re / mf;
    // rms bin k, 0 at and above the Nyquist bin.
    let bin = |k: usize| {
        if k >= 1 && 2 * k < m {
            SQRT_2 * spectrum[k].norm() / mf
        } else {
            0.0
        }
    };
    let mut harmonics = vec![(dc, 0.0)];
    harmonics.extend((1..=MAX_ORDER).map(|h| {
        let k = n * h;
        if 2 * k < m {
            (bin(k), spectrum[k].arg())
        } else {
            (0.0, 0.0)
        }
    }));
    let (subgroups, interharmonic_subgroups): (Vec<f64>, Vec<f64>) = if n == 1 {
        (0..=MAX_ORDER).map(|h| (if h == 0 { 0.0 } else { bin(h) }, 0.0)).unzip()
    } else {
        (0..=MAX_ORDER)
            .map(|h| {
                let k = n * h;
                let sg = if h == 0 {
                    bin(1)
                } else {
                    (bin(k - 1).powi(2) + bin(k).powi(2) + bin(k + 1).powi(2)).sqrt()
                };
                let isg = (k + 2..=k + n - 2).map(|i| bin(i).powi(2)).sum::<f64>().sqrt();
                (sg, isg)
            })
            .unzip()
    };
    let ratio_pct = |values: &[f64], fundamental: f64, top: usize| {
        if fundamental == 0.0 {
            0.0
        } else {
            values[2..=top].iter().map(|v| v * v).sum::<f64>().sqrt() / fundamental * 100.0
        }
    };
    let single: Vec<f64> = harmonics.iter().map(|h| h.0).collect();
    ChannelSpectrum {
        name: name.to_string(),
        rms,
        dc,
        thd_pct: ratio_pct(&single, single[1], MAX_ORDER),
        thd40_pct: ratio_pct(&single, single[1], 40),
        thds_pct: ratio_pct(&subgroups, subgroups[1], MAX_ORDER),
        thds40_pct: ratio_pct(&subgroups, subgroups[1], 40),
        harmonics,
        subgroups,
        interharmonic_subgroups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bessel_i0_matches_known_values() {
        // I0(1), I0(5), I0(20) to 15 digits.
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-15);
        assert!((bessel_i0(5.0) - 27.239_871_823_604_45).abs() < 1e-12);
        assert!((bessel_i0(20.0) / 43_558_282.559_553_55 - 1.0).abs() < 1e-14);
    }

    #[test]
    fn band_pass_rejects_dc_and_second_harmonic() {
        let fs = 8000.0;
        let bp = BandPass::new(fs, 50.0, 8000);
        let response = |f: f64| {
            let x: Vec<f64> = (0..8000).map(|n| (2.0 * PI * f * n as f64 / fs).cos()).collect();
            let y = bp.apply(&x);
            y[y.len() / 2 - 200..y.len() / 2 + 200].iter().fold(0.0f64, |a, v| a.max(v.abs()))
        };
        let pass = response(50.0);
        assert!((pass - 1.0).abs() < 1e-5, "{pass}");
        assert!(response(42.5) > 0.7 && response(57.5) > 0.7);
        for f in [0.0, 10.0, 22.0, 78.0, 85.0, 100.0, 150.0, 1000.0] {
            assert!(response(f) < 3e-6, "{f} Hz: {}", response(f));
        }
    }

    #[test]
    fn kernel_returns_the_sample_at_integer_positions() {
        let x: Vec<f64> = (0..300).map(|n| ((n * 7919) % 101) as f64).collect();
        for n in [0usize, 5, 150, 299] {
            assert_eq!(interpolate(&x, n as f64), x[n]);
        }
    }
}
