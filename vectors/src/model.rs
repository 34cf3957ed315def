//! The continuous signal model shared by the sampler and the truth integrator.

use crate::synth::{cos_cycles, sin_cycles, Harmonic, Interharmonic, Recipe, Topology};
use std::f64::consts::SQRT_2;

/// One channel of one phase, with phases in cycles (degrees / 360) and amplitudes as peaks.
struct ChannelModel {
    peak: f64,
    phase_cycles: f64,
    /// (order, peak, phase in cycles)
    harmonics: Vec<(f64, f64, f64)>,
    /// (frequency Hz, peak, phase in cycles)
    interharmonics: Vec<(f64, f64, f64)>,
    dc: f64,
}

impl ChannelModel {
    fn new(
        rms: f64,
        phase_deg: f64,
        harmonics: &[Harmonic],
        interharmonics: &[Interharmonic],
        dc: Option<f64>,
    ) -> Self {
        ChannelModel {
            peak: SQRT_2 * rms,
            phase_cycles: phase_deg / 360.0,
            harmonics: harmonics
                .iter()
                .map(|h| (f64::from(h.order), SQRT_2 * rms * h.pct / 100.0, h.phase_deg / 360.0))
                .collect(),
            interharmonics: interharmonics
                .iter()
                .map(|h| (h.freq_hz, SQRT_2 * rms * h.pct / 100.0, h.phase_deg / 360.0))
                .collect(),
            dc: dc.unwrap_or(0.0),
        }
    }

    /// Value at time `t` where the fundamental phase is `c` cycles, with `jump` extra cycles on
    /// the channel's fundamental phase.
    fn eval(&self, t: f64, c: f64, jump: f64) -> f64 {
        let base = c + self.phase_cycles + jump;
        let mut x = self.peak * sin_cycles(base);
        for &(h, peak, ph) in &self.harmonics {
            x += peak * sin_cycles(h * base + ph);
        }
        for &(f, peak, ph) in &self.interharmonics {
            x += peak * sin_cycles(f * t + ph);
        }
        x + self.dc
    }
}

struct StepModel {
    start: f64,
    end: f64,
    phases: [bool; 3],
    factor: f64,
    jump_cycles: f64,
}

/// Voltages and currents of every phase at one instant.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Instant {
    pub u: [f64; 3],
    pub i: [f64; 3],
}

impl Instant {
    /// Writes the recorded channels of `topology` into `out` (length = channel count).
    pub fn write_channels(&self, topology: Topology, out: &mut [f64]) {
        let (u, i) = (&self.u, &self.i);
        match topology {
            Topology::SinglePhase => out.copy_from_slice(&[u[0], i[0]]),
            Topology::ThreePhase4W => {
                out.copy_from_slice(&[u[0], u[1], u[2], i[0], i[1], i[2], i[0] + i[1] + i[2]])
            }
            Topology::ThreePhase3W => out.copy_from_slice(&[u[0] - u[1], u[2] - u[1], i[0], i[2]]),
        }
    }
}

/// The model of a validated recipe.
pub(crate) struct Model {
    topology: Topology,
    f0: f64,
    ramp: f64,
    /// Phase of the undisturbed U1 fundamental at t = 0, cycles.
    ref_cycles: f64,
    u: Vec<ChannelModel>,
    i: Vec<ChannelModel>,
    steps: Vec<StepModel>,
    edges: Vec<f64>,
}

impl Model {
    /// Builds the model; the recipe must have passed [`Recipe::validate`].
    pub fn new(r: &Recipe) -> Self {
        let u = r
            .phases
            .iter()
            .map(|p| {
                ChannelModel::new(
                    p.u_rms_v,
                    p.u_phase_deg,
                    &p.u_harmonics,
                    &p.u_interharmonics,
                    p.u_dc_v,
                )
            })
            .collect();
        let i = r
            .phases
            .iter()
            .map(|p| {
                ChannelModel::new(
                    p.i_rms_a,
                    p.u_phase_deg - p.load_angle_deg,
                    &p.i_harmonics,
                    &p.i_interharmonics,
                    p.i_dc_a,
                )
            })
            .collect();
        let steps: Vec<StepModel> = r
            .events
            .iter()
            .map(|s| {
                let mut phases = [false; 3];
                for &p in &s.phases {
                    phases[p] = true;
                }
                StepModel {
                    start: s.start_s,
                    end: s.start_s + s.duration_s,
                    phases,
                    factor: s.u_factor,
                    jump_cycles: s.phase_jump_deg / 360.0,
                }
            })
            .collect();
        let mut edges: Vec<f64> = steps.iter().flat_map(|s| [s.start, s.end]).collect();
        edges.sort_by(f64::total_cmp);
        edges.dedup();
        Model {
            topology: r.topology,
            f0: r.frequency.f0_hz,
            ramp: r.frequency.ramp_hz_per_s.unwrap_or(0.0),
            ref_cycles: r.phases[0].u_phase_deg / 360.0,
            u,
            i,
            steps,
            edges,
        }
    }

    /// Number of phases (1 or 3).
    pub fn phase_count(&self) -> usize {
        self.u.len()
    }

    /// Topology of the recipe.
    pub fn topology(&self) -> Topology {
        self.topology
    }

    /// Fundamental phase θ(t) / 2π = f0·t + r·t²/2, cycles.
    pub fn cycles(&self, t: f64) -> f64 {
        self.f0 * t + 0.5 * self.ramp * t * t
    }

    /// Phase of the undisturbed U1 fundamental, (θ(t) + φ_u1) / 2π, cycles.
    pub fn ref_cycles(&self, t: f64) -> f64 {
        self.cycles(t) + self.ref_cycles
    }

    /// Instantaneous frequency f0 + r·t, Hz.
    pub fn frequency(&self, t: f64) -> f64 {
        self.f0 + self.ramp * t
    }

    /// Time at which the undisturbed U1 fundamental phase reaches `c` cycles (the root nearest
    /// `c / f0`), or `None` when the ramp never gets there.
    pub fn time_at_ref_cycles(&self, c: f64) -> Option<f64> {
        let c = c - self.ref_cycles;
        if self.ramp == 0.0 {
            return Some(c / self.f0);
        }
        let disc = self.f0 * self.f0 + 2.0 * self.ramp * c;
        if disc < 0.0 {
            return None;
        }
        Some(2.0 * c / (self.f0 + disc.sqrt()))
    }

    /// Sorted, de-duplicated step start and end times, where the model is discontinuous.
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// Voltage factor and phase jump (cycles) of phase `p` at `t`.
    fn step_state(&self, p: usize, t: f64) -> (f64, f64) {
        let mut factor = 1.0;
        let mut jump = 0.0;
        for s in &self.steps {
            if s.phases[p] && s.start <= t && t < s.end {
                factor *= s.factor;
                jump += s.jump_cycles;
            }
        }
        (factor, jump)
    }

    /// Voltage of phase `p` at `t`, V.
    pub fn u(&self, p: usize, t: f64) -> f64 {
        let (factor, jump) = self.step_state(p, t);
        factor * self.u[p].eval(t, self.cycles(t), jump)
    }

    /// Every phase voltage and current at `t`. In a three-wire system i2 = −(i1 + i3).
    pub fn eval(&self, t: f64) -> Instant {
        let c = self.cycles(t);
        let mut out = Instant::default();
        for p in 0..self.u.len() {
            let (factor, jump) = self.step_state(p, t);
            out.u[p] = factor * self.u[p].eval(t, c, jump);
            out.i[p] = self.i[p].eval(t, c, 0.0);
        }
        if self.topology == Topology::ThreePhase3W {
            out.i[1] = -(out.i[0] + out.i[2]);
        }
        out
    }

    /// `(cos ψ, sin ψ)` of the undisturbed U1 fundamental phase ψ at `t`.
    pub fn ref_cos_sin(&self, t: f64) -> (f64, f64) {
        let c = self.ref_cycles(t);
        (cos_cycles(c), sin_cycles(c))
    }
}
