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
//! computes a fixed number of lanes `W`: 2, 4 or [`WIDE`] for 1P, 3P3W and 3P4W. Each lane is
//! accumulated in sample order, the order a channel-by-channel loop has, so the lanes are
//! independent and the host vectorises across them without changing a bit. Where the best
//! shape differs between the in-order Cortex-M4F and an out-of-order host with vector units
//! (lane padding, two resampling points at a time, see [`LANES`] and [`resample`]), only the
//! amount of work differs: every lane runs the same operations in the same order.

use crate::config::MAX_CHANNELS;
use crate::math;
use crate::resample::{self, Kernel, KERNEL, KERNEL_PHASES, KERNEL_SHORT};
use crate::types::{Frame, Phasor, SampleTime, LANES};

const _: () = assert!(LANES >= MAX_CHANNELS);

/// Lanes computed for 3P4W (7 channels): all of a frame's.
pub(crate) const WIDE: usize = LANES;

/// Whether the resampler interleaves two points (see [`resample`]); the results are the same.
const PAIRS: bool = !cfg!(target_arch = "arm");

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

impl Sums {
    /// The sums over two adjacent ranges.
    pub fn add(&self, other: &Sums) -> Sums {
        let mut s = *self;
        for (a, b) in s.sq.iter_mut().zip(&other.sq) {
            *a += b;
        }
        for (a, b) in s.sum.iter_mut().zip(&other.sum) {
            *a += b;
        }
        for (a, b) in s.prod.iter_mut().zip(&other.prod) {
            *a += b;
        }
        s
    }
}

/// [`Sums`] over stream samples `[from, to)` for lane width `w`.
#[inline(never)]
pub(crate) fn sums(ring: &[Frame], w: usize, from: u64, to: u64) -> Sums {
    match w {
        2 => sums_w::<2>(ring, from, to),
        4 => sums_w::<4>(ring, from, to),
        _ => sums_w::<WIDE>(ring, from, to),
    }
}

fn sums_w<const W: usize>(ring: &[Frame], from: u64, to: u64) -> Sums {
    let mut out = Sums::default();
    if W == 2 {
        pass(ring, from, to, [0, 1], [(0, 1, 0)], &mut out);
    } else if W == 4 {
        pass(ring, from, to, [0, 2], [(0, 2, 0)], &mut out);
        pass(ring, from, to, [1, 3], [(1, 3, 2)], &mut out);
    } else if !cfg!(target_arch = "arm") {
        // One pass on the host, whose vector registers hold the accumulators (measured: 112 µs
        // per second of 3P4W signal in the passes below, 70 µs in one).
        let pairs = [(0, 3, 0), (1, 4, 1), (2, 5, 2), (0, 1, 3), (1, 2, 4), (2, 0, 5)];
        let lanes: [usize; LANES] = core::array::from_fn(|c| c);
        pass(ring, from, to, lanes, pairs, &mut out);
    } else {
        // A voltage and its current per pass, with their product; then the neutral; then the
        // voltage pairs. Measured on the target: one pass over all 7 channels kept its 20
        // accumulators in memory, 146 instructions per frame against about 75 in these passes.
        for p in 0..3 {
            pass(ring, from, to, [p, 3 + p], [(p, 3 + p, p)], &mut out);
        }
        pass(ring, from, to, [6], [], &mut out);
        pass(ring, from, to, [], [(0, 1, 3), (1, 2, 4), (2, 0, 5)], &mut out);
    }
    out
}

/// One pass over stream samples `[from, to)`: Σx² and Σx of the given lanes and the products of
/// the given pairs `(a, b, slot)`, stored into `out`.
#[inline(always)]
fn pass<const L: usize, const P: usize>(
    ring: &[Frame],
    from: u64,
    to: u64,
    lanes: [usize; L],
    pairs: [(usize, usize, usize); P],
    out: &mut Sums,
) {
    let mut sq = [0i64; L];
    let mut sum = [0i64; L];
    let mut prod = [0i64; P];
    spans(ring, from, to, |span| {
        for f in span {
            let code = |c: usize| f[c] as i32 as i64;
            for (k, &c) in lanes.iter().enumerate() {
                let v = code(c);
                sq[k] += v * v;
                sum[k] += v;
            }
            for (p, &(a, b, _)) in prod.iter_mut().zip(&pairs) {
                *p += code(a) * code(b);
            }
        }
    });
    for (k, &c) in lanes.iter().enumerate() {
        out.sq[c] = sq[k];
        out.sum[c] = sum[k];
    }
    for (p, &(_, _, slot)) in prod.iter().zip(&pairs) {
        out.prod[slot] = *p;
    }
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
        _ => dft_w::<WIDE>(ring, ma, mb, step, frac),
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

/// A kernel table of `T` taps per row.
type Table<const T: usize> = &'static [[f32; T]; KERNEL_PHASES + 1];

/// Resample the first `w` lanes with `kernel`: output `j` in `js` is grid point `j·mul − sub`,
/// written to `rows[c][j]` in V or A (`gain` per lane) where row `c` has that index (rows of
/// absent channels are empty).
#[inline(never)]
#[allow(clippy::too_many_arguments)] // one call site per use; a struct would only rename them
pub(crate) fn resample(
    ring: &[Frame],
    w: usize,
    kernel: Kernel,
    gain: &[f32; LANES],
    grid: Grid,
    js: core::ops::Range<usize>,
    mul: usize,
    sub: usize,
    rows: &mut [&mut [f32]; LANES],
) {
    let (g, k, s) = (&KERNEL, &KERNEL_SHORT, (grid, js, mul, sub));
    match (w, kernel) {
        (2, Kernel::Long) => resample_w::<2, 16, PAIRS>(ring, g, gain, s, rows),
        (4, Kernel::Long) => resample_w::<4, 16, PAIRS>(ring, g, gain, s, rows),
        (_, Kernel::Long) => resample_w::<WIDE, 16, PAIRS>(ring, g, gain, s, rows),
        (2, Kernel::Short) => resample_w::<2, 12, PAIRS>(ring, k, gain, s, rows),
        (4, Kernel::Short) => resample_w::<4, 12, PAIRS>(ring, k, gain, s, rows),
        (_, Kernel::Short) => resample_w::<WIDE, 12, PAIRS>(ring, k, gain, s, rows),
    }
}

/// The points of a resampling: the grid, the output indices, and the map `j·mul − sub` from an
/// output index to its grid point.
type Points = (Grid, core::ops::Range<usize>, usize, usize);

fn resample_w<const W: usize, const T: usize, const PAIRED: bool>(
    ring: &[Frame],
    table: Table<T>,
    gain: &[f32; LANES],
    (grid, js, mul, sub): Points,
    rows: &mut [&mut [f32]; LANES],
) {
    let point = |j: usize| resample::position(grid.start, grid.len, j * mul - sub, grid.count);
    let mut store = |j: usize, v: [f32; W]| {
        for (c, row) in rows.iter_mut().enumerate().take(W) {
            if let Some(out) = row.get_mut(j) {
                *out = v[c] * gain[c];
            }
        }
    };
    // Two points at a time where the core runs ahead out of order: each lane's sum is a chain
    // of dependent additions, and two independent chains side by side keep the adders busy
    // (measured on the host: 1.30 → 1.18 ms per second of 3P4W signal). Not on the in-order
    // Arm target, where it only spilled registers (+40 k instructions per 3P4W mains cycle).
    let mut j = js.start;
    while PAIRED && j + 1 < js.end {
        let (va, vb) = interpolate_pair::<W, T>(ring, table, point(j), point(j + 1));
        store(j, va);
        store(j + 1, vb);
        j += 2;
    }
    while j < js.end {
        let (n0, mu) = point(j);
        store(j, interpolate::<W, T>(ring, table, n0, mu));
        j += 1;
    }
}

/// The first ring index of the `T` taps around sample `n0` (taps `n0 − T/2 + 1 ..= n0 + T/2`).
#[inline(always)]
fn first_tap<const T: usize>(n0: u64, mask: usize) -> usize {
    (n0.wrapping_sub(T as u64 / 2 - 1) as usize) & mask
}

/// [`interpolate`] at two points, their operations interleaved.
#[inline(always)]
fn interpolate_pair<const W: usize, const T: usize>(
    ring: &[Frame],
    table: Table<T>,
    (n0, mu0): (u64, f32),
    (n1, mu1): (u64, f32),
) -> ([f32; W], [f32; W]) {
    let mask = ring.len() - 1;
    let window = |n: u64| {
        let first = first_tap::<T>(n, mask);
        ring.get(first..first + T).map(<&[Frame; T]>::try_from)
    };
    match (window(n0), window(n1)) {
        (Some(Ok(x0)), Some(Ok(x1))) => {
            let (a0, b0, w0) = resample::rows(table, mu0);
            let (a1, b1, w1) = resample::rows(table, mu1);
            let (mut acc0, mut acc1) = ([0.0f32; W], [0.0f32; W]);
            for k in [0, 4, 8, 12] {
                if k < T {
                    acc0 = four_taps(acc0, a0, b0, w0, x0, k);
                    acc1 = four_taps(acc1, a1, b1, w1, x1, k);
                }
            }
            (acc0, acc1)
        }
        _ => (interpolate::<W, T>(ring, table, n0, mu0), interpolate::<W, T>(ring, table, n1, mu1)),
    }
}

/// Resampled codes of the first `W` lanes at sample `n0` + `mu` (before the gain).
///
/// Each lane accumulates its `T` products in tap order from 0.0, as one channel at a time would.
/// The taps are interpolated between two rows of the kernel table four at a time, right where
/// they are used: the target keeps them in registers, and the host computes four in one vector
/// operation and then multiplies all lanes of a frame by one tap.
#[inline(always)]
fn interpolate<const W: usize, const T: usize>(
    ring: &[Frame],
    table: Table<T>,
    n0: u64,
    mu: f32,
) -> [f32; W] {
    let (a, b, w) = resample::rows(table, mu);
    let mask = ring.len() - 1;
    let first = first_tap::<T>(n0, mask);
    let mut acc = [0.0f32; W];
    let window = ring.get(first..first + T).map(<&[Frame; T]>::try_from);
    if let Some(Ok(window)) = window {
        // The common case: the frames are contiguous. Written out group by group (the bound is
        // a constant): as a loop, the host's loop vectoriser paired up groups and shuffled
        // lanes between them.
        acc = four_taps(acc, a, b, w, window, 0);
        acc = four_taps(acc, a, b, w, window, 4);
        acc = four_taps(acc, a, b, w, window, 8);
        if T > 12 {
            acc = four_taps(acc, a, b, w, window, 12);
        }
    } else {
        for k in 0..T {
            let t = a[k] + w * (b[k] - a[k]);
            acc = mul_add_lanes(acc, t, &ring[(first + k) & mask]);
        }
    }
    acc
}

/// Taps `k..k + 4` applied to frames `k..k + 4` of `window`, in tap order.
#[inline(always)]
fn four_taps<const W: usize, const T: usize>(
    mut acc: [f32; W],
    a: &[f32; T],
    b: &[f32; T],
    w: f32,
    window: &[Frame; T],
    k: usize,
) -> [f32; W] {
    let t: [f32; 4] = core::array::from_fn(|i| a[k + i] + w * (b[k + i] - a[k + i]));
    for (i, &t) in t.iter().enumerate() {
        acc = mul_add_lanes(acc, t, &window[k + i]);
    }
    acc
}

/// `acc + t·x` per lane (a product, then a sum: two roundings).
#[inline(always)]
fn mul_add_lanes<const W: usize>(acc: [f32; W], t: f32, x: &Frame) -> [f32; W] {
    core::array::from_fn(|c| acc[c] + t * x[c])
}

/// Output rows of the resampler per ring lane: the first `n` channels' rows, empty after.
pub(crate) fn lane_rows(rows: [&mut [f32]; MAX_CHANNELS], n: usize) -> [&mut [f32]; LANES] {
    let mut rows = rows.into_iter();
    core::array::from_fn(|c| match rows.next() {
        Some(r) if c < n => r,
        _ => &mut [],
    })
}

/// Integration window on the corrected stream, between two sub-sample instants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub a: SampleTime,
    pub b: SampleTime,
    /// Rectangle convention at the start: the first sample counts in full (stream origin).
    pub rect_a: bool,
    /// Rectangle convention at the end: the last sample counts in full (stream end).
    pub rect_b: bool,
}

impl Window {
    /// Integral over the window from the integer sum over its whole samples and the values
    /// `y = [y(a), y(a + 1), y(b), y(b + 1)]` at its boundaries' samples: the trapezoid end
    /// corrections, or the rectangle convention at a stream end.
    #[inline]
    pub fn integral(&self, sum: i64, y: [f32; 4]) -> f32 {
        let end = if self.rect_b { y[2] } else { edge(y[2], y[3], self.b.frac) };
        let start = if self.rect_a { 0.0 } else { edge(y[0], y[1], self.a.frac) };
        sum as f32 + end - start
    }
}

/// Trapezoid end correction at a boundary `frac` after sample m with values `y0` = y[m] and
/// `y1` = y[m+1]: the integral of the interpolant from the window's reference to the boundary is
/// `Σ_{k<m} y_k + edge(y0, y1, frac)`.
#[inline]
pub(crate) fn edge(y0: f32, y1: f32, frac: f32) -> f32 {
    y0 * (0.5 + frac) + 0.5 * frac * frac * (y1 - y0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ring of pseudo-random codes in 7 lanes (the 8th, where there is one, stays zero).
    fn ring(len: usize) -> std::vec::Vec<Frame> {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|_| {
                core::array::from_fn(|c| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if c < MAX_CHANNELS {
                        ((x >> 40) as i32 - (1 << 23)) as f32
                    } else {
                        0.0
                    }
                })
            })
            .collect()
    }

    #[test]
    fn sum_passes_equal_the_plain_sums_also_across_the_ring_end() {
        let r = ring(256);
        for w in [2, 4, WIDE] {
            let (from, to) = (200u64, 200 + 230);
            let got = sums(&r, w, from, to);
            let (pairs, np) = products(w);
            let code = |m: u64, c: usize| frame(&r, m)[c] as i32 as i64;
            for c in 0..w.min(MAX_CHANNELS) {
                let sq: i64 = (from..to).map(|m| code(m, c) * code(m, c)).sum();
                let sum: i64 = (from..to).map(|m| code(m, c)).sum();
                assert_eq!((got.sq[c], got.sum[c]), (sq, sum), "width {w} lane {c}");
            }
            for &(a, b, slot) in pairs.iter().take(np) {
                let p: i64 = (from..to).map(|m| code(m, a) * code(m, b)).sum();
                assert_eq!(got.prod[slot], p, "width {w} product {a}·{b}");
            }
        }
    }

    fn rows(p: &mut [[f32; 128]; MAX_CHANNELS]) -> [&mut [f32]; LANES] {
        let mut it = p.iter_mut();
        core::array::from_fn(|_| it.next().map_or(&mut [][..], |r| &mut r[..]))
    }

    #[test]
    fn seven_and_eight_lanes_and_paired_points_give_the_same_bits() {
        let r8 = ring(512);
        // The DFT: every lane of the 7-lane run equals the 8-lane run of the same frames.
        if LANES == 8 {
            let d8 = dft_w::<8>(&r8, 500, 500 + 205, 0.0306, 0.37);
            let d7 = dft_w::<7>(&r8, 500, 500 + 205, 0.0306, 0.37);
            for c in 0..7 {
                assert_eq!(d8.re[c].to_bits(), d7.re[c].to_bits());
                assert_eq!(d8.im[c].to_bits(), d7.im[c].to_bits());
                for k in 0..4 {
                    assert_eq!(d8.ends[k].0[c].to_bits(), d7.ends[k].0[c].to_bits());
                }
            }
        }
        // The resampler, one point at a time and two at a time, wrapping the ring too.
        let gain = [1e-3; LANES];
        let grid = Grid { start: SampleTime { sample: 400, frac: 0.61 }, len: 204.77, count: 128 };
        let mut a = [[0.0f32; 128]; MAX_CHANNELS];
        let mut b = [[0.0f32; 128]; MAX_CHANNELS];
        let points = (grid, 0..128, 1, 0);
        resample_w::<WIDE, 16, false>(&r8, &KERNEL, &gain, points.clone(), &mut rows(&mut a));
        resample_w::<WIDE, 16, true>(&r8, &KERNEL, &gain, points.clone(), &mut rows(&mut b));
        let (mut c12, mut d12) = ([[0.0f32; 128]; MAX_CHANNELS], [[0.0f32; 128]; MAX_CHANNELS]);
        resample_w::<WIDE, 12, false>(
            &r8,
            &KERNEL_SHORT,
            &gain,
            points.clone(),
            &mut rows(&mut c12),
        );
        resample_w::<WIDE, 12, true>(&r8, &KERNEL_SHORT, &gain, points, &mut rows(&mut d12));
        for c in 0..MAX_CHANNELS {
            for j in 0..128 {
                assert_eq!(a[c][j].to_bits(), b[c][j].to_bits(), "lane {c} point {j}");
                assert_eq!(c12[c][j].to_bits(), d12[c][j].to_bits(), "12 taps, lane {c} point {j}");
            }
        }
    }
}
