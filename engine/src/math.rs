//! Transcendental functions through `libm` only, so that host and target round identically.
//!
//! `num_traits::Float` would pick std's implementations on the host whenever any crate in the
//! build enables its `std` feature, and the last ulp of `sin`/`cos` could then differ between
//! x86_64 and thumbv7em. Basic arithmetic and `sqrt` are correctly rounded IEEE-754 on both.

#[inline]
pub(crate) fn sqrtf(x: f32) -> f32 {
    libm::sqrtf(x)
}

#[inline]
pub(crate) fn sincosf(x: f32) -> (f32, f32) {
    libm::sincosf(x)
}

#[inline]
pub(crate) fn floor64(x: f64) -> f64 {
    libm::floor(x)
}

/// Round half away from zero and saturate to `i32`; NaN maps to 0.
#[inline]
pub(crate) fn round_to_i32(x: f32) -> i32 {
    let r = if x >= 0.0 { x + 0.5 } else { x - 0.5 };
    // `as` saturates and maps NaN to 0.
    r as i32
}
