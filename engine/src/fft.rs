//! Forward real FFT of N = 128, 1024, 1280, 1536 and 2048 points, in place, in f32.
//!
//! A real input of N points is read as N/2 complex points z_n = x_2n + i·x_2n+1 (the layout of the
//! array itself), transformed by a complex decimation-in-time FFT of M = N/2 points, and split
//! into the spectrum of the real input. M = 64 is two radix-8 stages (8 × 8); M = 640 and 768
//! have a twiddle-free first stage of radix 10 (prime-factor 2 × 5) or 12 (prime-factor 3 × 4)
//! and then three radix-4 stages. The input of the complex FFT is put in digit-reversed order
//! first, following a table of the permutation's cycles.
//!
//! Twiddles (`build.rs`, computed in f64 and rounded to f32): the radix-8 stage and each radix-4
//! stage but the last read their own table of rows W^k, W^{2k}, … in loop order; the last radix-4
//! stages and the real split read quarter-circle tables of 2048, 1536 and 1280 points, whose
//! other quadrants are the same values swapped and negated, which is exact (N = 128 and 1024 read
//! the 2048-point table with strides of 16 and 2, so a firmware that uses 128 and 2048 points
//! holds one table). The last radix-4 stages are specialised on their length, so the compiler
//! sees every index in range; the others share one out-of-line function.
//!
//! Only f32 additions, subtractions and multiplications, in the order written, no fused
//! multiply-add: the host and the Cortex-M4F give the same bits.

include!(concat!(env!("OUT_DIR"), "/fft_tables.rs"));

/// Forward real FFT of 128 points, in place, unnormalised: X_k = Σ_n x_n·e^(−2πi·k·n/N).
///
/// Output packed as CMSIS-DSP's `arm_rfft_fast_f32`: `x[0]` = X_0 (real), `x[1]` = X_{N/2}
/// (real), `x[2k]` = Re X_k, `x[2k+1]` = Im X_k for k = 1..N/2−1.
pub fn rfft_128(x: &mut [f32; 128]) {
    permute(x, &PERM_64, &PERM_64_CYCLES);
    first8(x);
    stage8(x, &STAGE_128_8);
    split(x, &QUARTER_2048);
}

/// Forward real FFT of 1024 points, in place, unnormalised, packed as [`rfft_128`].
pub fn rfft_1024(x: &mut [f32; 1024]) {
    permute(x, &PERM_512, &PERM_512_CYCLES);
    first8(x);
    stage4_table(x, 8, &STAGE_1024_8);
    stage4_table(x, 32, &STAGE_1024_32);
    stage4::<1024, 128, 1024>(x, &QUARTER_2048);
    split(x, &QUARTER_2048);
}

/// Forward real FFT of 2048 points, in place, unnormalised, packed as [`rfft_128`].
pub fn rfft_2048(x: &mut [f32; 2048]) {
    permute(x, &PERM_1024, &PERM_1024_CYCLES);
    first4(x);
    stage4_table(x, 4, &STAGE_2048_4);
    stage4_table(x, 16, &STAGE_2048_16);
    stage4_table(x, 64, &STAGE_2048_64);
    stage4::<2048, 256, 1024>(x, &QUARTER_2048);
    split(x, &QUARTER_2048);
}

/// Forward real FFT of 1280 points, in place, unnormalised, packed as [`rfft_128`].
pub fn rfft_1280(x: &mut [f32; 1280]) {
    permute(x, &PERM_640, &PERM_640_CYCLES);
    first10(x);
    stage4_table(x, 10, &STAGE_1280_10);
    stage4_table(x, 40, &STAGE_1280_40);
    stage4::<1280, 160, 640>(x, &QUARTER_1280);
    split(x, &QUARTER_1280);
}

/// Forward real FFT of 1536 points, in place, unnormalised, packed as [`rfft_128`].
pub fn rfft_1536(x: &mut [f32; 1536]) {
    permute(x, &PERM_768, &PERM_768_CYCLES);
    first12(x);
    stage4_table(x, 12, &STAGE_1536_12);
    stage4_table(x, 48, &STAGE_1536_48);
    stage4::<1536, 192, 768>(x, &QUARTER_1536);
    split(x, &QUARTER_1536);
}

/// A complex value.
#[derive(Clone, Copy)]
struct C {
    re: f32,
    im: f32,
}

impl C {
    #[inline(always)]
    fn add(self, o: C) -> C {
        C { re: self.re + o.re, im: self.im + o.im }
    }
    #[inline(always)]
    fn sub(self, o: C) -> C {
        C { re: self.re - o.re, im: self.im - o.im }
    }
    /// self + (−i)·o.
    #[inline(always)]
    fn add_mi(self, o: C) -> C {
        C { re: self.re + o.im, im: self.im - o.re }
    }
    /// self − (−i)·o.
    #[inline(always)]
    fn sub_mi(self, o: C) -> C {
        C { re: self.re - o.im, im: self.im + o.re }
    }
    /// self·(c − i·s): the twiddle e^(−iθ) given as (cos θ, sin θ).
    #[inline(always)]
    fn twiddle(self, w: C) -> C {
        C { re: self.re * w.re + self.im * w.im, im: self.im * w.re - self.re * w.im }
    }
    #[inline(always)]
    fn scale(self, f: f32) -> C {
        C { re: self.re * f, im: self.im * f }
    }
}

#[inline(always)]
fn load(x: &[f32], i: usize) -> C {
    C { re: x[2 * i], im: x[2 * i + 1] }
}

#[inline(always)]
fn store(x: &mut [f32], i: usize, v: C) {
    let p = &mut x[2 * i..2 * i + 2];
    p[0] = v.re;
    p[1] = v.im;
}

/// Puts the complex points in digit-reversed order: position p receives the point σ(p). `points`
/// lists each cycle of σ as p0, σ(p0), σ²(p0), …; `cycles` gives their lengths.
fn permute<const N: usize>(x: &mut [f32; N], points: &[u16], cycles: &[u16]) {
    let mut rest = points;
    for &len in cycles {
        let (cycle, r) = rest.split_at(usize::from(len));
        rest = r;
        let Some((&p0, tail)) = cycle.split_first() else {
            continue;
        };
        // The tables hold points below N/2; the checks make that known to the compiler.
        let mut prev = usize::from(p0);
        if prev >= N / 2 {
            return;
        }
        let held = load(x, prev);
        // Two moves per iteration: half the loop overhead.
        let pairs = tail.chunks_exact(2);
        let odd = pairs.remainder();
        for pair in pairs {
            let (p, q) = (usize::from(pair[0]), usize::from(pair[1]));
            if p >= N / 2 || q >= N / 2 {
                return;
            }
            let v = load(x, p);
            store(x, prev, v);
            let v = load(x, q);
            store(x, p, v);
            prev = q;
        }
        for &p in odd {
            let p = usize::from(p);
            if p >= N / 2 {
                return;
            }
            let v = load(x, p);
            store(x, prev, v);
            prev = p;
        }
        store(x, prev, held);
    }
}

/// 4-point DFT.
#[inline(always)]
fn dft4(a0: C, a1: C, a2: C, a3: C) -> [C; 4] {
    let t0 = a0.add(a2);
    let t1 = a0.sub(a2);
    let t2 = a1.add(a3);
    let t3 = a1.sub(a3);
    [t0.add(t2), t1.add_mi(t3), t0.sub(t2), t1.sub_mi(t3)]
}

/// 3-point DFT.
#[inline(always)]
fn dft3(a0: C, a1: C, a2: C) -> [C; 3] {
    /// sin(2π/3).
    const S3: f32 = 0.866_025_4;
    let s = a1.add(a2);
    let d = a1.sub(a2);
    let t = a0.sub(s.scale(0.5));
    let u = d.scale(S3);
    [a0.add(s), t.add_mi(u), t.sub_mi(u)]
}

/// 5-point DFT.
#[inline(always)]
fn dft5(a0: C, a1: C, a2: C, a3: C, a4: C) -> [C; 5] {
    /// cos(2π/5), cos(4π/5), sin(2π/5), sin(4π/5).
    const C1: f32 = 0.309_017;
    const C2: f32 = -0.809_017;
    const S1: f32 = 0.951_056_5;
    const S2: f32 = 0.587_785_24;
    let s1 = a1.add(a4);
    let d1 = a1.sub(a4);
    let s2 = a2.add(a3);
    let d2 = a2.sub(a3);
    let t1 = a0.add(s1.scale(C1)).add(s2.scale(C2));
    let t2 = a0.add(s1.scale(C2)).add(s2.scale(C1));
    let u1 = d1.scale(S1).add(d2.scale(S2));
    let u2 = d1.scale(S2).sub(d2.scale(S1));
    [a0.add(s1).add(s2), t1.add_mi(u1), t2.add_mi(u2), t2.sub_mi(u2), t1.sub_mi(u1)]
}

/// 8-point DFT: two 4-point DFTs of the even and odd points and one radix-2 step.
#[inline(always)]
fn dft8(a: [C; 8]) -> [C; 8] {
    /// 1/√2.
    const R: f32 = core::f32::consts::FRAC_1_SQRT_2;
    let e = dft4(a[0], a[2], a[4], a[6]);
    let o = dft4(a[1], a[3], a[5], a[7]);
    // o_k·e^(−iπk/4): k = 1: (re + im, im − re)/√2; k = 2: −i·o; k = 3: (im − re, −(re + im))/√2.
    let o1 = C { re: (o[1].re + o[1].im) * R, im: (o[1].im - o[1].re) * R };
    let o3 = C { re: (o[3].im - o[3].re) * R, im: -((o[3].re + o[3].im) * R) };
    [
        e[0].add(o[0]),
        e[1].add(o1),
        e[2].add_mi(o[2]),
        e[3].add(o3),
        e[0].sub(o[0]),
        e[1].sub(o1),
        e[2].sub_mi(o[2]),
        e[3].sub(o3),
    ]
}

/// First stage of M = 64: 8-point DFTs of consecutive points.
#[inline(never)]
fn first4(x: &mut [f32]) {
    for c in x.chunks_exact_mut(8) {
        let y = dft4(load(c, 0), load(c, 1), load(c, 2), load(c, 3));
        for (i, v) in y.into_iter().enumerate() {
            store(c, i, v);
        }
    }
}

#[inline(never)]
fn first8(x: &mut [f32]) {
    for c in x.chunks_exact_mut(16) {
        let y = dft8(core::array::from_fn(|i| load(c, i)));
        for (i, v) in y.into_iter().enumerate() {
            store(c, i, v);
        }
    }
}

/// Second and last stage of M = 64: radix-8 decimation in time on the eight DFTs of 8 points;
/// row k − 1 of `tw` holds W_64^{j·k}, j = 1..=7, as (cos, sin) pairs.
#[inline(never)]
fn stage8(x: &mut [f32; 128], tw: &[[f32; 14]; 7]) {
    let (p0, r) = x.split_at_mut(16);
    let (p1, r) = r.split_at_mut(16);
    let (p2, r) = r.split_at_mut(16);
    let (p3, r) = r.split_at_mut(16);
    let (p4, r) = r.split_at_mut(16);
    let (p5, r) = r.split_at_mut(16);
    let (p6, p7) = r.split_at_mut(16);
    let mut points = p0
        .chunks_exact_mut(2)
        .zip(p1.chunks_exact_mut(2))
        .zip(p2.chunks_exact_mut(2))
        .zip(p3.chunks_exact_mut(2))
        .zip(p4.chunks_exact_mut(2))
        .zip(p5.chunks_exact_mut(2))
        .zip(p6.chunks_exact_mut(2))
        .zip(p7.chunks_exact_mut(2))
        .map(|(((((((a, b), c), d), e), f), g), h)| [a, b, c, d, e, f, g, h]);
    if let Some(mut p) = points.next() {
        let y = dft8(core::array::from_fn(|j| load(p[j], 0)));
        for (q, v) in p.iter_mut().zip(y) {
            store(q, 0, v);
        }
    }
    for (mut p, w) in points.zip(tw) {
        let y = dft8(core::array::from_fn(|j| {
            let a = load(p[j], 0);
            if j == 0 {
                a
            } else {
                a.twiddle(C { re: w[2 * j - 2], im: w[2 * j - 1] })
            }
        }));
        for (q, v) in p.iter_mut().zip(y) {
            store(q, 0, v);
        }
    }
}

/// First stage of M = 640: 10-point DFTs of consecutive points, prime-factor 2 × 5 (input
/// n = 5·n1 + 2·n2 mod 10, output k = 5·k1 + 6·k2 mod 10), so without twiddles.
#[inline(never)]
fn first10(x: &mut [f32]) {
    for c in x.chunks_exact_mut(20) {
        let a = |i| load(c, i);
        let y0 = dft5(a(0), a(2), a(4), a(6), a(8));
        let y1 = dft5(a(5), a(7), a(9), a(1), a(3));
        const EVEN: [usize; 5] = [0, 6, 2, 8, 4];
        const ODD: [usize; 5] = [5, 1, 7, 3, 9];
        for k2 in 0..5 {
            store(c, EVEN[k2], y0[k2].add(y1[k2]));
            store(c, ODD[k2], y0[k2].sub(y1[k2]));
        }
    }
}

/// First stage of M = 768: 12-point DFTs of consecutive points, prime-factor 3 × 4 (input
/// n = 4·n1 + 3·n2 mod 12, output k = 4·k1 + 9·k2 mod 12), so without twiddles.
#[inline(never)]
fn first12(x: &mut [f32]) {
    for c in x.chunks_exact_mut(24) {
        let a = |i| load(c, i);
        let y0 = dft4(a(0), a(3), a(6), a(9));
        let y1 = dft4(a(4), a(7), a(10), a(1));
        let y2 = dft4(a(8), a(11), a(2), a(5));
        const OUT: [[usize; 3]; 4] = [[0, 4, 8], [9, 1, 5], [6, 10, 2], [3, 7, 11]];
        for k2 in 0..4 {
            let z = dft3(y0[k2], y1[k2], y2[k2]);
            for k1 in 0..3 {
                store(c, OUT[k2][k1], z[k1]);
            }
        }
    }
}

/// Radix-4 decimation-in-time stage with its own twiddle table: combines each 4 consecutive
/// DFTs of length `l` into one of length 4·l; row k − 1 of `tw` holds W_{4l}^k, W_{4l}^{2k} and
/// W_{4l}^{3k} as (cos, sin) pairs.
#[inline(never)]
fn stage4_table(x: &mut [f32], l: usize, tw: &[[f32; 6]]) {
    for blk in x.chunks_exact_mut(8 * l) {
        let (a0, r) = blk.split_at_mut(2 * l);
        let (a1, r) = r.split_at_mut(2 * l);
        let (a2, a3) = r.split_at_mut(2 * l);
        let mut points = a0
            .chunks_exact_mut(2)
            .zip(a1.chunks_exact_mut(2))
            .zip(a2.chunks_exact_mut(2))
            .zip(a3.chunks_exact_mut(2));
        if let Some((((p0, p1), p2), p3)) = points.next() {
            let y = dft4(load(p0, 0), load(p1, 0), load(p2, 0), load(p3, 0));
            store(p0, 0, y[0]);
            store(p1, 0, y[1]);
            store(p2, 0, y[2]);
            store(p3, 0, y[3]);
        }
        for ((((p0, p1), p2), p3), w) in points.zip(tw) {
            let y = dft4(
                load(p0, 0),
                load(p1, 0).twiddle(C { re: w[0], im: w[1] }),
                load(p2, 0).twiddle(C { re: w[2], im: w[3] }),
                load(p3, 0).twiddle(C { re: w[4], im: w[5] }),
            );
            store(p0, 0, y[0]);
            store(p1, 0, y[1]);
            store(p2, 0, y[2]);
            store(p3, 0, y[3]);
        }
    }
}

/// Entry `i` of a quarter table (complex index), rotated by (−i)^Q: the twiddle of the same
/// angle plus Q quarter turns. The rotation only swaps and negates, which is exact.
#[inline(always)]
fn rotated<const Q: usize>(quarter: &[f32], i: usize) -> C {
    let w = load(quarter, i);
    match Q {
        0 => w,
        1 => C { re: -w.im, im: w.re },
        _ => C { re: -w.re, im: -w.im },
    }
}

/// Radix-4 decimation-in-time stage: combines each 4 consecutive DFTs of length `L` into one of
/// length 4·L. The twiddle W_{4L}^{j·k} (j = 1, 2, 3) is e^(−2πi·j·k·S/B) with S = B/(4·L) for
/// the quarter table of B = 2·QL points; W^{2k} and W^{3k} leave the first quadrant at
/// k = L/3, L/2 and 2L/3, so the k loop runs in four pieces, each with fixed rotations.
#[inline(never)]
fn stage4<const N: usize, const L: usize, const QL: usize>(x: &mut [f32; N], quarter: &[f32; QL]) {
    for blk in x.chunks_exact_mut(8 * L) {
        let y = dft4(load(blk, 0), load(blk, L), load(blk, 2 * L), load(blk, 3 * L));
        for (j, v) in y.into_iter().enumerate() {
            store(blk, j * L, v);
        }
        let third = L.div_ceil(3);
        let half = L.div_ceil(2);
        let two_thirds = (2 * L).div_ceil(3);
        radix4_run::<L, QL, 0, 0>(blk, quarter, 1, third);
        radix4_run::<L, QL, 0, 1>(blk, quarter, third, half);
        radix4_run::<L, QL, 1, 1>(blk, quarter, half, two_thirds);
        radix4_run::<L, QL, 1, 2>(blk, quarter, two_thirds, L);
    }
}

/// Radix-4 butterflies k = k0..k1 of one block of 4·L points, with W^{2k} in quadrant Q2 and
/// W^{3k} in quadrant Q3.
#[inline(always)]
fn radix4_run<const L: usize, const QL: usize, const Q2: usize, const Q3: usize>(
    blk: &mut [f32],
    quarter: &[f32; QL],
    k0: usize,
    k1: usize,
) {
    let s = 2 * QL / (4 * L);
    let q = QL / 2;
    for k in k0..k1 {
        let w1 = rotated::<0>(quarter, k * s);
        let w2 = rotated::<Q2>(quarter, 2 * k * s - Q2 * q);
        let w3 = rotated::<Q3>(quarter, 3 * k * s - Q3 * q);
        let y = dft4(
            load(blk, k),
            load(blk, k + L).twiddle(w1),
            load(blk, k + 2 * L).twiddle(w2),
            load(blk, k + 3 * L).twiddle(w3),
        );
        for (j, v) in y.into_iter().enumerate() {
            store(blk, k + j * L, v);
        }
    }
}

/// Real split: from Z, the M-point DFT of z_n = x_2n + i·x_2n+1, the spectrum of the N = 2M
/// real points, X_k = ½·(Z_k + conj Z_{M−k}) − ½·i·W^k·(Z_k − conj Z_{M−k}) with
/// W = e^(−2πi/N), and X_{M−k} from the same two values. W^k is entry k·B/N of the quarter table
/// of B = 2·QL points.
#[inline(never)]
fn split<const N: usize, const QL: usize>(x: &mut [f32; N], quarter: &[f32; QL]) {
    let m = N / 2;
    let step = 2 * QL / N;
    let z0 = load(x, 0);
    x[0] = z0.re + z0.im;
    x[1] = z0.re - z0.im;
    x[m + 1] = -x[m + 1];
    for k in 1..m / 2 {
        let a = load(x, k);
        let b = load(x, m - k);
        let w = load(quarter, k * step);
        // s = Z_k + conj Z_{M−k}, o = −i·(Z_k − conj Z_{M−k}), h = W^k·o.
        let s = C { re: a.re + b.re, im: a.im - b.im };
        let o = C { re: a.im + b.im, im: b.re - a.re };
        let h = o.twiddle(w);
        store(x, k, s.add(h).scale(0.5));
        store(x, m - k, C { re: s.re - h.re, im: h.im - s.im }.scale(0.5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Fixed-seed xorshift32, values in [−1, 1).
    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// Direct DFT in f64, bins 0..=N/2.
    fn dft(x: &[f32]) -> Vec<(f64, f64)> {
        let n = x.len();
        (0..=n / 2)
            .map(|k| {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (j, &v) in x.iter().enumerate() {
                    let t = -2.0 * core::f64::consts::PI * ((k * j) % n) as f64 / n as f64;
                    re += f64::from(v) * t.cos();
                    im += f64::from(v) * t.sin();
                }
                (re, im)
            })
            .collect()
    }

    /// Unpacks the CMSIS-style output into bins 0..=N/2.
    fn unpack(y: &[f32]) -> Vec<(f64, f64)> {
        let n = y.len();
        let mut out = std::vec![(f64::from(y[0]), 0.0)];
        for k in 1..n / 2 {
            out.push((f64::from(y[2 * k]), f64::from(y[2 * k + 1])));
        }
        out.push((f64::from(y[1]), 0.0));
        out
    }

    fn run(x: &[f32]) -> Vec<f32> {
        let mut y = x.to_vec();
        match y.len() {
            128 => rfft_128(y.as_mut_slice().try_into().unwrap()),
            1024 => rfft_1024(y.as_mut_slice().try_into().unwrap()),
            1280 => rfft_1280(y.as_mut_slice().try_into().unwrap()),
            1536 => rfft_1536(y.as_mut_slice().try_into().unwrap()),
            2048 => rfft_2048(y.as_mut_slice().try_into().unwrap()),
            _ => unreachable!(),
        }
        y
    }

    /// Error bound per bin: 4·log2(N)·ε·√N·‖x‖₂ with ε = 2^−24. A floating-point FFT of
    /// log2(N) levels has a total error ‖X̂ − X‖₂ ≤ c·log2(N)·ε·‖X‖₂ (a few roundings and one
    /// twiddle error per level), ‖X‖₂ = √N·‖x‖₂ (Parseval) and no bin errs by more than the total.
    fn bound(x: &[f32]) -> f64 {
        let n = x.len() as f64;
        let norm = x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
        4.0 * n.log2() * f64::from(f32::EPSILON) / 2.0 * n.sqrt() * norm
    }

    /// Largest bin error against the f64 DFT, as a fraction of the bound.
    fn check(x: &[f32]) -> f64 {
        let got = unpack(&run(x));
        let want = dft(x);
        let b = bound(x);
        let mut worst = 0.0f64;
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            let e = ((g.0 - w.0).powi(2) + (g.1 - w.1).powi(2)).sqrt();
            assert!(e <= b, "N={}: bin {k} off by {e:e} (bound {b:e}): {g:?} vs {w:?}", x.len());
            worst = worst.max(e / b);
        }
        worst
    }

    const SIZES: [usize; 5] = [128, 1024, 1280, 1536, 2048];

    #[test]
    fn random_inputs_match_the_direct_dft() {
        for n in SIZES {
            let worst = (1..4).map(|seed| check(&noise(n, seed * 7919))).fold(0.0f64, f64::max);
            std::println!("N={n}: largest error {worst:.3} of the bound");
        }
    }

    #[test]
    fn sinusoids_match_the_direct_dft() {
        for n in SIZES {
            for f in [1.0, 2.0, 5.0, 7.3, 10.0, 12.5, 49.9, n as f64 / 4.0, n as f64 / 2.0 - 1.0] {
                for phase in [0.0, 0.7] {
                    let x: Vec<f32> = (0..n)
                        .map(|j| {
                            let t = 2.0 * core::f64::consts::PI * f * j as f64 / n as f64;
                            (t + phase).cos() as f32
                        })
                        .collect();
                    check(&x);
                }
            }
        }
    }

    #[test]
    fn a_cosine_at_bin_h_has_nothing_elsewhere() {
        for n in SIZES {
            for h in [1, 3, 10, 50, n / 4, n / 2 - 1] {
                let x: Vec<f32> = (0..n)
                    .map(|j| {
                        let t = 2.0 * core::f64::consts::PI * ((h * j) % n) as f64 / n as f64;
                        t.cos() as f32
                    })
                    .collect();
                let y = unpack(&run(&x));
                let b = bound(&x);
                for (k, v) in y.iter().enumerate() {
                    let want = if k == h { n as f64 / 2.0 } else { 0.0 };
                    let e = ((v.0 - want).powi(2) + v.1.powi(2)).sqrt();
                    assert!(e <= b, "N={n} h={h}: bin {k} = {v:?} (bound {b:e})");
                }
            }
        }
    }

    #[test]
    fn dc_and_nyquist_are_real_and_exact() {
        for n in SIZES {
            let x: Vec<f32> = (0..n).map(|j| if j % 2 == 0 { 1.5 } else { -0.5 }).collect();
            let y = run(&x);
            assert_eq!(y[0], 0.5 * n as f32);
            assert_eq!(y[1], n as f32);
            assert!(y[2..].iter().all(|&v| v.abs() <= 1e-4));
        }
    }

    #[test]
    fn agrees_with_microfft_at_128() {
        for seed in 1..5 {
            let x = noise(128, seed * 104_729);
            let mut a: [f32; 128] = x.as_slice().try_into().unwrap();
            let mut b = a;
            rfft_128(&mut a);
            let s = microfft::real::rfft_128(&mut b);
            let tol = 2.0 * bound(&x) as f32;
            assert!((a[0] - s[0].re).abs() <= tol && (a[1] - s[0].im).abs() <= tol);
            for k in 1..64 {
                assert!(
                    (a[2 * k] - s[k].re).abs() <= tol && (a[2 * k + 1] - s[k].im).abs() <= tol,
                    "bin {k}: ({}, {}) vs {:?}",
                    a[2 * k],
                    a[2 * k + 1],
                    s[k]
                );
            }
        }
    }
}
