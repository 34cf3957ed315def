//! Per-cycle and energy truth, integrated from the continuous model, never from samples.
//!
//! # Cycles
//!
//! Cycle `k` runs between consecutive rising zero crossings of the *undisturbed* U1 fundamental,
//! the instants where `θ(t) + φ_u1` is a multiple of 2π (see [`crate::synth`] for θ). Phase jumps
//! from steps do not move the cycle boundaries. Only complete cycles inside `[0, duration_s]` are
//! listed; the first starts at the first crossing at or after `t = 0`. A cycle may end exactly at
//! `duration_s`, after the last sample.
//!
//! # Quantities per cycle (T = end − start)
//!
//! ```text
//! U_rms = √(1/T ∫ u² dt)        I_rms = √(1/T ∫ i² dt)        P = 1/T ∫ u·i dt
//! S = U_rms·I_rms               X_1 = j·√2/(2π) ∫ x(t)·e^{−jψ(t)}·ψ'(t) dt   (fundamental phasor)
//! Q = Im(U_1 · conj(I_1))       ψ(t) = θ(t) + φ_u1,  ψ' = 2π·f(t)
//! ```
//!
//! The fundamental phasor is the first Fourier coefficient in the phase domain ψ, which runs over
//! exactly 2π per cycle even during a frequency ramp; it is rms-scaled and sine-referenced, so
//! `√2·X·sin(ψ + α)` has phasor `X·e^{jα}`. Angles are relative to the undisturbed U1 fundamental.
//! With a constant frequency this is the ordinary one-cycle DFT bin 1. `Q > 0` for an inductive
//! load (IEC 62053-24). Totals are sums over phases. `U_rms(1/2)` follows IEC 61000-4-30: a
//! one-cycle rms refreshed every half cycle; cycle `k` carries the windows starting at its rising
//! and at its falling U1 crossing, for every phase (the second window of the last cycle may run
//! up to half a cycle past `duration_s`, where the model is continued).
//!
//! In a three-wire system the model's `i2 = −(i1 + i3)`, so the total active power equals the
//! Aron sum `U12·I1 + U32·I3`.
//!
//! # Quadrature
//!
//! Every integral is composite Gauss–Legendre: [`PANELS_PER_CYCLE`] equal panels per cycle,
//! [`NODES_PER_PANEL`] nodes each, with panels split at step edges so that integrands are smooth
//! on each sub-panel. 16 nodes integrate polynomials of degree 31 exactly; a product of two 50th
//! harmonics (frequency 100·f) then spans about 3 periods per panel and is integrated to about
//! 1e-14 relative (the tests check 1e-12 against closed forms).
//!
//! Truth is of the noise-free, unquantised model.
//!
//! # Energy
//!
//! Per cycle, the active energy `P·T` goes to `A+` if `P > 0`, else its magnitude to `A−`; the
//! fundamental reactive energy `Q·T` to `R+` if `Q > 0`, else its magnitude to `R−`; and `|Q|·T`
//! to the quadrant register of `(P, Q)`: R1 `P ≥ 0, Q ≥ 0` (import, inductive), R2 `P < 0, Q ≥ 0`,
//! R3 `P < 0, Q < 0`, R4 `P ≥ 0, Q < 0`. Totals use `p_total_w` and `q_total_var`. All registers
//! are non-negative, in Wh and varh. `active_wh_total_exact` is `∫ p_total dt` over the whole
//! `[0, duration_s]`, not cycle-wise.

use std::f64::consts::{SQRT_2, TAU};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::synth::{Recipe, SynthError, Topology};

/// Gauss–Legendre panels per cycle.
pub const PANELS_PER_CYCLE: usize = 32;
/// Gauss–Legendre nodes per panel.
pub const NODES_PER_PANEL: usize = 16;

/// An rms phasor, sine-referenced: `√2·|X|·sin(ψ + arg X)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Phasor {
    /// Real part, V or A.
    pub re: f64,
    /// Imaginary part, V or A.
    pub im: f64,
}

impl Phasor {
    /// Magnitude (rms of the component), V or A.
    pub fn rms(&self) -> f64 {
        self.re.hypot(self.im)
    }

    /// Angle, degrees in (−180, 180].
    pub fn angle_deg(&self) -> f64 {
        self.im.atan2(self.re).to_degrees()
    }
}

/// Truth of one cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleTruth {
    /// Cycle number, from 0.
    pub index: usize,
    /// Start (rising U1 crossing), s.
    pub start_s: f64,
    /// End (next rising U1 crossing), s.
    pub end_s: f64,
    /// `1 / (end_s − start_s)`, Hz.
    pub frequency_hz: f64,
    /// Voltage rms per phase (phase-to-neutral), V.
    pub u_rms: Vec<f64>,
    /// Current rms per phase, A.
    pub i_rms: Vec<f64>,
    /// IEC 61000-4-30 Urms(1/2) per phase: one-cycle windows starting at this cycle's rising and
    /// falling U1 crossings, V.
    pub u_rms_half: Vec<[f64; 2]>,
    /// Line-to-line rms U12, U23, U31 for three-phase topologies, V.
    pub u_ll_rms: Option<Vec<f64>>,
    /// Neutral current rms (`i1 + i2 + i3`) for `ThreePhase4W`, A.
    pub in_rms: Option<f64>,
    /// Voltage fundamental phasor per phase, V.
    pub u_fund: Vec<Phasor>,
    /// Current fundamental phasor per phase, A.
    pub i_fund: Vec<Phasor>,
    /// Active power per phase, W.
    pub p_w: Vec<f64>,
    /// Fundamental reactive power per phase, var.
    pub q_var: Vec<f64>,
    /// Apparent power `U_rms·I_rms` per phase, VA.
    pub s_va: Vec<f64>,
    /// Total active power, W.
    pub p_total_w: f64,
    /// Total fundamental reactive power, var.
    pub q_total_var: f64,
}

impl CycleTruth {
    /// Cycle length, s.
    pub fn period_s(&self) -> f64 {
        self.end_s - self.start_s
    }
}

/// Energy registers, all non-negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnergyRegisters {
    /// Imported active energy, Wh.
    pub a_plus_wh: f64,
    /// Exported active energy, Wh.
    pub a_minus_wh: f64,
    /// Positive (inductive) fundamental reactive energy, varh.
    pub r_plus_varh: f64,
    /// Negative (capacitive) fundamental reactive energy, varh.
    pub r_minus_varh: f64,
    /// Quadrant I reactive energy (P ≥ 0, Q ≥ 0), varh.
    pub r1_varh: f64,
    /// Quadrant II reactive energy (P < 0, Q ≥ 0), varh.
    pub r2_varh: f64,
    /// Quadrant III reactive energy (P < 0, Q < 0), varh.
    pub r3_varh: f64,
    /// Quadrant IV reactive energy (P ≥ 0, Q < 0), varh.
    pub r4_varh: f64,
}

impl EnergyRegisters {
    /// Books one cycle of `p_w` and `q_var` lasting `period_s`.
    pub fn add_cycle(&mut self, p_w: f64, q_var: f64, period_s: f64) {
        let a = p_w * period_s / 3600.0;
        let r = q_var * period_s / 3600.0;
        if p_w > 0.0 {
            self.a_plus_wh += a;
        } else {
            self.a_minus_wh -= a;
        }
        if q_var > 0.0 {
            self.r_plus_varh += r;
        } else {
            self.r_minus_varh -= r;
        }
        let quadrant = match (p_w >= 0.0, q_var >= 0.0) {
            (true, true) => &mut self.r1_varh,
            (false, true) => &mut self.r2_varh,
            (false, false) => &mut self.r3_varh,
            (true, false) => &mut self.r4_varh,
        };
        *quadrant += r.abs();
    }
}

/// Energy truth over the whole vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnergyTruth {
    /// Registers per phase, booked cycle by cycle.
    pub per_phase: Vec<EnergyRegisters>,
    /// Registers of the totals, booked cycle by cycle.
    pub total: EnergyRegisters,
    /// `∫ p_total dt` over `[0, duration_s]`, Wh.
    pub active_wh_total_exact: f64,
}

/// Everything a vector's results are judged against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Topology of the recipe.
    pub topology: Topology,
    /// Length of the vector, s.
    pub duration_s: f64,
    /// Complete cycles, in order.
    pub cycles: Vec<CycleTruth>,
    /// Energy registers.
    pub energy: EnergyTruth,
}

/// Computes the truth of a recipe without sampling it.
///
/// # Errors
///
/// [`SynthError`] naming the first invalid field of the recipe.
///
/// # Examples
///
/// ```
/// use percycle_vectors::{compute_truth, Recipe, Topology};
/// let t = compute_truth(&Recipe::new("t", Topology::SinglePhase).with_load_angle(60.0))?;
/// assert_eq!(t.cycles.len(), 50);
/// assert!((t.cycles[0].p_w[0] - 575.0).abs() < 1e-9);
/// # Ok::<(), percycle_vectors::SynthError>(())
/// ```
pub fn compute_truth(recipe: &Recipe) -> Result<Truth, SynthError> {
    recipe.validate()?;
    Ok(from_model(recipe, &Model::new(recipe)))
}

/// Nodes and weights of the `NODES_PER_PANEL`-point Gauss–Legendre rule on [−1, 1], found by
/// Newton's method on the Legendre polynomial.
fn gauss_legendre() -> &'static [(f64, f64); NODES_PER_PANEL] {
    static RULE: OnceLock<[(f64, f64); NODES_PER_PANEL]> = OnceLock::new();
    RULE.get_or_init(|| {
        let n = NODES_PER_PANEL;
        let nf = n as f64;
        let mut rule = [(0.0, 0.0); NODES_PER_PANEL];
        for (k, slot) in rule.iter_mut().enumerate() {
            let mut x = (std::f64::consts::PI * (k as f64 + 0.75) / (nf + 0.5)).cos();
            let mut dp = 0.0;
            for _ in 0..100 {
                // Legendre recurrence for P_n(x) and P_{n-1}(x).
                let (mut p_prev, mut p) = (1.0, x);
                for j in 2..=n {
                    let jf = j as f64;
                    let next = ((2.0 * jf - 1.0) * x * p - (jf - 1.0) * p_prev) / jf;
                    p_prev = p;
                    p = next;
                }
                dp = nf * (x * p - p_prev) / (x * x - 1.0);
                let dx = p / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            *slot = (x, 2.0 / ((1.0 - x * x) * dp * dp));
        }
        rule
    })
}

/// Calls `f(t, weight)` for every node of a composite Gauss–Legendre rule on `[a, b]` with
/// `panels` equal panels, each split at the `edges` (sorted) strictly inside it.
pub(crate) fn integrate(a: f64, b: f64, panels: usize, edges: &[f64], mut f: impl FnMut(f64, f64)) {
    let rule = gauss_legendre();
    let mut sub = |lo: f64, hi: f64| {
        let mid = 0.5 * (lo + hi);
        let half = 0.5 * (hi - lo);
        for &(x, w) in rule {
            f(mid + half * x, half * w);
        }
    };
    let h = (b - a) / panels as f64;
    for k in 0..panels {
        let pa = a + k as f64 * h;
        let pb = if k + 1 == panels { b } else { a + (k + 1) as f64 * h };
        let first = edges.partition_point(|&e| e <= pa);
        let mut lo = pa;
        for &e in edges[first..].iter().take_while(|&&e| e < pb) {
            sub(lo, e);
            lo = e;
        }
        sub(lo, pb);
    }
}

/// Integrals over one cycle, per phase.
#[derive(Default)]
struct CycleSums {
    u2: [f64; 3],
    i2: [f64; 3],
    ui: [f64; 3],
    u1: [(f64, f64); 3],
    i1: [(f64, f64); 3],
    in2: f64,
    ll2: [f64; 3],
}

/// Phasor from `∫ x·e^{−jψ}·ψ' dt = (re, im)`: `j·√2/(2π)·(re + j·im)`.
fn phasor((re, im): (f64, f64)) -> Phasor {
    let k = SQRT_2 / TAU;
    Phasor { re: -k * im, im: k * re }
}

fn cycle_truth(model: &Model, index: usize, t0: f64, t1: f64, half: (f64, f64)) -> CycleTruth {
    let np = model.phase_count();
    let mut s = CycleSums::default();
    integrate(t0, t1, PANELS_PER_CYCLE, model.edges(), |t, w| {
        let x = model.eval(t);
        let (c, sn) = model.ref_cos_sin(t);
        let wd = w * TAU * model.frequency(t);
        for p in 0..np {
            let (u, i) = (x.u[p], x.i[p]);
            s.u2[p] += w * u * u;
            s.i2[p] += w * i * i;
            s.ui[p] += w * u * i;
            s.u1[p].0 += wd * u * c;
            s.u1[p].1 -= wd * u * sn;
            s.i1[p].0 += wd * i * c;
            s.i1[p].1 -= wd * i * sn;
        }
        if np == 3 {
            let n = x.i[0] + x.i[1] + x.i[2];
            s.in2 += w * n * n;
            for (k, (a, b)) in [(0, 1), (1, 2), (2, 0)].into_iter().enumerate() {
                let d = x.u[a] - x.u[b];
                s.ll2[k] += w * d * d;
            }
        }
    });
    let mut half_u2 = [0.0; 3];
    integrate(half.0, half.1, PANELS_PER_CYCLE, model.edges(), |t, w| {
        for (p, acc) in half_u2.iter_mut().enumerate().take(np) {
            let u = model.u(p, t);
            *acc += w * u * u;
        }
    });
    let period = t1 - t0;
    let half_period = half.1 - half.0;
    let u_rms: Vec<f64> = (0..np).map(|p| (s.u2[p] / period).sqrt()).collect();
    let i_rms: Vec<f64> = (0..np).map(|p| (s.i2[p] / period).sqrt()).collect();
    let u_fund: Vec<Phasor> = (0..np).map(|p| phasor(s.u1[p])).collect();
    let i_fund: Vec<Phasor> = (0..np).map(|p| phasor(s.i1[p])).collect();
    let p_w: Vec<f64> = (0..np).map(|p| s.ui[p] / period).collect();
    let q_var: Vec<f64> =
        u_fund.iter().zip(&i_fund).map(|(u, i)| u.im * i.re - u.re * i.im).collect();
    let s_va = u_rms.iter().zip(&i_rms).map(|(u, i)| u * i).collect();
    let u_rms_half = (0..np).map(|p| [u_rms[p], (half_u2[p] / half_period).sqrt()]).collect();
    let three = np == 3;
    CycleTruth {
        index,
        start_s: t0,
        end_s: t1,
        frequency_hz: 1.0 / period,
        u_rms_half,
        u_ll_rms: three.then(|| s.ll2.iter().map(|x| (x / period).sqrt()).collect()),
        in_rms: (model.topology() == Topology::ThreePhase4W).then(|| (s.in2 / period).sqrt()),
        p_total_w: p_w.iter().sum(),
        q_total_var: q_var.iter().sum(),
        u_rms,
        i_rms,
        u_fund,
        i_fund,
        p_w,
        q_var,
        s_va,
    }
}

/// Truth of a validated recipe and its model.
pub(crate) fn from_model(recipe: &Recipe, model: &Model) -> Truth {
    let duration = recipe.duration_s;
    let limit = duration * (1.0 + 1e-12);
    let mut cycles = Vec::new();
    let mut m = model.ref_cycles(0.0).ceil();
    while let (Some(t0), Some(t1)) =
        (model.time_at_ref_cycles(m), model.time_at_ref_cycles(m + 1.0))
    {
        if t1 > limit {
            break;
        }
        // The second Urms(1/2) window; if a falling ramp never reaches its end, fall back to the
        // cycle itself.
        let half = match (model.time_at_ref_cycles(m + 0.5), model.time_at_ref_cycles(m + 1.5)) {
            (Some(a), Some(b)) => (a, b),
            _ => (t0, t1),
        };
        cycles.push(cycle_truth(model, cycles.len(), t0, t1, half));
        m += 1.0;
    }

    let np = model.phase_count();
    let mut per_phase = vec![EnergyRegisters::default(); np];
    let mut total = EnergyRegisters::default();
    for c in &cycles {
        let t = c.period_s();
        for (reg, (&p, &q)) in per_phase.iter_mut().zip(c.p_w.iter().zip(&c.q_var)) {
            reg.add_cycle(p, q, t);
        }
        total.add_cycle(c.p_total_w, c.q_total_var, t);
    }

    let energy_ws = active_energy_ws(model, 0.0, duration);

    Truth {
        topology: recipe.topology,
        duration_s: duration,
        cycles,
        energy: EnergyTruth { per_phase, total, active_wh_total_exact: energy_ws / 3600.0 },
    }
}

/// `∫ p_total dt` over `[t0, t1]` of the model, W·s.
fn active_energy_ws(model: &Model, t0: f64, t1: f64) -> f64 {
    let np = model.phase_count();
    let f_max = model.frequency(t0).max(model.frequency(t1));
    let panels = (((t1 - t0) * f_max * PANELS_PER_CYCLE as f64).ceil() as usize).max(1);
    let mut energy_ws = 0.0;
    integrate(t0, t1, panels, model.edges(), |t, w| {
        let x = model.eval(t);
        energy_ws += w * (0..np).map(|p| x.u[p] * x.i[p]).sum::<f64>();
    });
    energy_ws
}

/// `∫ p_total dt` over any interval `[t0, t1]` (seconds, may extend before 0 or past the
/// duration, where the model continues), in Wh. A meter that counts sample `k` for the interval
/// `[(k − ½)/fs, (k + ½)/fs)` is judged against `[−½/fs, (n − ½)/fs]`.
///
/// # Errors
///
/// [`SynthError`] naming the first invalid field of the recipe.
pub fn active_energy_wh(recipe: &Recipe, t0: f64, t1: f64) -> Result<f64, SynthError> {
    recipe.validate()?;
    Ok(active_energy_ws(&Model::new(recipe), t0, t1) / 3600.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{synthesize, Harmonic, PhaseSpec, Step};

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn gauss_legendre_rule_is_exact_for_degree_31() {
        let rule = gauss_legendre();
        let sum_w: f64 = rule.iter().map(|r| r.1).sum();
        assert!((sum_w - 2.0).abs() < 1e-14);
        for deg in [0, 1, 2, 15, 30, 31] {
            let got: f64 = rule.iter().map(|&(x, w)| w * x.powi(deg)).sum();
            let want = if deg % 2 == 1 { 0.0 } else { 2.0 / (deg as f64 + 1.0) };
            assert!((got - want).abs() < 1e-14, "x^{deg}: {got} vs {want}");
        }
        // Degree 32 is not exact, so the rule really has 16 nodes.
        let got: f64 = rule.iter().map(|&(x, w)| w * x.powi(32)).sum();
        assert!((got - 2.0 / 33.0).abs() > 1e-12);
    }

    #[test]
    fn pure_sine_truth_matches_closed_form_in_all_four_quadrants() {
        let (u, i) = (230.0, 5.0);
        for phi in [0.0, 30.0, 60.0, 90.0, 150.0, 180.0, 210.0, 270.0, 330.0, -36.87] {
            let r =
                Recipe::new("sine", Topology::SinglePhase).with_duration(0.2).with_load_angle(phi);
            let t = compute_truth(&r).unwrap();
            assert_eq!(t.cycles.len(), 10);
            let (p, q) = (u * i * f64::cos(phi.to_radians()), u * i * f64::sin(phi.to_radians()));
            for c in &t.cycles {
                assert!(close(c.u_rms[0], u, 1e-12), "{}", c.u_rms[0]);
                assert!(close(c.i_rms[0], i, 1e-12));
                assert!((c.frequency_hz - 50.0).abs() < 1e-9);
                assert!((c.p_w[0] - p).abs() < 1e-9 * u * i, "φ={phi}: P {}", c.p_w[0]);
                assert!((c.q_var[0] - q).abs() < 1e-9 * u * i, "φ={phi}: Q {}", c.q_var[0]);
                assert!(close(c.s_va[0], u * i, 1e-12));
                assert!(
                    (c.i_fund[0].angle_deg() - (-phi)).rem_euclid(360.0) < 1e-9
                        || (c.i_fund[0].angle_deg() - (-phi)).rem_euclid(360.0) > 360.0 - 1e-9
                );
                assert!(c.u_fund[0].angle_deg().abs() < 1e-9);
            }
            let e = &t.energy.total;
            let (a, rq) = (p * 0.2 / 3600.0, q * 0.2 / 3600.0);
            let tol = 1e-9 * u * i * 0.2 / 3600.0;
            let want_a = if p > 0.0 { (a, 0.0) } else { (0.0, -a) };
            assert!((e.a_plus_wh - want_a.0).abs() < tol && (e.a_minus_wh - want_a.1).abs() < tol);
            let want_r = if q > 0.0 { (rq, 0.0) } else { (0.0, -rq) };
            assert!((e.r_plus_varh - want_r.0).abs() < tol);
            assert!((e.r_minus_varh - want_r.1).abs() < tol);
            let quads = [e.r1_varh, e.r2_varh, e.r3_varh, e.r4_varh];
            let want_quad = match (p >= -1e-9, q >= -1e-9) {
                (true, true) => 0,
                (false, true) => 1,
                (false, false) => 2,
                (true, false) => 3,
            };
            if phi.rem_euclid(90.0) != 0.0 {
                for (k, &v) in quads.iter().enumerate() {
                    let want = if k == want_quad { rq.abs() } else { 0.0 };
                    assert!((v - want).abs() < tol, "φ={phi}: R{} = {v}", k + 1);
                }
            }
            assert!((t.energy.per_phase[0].a_plus_wh - e.a_plus_wh).abs() < 1e-15);
            assert!((t.energy.active_wh_total_exact - a).abs() < tol);
        }
    }

    #[test]
    fn quadrature_with_a_50th_harmonic_obeys_parseval_to_1e_12() {
        let mut phase = PhaseSpec::new(230.0, 17.0, 5.0, 40.0);
        phase.u_harmonics = vec![
            Harmonic::new(3, 4.0, 30.0),
            Harmonic::new(49, 1.0, -70.0),
            Harmonic::new(50, 10.0, 45.0),
        ];
        phase.i_harmonics = vec![Harmonic::new(50, 30.0, 10.0), Harmonic::new(7, 20.0, 0.0)];
        let r = Recipe {
            phases: vec![phase],
            ..Recipe::new("h50", Topology::SinglePhase).with_duration(0.1)
        };
        let t = compute_truth(&r).unwrap();
        let u2 = 230.0f64.powi(2) * (1.0 + 0.04f64.powi(2) + 0.01f64.powi(2) + 0.1f64.powi(2));
        let i2 = 5.0f64.powi(2) * (1.0 + 0.3f64.powi(2) + 0.2f64.powi(2));
        // P = U·I·cos φ + U50·I50·cos(50·φ + phase_u − phase_i).
        let p = 230.0 * 5.0 * 40f64.to_radians().cos()
            + 23.0 * 1.5 * (50.0 * 40.0f64 + 45.0 - 10.0).to_radians().cos();
        for c in &t.cycles {
            assert!(close(c.u_rms[0].powi(2), u2, 1e-12), "{} vs {u2}", c.u_rms[0].powi(2));
            assert!(close(c.i_rms[0].powi(2), i2, 1e-12));
            assert!(close(c.p_w[0], p, 1e-12), "{} vs {p}", c.p_w[0]);
            // Harmonics do not leak into the fundamental phasor.
            assert!(close(c.u_fund[0].rms(), 230.0, 1e-12));
            assert!((c.u_fund[0].angle_deg()).abs() < 1e-9);
            assert!(close(c.q_var[0], 1150.0 * 40f64.to_radians().sin(), 1e-12));
        }
    }

    #[test]
    fn sampled_means_over_a_coherent_window_equal_the_truth() {
        // 10.24 kHz at 50 Hz: 5 cycles are exactly 1024 samples.
        let r = Recipe::new("coherent", Topology::ThreePhase3W)
            .with_duration(0.1)
            .with_load_angle(-20.0)
            .with_u_harmonic(5, 6.0, 10.0)
            .with_i_harmonic(5, 30.0, 50.0);
        let v = synthesize(&r).unwrap();
        let s = &v.waveform.samples;
        let n = v.waveform.len();
        assert_eq!(n, 1024);
        let p_aron: f64 =
            (0..n).map(|k| s[0][k] * s[2][k] + s[1][k] * s[3][k]).sum::<f64>() / n as f64;
        let p_truth: f64 =
            v.truth.cycles.iter().map(|c| c.p_total_w).sum::<f64>() / v.truth.cycles.len() as f64;
        assert!(close(p_aron, p_truth, 1e-12), "{p_aron} vs {p_truth}");
        let u12_rms = (s[0].iter().map(|x| x * x).sum::<f64>() / n as f64).sqrt();
        assert!(close(u12_rms, v.truth.cycles[0].u_ll_rms.as_ref().unwrap()[0], 1e-12));
        assert!(v.truth.cycles[0].in_rms.is_none());
    }

    #[test]
    fn balanced_three_phase_truth_has_line_voltages_and_no_neutral_current() {
        let t = compute_truth(&Recipe::new("bal", Topology::ThreePhase4W).with_load_angle(60.0))
            .unwrap();
        for c in &t.cycles {
            assert!(close(c.p_total_w, 3.0 * 575.0, 1e-12));
            assert!(close(c.q_total_var, 3.0 * 1150.0 * 60f64.to_radians().sin(), 1e-12));
            assert!(c.in_rms.unwrap() < 1e-9);
            for v in c.u_ll_rms.as_ref().unwrap() {
                assert!(close(*v, 230.0 * 3f64.sqrt(), 1e-12));
            }
            assert!((c.u_fund[1].angle_deg() + 120.0).abs() < 1e-9);
            assert!((c.u_fund[2].angle_deg() - 120.0).abs() < 1e-9);
        }
        assert!(close(t.energy.active_wh_total_exact, 3.0 * 575.0 / 3600.0, 1e-12));
    }

    #[test]
    fn active_energy_over_a_fractional_duration_matches_the_closed_form() {
        let (d, phi) = (0.2137, 0.7f64);
        let r = Recipe::new("frac", Topology::SinglePhase)
            .with_duration(d)
            .with_load_angle(phi.to_degrees());
        let t = compute_truth(&r).unwrap();
        let w = TAU * 50.0;
        // p(t) = U·I·(cos φ − cos(2ωt − φ))
        let ws = 1150.0 * (phi.cos() * d - ((2.0 * w * d - phi).sin() + phi.sin()) / (2.0 * w));
        assert!(close(t.energy.active_wh_total_exact, ws / 3600.0, 1e-12));
        assert_eq!(t.cycles.len(), 10);
        assert!(close(t.energy.total.a_plus_wh, 1150.0 * phi.cos() * 0.2 / 3600.0, 1e-12));
    }

    #[test]
    fn a_dip_to_half_over_whole_cycles_halves_the_cycle_rms() {
        let r =
            Recipe::new("dip", Topology::ThreePhase4W).with_step(Step::dip(0.2, 0.2, &[1], 0.5));
        let t = compute_truth(&r).unwrap();
        // U1 crosses at k/50 s, so the dip covers cycles 10..20 exactly.
        for c in &t.cycles {
            let inside = (10..20).contains(&c.index);
            assert!(close(c.u_rms[0], 230.0, 1e-12));
            let want = if inside { 115.0 } else { 230.0 };
            assert!(close(c.u_rms[1], want, 1e-12), "cycle {}: {}", c.index, c.u_rms[1]);
            assert!(close(c.i_rms[1], 5.0, 1e-12));
            assert!(close(c.p_w[1], want * 5.0, 1e-12));
        }
        // The half-cycle-shifted window straddling the dip start is half in, half out.
        let c9 = &t.cycles[9];
        assert!(close(
            c9.u_rms_half[1][1],
            (0.5 * 230f64.powi(2) + 0.5 * 115f64.powi(2)).sqrt(),
            1e-12
        ));
    }

    #[test]
    fn a_dip_starting_inside_a_cycle_is_integrated_exactly() {
        // Dip to 50 % from a quarter into cycle 0 (t = 5 ms) onwards: the cycle's mean square is
        // 2U²·(1/8 + 0.25·3/8) = 0.4375·U².
        let r = Recipe::new("part", Topology::SinglePhase).with_duration(0.1).with_step(Step::dip(
            0.005,
            1.0,
            &[0],
            0.5,
        ));
        let t = compute_truth(&r).unwrap();
        assert!(close(t.cycles[0].u_rms[0], 230.0 * 0.4375f64.sqrt(), 1e-12));
        assert!(close(t.cycles[1].u_rms[0], 115.0, 1e-12));
    }

    #[test]
    fn a_phase_jump_rotates_the_voltage_phasor_but_not_the_cycles() {
        let mut jump = Step::dip(0.1, 0.1, &[0], 1.0);
        jump.phase_jump_deg = 30.0;
        let r = Recipe::new("jump", Topology::SinglePhase).with_duration(0.3).with_step(jump);
        let t = compute_truth(&r).unwrap();
        assert_eq!(t.cycles.len(), 15);
        for c in &t.cycles {
            let want = if (5..10).contains(&c.index) { 30.0 } else { 0.0 };
            assert!((c.u_fund[0].angle_deg() - want).abs() < 1e-9);
            assert!(close(c.u_rms[0], 230.0, 1e-12));
            assert!((c.frequency_hz - 50.0).abs() < 1e-9);
            let q = 1150.0 * want.to_radians().sin();
            assert!((c.q_var[0] - q).abs() < 1e-9);
        }
    }

    #[test]
    fn a_frequency_ramp_gives_cycles_at_the_mid_cycle_frequency() {
        let r = Recipe::new("ramp", Topology::SinglePhase)
            .with_frequency(49.0)
            .with_ramp(2.0)
            .with_load_angle(30.0);
        let t = compute_truth(&r).unwrap();
        // ∫ f dt over [0, 1] = 50 cycles.
        assert_eq!(t.cycles.len(), 50);
        assert!(t.cycles.last().unwrap().end_s <= 1.0 + 1e-12);
        for c in &t.cycles {
            let f_mid = 49.0 + 2.0 * 0.5 * (c.start_s + c.end_s);
            assert!((c.frequency_hz - f_mid).abs() < 1e-9, "{} vs {f_mid}", c.frequency_hz);
            // Phase-domain phasors are exact under a ramp.
            assert!(close(c.q_var[0], 575.0, 1e-12));
            assert!(close(c.u_fund[0].rms(), 230.0, 1e-12));
        }
        assert!((t.cycles[0].frequency_hz - 49.0).abs() < 0.05);
        assert!((t.cycles[49].frequency_hz - 51.0).abs() < 0.05);
    }

    #[test]
    fn cycles_start_at_the_first_rising_crossing_of_u1() {
        let mut r = Recipe::new("shift", Topology::SinglePhase).with_duration(0.1);
        r.phases[0].u_phase_deg = 90.0;
        let t = compute_truth(&r).unwrap();
        // sin(ωt + 90°) rises through zero at ωt = 270°, t = 15 ms.
        assert!((t.cycles[0].start_s - 0.015).abs() < 1e-15);
        assert_eq!(t.cycles.len(), 4);
        assert!(t.cycles[0].u_fund[0].angle_deg().abs() < 1e-9);
        assert!(close(t.cycles[0].u_rms[0], 230.0, 1e-12));
    }
}
