//! Voltage events on Urms(1/2) (IEC 61000-4-30 §5.4, EN 50160): dips, swells and interruptions,
//! polyphase, with hysteresis and a fixed or sliding reference; and the 10-s power frequency.
//!
//! Each cycle gives two Urms(1/2) values per phase (one-cycle windows refreshed every half
//! cycle); a value is time-stamped at the *start* of its window, as IEC 61000-4-30 Class A
//! instruments print events (standards.md §2.2). Polyphase rules:
//!
//! * dip: starts when any phase falls below the dip threshold; ends when every phase is at or
//!   above threshold + hysteresis; residual = lowest Urms(1/2) of any phase during the event;
//! * swell: starts when any phase rises above the swell threshold; ends when every phase is at
//!   or below threshold − hysteresis; extreme = highest value;
//! * interruption: starts when every phase is below the interruption threshold; ends when any
//!   phase is at or above threshold + hysteresis; residual = lowest value.
//!
//! Event IN is the start of the window that first crossed (polyphase: the first phase to
//! cross), Event OUT the start of the window in which the ending condition first holds, and the
//! duration is OUT − IN. A step dip that begins at a rising zero crossing is therefore stamped
//! half a cycle before the step: the window starting at the previous half-cycle instant already
//! holds half the dip. An event still in progress when the stream ends is closed at the end of
//! the stream and marked [`VoltageEvent::open_at_end`].
//!
//! The sliding reference (when enabled) is the mean of the phases' 10/12-cycle rms through a
//! first-order low-pass of 1-minute time constant (IEC 61000-4-30 §5.4.4), started at the
//! declared voltage. Interruptions are always judged against the declared voltage.

use crate::en50160;
use crate::types::SampleTime;

/// What kind of voltage event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum EventKind {
    /// Voltage dip (sag).
    #[doc(alias = "sag")]
    Dip,
    /// Voltage swell.
    Swell,
    /// Supply interruption (every phase below the interruption threshold).
    Interruption,
    /// Rapid voltage change (IEC 61000-4-30 §5.11).
    Rvc,
    /// A phase voltage missing while others are present.
    MissingPhase,
    /// Neutral-point displacement: zero-sequence voltage above the threshold.
    BrokenNeutral,
    /// Phase sequence L1-L3-L2 (reversed).
    PhaseSequence,
    /// A phase below the low-voltage indicator threshold (160 V by default).
    LowVoltage,
}

/// A completed voltage event.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VoltageEvent {
    /// Dip, swell or interruption.
    pub kind: EventKind,
    /// Event IN: start of the Urms(1/2) window that first crossed the threshold (conditions:
    /// the first cycle of the run that opened them).
    pub start: SampleTime,
    /// Event OUT − Event IN, samples: to the start of the window that ended the event (or the
    /// end of the stream, see `open_at_end`).
    pub duration_samples: f32,
    /// Phases that crossed the threshold (bit 0 = L1).
    pub phases: u8,
    /// Residual voltage (dip, interruption) or maximum (swell), V.
    pub extreme_v: f32,
    /// Reference voltage at the start (declared or sliding), V.
    pub reference_v: f32,
    /// Rapid voltage change: difference of the steady-state means before and after, V (ΔUss;
    /// `extreme_v` holds ΔUmax). Broken neutral: `extreme_v` holds the largest u0 in %.
    pub delta_ss_v: f32,
    /// The event was still in progress when the stream ended: its end is the end of the
    /// stream, not an observed return, and its duration is a lower bound.
    pub open_at_end: bool,
}

impl VoltageEvent {
    /// All zero.
    pub(crate) const ZERO: Self = Self {
        kind: EventKind::Dip,
        start: SampleTime::ZERO,
        duration_samples: 0.0,
        phases: 0,
        extreme_v: 0.0,
        reference_v: 0.0,
        delta_ss_v: 0.0,
        open_at_end: false,
    };

    /// Extreme value in % of the reference.
    pub fn extreme_pct(&self) -> f32 {
        if self.reference_v > 0.0 {
            100.0 * self.extreme_v / self.reference_v
        } else {
            0.0
        }
    }

    /// Duration in seconds.
    pub fn duration_s(&self, sample_rate_hz: f32) -> f64 {
        self.duration_samples as f64 / sample_rate_hz as f64
    }
}

/// An event in progress.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Open {
    pub start: SampleTime,
    pub phases: u8,
    pub extreme: f32,
    pub reference: f32,
}

/// Polyphase detector of dips, swells and interruptions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EventDetector {
    cfg: crate::config::EventConfig,
    declared: f32,
    phases: usize,
    sliding: f32,
    dip: Option<Open>,
    swell: Option<Open>,
    interruption: Option<Open>,
    /// Dips, swells and interruptions started so far, and the Event IN of the last one.
    pub started: u32,
    pub last_start: SampleTime,
    /// Event OUT of the last dip, swell or interruption that ended.
    pub last_end: SampleTime,
}

/// Completed events waiting to be taken (a few per cycle at most).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EventQueue {
    items: [Option<VoltageEvent>; 8],
    head: usize,
    len: usize,
    /// Events lost because nobody took them: counted, never silent.
    pub overflow: u32,
    /// Events ever completed (queued or lost).
    pub pushed: u64,
    /// Occurrence counters of every completed event.
    pub counters: PqCounters,
    /// Sample rate, for the durations the counters classify.
    pub sample_rate_hz: f32,
}

impl EventQueue {
    /// Empty, counters at zero, no sample rate (an unconfigured meter's queue). The empty slots
    /// are the all-zero bit pattern `Some(VoltageEvent::ZERO)` rather than `None`, whose encoding
    /// is not zero: `len` = 0 says they hold nothing.
    pub const ZERO: Self = Self {
        items: [Some(VoltageEvent::ZERO); 8],
        head: 0,
        len: 0,
        overflow: 0,
        pushed: 0,
        counters: PqCounters::ZERO,
        sample_rate_hz: 0.0,
    };

    pub fn new(sample_rate_hz: f32) -> Self {
        Self { sample_rate_hz, ..Self::default() }
    }

    pub(crate) fn push(&mut self, e: VoltageEvent) {
        self.pushed += 1;
        self.counters.count(&e, self.sample_rate_hz);
        if self.len == self.items.len() {
            self.overflow = self.overflow.saturating_add(1);
            return;
        }
        let slot = (self.head + self.len) % self.items.len();
        self.items[slot] = Some(e);
        self.len += 1;
    }

    pub fn pop(&mut self) -> Option<VoltageEvent> {
        if self.len == 0 {
            return None;
        }
        let e = self.items[self.head].take();
        self.head = (self.head + 1) % self.items.len();
        self.len -= 1;
        e
    }
}

impl EventDetector {
    /// All zero, nothing open (an unconfigured meter's detector).
    pub const ZERO: Self = Self {
        cfg: crate::config::EventConfig::ZERO,
        declared: 0.0,
        phases: 0,
        sliding: 0.0,
        dip: None,
        swell: None,
        interruption: None,
        started: 0,
        last_start: SampleTime::ZERO,
        last_end: SampleTime::ZERO,
    };

    pub fn new(cfg: crate::config::EventConfig, declared: f32, phases: usize) -> Self {
        Self {
            cfg,
            declared,
            phases,
            sliding: declared,
            dip: None,
            swell: None,
            interruption: None,
            started: 0,
            last_start: SampleTime::ZERO,
            last_end: SampleTime::ZERO,
        }
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.cfg, self.declared, self.phases);
    }

    /// Close the events still open at the end of the stream (their end is `at`).
    pub fn flush(&mut self, at: SampleTime, out: &mut EventQueue) {
        for (kind, open) in [
            (EventKind::Dip, self.dip.take()),
            (EventKind::Swell, self.swell.take()),
            (EventKind::Interruption, self.interruption.take()),
        ] {
            if let Some(o) = open {
                out.push(VoltageEvent { open_at_end: true, ..close(kind, &o, at) });
            }
        }
    }

    /// Bit mask of the open events: 1 dip, 2 swell, 4 interruption.
    pub fn open_mask(&self) -> u8 {
        self.dip.is_some() as u8
            | (self.swell.is_some() as u8) << 1
            | (self.interruption.is_some() as u8) << 2
    }

    /// Whether a dip, swell or interruption is in progress.
    pub fn active(&self) -> bool {
        self.dip.is_some() || self.swell.is_some() || self.interruption.is_some()
    }

    /// Feed one 10/12-cycle rms (mean of the phases) to the sliding reference.
    pub fn interval_rms(&mut self, u: f32) {
        // First-order low-pass, 1-minute time constant, one step per 0.2 s basic interval.
        const K: f32 = 0.2 / 60.0;
        if u.is_finite() {
            self.sliding += K * (u - self.sliding);
        }
    }

    /// Feed one set of Urms(1/2) values time-stamped `at`; completed events go to `out`.
    pub fn update(&mut self, at: SampleTime, v: &[f32; 3], out: &mut EventQueue) {
        let n = self.phases;
        let v = &v[..n];
        let reference = if self.cfg.sliding_reference { self.sliding } else { self.declared };
        let pct = |p: f32| p * 0.01 * reference;
        let lowest = v.iter().copied().fold(f32::INFINITY, f32::min);
        let highest = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let below = |thr: f32| {
            v.iter().enumerate().filter(|(_, &x)| x < thr).fold(0u8, |m, (p, _)| m | 1 << p)
        };
        let above = |thr: f32| {
            v.iter().enumerate().filter(|(_, &x)| x > thr).fold(0u8, |m, (p, _)| m | 1 << p)
        };
        let (dip, swell, hyst) =
            (self.cfg.dip_threshold_pct, self.cfg.swell_threshold_pct, self.cfg.hysteresis_pct);

        // Dip.
        let crossing = below(pct(dip));
        match &mut self.dip {
            None if crossing != 0 => {
                self.dip = Some(Open { start: at, phases: crossing, extreme: lowest, reference });
                self.started = self.started.wrapping_add(1);
                self.last_start = at;
            }
            Some(o) => {
                o.phases |= crossing;
                o.extreme = o.extreme.min(lowest);
                if v.iter().all(|&x| x >= pct(dip + hyst)) {
                    out.push(close(EventKind::Dip, o, at));
                    self.last_end = at;
                    self.dip = None;
                }
            }
            None => {}
        }
        // Swell.
        let crossing = above(pct(swell));
        match &mut self.swell {
            None if crossing != 0 => {
                self.swell =
                    Some(Open { start: at, phases: crossing, extreme: highest, reference });
                self.started = self.started.wrapping_add(1);
                self.last_start = at;
            }
            Some(o) => {
                o.phases |= crossing;
                o.extreme = o.extreme.max(highest);
                if v.iter().all(|&x| x <= pct(swell - hyst)) {
                    out.push(close(EventKind::Swell, o, at));
                    self.last_end = at;
                    self.swell = None;
                }
            }
            None => {}
        }
        // Interruption, against the declared voltage.
        let thr = self.cfg.interruption_threshold_pct * 0.01 * self.declared;
        let end = (self.cfg.interruption_threshold_pct + hyst) * 0.01 * self.declared;
        match &mut self.interruption {
            None if v.iter().all(|&x| x < thr) => {
                let phases = ((1u16 << n) - 1) as u8;
                let open = Open { start: at, phases, extreme: lowest, reference: self.declared };
                self.interruption = Some(open);
                self.started = self.started.wrapping_add(1);
                self.last_start = at;
            }
            Some(o) => {
                o.extreme = o.extreme.min(lowest);
                if v.iter().any(|&x| x >= end) {
                    out.push(close(EventKind::Interruption, o, at));
                    self.last_end = at;
                    self.interruption = None;
                }
            }
            None => {}
        }
    }
}

pub(crate) fn close(kind: EventKind, o: &Open, at: SampleTime) -> VoltageEvent {
    VoltageEvent {
        kind,
        start: o.start,
        duration_samples: at.since(o.start),
        phases: o.phases,
        extreme_v: o.extreme,
        reference_v: o.reference,
        delta_ss_v: 0.0,
        open_at_end: false,
    }
}

/// One 10-second power-frequency value (IEC 61000-4-30 §5.1): the number of integral cycles
/// within the 10-s clock interval divided by their cumulative duration.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FrequencyReport {
    /// Index of the 10-s interval since the stream start (interval k spans [10k, 10k + 10) s).
    pub interval: u64,
    /// Whole cycles inside the interval.
    pub cycles: u32,
    /// Frequency, Hz.
    pub frequency: f32,
    /// Union of the flags of the counted cycles.
    pub flags: crate::types::Flags,
}

/// Accumulates the cycles of the current 10-s interval.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TenSecond {
    interval: u64,
    cycles: u32,
    samples: f64,
    flags: crate::types::Flags,
    started: bool,
}

impl TenSecond {
    /// Not started.
    pub const ZERO: Self = Self {
        interval: 0,
        cycles: 0,
        samples: 0.0,
        flags: crate::types::Flags::empty(),
        started: false,
    };

    /// Add a cycle [a, b]; returns the previous interval's report when `a` opens a new one.
    pub fn add(
        &mut self,
        a: SampleTime,
        len: f32,
        flags: crate::types::Flags,
        samples_per_interval: u64,
        fs: f32,
    ) -> Option<FrequencyReport> {
        let k_a = a.sample / samples_per_interval;
        let end = a.add(len);
        // A cycle ending exactly on the tick still lies inside.
        let k_b = if end.frac == 0.0 && end.sample % samples_per_interval == 0 {
            (end.sample / samples_per_interval).saturating_sub(1)
        } else {
            end.sample / samples_per_interval
        };
        let mut done = None;
        if !self.started || k_a != self.interval {
            if self.started && self.cycles > 0 {
                done = Some(self.report(fs));
            }
            *self = TenSecond { interval: k_a, started: true, ..TenSecond::default() };
        }
        if k_a == k_b {
            self.cycles += 1;
            self.samples += len as f64;
            self.flags.insert(flags);
        }
        done
    }

    fn report(&self, fs: f32) -> FrequencyReport {
        FrequencyReport {
            interval: self.interval,
            cycles: self.cycles,
            frequency: (self.cycles as f64 * fs as f64 / self.samples) as f32,
            flags: self.flags,
        }
    }
}

/// Half-cycle values in the RVC steady-state window (100 at 50 Hz, 120 at 60 Hz).
const RVC_MAX: usize = 120;

/// Rapid voltage change detector (IEC 61000-4-30 §5.11).
///
/// A phase is steady while its last N Urms(1/2) values (N = 100 at 50 Hz, 120 at 60 Hz) all lie
/// within ± threshold of their mean; the system is steady when every phase is. An RVC starts
/// when the system stops being steady, at the time stamp of that value; it ends when all N
/// values of a new window lie within ± (threshold − hysteresis) of their new mean, and its end
/// is the time stamp of the first value of that window. ΔUmax is the largest deviation of any
/// phase from its pre-event steady mean, ΔUss the largest change of a phase's steady mean. A
/// candidate during which a dip, swell or interruption was in progress is not an RVC.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RvcDetector {
    n: usize,
    phases: usize,
    threshold: f32,
    end_threshold: f32,
    values: [[f32; RVC_MAX]; 3],
    stamps: [SampleTime; RVC_MAX],
    next: usize,
    filled: usize,
    /// Steady means of the last steady window, per phase.
    steady_mean: Option<[f32; 3]>,
    open: Option<(SampleTime, f32, bool)>,
}

impl RvcDetector {
    /// All zero (an unconfigured meter's detector). `open` is the all-zero bit pattern of its
    /// type, a closed candidate (`Some` with `false`), not `None`, whose encoding is not zero.
    pub const ZERO: Self = Self {
        n: 0,
        phases: 0,
        threshold: 0.0,
        end_threshold: 0.0,
        values: [[0.0; RVC_MAX]; 3],
        stamps: [SampleTime::ZERO; RVC_MAX],
        next: 0,
        filled: 0,
        steady_mean: None,
        open: Some((SampleTime::ZERO, 0.0, false)),
    };

    pub fn new(
        cfg: &crate::config::EventConfig,
        declared: f32,
        nominal_hz: f32,
        phases: usize,
    ) -> Self {
        let n = if nominal_hz == 60.0 { 120 } else { 100 };
        Self {
            n,
            phases,
            threshold: cfg.rvc_threshold_pct * 0.01 * declared,
            end_threshold: (cfg.rvc_threshold_pct - cfg.rvc_hysteresis_pct) * 0.01 * declared,
            values: [[0.0; RVC_MAX]; 3],
            stamps: [SampleTime::default(); RVC_MAX],
            next: 0,
            filled: 0,
            steady_mean: None,
            open: None,
        }
    }

    pub fn reset(&mut self) {
        self.next = 0;
        self.filled = 0;
        self.steady_mean = None;
        self.open = None;
    }

    /// Whether an RVC candidate is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Means of the window, and whether every value is within `limit` of its phase's mean.
    fn window(&self, limit: f32) -> ([f32; 3], bool) {
        let mut means = [0.0f32; 3];
        let mut steady = true;
        for (p, mean) in means.iter_mut().enumerate().take(self.phases) {
            let w = &self.values[p][..self.n];
            *mean = w.iter().sum::<f32>() / self.n as f32;
            steady &= w.iter().all(|&x| (x - *mean).abs() <= limit);
        }
        (means, steady)
    }

    /// Feed one set of Urms(1/2) values; `disturbed` while a dip, swell or interruption is in
    /// progress.
    pub fn update(&mut self, at: SampleTime, v: &[f32; 3], disturbed: bool, out: &mut EventQueue) {
        for (p, &x) in v.iter().enumerate().take(self.phases) {
            self.values[p][self.next] = x;
        }
        self.stamps[self.next] = at;
        self.next = (self.next + 1) % self.n;
        self.filled = (self.filled + 1).min(self.n);
        if self.filled < self.n {
            return;
        }
        match &mut self.open {
            None => {
                let (means, steady) = self.window(self.threshold);
                if steady {
                    self.steady_mean = Some(means);
                } else if let Some(pre) = self.steady_mean {
                    let dev = (0..self.phases).map(|p| (v[p] - pre[p]).abs()).fold(0.0, f32::max);
                    self.open = Some((at, dev, disturbed));
                }
            }
            Some((start, dmax, spoiled)) => {
                let pre = self.steady_mean.unwrap_or([0.0; 3]);
                let dev = (0..self.phases).map(|p| (v[p] - pre[p]).abs()).fold(0.0, f32::max);
                *dmax = dmax.max(dev);
                *spoiled |= disturbed;
                let (start, dmax, spoiled) = (*start, *dmax, *spoiled);
                let (means, steady) = self.window(self.end_threshold);
                if steady {
                    // The window's oldest value is the one about to be overwritten.
                    let end = self.stamps[self.next];
                    if !spoiled {
                        let dss =
                            (0..self.phases).map(|p| (means[p] - pre[p]).abs()).fold(0.0, f32::max);
                        out.push(VoltageEvent {
                            kind: EventKind::Rvc,
                            start,
                            duration_samples: end.since(start).max(0.0),
                            phases: ((1u16 << self.phases) - 1) as u8,
                            extreme_v: dmax,
                            reference_v: 0.0,
                            delta_ss_v: dss,
                            open_at_end: false,
                        });
                    }
                    self.steady_mean = Some(means);
                    self.open = None;
                }
            }
        }
    }
}

/// Number of values in a grid snapshot.
pub const SNAPSHOT_VALUES: usize = 24;

/// Names of the snapshot values, in order (SI units: V, A, W, var, VA, Hz, %).
pub const SNAPSHOT_NAMES: [&str; SNAPSHOT_VALUES] = [
    "u1_rms",
    "u2_rms",
    "u3_rms",
    "u12_rms",
    "u23_rms",
    "u31_rms",
    "i1_rms",
    "i2_rms",
    "i3_rms",
    "in_rms",
    "p1_w",
    "p2_w",
    "p3_w",
    "q1_var",
    "q2_var",
    "q3_var",
    "p_total_w",
    "q_total_var",
    "s_total_va",
    "pf_total",
    "frequency_hz",
    "thd_u1_pct",
    "thd_u2_pct",
    "thd_u3_pct",
];

/// A grid snapshot: 24 values of one cycle, taken when an event starts.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Snapshot {
    /// The event whose start triggered it.
    pub trigger: EventKind,
    /// Cycle the values belong to.
    pub cycle: u64,
    /// Start of that cycle.
    pub start: SampleTime,
    /// The values, in the order of [`SNAPSHOT_NAMES`].
    pub values: [f32; SNAPSHOT_VALUES],
}

impl Snapshot {
    /// The snapshot of one cycle report.
    pub(crate) fn of(trigger: EventKind, r: &crate::report::CycleReport) -> Self {
        let v = [
            r.u_rms[0],
            r.u_rms[1],
            r.u_rms[2],
            r.u_ll_rms[0],
            r.u_ll_rms[1],
            r.u_ll_rms[2],
            r.i_rms[0],
            r.i_rms[1],
            r.i_rms[2],
            r.in_rms,
            r.p_active[0],
            r.p_active[1],
            r.p_active[2],
            r.q_reactive[0],
            r.q_reactive[1],
            r.q_reactive[2],
            r.p_total,
            r.q_total,
            r.s_total,
            r.pf_total,
            r.frequency,
            r.thd_pct[0],
            r.thd_pct[1],
            r.thd_pct[2],
        ];
        Self { trigger, cycle: r.index, start: r.start, values: v }
    }
}

/// Event occurrence counters as a meter keeps them (no allocation): the EN 50160 dip and swell
/// tables, interruptions (short up to 180 s, long above), rapid voltage changes. Events are
/// classified by [`crate::en50160`] on their extreme in % of their reference voltage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PqCounters {
    /// Dip table, `[row][column]` ([`crate::en50160::dip_cell`]).
    pub dips: [[u32; 5]; 5],
    /// Dips outside the table (shorter than 10 ms or longer than 60 s).
    pub dips_unclassified: u32,
    /// Swell table, `[row][column]` ([`crate::en50160::swell_cell`]).
    pub swells: [[u32; 3]; 2],
    /// Swells outside the table.
    pub swells_unclassified: u32,
    /// Interruptions up to 180 s.
    pub short_interruptions: u32,
    /// Interruptions longer than 180 s.
    pub long_interruptions: u32,
    /// Rapid voltage changes.
    pub rvc: u32,
}

impl PqCounters {
    /// Every counter at zero.
    pub(crate) const ZERO: Self = Self {
        dips: [[0; 5]; 5],
        dips_unclassified: 0,
        swells: [[0; 3]; 2],
        swells_unclassified: 0,
        short_interruptions: 0,
        long_interruptions: 0,
        rvc: 0,
    };

    /// Count one completed event.
    pub fn count(&mut self, e: &VoltageEvent, sample_rate_hz: f32) {
        let d = e.duration_s(sample_rate_hz);
        let u = e.extreme_pct() as f64;
        match e.kind {
            EventKind::Dip => match en50160::dip_cell(u, d) {
                Some((r, c)) => self.dips[r][c] += 1,
                None => self.dips_unclassified += 1,
            },
            EventKind::Swell => match en50160::swell_cell(u, d) {
                Some((r, c)) => self.swells[r][c] += 1,
                None => self.swells_unclassified += 1,
            },
            EventKind::Interruption if en50160::interruption_is_short(d) => {
                self.short_interruptions += 1
            }
            EventKind::Interruption => self.long_interruptions += 1,
            EventKind::Rvc => self.rvc += 1,
            _ => {}
        }
    }
}
