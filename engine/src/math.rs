//! Transcendental functions through `libm` or in plain f32 arithmetic, so that host and target
//! round identically.
//!
//! `num_traits::Float` would pick std's implementations on the host whenever any crate in the
//! build enables its `std` feature, and the last ulp of `sin`/`cos` could then differ between
//! x86_64 and thumbv7em. Basic arithmetic and `sqrt` are correctly rounded IEEE-754 on both.

#[inline]
pub(crate) fn sqrtf(x: f32) -> f32 {
    libm::sqrtf(x)
}

/// (sin x, cos x) in f32 arithmetic alone, for |x| ≤ 1000, within 2 ulp of the exact values
/// (ulp of the larger of the two).
///
/// Decision and measured reason: `libm::sincosf` reduces and evaluates in f64, which the
/// Cortex-M4F emulates in software: about 2,000 instructions a call, 15 calls per cycle in the
/// fundamental DFT, 30 k instructions per 3P4W mains cycle (a sixth of the per-cycle core). This
/// is Cody–Waite reduction by π/2 in three parts (the first two products exact) and the
/// f32 minimax polynomials of Cephes `sinf`/`cosf` on [−π/4, π/4]: only additions and
/// multiplications, in a fixed order, so host and target compute the same bits. The DFT's own
/// rotation between exact values adds errors of this order at every sample.
pub(crate) fn sincosf(x: f32) -> (f32, f32) {
    // π/2 = P1 + P2 + P3: P1 and P2 have 12 significant bits, so q·P1 and q·P2 are exact for
    // |q| < 2^12.
    const P1: f32 = 1.570_312_5;
    const P2: f32 = 4.837_513e-4;
    const P3: f32 = 7.549_79e-8;
    let q = round_to_i32(x * core::f32::consts::FRAC_2_PI);
    let qf = q as f32;
    let r = ((x - qf * P1) - qf * P2) - qf * P3;
    let z = r * r;
    let sin = ((-1.951_529_6e-4 * z + 8.332_161e-3) * z - 1.666_665_5e-1) * z * r + r;
    let cos = ((2.443_315_7e-5 * z - 1.388_731_6e-3) * z + 4.166_664_6e-2) * z * z - 0.5 * z + 1.0;
    match q & 3 {
        0 => (sin, cos),
        1 => (cos, -sin),
        2 => (-sin, -cos),
        _ => (-cos, sin),
    }
}

#[inline]
pub(crate) fn floor64(x: f64) -> f64 {
    libm::floor(x)
}

#[inline]
pub(crate) fn round64(x: f64) -> f64 {
    libm::round(x)
}

/// Round half away from zero and saturate to `i32`; NaN maps to 0.
#[inline]
pub(crate) fn round_to_i32(x: f32) -> i32 {
    let r = if x >= 0.0 { x + 0.5 } else { x - 0.5 };
    // `as` saturates and maps NaN to 0.
    r as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in ulp of `got` from `exact`, in units of the ulp of `scale`.
    fn ulps(got: f32, exact: f64, scale: f64) -> f64 {
        let ulp = f32::EPSILON as f64 * 2f64.powi(scale.abs().log2().floor() as i32);
        (got as f64 - exact).abs() / ulp
    }

    #[test]
    fn sincos_is_within_two_ulp_over_the_dft_range_and_beyond() {
        let mut worst = 0.0f64;
        for k in 0..=200_000 {
            let x = -20.0 + 40.0 * k as f64 / 200_000.0;
            let x = x as f32;
            let (s, c) = sincosf(x);
            let (es, ec) = ((x as f64).sin(), (x as f64).cos());
            let scale = es.abs().max(ec.abs());
            worst = worst.max(ulps(s, es, scale)).max(ulps(c, ec, scale));
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
    }

    #[test]
    fn sincos_of_small_angles_keeps_relative_accuracy() {
        for k in 1..=10_000 {
            let x = k as f32 * 1e-5;
            let (s, c) = sincosf(x);
            assert!(((s as f64) / (x as f64).sin() - 1.0).abs() < 2.5e-7, "sin {x}");
            assert!(ulps(c, (x as f64).cos(), 1.0) <= 1.0, "cos {x}");
        }
        assert_eq!(sincosf(0.0), (0.0, 1.0));
    }
}
