//! The loops over the sample ring: integer cycle sums, the fundamental DFT, the computed neutral
//! and the resampler.
//!
//! Decision and measured reason: these are plain functions, not methods of the generic
//! [`crate::Meter`]. Generic code is compiled in the crate that instantiates it, with that crate's
//! optimisation settings; the reference firmware builds with `opt-level = "s"` (the engine package
//! at 3), and there the generic resampler ran at about 10 instructions per multiply-add, with its
//! accumulators in memory (1.09 M instructions per 3P4W mains cycle in all). Compiled here, the
//! lane loops are unrolled and the accumulators stay in registers.
//!
//! Every loop works on the frames of the ring (channels side by side in [`LANES`] lanes) and
//! computes a fixed number of lanes `W` (2, 4 or 8 for 1P, 3P3W and 3P4W). Each lane is
//! accumulated in sample order, the order a channel-by-channel loop has, so the lanes are
//! independent and the host vectorises across them without changing a bit.

use crate::config::MAX_CHANNELS;
use crate::math;
use crate::report::Phasor;
use crate::resample::{self, LOOKBEHIND, TAPS};
use crate::tracker::SampleTime;

/// Lanes of a ring frame: the largest frame (3P4W, 7 channels) padded to 8, so that a frame is
/// two 4-lane vectors on the host.
pub(crate) const LANES: usize = 8;
const _: () = assert!(LANES >= MAX_CHANNELS);

/// One sample of every channel, as exact f32 codes.
pub(crate) type Frame = [f32; LANES];

/// Exact sine/cosine every this many samples in the fundamental DFT; recursive rotation between.
const DFT_RESYNC: u32 = 16;

/// Call `f` with the frames of stream samples `[from, to)` in order, as contiguous slices (two
/// when the range wraps the ring; `ring.len()` is a power of two).
#[inline(always)]
fn spans(ring: &[Frame], mut from: u64, to: u64, mut f: impl FnMut(&[Frame])) {
    let size = ring.len();
    while from < to {
        let s = (from as usize) & (size - 1);
        let n = (size - s).min((to - from).min(size as u64) as usize);
        if let Some(span) = ring.get(s..s + n) {
            f(span);
        }
        from += n as u64;
    }
}

/// The frame of stream sample `m`.
#[inline(always)]
pub(crate) fn frame(ring: &[Frame], m: u64) -> &Frame {
    &ring[(m as usize) & (ring.len() - 1)]
}

/// Sample-product sums of the lane width `w` (one per topology): `(a, b, slot)` adds Σ x_a·x_b
/// to slot 0..=2 (active power of phase slot p: voltage lane, current lane) or 3..=5 (U12, U23,
/// U31 of 3P4W); the second value is the number of pairs used.
pub(crate) const fn products(w: usize) -> ([(usize, usize, usize); 6], usize) {
    let none = (0, 0, 0);
    match w {
        // Single phase: U1·I1.
        2 => ([(0, 1, 0), none, none, none, none, none], 1),
        // 3P3W: U12·I1 in slot 0, U32·I3 in slot 2.
        4 => ([(0, 2, 0), (1, 3, 2), none, none, none, none], 2),
        // 3P4W: Up·Ip, then U1·U2, U2·U3, U3·U1.
        _ => ([(0, 3, 0), (1, 4, 1), (2, 5, 2), (0, 1, 3), (1, 2, 4), (2, 0, 5)], 6),
    }
}

/// Integer sums over whole samples, in codes: Σx² and Σx per lane, and the sample products of
/// [`products`] by slot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sums {
    pub sq: [i64; LANES],
    pub sum: [i64; LANES],
    pub prod: [i64; 6],
}

/// [`Sums`] over stream samples `[from, to)` for lane width `w`.
#[inline(never)]
pub(crate) fn sums(ring: &[Frame], w: usize, from: u64, to: u64) -> Sums {
    match w {
        2 => sums_w::<2>(ring, from, to),
        4 => sums_w::<4>(ring, from, to),
        _ => sums_w::<LANES>(ring, from, to),
    }
}

fn sums_w<const W: usize>(ring: &[Frame], from: u64, to: u64) -> Sums {
    let (pairs, np) = const { products(W) };
    let mut sq = [0i64; W];
    let mut sum = [0i64; W];
    let mut prod = [0i64; 6];
    spans(ring, from, to, |span| {
        for f in span {
            let v: [i64; W] = core::array::from_fn(|c| f[c] as i32 as i64);
            for c in 0..W {
                sq[c] += v[c] * v[c];
                sum[c] += v[c];
            }
            for (p, &(a, b, _)) in prod.iter_mut().zip(&pairs).take(np) {
                *p += v[a] * v[b];
            }
        }
    });
    let mut out = Sums::default();
    out.sq[..W].copy_from_slice(&sq);
    out.sum[..W].copy_from_slice(&sum);
    for (&(_, _, slot), &p) in pairs.iter().zip(&prod).take(np) {
        out.prod[slot] = p;
    }
    out
}

/// Σx² of lane `c` over stream samples `[from, to)`, in codes².
#[inline(never)]
pub(crate) fn sq_sum(ring: &[Frame], c: usize, from: u64, to: u64) -> i64 {
    let mut sum: i64 = 0;
    spans(ring, from, to, |span| {
        for f in span {
            let v = f[c] as i32 as i64;
            sum += v * v;
        }
    });
    sum
}

/// Σ (g3·x3 + g4·x4 + g5·x5)² over stream samples `[from, to)` in sample order: the squared sum
/// of the 3P4W phase currents in A² (the gains may differ).
#[inline(never)]
pub(crate) fn current_sum_sq(ring: &[Frame], g: [f32; 3], from: u64, to: u64) -> f32 {
    let mut s = 0.0f32;
    spans(ring, from, to, |span| {
        for f in span {
            s += current_sum_sq_at(f, g);
        }
    });
    s
}

/// (g3·x3 + g4·x4 + g5·x5)² of one frame.
#[inline(always)]
pub(crate) fn current_sum_sq_at(f: &Frame, g: [f32; 3]) -> f32 {
    let v = g[0] * f[3] + g[1] * f[4] + g[2] * f[5];
    v * v
}

/// The fundamental DFT of the first `n` lanes over whole samples `[ma, mb)`, with the kernel
/// e^(−jθ), θ = `step`·(k − `frac`) at sample ma + k.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Dft {
    /// Σ x·cos θ and Σ −x·sin θ per lane.
    pub re: [f32; LANES],
    pub im: [f32; LANES],
    /// x·e^(−jθ) (re, im) per lane at samples ma, ma + 1, mb and mb + 1.
    pub ends: [([f32; LANES], [f32; LANES]); 4],
}

/// [`Dft`] over `[ma, mb)` for lane width `w`. The kernel is rotated by one sample step at a time
/// and recomputed exactly every [`DFT_RESYNC`] samples.
#[inline(never)]
pub(crate) fn dft(ring: &[Frame], w: usize, ma: u64, mb: u64, step: f32, frac: f32) -> Dft {
    match w {
        2 => dft_w::<2>(ring, ma, mb, step, frac),
        4 => dft_w::<4>(ring, ma, mb, step, frac),
        _ => dft_w::<LANES>(ring, ma, mb, step, frac),
    }
}

fn dft_w<const W: usize>(ring: &[Frame], ma: u64, mb: u64, step: f32, frac: f32) -> Dft {
    let (ds, dc) = math::sincosf(step);
    let mut re = [0.0f32; W];
    let mut im = [0.0f32; W];
    let mut ends = [([0.0f32; W], [0.0f32; W]); 4];
    let (mut zs, mut zc) = (0.0f32, 1.0f32);
    // Sample offsets from ma fit in 32 bits: a window is shorter than the ring.
    let n = mb.saturating_sub(ma) as u32;
    let mut k: u32 = 0;
    let sample = |f: &Frame, zs: &mut f32, zc: &mut f32, k: u32| {
        if k % DFT_RESYNC == 0 {
            let theta = step * (k as f32 - frac);
            (*zs, *zc) = math::sincosf(theta);
        }
        // x·e^(−jθ) = x·cos θ − j·x·sin θ
        let y: ([f32; W], [f32; W]) =
            (core::array::from_fn(|c| f[c] * *zc), core::array::from_fn(|c| -f[c] * *zs));
        let (s, c) = (*zs * dc + *zc * ds, *zc * dc - *zs * ds);
        *zs = s;
        *zc = c;
        y
    };
    spans(ring, ma, mb, |span| {
        for f in span {
            let y = sample(f, &mut zs, &mut zc, k);
            for c in 0..W {
                re[c] += y.0[c];
                im[c] += y.1[c];
            }
            if k < 2 {
                ends[k as usize] = y;
            }
            k += 1;
        }
    });
    for j in 0..2u32 {
        let y = sample(frame(ring, mb + j as u64), &mut zs, &mut zc, n + j);
        // A window shorter than two samples has its start samples here too.
        if n + j < 2 {
            ends[(n + j) as usize] = y;
        }
        ends[2 + j as usize] = y;
    }
    let mut out = Dft::default();
    out.re[..W].copy_from_slice(&re);
    out.im[..W].copy_from_slice(&im);
    for (o, e) in out.ends.iter_mut().zip(&ends) {
        o.0[..W].copy_from_slice(&e.0);
        o.1[..W].copy_from_slice(&e.1);
    }
    out
}

/// Fundamental phasor from a [`Dft`] lane: the sums plus the trapezoid end corrections at the
/// window's boundary fractions, scaled to rms and to V or A.
#[inline]
pub(crate) fn phasor(d: &Dft, c: usize, frac_a: f32, frac_b: f32, len: f32, gain: f32) -> Phasor {
    let e = &d.ends;
    let re = d.re[c] + edge(e[2].0[c], e[3].0[c], frac_b) - edge(e[0].0[c], e[1].0[c], frac_a);
    let im = d.im[c] + edge(e[2].1[c], e[3].1[c], frac_b) - edge(e[0].1[c], e[1].1[c], frac_a);
    let scale = core::f32::consts::SQRT_2 / len;
    Phasor { re: re * scale * gain, im: im * scale * gain }
}

/// Points of a synchronous resampling: point `i` of `count` spread over `[start, start + len)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    pub start: SampleTime,
    pub len: f32,
    pub count: usize,
}

/// Resample lanes `0..rows.len()` (at most the width `w`): output `j` in `js` is grid point
/// `j·mul − sub`, written to `rows[c][j]` in V or A (`gain` per lane).
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one call site per use; a struct would only rename them
pub(crate) fn resample(
    ring: &[Frame],
    w: usize,
    gain: &[f32; MAX_CHANNELS],
    grid: Grid,
    js: core::ops::Range<usize>,
    mul: usize,
    sub: usize,
    rows: &mut [&mut [f32]],
) {
    match w {
        2 => resample_w::<2>(ring, gain, grid, js, mul, sub, rows),
        4 => resample_w::<4>(ring, gain, grid, js, mul, sub, rows),
        _ => resample_w::<LANES>(ring, gain, grid, js, mul, sub, rows),
    }
}

fn resample_w<const W: usize>(
    ring: &[Frame],
    gain: &[f32; MAX_CHANNELS],
    grid: Grid,
    js: core::ops::Range<usize>,
    mul: usize,
    sub: usize,
    rows: &mut [&mut [f32]],
) {
    let n = rows.len().min(W);
    for j in js {
        let (n0, mu) = resample::position(grid.start, grid.len, j * mul - sub, grid.count);
        let v = interpolate::<W>(ring, n0, mu);
        for (c, row) in rows.iter_mut().enumerate().take(n) {
            if let Some(out) = row.get_mut(j) {
                *out = v[c] * gain[c];
            }
        }
    }
}

/// Resampled codes of the first `W` lanes at sample `n0` + `mu` (before the gain).
///
/// Each lane accumulates its 16 products in tap order from 0.0, as one channel at a time would.
#[inline(always)]
fn interpolate<const W: usize>(ring: &[Frame], n0: u64, mu: f32) -> [f32; W] {
    // Each tap is interpolated between two rows of the kernel table right where it is used.
    let (a, b, w) = resample::rows(mu);
    let mask = ring.len() - 1;
    let first = (n0.wrapping_sub(LOOKBEHIND - 1) as usize) & mask;
    let mut acc = [0.0f32; W];
    let window = ring.get(first..first + TAPS).map(<&[Frame; TAPS]>::try_from);
    if let Some(Ok(window)) = window {
        // The common case: the 16 frames are contiguous. In groups of four taps, which the
        // compiler unrolls completely (all sixteen at once are past its unrolling limit).
        for g in (0..TAPS).step_by(4) {
            for k in g..g + 4 {
                let t = a[k] + w * (b[k] - a[k]);
                for c in 0..W {
                    acc[c] += t * window[k][c];
                }
            }
        }
    } else {
        for k in 0..TAPS {
            let t = a[k] + w * (b[k] - a[k]);
            let f = &ring[(first + k) & mask];
            for c in 0..W {
                acc[c] += t * f[c];
            }
        }
    }
    acc
}

/// Trapezoid end correction at a boundary `frac` after sample m with values `y0` = y[m] and
/// `y1` = y[m+1]: the integral of the interpolant from the window's reference to the boundary is
/// `Σ_{k<m} y_k + edge(y0, y1, frac)`.
#[inline]
pub(crate) fn edge(y0: f32, y1: f32, frac: f32) -> f32 {
    y0 * (0.5 + frac) + 0.5 * frac * frac * (y1 - y0)
}
