//! Unbalance from the fundamental phasors of three phases: symmetrical components (IEC
//! 61000-4-30 §5.7, IEC 61000-4-27): the negative- and zero-sequence unbalance u2 and u0 of the
//! voltages (and i2, i0 of the currents) over an interval, and the sequences the conditions
//! judge per cycle.

use crate::types::Phasor;

/// Magnitudes of the positive, negative and zero sequence components of three phasors
/// (symmetrical components with a = e^(j·120°): U+ = (U1 + a·U2 + a²·U3)/3, U− = (U1 + a²·U2 +
/// a·U3)/3, U0 = (U1 + U2 + U3)/3).
pub(crate) fn sequences(p: [Phasor; 3]) -> (f32, f32, f32) {
    let (c, s) = (-0.5f32, 0.866_025_4f32);
    let rot = |x: Phasor, sin: f32| Phasor { re: x.re * c - x.im * sin, im: x.re * sin + x.im * c };
    let sum = |a: Phasor, b: Phasor, d: Phasor| Phasor {
        re: (a.re + b.re + d.re) / 3.0,
        im: (a.im + b.im + d.im) / 3.0,
    };
    let pos = sum(p[0], rot(p[1], s), rot(p[2], -s)).magnitude();
    let neg = sum(p[0], rot(p[1], -s), rot(p[2], s)).magnitude();
    let zero = sum(p[0], p[1], p[2]).magnitude();
    (pos, neg, zero)
}

/// Negative- and zero-sequence unbalance (u2, u0) in % of the positive sequence.
pub(crate) fn unbalance(p: [Phasor; 3]) -> (f32, f32) {
    let (pos, neg, zero) = sequences(p);
    if pos > 0.0 {
        (100.0 * neg / pos, 100.0 * zero / pos)
    } else {
        (0.0, 0.0)
    }
}
