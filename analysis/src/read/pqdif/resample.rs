//! Band-limited interpolation of a channel to an integer multiple of its sample rate.
//!
//! Output sample `j` lies at input position `j / L`. Where that is an input sample it is copied;
//! between samples it is `Σ x[n + m] · h(f − m)` over the `2·HALF_WIDTH` input samples around
//! it (`m = −HALF_WIDTH + 1 … HALF_WIDTH`, `f` the fraction), with `h(d) = sinc(d) · w(d /
//! HALF_WIDTH)`, `w` a Kaiser window of β = [`KAISER_BETA`], each phase's taps normalised to a
//! sum of 1 (exact at DC). The kernel is symmetric, so the phase is linear (no delay). Where
//! the taps do not fit inside the record (the first `HALF_WIDTH − 1` and last `HALF_WIDTH`
//! input samples' spans), every output sample is NaN, the input samples that fall there
//! included, so that a channel's edge is flagged as missing rather than made up.

/// Input samples on each side of an interpolated point.
pub const HALF_WIDTH: usize = 16;

/// Kaiser window parameter.
pub const KAISER_BETA: f64 = 10.0;

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0f64, 1.0f64, 1.0f64);
    loop {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        k += 1.0;
        if term < 1e-17 * sum {
            return sum;
        }
    }
}

/// Taps `h(frac − m)` for `m = −HALF_WIDTH + 1 … HALF_WIDTH`, summing to 1.
fn taps(frac: f64) -> Vec<f64> {
    let h = HALF_WIDTH as f64;
    let norm = bessel_i0(KAISER_BETA);
    let mut t: Vec<f64> = (-(HALF_WIDTH as i64) + 1..=HALF_WIDTH as i64)
        .map(|m| {
            let d = frac - m as f64;
            let x = std::f64::consts::PI * d;
            let sinc = if d == 0.0 { 1.0 } else { x.sin() / x };
            let r = d / h;
            let w = if r.abs() < 1.0 {
                bessel_i0(KAISER_BETA * (1.0 - r * r).sqrt()) / norm
            } else {
                0.0
            };
            sinc * w
        })
        .collect();
    let sum: f64 = t.iter().sum();
    for x in &mut t {
        *x /= sum;
    }
    t
}

/// `x` brought to `l` times its rate, `frames` samples long: NaN where the kernel does not fit
/// and beyond the input's end. `l = 1` copies.
pub fn upsample(x: &[f64], l: usize, frames: usize) -> Vec<f64> {
    let len = x.len();
    if l <= 1 {
        let mut out = x.to_vec();
        out.resize(frames, f64::NAN);
        out.truncate(frames);
        return out;
    }
    let phases: Vec<Vec<f64>> = (0..l).map(|p| taps(p as f64 / l as f64)).collect();
    (0..frames)
        .map(|j| {
            let (n, p) = (j / l, j % l);
            if n + 1 < HALF_WIDTH || n + HALF_WIDTH >= len {
                return f64::NAN;
            }
            if p == 0 {
                return x[n];
            }
            let start = n + 1 - HALF_WIDTH;
            x[start..start + 2 * HALF_WIDTH].iter().zip(&phases[p]).map(|(a, b)| a * b).sum()
        })
        .collect()
}

/// Output samples at the start and at the end that are NaN for a channel of `len` samples
/// brought to `l` times its rate (`l > 1`).
pub fn edge_frames(l: usize) -> (usize, usize) {
    ((HALF_WIDTH - 1) * l, HALF_WIDTH * l)
}
