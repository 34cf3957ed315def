//! The energy of the stream, segment by segment: each closed cycle, the partial segment before
//! the first boundary (or after a hold-over) and the one after the last boundary are registered
//! once, so every sample's energy is counted exactly once (see `Meter`'s measurement
//! definitions). A partial segment has no reactive power of its own: it is registered with the
//! next cycle's (or, at the end of the stream, the last cycle's) reactive power and creep verdict.

use crate::config::{Config, Roles};
use crate::energy::{Energy, EnergyRegisters};
use crate::report::CycleReport;

/// Active power of a segment per phase and its duration.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    pub p: [f32; 3],
    pub seconds: f32,
}

/// The registers and the segment waiting for a reactive power.
#[derive(Clone, Debug)]
pub(crate) struct Segments {
    energy: Energy,
    /// A partial segment not yet registered.
    lead: Option<Segment>,
    /// Reactive power and creep verdict of the last cycle.
    last_q: [f32; 3],
    last_live: [bool; 3],
}

impl Segments {
    /// Registers at zero, nothing pending.
    pub const ZERO: Self =
        Self { energy: Energy::ZERO, lead: None, last_q: [0.0; 3], last_live: [false; 3] };

    /// The registers and pulse counts.
    pub fn registers(&self) -> &EnergyRegisters {
        &self.energy.regs
    }

    /// Clear the registers and pulse counters.
    pub fn clear(&mut self) {
        self.energy.clear();
    }

    /// Stream restart: a pending partial segment is dropped (its samples are not the stream's
    /// any more); the registers are kept.
    pub fn restart(&mut self) {
        self.lead = None;
    }

    /// A partial segment (no cycle report): registered when the next cycle brings its reactive
    /// power; one still pending is registered now with the last cycle's.
    pub fn partial(&mut self, seg: Segment, cfg: &Config, roles: &Roles) {
        if let Some(lead) = self.lead.replace(seg) {
            self.register(&lead, self.last_q, self.last_live, cfg, roles);
        }
    }

    /// A closed cycle of `len` samples: registered with the pending partial segment. Returns
    /// which phases were above the creep current.
    pub fn cycle(&mut self, r: &CycleReport, len: f32, cfg: &Config, roles: &Roles) -> [bool; 3] {
        let live = r.i_rms.map(|i| i >= cfg.creep_current && i > 0.0);
        let seg = Segment { p: r.p_active, seconds: len / cfg.sample_rate_hz };
        self.register(&seg, r.q_reactive, live, cfg, roles);
        if let Some(lead) = self.lead.take() {
            self.register(&lead, r.q_reactive, live, cfg, roles);
        }
        self.last_q = r.q_reactive;
        self.last_live = live;
        live
    }

    /// The end of the stream: the pending partial segment and the tail after the last boundary.
    pub fn finish(&mut self, tail: Segment, cfg: &Config, roles: &Roles) {
        if let Some(lead) = self.lead.take() {
            self.register(&lead, self.last_q, self.last_live, cfg, roles);
        }
        self.register(&tail, self.last_q, self.last_live, cfg, roles);
    }

    fn register(
        &mut self,
        seg: &Segment,
        q: [f32; 3],
        live: [bool; 3],
        cfg: &Config,
        roles: &Roles,
    ) {
        let k = cfg.meter_constant_imp_per_kwh;
        let scale = seg.seconds * 1.0e6;
        let (mut pt, mut qt) = (0.0f32, 0.0f32);
        for p in 0..3 {
            if roles.i[p].is_none() {
                continue;
            }
            let (pe, qe) = if live[p] { (seg.p[p] * scale, q[p] * scale) } else { (0.0, 0.0) };
            self.energy.register(p, pe, qe, k);
            pt += pe;
            qt += qe;
        }
        self.energy.register(3, pt, qt, k);
    }
}
