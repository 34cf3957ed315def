//! EN 50160:2010 tables, in one place: the dip and swell classification grids with their edge
//! rules, the limit between short and long interruptions, and the limits of the individual
//! harmonic voltages (standards.md §1.2, §1.3).
//!
//! The engine's occurrence counters, the host's EN 50160 evaluator and the events file all
//! classify through [`dip_cell`] and [`swell_cell`], so an event has one cell everywhere. The
//! vector crate keeps its own transcription of the grids on purpose, as the independent oracle;
//! a test holds the two against each other at every edge.
//!
//! Edges: lower residual bounds and upper duration bounds are inclusive (`90 > u ≥ 80`,
//! `10 ms ≤ t ≤ 200 ms`). Every comparison is made on values rounded to 1e-9 of their unit
//! (nanoseconds, nano-percent), so a value that equals a decimal edge up to `f64` rounding is on
//! the edge: a duration of `0.9 − 0.7` s is 200 ms and a maximum of `1.1 × 100` % is 110 %.

use crate::math;

/// Interruptions up to this duration (inclusive) are short, longer ones long, s.
pub const SHORT_INTERRUPTION_MAX_S: f64 = 180.0;

/// Shortest event the grids classify, s (half a cycle at 50 Hz); shorter ones are unclassified.
pub const MIN_EVENT_S: f64 = 0.010;

/// Lower residual bounds of the dip rows A, B, C, D, X, % of the reference (inclusive); the
/// upper bound of row A is the dip threshold, 90 %.
pub const DIP_ROWS_PCT: [f64; 5] = [80.0, 70.0, 40.0, 5.0, 0.0];

/// Upper residual bound of the dip grid (exclusive), %.
pub const DIP_GRID_TOP_PCT: f64 = 90.0;

/// Upper duration bounds of the dip columns 1..5, s (inclusive).
pub const DIP_COLUMNS_S: [f64; 5] = [0.2, 0.5, 1.0, 5.0, 60.0];

/// Lower bound of swell row S (inclusive) and of row T (exclusive), % of the reference.
pub const SWELL_ROWS_PCT: [f64; 2] = [120.0, 110.0];

/// Upper duration bounds of the swell columns 1..3, s (inclusive).
pub const SWELL_COLUMNS_S: [f64; 3] = [0.5, 5.0, 60.0];

/// Cell names of the dip grid, `[row][column]`.
pub const DIP_CELL_NAMES: [[&str; 5]; 5] = [
    ["A1", "A2", "A3", "A4", "A5"],
    ["B1", "B2", "B3", "B4", "B5"],
    ["C1", "C2", "C3", "C4", "C5"],
    ["D1", "D2", "D3", "D4", "D5"],
    ["X1", "X2", "X3", "X4", "X5"],
];

/// Cell names of the swell grid, `[row][column]`.
pub const SWELL_CELL_NAMES: [[&str; 3]; 2] = [["S1", "S2", "S3"], ["T1", "T2", "T3"]];

/// Row labels of the dip grid (residual u in %).
pub const DIP_ROW_LABELS: [&str; 5] =
    ["90 > u >= 80", "80 > u >= 70", "70 > u >= 40", "40 > u >= 5", "5 > u"];

/// Column labels of the dip grid (duration t).
pub const DIP_COLUMN_LABELS: [&str; 5] = [
    "10 ms <= t <= 200 ms",
    "200 ms < t <= 500 ms",
    "0.5 s < t <= 1 s",
    "1 s < t <= 5 s",
    "5 s < t <= 60 s",
];

/// Row labels of the swell grid (maximum u in %).
pub const SWELL_ROW_LABELS: [&str; 2] = ["u >= 120", "120 > u > 110"];

/// Column labels of the swell grid (duration t).
pub const SWELL_COLUMN_LABELS: [&str; 3] =
    ["10 ms <= t <= 500 ms", "0.5 s < t <= 5 s", "5 s < t <= 60 s"];

/// `x` in units of 1e-9, `None` when not finite (saturating at the `i64` range, which keeps huge
/// values on the right side of every edge).
fn nano(x: f64) -> Option<i64> {
    if x.is_finite() {
        Some(math::round64(x * 1e9) as i64)
    } else {
        None
    }
}

/// Column of a duration against inclusive upper bounds, from [`MIN_EVENT_S`] up.
fn column(duration_s: f64, upper_s: &[f64]) -> Option<usize> {
    let t = nano(duration_s)?;
    if t < nano(MIN_EVENT_S)? {
        return None;
    }
    upper_s.iter().position(|&e| nano(e).is_some_and(|e| t <= e))
}

/// Dip cell `(row, column)` (0-based: row 0 = A, column 0 = 1) of a residual voltage in % of the
/// reference and a duration in s; `None` outside the grid (`u ≥ 90`, `u < 0`, `t < 10 ms`,
/// `t > 60 s`, not finite).
///
/// # Examples
///
/// ```
/// use percycle_engine::en50160::{dip_cell, dip_cell_name};
/// assert_eq!(dip_cell(80.0, 0.200), Some((0, 0)));
/// assert_eq!(dip_cell_name(79.99, 0.201), Some("B2"));
/// assert_eq!(dip_cell(90.0, 0.1), None);
/// ```
pub fn dip_cell(residual_pct: f64, duration_s: f64) -> Option<(usize, usize)> {
    let u = nano(residual_pct)?;
    if u >= nano(DIP_GRID_TOP_PCT)? {
        return None;
    }
    let row = DIP_ROWS_PCT.iter().position(|&lo| nano(lo).is_some_and(|lo| u >= lo))?;
    Some((row, column(duration_s, &DIP_COLUMNS_S)?))
}

/// Swell cell `(row, column)` (row 0 = S, 1 = T) of a maximum voltage in % of the reference and a
/// duration in s; `None` outside the grid (`u ≤ 110`, `t < 10 ms`, `t > 60 s`, not finite).
///
/// # Examples
///
/// ```
/// use percycle_engine::en50160::{swell_cell, swell_cell_name};
/// assert_eq!(swell_cell(120.0, 0.5), Some((0, 0)));
/// assert_eq!(swell_cell_name(110.01, 6.0), Some("T3"));
/// assert_eq!(swell_cell(110.0, 1.0), None);
/// ```
pub fn swell_cell(max_pct: f64, duration_s: f64) -> Option<(usize, usize)> {
    let u = nano(max_pct)?;
    let row = if u >= nano(SWELL_ROWS_PCT[0])? {
        0
    } else if u > nano(SWELL_ROWS_PCT[1])? {
        1
    } else {
        return None;
    };
    Some((row, column(duration_s, &SWELL_COLUMNS_S)?))
}

/// Name of the dip cell ([`dip_cell`]), e.g. `"C1"`.
pub fn dip_cell_name(residual_pct: f64, duration_s: f64) -> Option<&'static str> {
    dip_cell(residual_pct, duration_s).map(|(r, c)| DIP_CELL_NAMES[r][c])
}

/// Name of the swell cell ([`swell_cell`]), e.g. `"T1"`.
pub fn swell_cell_name(max_pct: f64, duration_s: f64) -> Option<&'static str> {
    swell_cell(max_pct, duration_s).map(|(r, c)| SWELL_CELL_NAMES[r][c])
}

/// Whether an interruption of `duration_s` is short (≤ [`SHORT_INTERRUPTION_MAX_S`], compared at
/// 1 ns).
///
/// # Examples
///
/// ```
/// assert!(percycle_engine::en50160::interruption_is_short(180.0));
/// assert!(!percycle_engine::en50160::interruption_is_short(180.001));
/// ```
pub fn interruption_is_short(duration_s: f64) -> bool {
    match (nano(duration_s), nano(SHORT_INTERRUPTION_MAX_S)) {
        (Some(t), Some(limit)) => t <= limit,
        _ => false,
    }
}

/// Highest harmonic order with an EN 50160 limit.
pub const MAX_LIMITED_ORDER: usize = 25;

/// EN 50160 limit of the individual harmonic voltage of `order` (95 % of the 10-min values of a
/// week), % of the fundamental; `None` outside 2..=25.
///
/// # Examples
///
/// ```
/// use percycle_engine::en50160::harmonic_limit_pct;
/// assert_eq!(harmonic_limit_pct(5), Some(6.0));
/// assert_eq!(harmonic_limit_pct(24), Some(0.5));
/// assert_eq!(harmonic_limit_pct(26), None);
/// ```
pub fn harmonic_limit_pct(order: usize) -> Option<f64> {
    Some(match order {
        2 => 2.0,
        3 => 5.0,
        4 => 1.0,
        5 => 6.0,
        7 => 5.0,
        9 => 1.5,
        11 => 3.5,
        13 => 3.0,
        15 | 21 => 0.5,
        17 => 2.0,
        19 | 23 | 25 => 1.5,
        6..=24 if order % 2 == 0 => 0.5,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_edges_computed_in_f64_land_on_the_edge() {
        assert_eq!(dip_cell(80.0, 0.9 - 0.7), Some((0, 0)));
        assert_eq!(swell_cell(1.1 * 100.0, 1.0), None);
        assert_eq!(dip_cell(4.999_999, 0.2000001), Some((4, 1)));
        assert_eq!(dip_cell(-0.1, 0.1), None);
        assert_eq!(dip_cell(50.0, 0.0099), None);
        assert_eq!(dip_cell(50.0, 60.000_001), None);
        assert_eq!(dip_cell(f64::NAN, 1.0), None);
    }
}
