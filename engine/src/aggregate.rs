//! IEC 61000-4-30 aggregation of the 10/12-cycle intervals (§4.5): 150/180-cycle values, 10-min
//! values aligned to the clock, and 2-h values, each with the flags of what it holds (§4.7).
//!
//! * 150/180-cycle values ("3 s"): blocks of 15 consecutive basic intervals. At each 10-min tick
//!   (the first interval starting in a new clock window) a new block starts; a block already
//!   running completes its 15 intervals, so two blocks overlap there (the resynchronisation of
//!   §4.5.2). A block still incomplete when the stream ends is not reported. Windows shorter
//!   than a block (from 0.2 s, for short recordings) do not restart the blocks.
//! * 10-min values: the intervals whose start lies in the clock window `[k·W, (k+1)·W)` of
//!   anchored time `anchor_s + t` (W = [`AggregationConfig::window_s`], 600 s by default), reported
//!   when the next window starts (or the stream ends) if they are at least 90 % of the intervals
//!   the window holds at the nominal frequency; a window with fewer is counted in
//!   [`Aggregator::incomplete_windows`] and not reported.
//! * 2-h values: the 10-min values of each window of 12·W, reported when the next one starts or
//!   the stream ends, with their count in `values`.
//!
//! Every value is the root-mean-square of the values it holds (rms voltages and currents,
//! unbalance, THD, harmonic ratios), except the frequency, which is their mean. A value's flags are
//! the union of the flags of what it holds, so a value containing a dip, swell, interruption,
//! missing or clipped sample, or a cycle without a locked fundamental is flagged, and so is every
//! value containing it; statistics leave such values out ([`crate::Flags::UNRELIABLE`]).
//!
//! Decision: the rms and frequency sums are f64 (3000 squares of 230 V in f32 would carry about
//! 10⁻⁴ of relative error, the whole budget of the 10-min rms); the harmonic and THD sums are
//! f32 (their budget is 0.5 % of reading). Both are exact IEEE arithmetic on host and target.

use crate::config::MAX_CHANNELS;
use crate::spectrum::IntervalReport;
use crate::types::Flags;

/// Highest harmonic order aggregated (the EN 50160 table's range).
pub const AGGREGATE_ORDERS: usize = 25;

/// Intervals in a 150/180-cycle block.
const BLOCK: u32 = 15;

/// 150/180-cycle blocks running at once: one, or around a clock tick the old one and the new
/// one (blocks restart at ticks only with windows of [`RESTART_WINDOW_S`] or more, which hold a
/// whole block).
const OPEN_BLOCKS: usize = 2;

/// Shortest window whose ticks restart the 150/180-cycle blocks: one block (15 intervals of
/// 0.2 s). A shorter window, which only lets a short recording stand for a long one, would
/// restart them at every tick and none would complete.
pub const RESTART_WINDOW_S: f32 = 3.0;

/// How the aggregation windows sit on the clock.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AggregationConfig {
    /// Length of the "10-min" window, s: 600 by default; a shorter one (from 0.2 s, one basic
    /// interval) lets a short recording stand for a long one. The 2-h window is twelve of them.
    pub window_s: f32,
    /// Clock time of stream sample 0, s (e.g. UTC seconds of the day, or since an epoch): the
    /// windows start where the anchored time is a multiple of `window_s`. 0 aligns them to the
    /// stream start.
    pub anchor_s: f64,
}

impl AggregationConfig {
    pub(crate) const ZERO: Self = Self { window_s: 0.0, anchor_s: 0.0 };
}

impl Default for AggregationConfig {
    fn default() -> Self {
        Self { window_s: 600.0, anchor_s: 0.0 }
    }
}

/// Which aggregation a value belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum AggregateKind {
    /// 150 cycles at 50 Hz, 180 at 60 Hz (15 basic intervals).
    ThreeSecond,
    /// The clock window of [`AggregationConfig::window_s`].
    TenMinute,
    /// Twelve clock windows.
    TwoHour,
}

/// One aggregated value.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AggregateReport {
    /// Which aggregation.
    pub kind: AggregateKind,
    /// 3 s: start of its first interval. 10 min and 2 h: the clock window's start in stream
    /// time (anchored window start − anchor), which may lie before the stream's first sample.
    pub start_s: f64,
    /// 3 s: the summed length of its intervals; 10 min and 2 h: the window's length, s.
    pub length_s: f64,
    /// Clock window index `k` (anchored time in `[k·W, (k+1)·W)`; for 2 h, of 12·W); for 3 s, the
    /// 10-min window of its first interval.
    pub window: u64,
    /// Intervals held (3 s, 10 min) or 10-min values held (2 h).
    pub values: u32,
    /// Union of the flags of what it holds.
    pub flags: Flags,
    /// Mean frequency, Hz.
    pub frequency: f32,
    /// rms of each channel's interval rms (frame order), V or A.
    pub rms: [f32; MAX_CHANNELS],
    /// Voltage unbalance u2 and u0, % (3P4W).
    pub u2_pct: f32,
    /// Zero-sequence unbalance u0, %.
    pub u0_pct: f32,
    /// THD over orders 2..=40 (subgroups) of each voltage phase slot, %.
    pub thd40_pct: [f32; 3],
    /// Harmonic subgroups 0..=25 of each voltage phase slot, % of the fundamental subgroup.
    pub harmonics_pct: [[f32; AGGREGATE_ORDERS + 1]; 3],
}

impl AggregateReport {
    /// A report of nothing: every value zero, no flag.
    pub const ZERO: Self = Self {
        kind: AggregateKind::ThreeSecond,
        start_s: 0.0,
        length_s: 0.0,
        window: 0,
        values: 0,
        flags: Flags::empty(),
        frequency: 0.0,
        rms: [0.0; MAX_CHANNELS],
        u2_pct: 0.0,
        u0_pct: 0.0,
        thd40_pct: [0.0; 3],
        harmonics_pct: [[0.0; AGGREGATE_ORDERS + 1]; 3],
    };
}

/// Sums of squares of the values a window holds.
#[derive(Clone, Copy, Debug)]
struct Sums {
    start_s: f64,
    length_s: f64,
    window: u64,
    values: u32,
    flags: Flags,
    frequency: f64,
    rms: [f64; MAX_CHANNELS],
    u2: f64,
    u0: f64,
    thd40: [f32; 3],
    harmonics: [[f32; AGGREGATE_ORDERS + 1]; 3],
}

impl Sums {
    const ZERO: Self = Self {
        start_s: 0.0,
        length_s: 0.0,
        window: 0,
        values: 0,
        flags: Flags::empty(),
        frequency: 0.0,
        rms: [0.0; MAX_CHANNELS],
        u2: 0.0,
        u0: 0.0,
        thd40: [0.0; 3],
        harmonics: [[0.0; AGGREGATE_ORDERS + 1]; 3],
    };

    fn starting(start_s: f64, window: u64) -> Self {
        Self { start_s, window, ..Self::ZERO }
    }

    /// Add one value (an interval or a 10-min value) with its length.
    fn add(&mut self, v: &AggregateReport) {
        self.values += 1;
        self.length_s += v.length_s;
        self.flags.insert(v.flags);
        self.frequency += v.frequency as f64;
        for (s, &x) in self.rms.iter_mut().zip(&v.rms) {
            *s += x as f64 * x as f64;
        }
        self.u2 += v.u2_pct as f64 * v.u2_pct as f64;
        self.u0 += v.u0_pct as f64 * v.u0_pct as f64;
        for p in 0..3 {
            self.thd40[p] += v.thd40_pct[p] * v.thd40_pct[p];
            for (s, &x) in self.harmonics[p].iter_mut().zip(&v.harmonics_pct[p]) {
                *s += x * x;
            }
        }
    }

    fn report(&self, kind: AggregateKind, length_s: Option<f64>) -> AggregateReport {
        let n = self.values.max(1);
        let (nd, nf) = (n as f64, n as f32);
        let root = |s: f64| libm::sqrt(s / nd) as f32;
        let mut r = AggregateReport {
            kind,
            start_s: self.start_s,
            length_s: length_s.unwrap_or(self.length_s),
            window: self.window,
            values: self.values,
            flags: self.flags,
            frequency: (self.frequency / nd) as f32,
            u2_pct: root(self.u2),
            u0_pct: root(self.u0),
            ..AggregateReport::ZERO
        };
        for (r, &s) in r.rms.iter_mut().zip(&self.rms) {
            *r = root(s);
        }
        for p in 0..3 {
            r.thd40_pct[p] = crate::math::sqrtf(self.thd40[p] / nf);
            for (r, &s) in r.harmonics_pct[p].iter_mut().zip(&self.harmonics[p]) {
                *r = crate::math::sqrtf(s / nf);
            }
        }
        r
    }
}

/// The aggregation stage: fed every basic interval, it completes 3-s, 10-min and 2-h values.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Aggregator {
    cfg: AggregationConfig,
    /// Basic intervals a complete window holds at the nominal frequency.
    expected: f64,
    /// Sample rate, Hz (interval lengths).
    fs: f32,
    /// Voltage and current channels of the phase slots (frame order; `None` when absent).
    u: [Option<usize>; 3],
    /// The running 150/180-cycle blocks, oldest first.
    blocks: [Sums; OPEN_BLOCKS],
    open_blocks: usize,
    /// The running 10-min and 2-h windows.
    ten: Option<Sums>,
    two: Option<Sums>,
    /// Values completed and not yet handed out (at most a 3-s, a 10-min and a 2-h at once).
    ready: [AggregateReport; 3],
    ready_len: usize,
    /// 10-min windows left out for holding fewer than 90 % of their intervals.
    pub incomplete_windows: u32,
    /// Values lost because nobody took them (counted, never silent).
    pub dropped: u32,
}

impl Aggregator {
    pub const ZERO: Self = Self {
        cfg: AggregationConfig::ZERO,
        expected: 0.0,
        fs: 0.0,
        u: [None; 3],
        blocks: [Sums::ZERO; OPEN_BLOCKS],
        open_blocks: 0,
        ten: None,
        two: None,
        ready: [AggregateReport::ZERO; 3],
        ready_len: 0,
        incomplete_windows: 0,
        dropped: 0,
    };

    pub fn new(cfg: AggregationConfig, nominal_hz: f32, fs: f32, u: [Option<usize>; 3]) -> Self {
        let cycles = if nominal_hz == 60.0 { 12.0 } else { 10.0 };
        let interval_s = cycles / nominal_hz as f64;
        let expected = (cfg.window_s as f64 / interval_s).max(1.0);
        Self { cfg, expected, fs, u, ..Self::ZERO }
    }

    /// Forget the running windows (a new stream); values not yet taken and the count of
    /// incomplete windows are kept.
    pub fn reset(&mut self) {
        *self = Self {
            cfg: self.cfg,
            expected: self.expected,
            fs: self.fs,
            u: self.u,
            ready: self.ready,
            ready_len: self.ready_len,
            incomplete_windows: self.incomplete_windows,
            dropped: self.dropped,
            ..Self::ZERO
        };
    }

    /// The next completed value, if any.
    pub fn pop(&mut self) -> Option<AggregateReport> {
        if self.ready_len == 0 {
            return None;
        }
        let r = self.ready[0];
        self.ready.copy_within(1..self.ready_len, 0);
        self.ready_len -= 1;
        Some(r)
    }

    fn push(&mut self, r: AggregateReport) {
        // Capacity: one value of each kind completes per interval at most, and the block paths
        // hand them out after every interval; a caller of the per-frame path that never takes
        // them loses the oldest, counted.
        if self.ready_len == self.ready.len() {
            self.ready.copy_within(1.., 0);
            self.ready_len -= 1;
            self.dropped = self.dropped.saturating_add(1);
        }
        self.ready[self.ready_len] = r;
        self.ready_len += 1;
    }

    /// One basic interval.
    pub fn add(&mut self, iv: &IntervalReport) {
        let start_s = iv.start.seconds(self.fs);
        let v = self.basic(iv, start_s);
        let w = self.cfg.window_s as f64;
        let k = libm::floor((self.cfg.anchor_s + start_s) / w);
        let k = if k > 0.0 { k as u64 } else { 0 };
        let tick = self.ten.is_some_and(|t| t.window != k);

        // 150/180-cycle blocks.
        let restart = tick && self.cfg.window_s >= RESTART_WINDOW_S;
        if self.open_blocks == 0 || restart {
            if self.open_blocks == OPEN_BLOCKS {
                // Not with windows of a block or more (see OPEN_BLOCKS): drop the oldest rather
                // than overrun.
                self.blocks.copy_within(1.., 0);
                self.open_blocks -= 1;
            }
            self.blocks[self.open_blocks] = Sums::starting(start_s, k);
            self.open_blocks += 1;
        }
        for b in &mut self.blocks[..self.open_blocks] {
            b.add(&v);
        }
        if self.blocks[0].values == BLOCK {
            let done = self.blocks[0].report(AggregateKind::ThreeSecond, None);
            self.blocks.copy_within(1.., 0);
            self.open_blocks -= 1;
            self.push(done);
        }

        // 10-min and 2-h windows.
        if tick {
            self.close_window();
        }
        let ten =
            self.ten.get_or_insert_with(|| Sums::starting(k as f64 * w - self.cfg.anchor_s, k));
        ten.add(&v);
    }

    /// Close the running 10-min window: report it when complete, add it to its 2-h window.
    fn close_window(&mut self) {
        let Some(ten) = self.ten.take() else { return };
        let w = self.cfg.window_s as f64;
        if (ten.values as f64) < 0.9 * self.expected {
            self.incomplete_windows = self.incomplete_windows.saturating_add(1);
            return;
        }
        let value = ten.report(AggregateKind::TenMinute, Some(w));
        let k2 = ten.window / 12;
        if self.two.is_some_and(|t| t.window != k2) {
            self.close_two_hours();
        }
        let anchor = self.cfg.anchor_s;
        let two = self.two.get_or_insert_with(|| Sums::starting(k2 as f64 * 12.0 * w - anchor, k2));
        two.add(&value);
        self.push(value);
    }

    fn close_two_hours(&mut self) {
        if let Some(two) = self.two.take() {
            let len = 12.0 * self.cfg.window_s as f64;
            self.push(two.report(AggregateKind::TwoHour, Some(len)));
        }
    }

    /// End of the stream: the running 10-min window (if complete) and 2-h window are reported;
    /// an incomplete 150/180-cycle block is not.
    pub fn finish(&mut self) {
        self.close_window();
        self.close_two_hours();
        self.open_blocks = 0;
    }

    /// An interval as a one-value aggregate.
    fn basic(&self, iv: &IntervalReport, start_s: f64) -> AggregateReport {
        let length_s = iv.duration_samples as f64 / self.fs as f64;
        let mut v = AggregateReport {
            start_s,
            length_s,
            values: 1,
            flags: iv.flags,
            frequency: iv.frequency,
            rms: iv.rms,
            u2_pct: iv.u2_pct,
            u0_pct: iv.u0_pct,
            ..AggregateReport::ZERO
        };
        for (p, &c) in self.u.iter().enumerate() {
            let Some(c) = c else { continue };
            v.thd40_pct[p] = iv.thds40_pct[c];
            let g = &iv.subgroups[c];
            if g[1] > 0.0 {
                for (h, x) in v.harmonics_pct[p].iter_mut().enumerate() {
                    *x = 100.0 * g[h] / g[1];
                }
            }
        }
        v
    }
}
