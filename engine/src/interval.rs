//! The IEC 61000-4-30 basic interval (10 cycles at 50 Hz, 12 at 60 Hz) with the IEC 61000-4-7
//! groups: each cycle's share of the window is resampled as the cycle closes and its
//! time-domain integrals and deviation sums are added; the window's end makes the
//! [`IntervalReport`] (harmonic and interharmonic subgroups, THDS, unbalance, under- and
//! over-deviation).

use crate::config::{Config, Roles, Topology, MAX_CHANNELS};
use crate::kernels::{self, Grid};
use crate::math;
use crate::report::CycleReport;
use crate::resample::Kernel;
use crate::spectrum::{self, IntervalReport};
use crate::types::{Flags, Frame, SampleTime, LANES};
use crate::unbalance;

/// Time-domain sums of the cycles in the window.
#[derive(Clone, Copy, Debug, Default)]
struct WindowAcc {
    start: SampleTime,
    len: f32,
    sq: [f32; MAX_CHANNELS],
    sum: [f32; MAX_CHANNELS],
    /// Σ min(U, Udin)² and Σ max(U, Udin)² of the cycle rms values, per phase.
    under: [f32; 3],
    over: [f32; 3],
    cycles: u32,
    flags: Flags,
}

impl WindowAcc {
    const ZERO: Self = Self {
        start: SampleTime::ZERO,
        len: 0.0,
        sq: [0.0; MAX_CHANNELS],
        sum: [0.0; MAX_CHANNELS],
        under: [0.0; 3],
        over: [0.0; 3],
        cycles: 0,
        flags: Flags::empty(),
    };
}

/// What a closing cycle brings to the interval: its window on the stream, its integrals of x²
/// and x (engineering units × samples) and its report (flags, rms values).
pub(crate) struct CycleShare<'a> {
    pub start: SampleTime,
    pub len: f32,
    pub sq: &'a [f32; MAX_CHANNELS],
    pub sum: &'a [f32; MAX_CHANNELS],
    pub report: &'a CycleReport,
}

/// The samples the interval's resampling reads: the ring, the lanes computed, the kernel and
/// the gains.
pub(crate) struct Samples<'a> {
    pub ring: &'a [Frame],
    pub width: usize,
    pub kernel: Kernel,
    pub gain: &'a [f32; LANES],
}

/// The interval being filled and the last one completed. `repr(C)`: the window last.
#[derive(Clone)]
#[repr(C)]
pub(crate) struct Interval<const WINDOW: usize> {
    /// Cycles per window (10 at 50 Hz, 12 at 60 Hz).
    cycles: usize,
    /// Cycles already in the window, and their time-domain sums.
    fill: usize,
    acc: WindowAcc,
    /// The last completed interval.
    pub report: IntervalReport,
    /// Intervals completed since start or reset.
    pub completed: u64,
    /// The window being filled, per channel: each cycle resampled into its share.
    window: [[f32; WINDOW]; MAX_CHANNELS],
}

impl<const WINDOW: usize> Interval<WINDOW> {
    /// All zero (an unconfigured meter).
    pub const ZERO: Self = Self {
        cycles: 0,
        fill: 0,
        acc: WindowAcc::ZERO,
        report: IntervalReport::ZERO,
        completed: 0,
        window: [[0.0; WINDOW]; MAX_CHANNELS],
    };

    /// Start afresh with `cycles` cycles per window, in place.
    pub fn configure(&mut self, cycles: usize) {
        self.cycles = cycles;
        self.fill = 0;
        self.acc = WindowAcc::ZERO;
        self.report = IntervalReport::ZERO;
        self.completed = 0;
        self.window.iter_mut().for_each(|w| w.fill(0.0));
    }

    /// Back to no interval (stream restart).
    pub fn reset(&mut self) {
        self.fill = 0;
        self.completed = 0;
    }

    /// Drop the cycles gathered so far: the window needs contiguous cycles.
    pub fn restart(&mut self) {
        self.fill = 0;
    }

    /// Flag the interval being filled, if it holds a cycle already.
    pub fn flag_filling(&mut self, flags: Flags) {
        if self.fill > 0 {
            self.acc.flags.insert(flags);
        }
    }

    /// Add a cycle (its share of the window is resampled from `samples` when given, i.e. with
    /// harmonics on). Returns the mean voltage rms over the window when the cycle completed it;
    /// with harmonics on, [`Interval::report`] is then the new interval.
    pub fn add(
        &mut self,
        cycle: &CycleShare<'_>,
        samples: Option<Samples<'_>>,
        cfg: &Config,
        roles: &Roles,
    ) -> Option<f32> {
        let nch = cfg.topology.channels();
        let (wc, c) = (self.cycles, self.fill);
        if c == 0 {
            self.acc = WindowAcc { start: cycle.start, ..WindowAcc::default() };
        }
        if let Some(s) = samples {
            let j0 = (c * WINDOW).div_ceil(wc);
            let j1 = ((c + 1) * WINDOW).div_ceil(wc);
            // Windows of absent channels stay zero.
            let grid = Grid { start: cycle.start, len: cycle.len, count: WINDOW };
            let mut rows = kernels::lane_rows(self.window.each_mut().map(|r| &mut r[..]), nch);
            kernels::resample(
                s.ring,
                s.width,
                s.kernel,
                s.gain,
                grid,
                j0..j1,
                wc,
                c * WINDOW,
                &mut rows,
            );
        }
        let acc = &mut self.acc;
        acc.len += cycle.len;
        for ch in 0..nch {
            acc.sq[ch] += cycle.sq[ch];
            acc.sum[ch] += cycle.sum[ch];
        }
        acc.flags.insert(cycle.report.flags);
        let udin = cfg.declared_voltage;
        for p in 0..3 {
            let u = cycle.report.u_rms[p];
            acc.under[p] += u.min(udin) * u.min(udin);
            acc.over[p] += u.max(udin) * u.max(udin);
        }
        acc.cycles += 1;
        self.fill += 1;
        if self.fill < wc {
            return None;
        }
        self.fill = 0;
        Some(self.close(cfg, roles))
    }

    /// Whether input content up to half the sample rate may fold onto the groups of a window of
    /// `cycles` cycles over `len` samples, orders up to `top`: the window holds `WINDOW / cycles`
    /// points per cycle, input content at `F` Hz sits at bin `F·cycles/f` and, past the
    /// window's Nyquist bin, folds to `WINDOW − F·cycles/f`. The lowest folded bin, that of
    /// `F = fs/2` (bin `len / 2`), must stay above the highest bin the groups read
    /// (`cycles·top + 1`) with one bin of leakage to spare.
    fn may_alias(cycles: usize, top: usize, len: f32) -> bool {
        let lowest_fold = WINDOW as f32 - 0.5 * len;
        lowest_fold <= (cycles * top + 2) as f32
    }

    /// The window is complete: the rms per channel, and with harmonics on the groups. Returns
    /// the mean voltage rms.
    fn close(&mut self, cfg: &Config, roles: &Roles) -> f32 {
        let nch = cfg.topology.channels();
        let acc = self.acc;
        let wc = self.cycles;
        let mut rms = [0.0f32; MAX_CHANNELS];
        for (c, rms) in rms.iter_mut().enumerate().take(nch) {
            *rms = math::sqrtf((acc.sq[c] / acc.len).max(0.0));
        }
        let us: f32 = roles.u.iter().flatten().map(|&c| rms[c]).sum();
        let n = roles.u.iter().flatten().count().max(1);
        let mean = us / n as f32;
        if !cfg.analysis.harmonics {
            return mean;
        }
        let top = cfg.max_order();
        let r = &mut self.report;
        *r = IntervalReport {
            index: self.completed,
            start: acc.start,
            duration_samples: acc.len,
            cycles: wc as u32,
            frequency: wc as f32 * cfg.sample_rate_hz / acc.len,
            flags: acc.flags,
            rms,
            ..IntervalReport::default()
        };
        for c in 0..nch {
            r.dc[c] = acc.sum[c] / acc.len;
            spectrum::interval_groups(&mut self.window[c], wc, r, c, top);
        }
        if Self::may_alias(wc, top, acc.len) {
            r.flags.insert(Flags::ALIASED);
        }
        if cfg.topology == Topology::ThreePhase4W {
            let f = r.fundamental;
            (r.u2_pct, r.u0_pct) = unbalance::unbalance([f[0], f[1], f[2]]);
            (r.i2_pct, r.i0_pct) = unbalance::unbalance([f[3], f[4], f[5]]);
        }
        // Under- and over-deviation (IEC 61000-4-30 Annex D).
        let udin = cfg.declared_voltage;
        let cycles = acc.cycles.max(1) as f32;
        for p in 0..3 {
            if roles.u[p].is_some() {
                let under = math::sqrtf(acc.under[p] / cycles);
                let over = math::sqrtf(acc.over[p] / cycles);
                r.under_deviation_pct[p] = 100.0 * (udin - under) / udin;
                r.over_deviation_pct[p] = 100.0 * (over - udin) / udin;
            }
        }
        self.completed += 1;
        mean
    }
}
