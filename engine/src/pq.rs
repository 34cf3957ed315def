//! Voltage events on Urms(1/2) (IEC 61000-4-30 §5.4, EN 50160): dips, swells and interruptions,
//! polyphase, with hysteresis and a fixed or sliding reference; and the 10-s power frequency.
//!
//! Each cycle gives two Urms(1/2) values per phase (one-cycle windows refreshed every half
//! cycle); a value is time-stamped at the end of its window. Polyphase rules:
//!
//! * dip: starts when any phase falls below the dip threshold; ends when every phase is at or
//!   above threshold + hysteresis; residual = lowest Urms(1/2) of any phase during the event;
//! * swell: starts when any phase rises above the swell threshold; ends when every phase is at
//!   or below threshold − hysteresis; extreme = highest value;
//! * interruption: starts when every phase is below the interruption threshold; ends when any
//!   phase is at or above threshold + hysteresis; residual = lowest value.
//!
//! Start and end are the time stamps of the values that crossed, so both carry the half-cycle
//! granularity of Urms(1/2), and a step change is seen once enough of the one-cycle window has
//! changed (for a dip to 50 %: a quarter of the window at the start, four fifths at the end):
//! durations come out about half a cycle longer than the step, within one cycle.
//!
//! The sliding reference (when enabled) is the mean of the phases' 10/12-cycle rms through a
//! first-order low-pass of 1-minute time constant (IEC 61000-4-30 §5.4.4), started at the
//! declared voltage. Interruptions are always judged against the declared voltage.

use crate::tracker::SampleTime;

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
}

/// A completed voltage event.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VoltageEvent {
    /// Dip, swell or interruption.
    pub kind: EventKind,
    /// Time stamp (window end) of the first Urms(1/2) value past the threshold.
    pub start: SampleTime,
    /// From `start` to the time stamp of the value that ended the event, samples.
    pub duration_samples: f32,
    /// Phases that crossed the threshold (bit 0 = L1).
    pub phases: u8,
    /// Residual voltage (dip, interruption) or maximum (swell), V.
    pub extreme_v: f32,
    /// Reference voltage at the start (declared or sliding), V.
    pub reference_v: f32,
}

impl VoltageEvent {
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
struct Open {
    start: SampleTime,
    phases: u8,
    extreme: f32,
    reference: f32,
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
}

impl EventQueue {
    fn push(&mut self, e: VoltageEvent) {
        self.pushed += 1;
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
    pub fn new(cfg: crate::config::EventConfig, declared: f32, phases: usize) -> Self {
        Self {
            cfg,
            declared,
            phases,
            sliding: declared,
            dip: None,
            swell: None,
            interruption: None,
        }
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.cfg, self.declared, self.phases);
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
                self.dip = Some(Open { start: at, phases: crossing, extreme: lowest, reference })
            }
            Some(o) => {
                o.phases |= crossing;
                o.extreme = o.extreme.min(lowest);
                if v.iter().all(|&x| x >= pct(dip + hyst)) {
                    out.push(close(EventKind::Dip, o, at));
                    self.dip = None;
                }
            }
            None => {}
        }
        // Swell.
        let crossing = above(pct(swell));
        match &mut self.swell {
            None if crossing != 0 => {
                self.swell = Some(Open { start: at, phases: crossing, extreme: highest, reference })
            }
            Some(o) => {
                o.phases |= crossing;
                o.extreme = o.extreme.max(highest);
                if v.iter().all(|&x| x <= pct(swell - hyst)) {
                    out.push(close(EventKind::Swell, o, at));
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
            }
            Some(o) => {
                o.extreme = o.extreme.min(lowest);
                if v.iter().any(|&x| x >= end) {
                    out.push(close(EventKind::Interruption, o, at));
                    self.interruption = None;
                }
            }
            None => {}
        }
    }
}

fn close(kind: EventKind, o: &Open, at: SampleTime) -> VoltageEvent {
    VoltageEvent {
        kind,
        start: o.start,
        duration_samples: at.since(o.start),
        phases: o.phases,
        extreme_v: o.extreme,
        reference_v: o.reference,
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
    pub flags: crate::report::Flags,
}

/// Accumulates the cycles of the current 10-s interval.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TenSecond {
    interval: u64,
    cycles: u32,
    samples: f64,
    flags: crate::report::Flags,
    started: bool,
}

impl TenSecond {
    /// Add a cycle [a, b]; returns the previous interval's report when `a` opens a new one.
    pub fn add(
        &mut self,
        a: SampleTime,
        len: f32,
        flags: crate::report::Flags,
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
