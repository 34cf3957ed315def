//! Urms(1/2) (IEC 61000-4-30 §5.4.2, the value the dip, swell, interruption and RVC detectors
//! judge): the rms over one period, refreshed every half period.
//!
//! The windows end at a cycle's midpoint and at its end. Their length is the median of the last
//! five tracked cycles (the closing one included), not the closing cycle's own length: a step in
//! amplitude or phase moves the filtered reference's zero crossings for a cycle or two
//! (measured: 214 and 195 samples instead of 204.8 around a dip to 50 %), and a window of that
//! length would bias the rms by half a percent.
//!
//! The integrals are those of the cycle (trapezoidal, with fractional ends). A window ending at
//! the midpoint spans the second half of the previous cycle and the first half of this one; a
//! window ending at the cycle's end nearly covers the cycle. Both reuse the cycle's exact integer
//! Σx² (and the previous cycle's second half), so only the few samples between a window's start
//! and the nearest known boundary are summed again.

use crate::kernels::{self, Window};
use crate::math;
use crate::types::{Frame, SampleTime, LANES};

/// Cycles whose median length is the window.
const RECENT: usize = 5;

/// Σx² in codes² per lane over whole samples `[from, to)`.
#[derive(Clone, Copy, Debug)]
struct Known {
    from: u64,
    to: u64,
    sq: [i64; LANES],
}

/// The Urms(1/2) stage: the recent cycle lengths and the second half of the last cycle.
#[derive(Clone, Debug)]
pub(crate) struct UrmsHalf {
    recent: [f32; RECENT],
    next: usize,
    /// Σx² over the second half of the last cycle, while the next cycle follows it.
    last_half: Option<Known>,
}

/// What a closed cycle hands the stage: its window and midpoint, and its exact Σx² in codes²
/// over its whole samples and over those of its first half (up to the midpoint's sample).
pub(crate) struct CycleSquares<'a> {
    pub window: &'a Window,
    pub mid: SampleTime,
    pub sq: &'a [i64; LANES],
    pub sq_first: &'a [i64; LANES],
}

impl UrmsHalf {
    pub const ZERO: Self = Self { recent: [0.0; RECENT], next: 0, last_half: None };

    /// Back to a stream start, every recent cycle of `period` samples (the nominal one).
    pub fn reset(&mut self, period: f32) {
        self.recent = [period; RECENT];
        self.next = 0;
        self.last_half = None;
    }

    /// The window length in samples: the median of the recent cycles.
    pub fn period(&self) -> f32 {
        median(self.recent)
    }

    /// Count a tracked cycle of `len` samples (hold-over and resync cycles are not).
    pub fn note(&mut self, len: f32) {
        self.recent[self.next] = len;
        self.next = (self.next + 1) % RECENT;
    }

    /// The two values of a closed cycle for each voltage lane in `u` (`[at the midpoint, at the
    /// end]`, per phase; phases without a voltage stay 0), in volts with the lanes' `gain`.
    pub fn cycle(
        &mut self,
        ring: &[Frame],
        gain: &[f32; LANES],
        u: &[Option<usize>; 3],
        x: &CycleSquares<'_>,
    ) -> [[f32; 3]; 2] {
        let period = self.period();
        let (ma, mb) = (x.window.a.sample, x.window.b.sample);
        let mmid = x.mid.sample.clamp(ma, mb.max(ma));
        let second = self.last_half.take().filter(|h| h.to == ma);
        let mut out = [[0.0; 3]; 2];
        for (p, cu) in u.iter().enumerate() {
            if let Some(c) = *cu {
                let first = second.map(|h| (h.from, h.sq[c] + x.sq_first[c]));
                out[0][p] = window_rms(ring, gain[c], c, x.mid, period, first);
                out[1][p] = window_rms(ring, gain[c], c, x.window.b, period, Some((ma, x.sq[c])));
            }
        }
        let mut sq = [0; LANES];
        for (s, (&whole, &first)) in sq.iter_mut().zip(x.sq.iter().zip(x.sq_first)) {
            *s = whole - first;
        }
        self.last_half = Some(Known { from: mmid, to: mb, sq });
        out
    }
}

/// rms of lane `c` over `[end − len, end]` (trapezoidal, as the cycle integrals), V or A, given
/// `known = (s, Σx²)` over whole samples `[s, end.sample)`: then only the samples between `s` and
/// the window's first sample are summed.
pub(crate) fn window_rms(
    ring: &[Frame],
    gain: f32,
    c: usize,
    end: SampleTime,
    len: f32,
    known: Option<(u64, i64)>,
) -> f32 {
    let w = Window { a: end.add(-len), b: end, rect_a: false, rect_b: false };
    let (ma, mb) = (w.a.sample, w.b.sample);
    let sum = match known {
        Some((s, k)) if s <= mb && ma <= mb && s.abs_diff(ma) < (mb - ma) / 2 => {
            if ma <= s {
                k + kernels::sq_sum(ring, c, ma, s)
            } else {
                k - kernels::sq_sum(ring, c, s, ma)
            }
        }
        _ => kernels::sq_sum(ring, c, ma, mb),
    };
    let sq = |m: u64| {
        let v = kernels::frame(ring, m)[c] as i32 as i64;
        (v * v) as f32
    };
    let ends = [sq(ma), sq(ma + 1), sq(mb), sq(mb + 1)];
    math::sqrtf((gain * gain * w.integral(sum, ends) / len).max(0.0))
}

/// Median of the recent cycle lengths (insertion sort; NaN-free inputs).
fn median(mut v: [f32; RECENT]) -> f32 {
    for i in 1..RECENT {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
    v[RECENT / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_the_median_of_the_last_five_cycles() {
        let mut s = UrmsHalf::ZERO;
        s.reset(204.8);
        for len in [214.0, 195.0] {
            s.note(len);
        }
        assert_eq!(s.period(), 204.8);
        for len in [214.0, 216.0, 215.0] {
            s.note(len);
        }
        assert_eq!(s.period(), 214.0);
    }

    #[test]
    fn a_window_from_a_known_sum_equals_one_summed_in_full() {
        // A ring of a sine in lane 0; the window's rms from the whole-sample sum and from a
        // known partial sum must agree bit for bit.
        let mut ring = [[0.0f32; LANES]; 512];
        for (m, f) in ring.iter_mut().enumerate() {
            f[0] = libm::roundf(1000.0 * libm::sinf(m as f32 * 0.0307));
        }
        let end = SampleTime { sample: 400, frac: 0.25 };
        let len = 204.6;
        let full = window_rms(&ring, 0.5, 0, end, len, None);
        let from = 200u64;
        let k: i64 = (from..400).map(|m| (ring[m as usize][0] as i64).pow(2)).sum();
        let known = window_rms(&ring, 0.5, 0, end, len, Some((from, k)));
        assert_eq!(full.to_bits(), known.to_bits());
        let ampl = 0.5 * 1000.0 / core::f32::consts::SQRT_2;
        assert!((full - ampl).abs() < 0.01 * ampl, "{full} vs {ampl}");
    }
}
