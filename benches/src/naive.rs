//! The naive Rust baseline of performance.md §3.3 / §6, written as a competent programmer would
//! without special effort: realfft, f32, one pass over the interleaved frames.
//!
//! * Cycles: rising zero crossings of U1 (armed once U1 falls below −[`ZC_HYSTERESIS_V`]), whole
//!   samples from one crossing to the next; samples before the first crossing and after the last
//!   are not a cycle.
//! * Per cycle: rms of the 7 channels (`√(Σx²/n)`) and the active power of the 3 phases
//!   (`Σu·i/n`).
//! * Harmonics: fixed windows of [`WINDOW`] = 2048 samples (10 cycles at 50 Hz and 10.24 kHz)
//!   from sample 0, one realfft per channel and window, bins scaled to rms
//!   (`|X_k|·√2/N`), harmonic subgroups `G_h² = C²_{10h−1} + C²_{10h} + C²_{10h+1}` for
//!   h = 1..=50, and THD = `√(Σ_{h=2..50} G_h²) / G_1`.

use crate::signal::CHANNELS;
use crate::summary::{Summary, SummaryAcc};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Harmonic window length in samples.
pub const WINDOW: usize = 2048;
/// Mains cycles in one window (bin `WINDOW_CYCLES · h` is harmonic h).
pub const WINDOW_CYCLES: usize = 10;
/// Highest harmonic order.
pub const MAX_ORDER: usize = 50;
/// Hysteresis of the U1 zero-crossing detector, V.
pub const ZC_HYSTERESIS_V: f32 = 10.0;

/// Time-domain results of a stream: per-cycle rms and active power, summed.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimeDomain {
    /// The sums (cycles only; no windows).
    pub acc: SummaryAcc,
}

/// The naive pipeline with its FFT plan and buffers (allocated once, reused by every run).
pub struct NaivePipeline {
    fft: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Harmonic subgroups G_h (rms, index h = 0..=50, index 0 unused) of every channel in the last
    /// window.
    pub subgroups: [[f32; MAX_ORDER + 1]; CHANNELS],
}

impl Default for NaivePipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl NaivePipeline {
    /// Plan the 2048-point real FFT and allocate the buffers.
    pub fn new() -> Self {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(WINDOW);
        let input = fft.make_input_vec();
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Self { fft, input, spectrum, scratch, subgroups: [[0.0; MAX_ORDER + 1]; CHANNELS] }
    }

    /// The whole pipeline on interleaved ADC codes; sample = `code × gains[channel]`.
    pub fn run_codes(&mut self, codes: &[i32], gains: &[f32; CHANNELS]) -> Summary {
        self.run(codes, |c, v| v as f32 * gains[c])
    }

    /// The whole pipeline on interleaved volts and amperes.
    pub fn run_f32(&mut self, x: &[f32]) -> Summary {
        self.run(x, |_, v| v)
    }

    fn run<T: Copy>(&mut self, x: &[T], conv: impl Fn(usize, T) -> f32 + Copy) -> Summary {
        let mut acc = time_domain(x, conv).acc;
        let frames = x.len() / CHANNELS;
        let scale = 2.0 / (WINDOW as f32 * WINDOW as f32);
        for w in 0..frames / WINDOW {
            let mut thd = [0.0f32; CHANNELS];
            for (c, thd) in thd.iter_mut().enumerate() {
                let first = w * WINDOW * CHANNELS + c;
                for (j, v) in self.input.iter_mut().enumerate() {
                    *v = conv(c, x[first + j * CHANNELS]);
                }
                self.fft
                    .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
                    .expect("buffer lengths come from the plan");
                let c2 = |k: usize| self.spectrum[k].norm_sqr() * scale;
                let g = &mut self.subgroups[c];
                let mut harmonics = 0.0f32;
                for (h, g) in g.iter_mut().enumerate().skip(1) {
                    let k = WINDOW_CYCLES * h;
                    let g2 = c2(k - 1) + c2(k) + c2(k + 1);
                    *g = g2.sqrt();
                    if h >= 2 {
                        harmonics += g2;
                    }
                }
                *thd = if g[1] > 0.0 { 100.0 * harmonics.sqrt() / g[1] } else { 0.0 };
            }
            acc.window(thd);
        }
        acc.finish()
    }
}

/// The time-domain part alone (W2's baseline) on interleaved codes.
pub fn time_domain_codes(codes: &[i32], gains: &[f32; CHANNELS]) -> TimeDomain {
    time_domain(codes, |c, v| v as f32 * gains[c])
}

/// Zero-crossing cycles of U1, per-cycle rms of every channel and active power of every phase.
pub fn time_domain<T: Copy>(x: &[T], conv: impl Fn(usize, T) -> f32) -> TimeDomain {
    let mut acc = SummaryAcc::default();
    let mut armed = false;
    let mut open = false;
    let mut n = 0usize;
    let mut sq = [0.0f32; CHANNELS];
    let mut p = [0.0f32; 3];
    for frame in x.chunks_exact(CHANNELS) {
        let v: [f32; CHANNELS] = core::array::from_fn(|c| conv(c, frame[c]));
        if v[0] < -ZC_HYSTERESIS_V {
            armed = true;
        } else if armed && v[0] >= 0.0 {
            armed = false;
            if open && n > 0 {
                let inv = 1.0 / n as f32;
                acc.cycle(sq.map(|s| (s * inv).sqrt()), p.map(|s| s * inv));
            }
            open = true;
            n = 0;
            sq = [0.0; CHANNELS];
            p = [0.0; 3];
        }
        if open {
            n += 1;
            for (s, v) in sq.iter_mut().zip(v) {
                *s += v * v;
            }
            for (ph, s) in p.iter_mut().enumerate() {
                *s += v[ph] * v[3 + ph];
            }
        }
    }
    TimeDomain { acc }
}
