//! The voltage conditions a meter watches cycle by cycle: low voltage on any phase, and for
//! 3P4W a missing phase, a broken neutral (a floating star point) and a reversed phase
//! sequence. Each opens after [`Condition::DEBOUNCE`] consecutive cycles that show it and closes
//! after as many that do not; it is reported as a [`VoltageEvent`] of its kind.

use crate::config::{Config, Roles, Topology};
use crate::pq::{close, EventKind, EventQueue, Open, VoltageEvent};
use crate::report::CycleReport;
use crate::types::SampleTime;
use crate::unbalance;

/// The four conditions, in the order of their [`EventKind`]s.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conditions([Condition; 4]);

impl Conditions {
    /// At rest: missing phase, broken neutral, phase sequence, low voltage.
    pub const AT_REST: Self = Self([
        Condition::new(EventKind::MissingPhase, false),
        Condition::new(EventKind::BrokenNeutral, true),
        Condition::new(EventKind::PhaseSequence, true),
        Condition::new(EventKind::LowVoltage, false),
    ]);

    /// Every byte zero (an unconfigured meter; replaced by [`Conditions::AT_REST`] when it is
    /// configured).
    pub const ZERO: Self = Self([Condition::new(EventKind::Dip, false); 4]);

    /// Bit mask of the open conditions, in their order (bit 0 missing phase).
    pub fn open_mask(&self) -> u8 {
        self.0.iter().enumerate().fold(0, |m, (k, c)| m | (c.is_open() as u8) << k)
    }

    /// Close the conditions still open at the end of the stream.
    pub fn flush(&mut self, end: SampleTime, q: &mut EventQueue) {
        for c in &mut self.0 {
            c.flush(end, q);
        }
    }

    /// Judge one cycle with a locked fundamental, starting at `at`.
    pub fn update(
        &mut self,
        r: &CycleReport,
        at: SampleTime,
        cfg: &Config,
        roles: &Roles,
        q: &mut EventQueue,
    ) {
        let e = cfg.events;
        let udin = cfg.declared_voltage;
        let present: [bool; 3] = core::array::from_fn(|p| roles.u[p].is_some());
        let mask = |f: &dyn Fn(usize) -> bool| {
            (0..3).filter(|&p| present[p] && f(p)).fold(0u8, |m, p| m | 1 << p)
        };
        let lowest =
            (0..3).filter(|&p| present[p]).map(|p| r.u_rms[p]).fold(f32::INFINITY, f32::min);
        let lowest = if lowest.is_finite() { lowest } else { 0.0 };
        let [missing_phase, broken_neutral, sequence, low_voltage] = &mut self.0;
        // Low voltage on any phase.
        let low = mask(&|p| r.u_rms[p] < e.low_voltage_v);
        low_voltage.update(at, low != 0, lowest, low, udin, q);
        if cfg.topology != Topology::ThreePhase4W {
            return;
        }
        let missing = mask(&|p| r.u_rms[p] < e.missing_phase_pct * 0.01 * udin);
        let some_up = mask(&|p| r.u_rms[p] >= e.dip_threshold_pct * 0.01 * udin) != 0;
        missing_phase.update(at, missing != 0 && some_up, lowest, missing, udin, q);
        // Symmetrical components relative to the mean phase magnitude (not to U+, which
        // vanishes when the sequence is reversed).
        let (pos, neg, zero) = unbalance::sequences([r.u_fund[0], r.u_fund[1], r.u_fund[2]]);
        let mean =
            (r.u_fund[0].magnitude() + r.u_fund[1].magnitude() + r.u_fund[2].magnitude()) / 3.0;
        let rel = |x: f32| if mean > 0.0 { 100.0 * x / mean } else { 0.0 };
        let all_up = missing == 0 && some_up;
        // A floating star point adds the same zero-sequence voltage to every phase and leaves
        // the line voltages balanced; an unbalanced dip raises U0 and U− alike. So a broken
        // neutral is a zero sequence above the threshold with a negative sequence below half
        // of it.
        let u0 = rel(zero);
        let floating = u0 >= e.broken_neutral_u0_pct && rel(neg) < 0.5 * e.broken_neutral_u0_pct;
        broken_neutral.update(at, all_up && floating, u0, 0b111, udin, q);
        // Reversed sequence: the negative-sequence component exceeds the positive one.
        sequence.update(at, all_up && neg > pos, rel(neg), 0b111, udin, q);
    }
}

/// A condition that holds for a while: missing phase, broken neutral, reversed phase sequence,
/// low voltage. It opens after `debounce` consecutive cycles with the condition and closes
/// after `debounce` consecutive cycles without it (start and end are the first cycles of those
/// runs).
#[derive(Clone, Copy, Debug)]
struct Condition {
    kind: EventKind,
    run: u8,
    run_start: SampleTime,
    open: Option<Open>,
    extreme: f32,
    phases: u8,
    high: bool,
}

impl Condition {
    pub const DEBOUNCE: u8 = 3;

    /// `high`: the extreme is the largest value (else the smallest).
    pub const fn new(kind: EventKind, high: bool) -> Self {
        Self {
            kind,
            run: 0,
            run_start: SampleTime { sample: 0, frac: 0.0 },
            open: None,
            extreme: 0.0,
            phases: 0,
            high,
        }
    }

    /// Whether the condition is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Close a condition still open at the end of the stream.
    pub fn flush(&mut self, at: SampleTime, out: &mut EventQueue) {
        if let Some(o) = self.open.take() {
            out.push(VoltageEvent { open_at_end: true, ..close(self.kind, &o, at) });
        }
        self.run = 0;
    }

    pub fn update(
        &mut self,
        at: SampleTime,
        holds: bool,
        value: f32,
        phases: u8,
        reference: f32,
        out: &mut EventQueue,
    ) {
        let changing = holds != self.open.is_some();
        if changing {
            if self.run == 0 {
                self.run_start = at;
                self.extreme = value;
                self.phases = 0;
            }
            self.run = self.run.saturating_add(1);
        } else {
            self.run = 0;
        }
        if holds {
            self.extreme =
                if self.high { self.extreme.max(value) } else { self.extreme.min(value) };
            self.phases |= phases;
        }
        if let Some(o) = &mut self.open {
            if holds {
                o.extreme = if self.high { o.extreme.max(value) } else { o.extreme.min(value) };
                o.phases |= phases;
            }
        }
        if self.run >= Self::DEBOUNCE {
            self.run = 0;
            match self.open.take() {
                None => {
                    self.open = Some(Open {
                        start: self.run_start,
                        phases: self.phases,
                        extreme: self.extreme,
                        reference,
                    })
                }
                Some(o) => {
                    let mut e = close(self.kind, &o, self.run_start);
                    e.reference_v = o.reference;
                    out.push(e);
                }
            }
        }
    }
}
