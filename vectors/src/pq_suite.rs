//! The EN 50160 voltage-event suite: recipes whose event, unbalance and frequency truth is
//! derived in closed form from the recipe itself, never from an analyzer's output.
//!
//! # Truth model
//!
//! Between step edges every phase voltage of a recipe is a steady periodic signal, so its rms is
//! a constant, the *level* of the phase in % of the declared voltage Udin = 230 V:
//!
//! ```text
//! level_p(t) = 100/Udin · √( F_p(t)² · (U1² · (1 + Σ_h (pct_h/100)² + Σ_ih (pct_ih/100)²) + dc²) + σ² )
//! F_p(t)     = Π u_factor of the steps active at t on phase p
//! ```
//!
//! with `U1` the fundamental rms, the harmonic and interharmonic percentages of the recipe (all at
//! distinct frequencies), `dc` the voltage offset and `σ` the voltage noise rms (steps scale the
//! signal, not the noise; the noise term is the expected value). The events are those of an ideal
//! polyphase detector with the EN 50160 / IEC 61000-4-30 thresholds applied to these levels:
//!
//! * dip: starts at the first instant any phase is below 90 %; ends at the first instant after
//!   that at which every phase is at or above 92 % (2 % hysteresis); residual = lowest level of
//!   any phase during the event; phases = those below 90 % at some time during the event;
//! * swell: starts when any phase is above 110 %, ends when every phase is at or below 108 %;
//!   maximum = highest level; phases = those above 110 %;
//! * interruption: every phase below 5 %, until any phase is at or above 7 %; residual = lowest
//!   level; phases = all. Its start is one fundamental period `T = 1/f0` after the instant every
//!   phase fell below 5 %, so its duration is one period shorter than the steps (and an
//!   interruption of one period or less is not listed). The levels cannot be used as they are
//!   here: with a 5 % threshold a one-cycle rms is below it only when the whole window lies
//!   inside the interruption (in a three-phase system `Σ sin²` is constant, so ~0.5 % of a cycle
//!   of voltage left in the window puts some phase above 5 %), while a few samples of returning
//!   voltage put a phase above 7 %. An exact one-cycle rms stamped on any half-cycle lattice
//!   therefore measures an interruption of steps lasting `D` as between `D − 3T/2` and `D − T/2`
//!   long: `D − T` when `D` is a whole number of half cycles, unless a time stamp falls exactly
//!   on the step edges (then `D − T/2`).
//!
//! The dip and interruption rules are independent, so an interruption is also a dip (residual
//! below 5 %, row X of the dip grid) and the truth lists both. Levels are given for the model's
//! phase-to-neutral voltages, which are the recorded channels of the single-phase and 3P4W
//! topologies (every case of the suite).
//!
//! # What a measurement can match
//!
//! An IEC 61000-4-30 instrument sees the levels through Urms(1/2): one-cycle windows refreshed
//! every half cycle and time-stamped at the window end. A step is seen once enough of the window
//! has changed, a fraction of a cycle that depends on the depth and on where the step falls in the
//! cycle, and start and end are quantised to half cycles: a measured duration differs from the
//! truth by up to about one cycle (a dip typically comes out half a cycle longer). The residual
//! (maximum) is exact once a whole window lies inside the step, which holds for every step here
//! (at least 1.5 cycles). So every case keeps its durations more than one cycle, and its residuals
//! and maxima more than 0.5 %, away from every edge of the EN 50160 grids ([`dip_cell`],
//! [`swell_cell`]), so that the cell of a correct measurement equals the true cell.
//!
//! # Cases
//!
//! Three-phase four-wire, 230 V, 10.24 kHz, 50 Hz unless stated; steps start 0.4 s in (a whole
//! number of cycles) and every recipe ends 0.3 s after its last step.
//!
//! | case | steps | expected |
//! |---|---|---|
//! | `dip50_100ms_onset{0,45,90}deg` | L1 × 0.5 for 100 ms, onset 0°, 45°, 90° of L1 | dip 50 %, C1 |
//! | `dip_polyphase_l1_l2` | L1 × 0.6 at 0–100 ms, L2 × 0.45 at 30–160 ms | one dip, 160 ms, 45 %, L1+L2, C1 |
//! | `dip_hysteresis_parked_90p5` | L1 × 0.5 for 100 ms, then × 0.905 for 500 ms | one dip of 600 ms (ends at ≥ 92 %), C3 |
//! | `interruption_300ms` | all phases × 0 for 300 ms | interruption of 280 ms from 20 ms in, and a dip at 0 % of 300 ms, X2 |
//! | `near_interruption_l3_6pct` | L1, L2 × 0 and L3 × 0.06 for 300 ms | a dip at 0 %, X2; no interruption |
//! | `swell115_300ms` | all phases × 1.15 for 300 ms | swell 115 %, T1 |
//! | `swell125_800ms_l1` | L1 × 1.25 for 800 ms | swell 125 %, S2 |
//! | `dip_cell_a1` … `dip_cell_x1` | 85 % 150 ms (L1), 75 % 350 ms (L2), 55 % 750 ms (L3), 20 % 1.25 s (all), 2 % 120 ms (L2) | A1, B2, C3, D4, X1 |
//! | `clean_en50160_harmonics_noise` | EN 50160 harmonic limits (orders 2…25) and 2.3 V (1 %) noise | no event |
//! | `dip50_42p5hz`, `dip50_57p5hz` | L1 × 0.5 for 5 cycles at 42.5 Hz and 57.5 Hz | dip 50 %, C1 |
//! | `unbalance_u2_2pct_h5` | negative sequence 2 % of the positive one, 6 % 5th harmonic | no event, u2 = 2.00 % |
//! | `frequency_49p95hz_1p` | single phase, 4 kHz, 49.95 Hz, EN 50160 harmonics, 20.5 s | no event, 10-s frequency 49.95 Hz |
//!
//! The 300 ms interruption (rather than 200 ms) keeps the dip that accompanies it clear of the
//! 200 ms column edge: the measured dip lasts about half a cycle longer than the step.

use serde::{Deserialize, Serialize};

use crate::synth::{Harmonic, Recipe, Step, Topology};

/// Declared voltage Udin of every case, V; all percentages refer to it.
pub const DECLARED_VOLTAGE_V: f64 = 230.0;
/// Dip start threshold, % of the declared voltage.
pub const DIP_THRESHOLD_PCT: f64 = 90.0;
/// Swell start threshold, % of the declared voltage.
pub const SWELL_THRESHOLD_PCT: f64 = 110.0;
/// Interruption threshold (every phase below it), % of the declared voltage.
pub const INTERRUPTION_THRESHOLD_PCT: f64 = 5.0;
/// Hysteresis on the end of every event, % of the declared voltage.
pub const HYSTERESIS_PCT: f64 = 2.0;

/// EN 50160 individual harmonic voltage limits for LV networks, orders 2…25, % of the
/// fundamental (standards.md §1.2). All at once they give a THD of about 11.3 %.
pub const EN50160_HARMONIC_LIMITS_PCT: [(u32, f64); 24] = [
    (2, 2.0),
    (3, 5.0),
    (4, 1.0),
    (5, 6.0),
    (6, 0.5),
    (7, 5.0),
    (8, 0.5),
    (9, 1.5),
    (10, 0.5),
    (11, 3.5),
    (12, 0.5),
    (13, 3.0),
    (14, 0.5),
    (15, 0.5),
    (16, 0.5),
    (17, 2.0),
    (18, 0.5),
    (19, 1.5),
    (20, 0.5),
    (21, 0.5),
    (22, 0.5),
    (23, 1.5),
    (24, 0.5),
    (25, 1.5),
];

/// Kind of an expected voltage event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedKind {
    /// Voltage dip (sag).
    #[doc(alias = "sag")]
    Dip,
    /// Voltage swell.
    Swell,
    /// Supply interruption (every phase below the interruption threshold).
    Interruption,
}

impl ExpectedKind {
    /// Lower-case name: `dip`, `swell` or `interruption`.
    pub fn name(&self) -> &'static str {
        match self {
            ExpectedKind::Dip => "dip",
            ExpectedKind::Swell => "swell",
            ExpectedKind::Interruption => "interruption",
        }
    }
}

/// One event the recipe must produce (see the module docs for how it is derived).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpectedEvent {
    /// Dip, swell or interruption.
    pub kind: ExpectedKind,
    /// Start: the step edge at which the event's condition first holds (one fundamental period
    /// later for an interruption, see the module docs), s.
    pub start_s: f64,
    /// From the start to the step edge at which the end condition first holds, s.
    pub duration_s: f64,
    /// Residual (dip, interruption) or maximum (swell), % of the declared voltage.
    pub extreme_pct: f64,
    /// Phases involved, bit 0 = L1.
    pub phases: u8,
    /// EN 50160 cell of the true values ([`dip_cell`] or [`swell_cell`]); `None` for an
    /// interruption or outside the grid.
    pub dip_or_swell_cell: Option<String>,
}

/// The closed-form truth of one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PqTruth {
    /// Every dip, swell and interruption, in order of start.
    pub events: Vec<ExpectedEvent>,
    /// Voltage unbalance u2 = |U−|/|U+| of the fundamental, %, when the case checks it.
    pub unbalance_u2_pct: Option<f64>,
    /// Power frequency of every 10-s value, Hz, when the case checks it.
    pub frequency_hz: Option<f64>,
    /// What the case exercises.
    pub notes: String,
}

/// A recipe and its truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PqCase {
    /// What to synthesise (its name is the case name).
    pub recipe: Recipe,
    /// What an analysis of it must find.
    pub truth: PqTruth,
}

/// Tolerance of the grid edges, in the unit of the compared value (% or s): values that equal a
/// decimal edge up to `f64` rounding count as on the edge.
const EDGE_TOL: f64 = 1e-9;

fn at_least(x: f64, edge: f64) -> bool {
    x >= edge - EDGE_TOL
}

fn at_most(x: f64, edge: f64) -> bool {
    x <= edge + EDGE_TOL
}

/// Column 1-based of a duration against inclusive upper edges, from 10 ms up; `None` outside.
fn column(duration_s: f64, upper_s: &[f64]) -> Option<usize> {
    if !duration_s.is_finite() || !at_least(duration_s, 0.010) {
        return None;
    }
    upper_s.iter().position(|&e| at_most(duration_s, e)).map(|k| k + 1)
}

/// Names of cells `<row><column>` (rows as letters, columns 1-based).
const CELL_NAMES: [[&str; 5]; 7] = [
    ["A1", "A2", "A3", "A4", "A5"],
    ["B1", "B2", "B3", "B4", "B5"],
    ["C1", "C2", "C3", "C4", "C5"],
    ["D1", "D2", "D3", "D4", "D5"],
    ["X1", "X2", "X3", "X4", "X5"],
    ["S1", "S2", "S3", "", ""],
    ["T1", "T2", "T3", "", ""],
];

/// The EN 50160:2010 dip cell of a residual voltage (% of the declared voltage) and a duration.
///
/// Rows: A `90 > u ≥ 80`, B `80 > u ≥ 70`, C `70 > u ≥ 40`, D `40 > u ≥ 5`, X `5 > u ≥ 0`.
/// Columns: 1 `10 ms ≤ t ≤ 200 ms`, 2 `200 ms < t ≤ 500 ms`, 3 `0.5 s < t ≤ 1 s`,
/// 4 `1 s < t ≤ 5 s`, 5 `5 s < t ≤ 60 s` (standards.md §1.3: lower residual bounds and upper
/// duration bounds are inclusive). Values within 1e-9 of an edge count as on it. `None` outside
/// the grid or for non-finite input.
///
/// # Examples
///
/// ```
/// use percycle_vectors::pq_suite::dip_cell;
/// assert_eq!(dip_cell(80.0, 0.200), Some("A1"));
/// assert_eq!(dip_cell(79.99, 0.201), Some("B2"));
/// assert_eq!(dip_cell(90.0, 0.1), None);
/// ```
pub fn dip_cell(residual_pct: f64, duration_s: f64) -> Option<&'static str> {
    let u = residual_pct;
    if !u.is_finite() || at_least(u, DIP_THRESHOLD_PCT) || !at_least(u, 0.0) {
        return None;
    }
    let row = [80.0, 70.0, 40.0, 5.0].iter().position(|&lo| at_least(u, lo)).unwrap_or(4);
    let col = column(duration_s, &[0.2, 0.5, 1.0, 5.0, 60.0])?;
    Some(CELL_NAMES[row][col - 1])
}

/// The EN 50160:2010 swell cell of a maximum voltage (% of the declared voltage) and a duration.
///
/// Rows: S `u ≥ 120`, T `120 > u > 110`. Columns: 1 `10 ms ≤ t ≤ 500 ms`, 2 `0.5 s < t ≤ 5 s`,
/// 3 `5 s < t ≤ 60 s`. Values within 1e-9 of an edge count as on it. `None` outside the grid or
/// for non-finite input.
///
/// # Examples
///
/// ```
/// use percycle_vectors::pq_suite::swell_cell;
/// assert_eq!(swell_cell(120.0, 0.5), Some("S1"));
/// assert_eq!(swell_cell(115.0, 0.501), Some("T2"));
/// assert_eq!(swell_cell(110.0, 1.0), None);
/// ```
pub fn swell_cell(max_pct: f64, duration_s: f64) -> Option<&'static str> {
    let u = max_pct;
    if !u.is_finite() {
        return None;
    }
    let row = if at_least(u, 120.0) {
        5
    } else if u > SWELL_THRESHOLD_PCT + EDGE_TOL {
        6
    } else {
        return None;
    };
    let col = column(duration_s, &[0.5, 5.0, 60.0])?;
    Some(CELL_NAMES[row][col - 1])
}

/// Mean square of phase `p`'s voltage signal (without noise), V².
fn signal_ms(recipe: &Recipe, p: usize) -> f64 {
    let ph = &recipe.phases[p];
    let sq = |pct: f64| (pct / 100.0) * (pct / 100.0);
    let h: f64 = ph.u_harmonics.iter().map(|h| sq(h.pct)).sum();
    let ih: f64 = ph.u_interharmonics.iter().map(|h| sq(h.pct)).sum();
    let dc = ph.u_dc_v.unwrap_or(0.0);
    ph.u_rms_v * ph.u_rms_v * (1.0 + h + ih) + dc * dc
}

/// Voltage level of phase `p` under a step factor `factor`, % of the declared voltage.
fn level_pct(recipe: &Recipe, p: usize, factor: f64) -> f64 {
    let noise = recipe.noise.map_or(0.0, |n| n.u_rms_v);
    100.0 * (factor * factor * signal_ms(recipe, p) + noise * noise).sqrt() / DECLARED_VOLTAGE_V
}

/// The undisturbed rms of phase `p` (0-based) of a recipe, % of the declared voltage: the level
/// formula of the module docs with no step active.
///
/// # Panics
///
/// If the recipe has no phase `p`.
///
/// # Examples
///
/// ```
/// use percycle_vectors::{pq_suite::phase_level_pct, Recipe, Topology};
/// let r = Recipe::new("h5", Topology::SinglePhase).with_u_harmonic(5, 10.0, 0.0);
/// assert!((phase_level_pct(&r, 0) - 100.0 * 1.01f64.sqrt()).abs() < 1e-12);
/// ```
pub fn phase_level_pct(recipe: &Recipe, p: usize) -> f64 {
    level_pct(recipe, p, 1.0)
}

/// Product of the factors of the steps active at `t` on phase `p`.
fn step_factor(recipe: &Recipe, p: usize, t: f64) -> f64 {
    recipe
        .events
        .iter()
        .filter(|s| s.phases.contains(&p) && s.start_s <= t && t < s.start_s + s.duration_s)
        .map(|s| s.u_factor)
        .product()
}

/// An event of the ideal detector, in progress.
#[derive(Clone, Copy, Debug)]
struct Open {
    start_s: f64,
    extreme: f64,
    phases: u8,
}

/// The ideal detector of one event kind on piecewise-constant levels.
#[derive(Clone, Copy, Debug)]
struct IdealDetector {
    kind: ExpectedKind,
    open: Option<Open>,
}

impl IdealDetector {
    fn new(kind: ExpectedKind) -> Self {
        Self { kind, open: None }
    }

    /// Levels `v` (one per phase) hold from `t` to the next edge.
    fn update(&mut self, t: f64, v: &[f64], out: &mut Vec<ExpectedEvent>) {
        let mask = |f: &dyn Fn(f64) -> bool| {
            v.iter().enumerate().filter(|(_, &x)| f(x)).fold(0u8, |m, (p, _)| m | 1 << p)
        };
        let all_phases = ((1u16 << v.len()) - 1) as u8;
        let lowest = v.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (crossing, ends, extreme) = match self.kind {
            ExpectedKind::Dip => (
                mask(&|x| x < DIP_THRESHOLD_PCT),
                v.iter().all(|&x| x >= DIP_THRESHOLD_PCT + HYSTERESIS_PCT),
                lowest,
            ),
            ExpectedKind::Swell => (
                mask(&|x| x > SWELL_THRESHOLD_PCT),
                v.iter().all(|&x| x <= SWELL_THRESHOLD_PCT - HYSTERESIS_PCT),
                highest,
            ),
            ExpectedKind::Interruption => (
                if v.iter().all(|&x| x < INTERRUPTION_THRESHOLD_PCT) { all_phases } else { 0 },
                v.iter().any(|&x| x >= INTERRUPTION_THRESHOLD_PCT + HYSTERESIS_PCT),
                lowest,
            ),
        };
        match self.open.as_mut() {
            None if crossing != 0 => {
                self.open = Some(Open { start_s: t, extreme, phases: crossing });
            }
            Some(o) if ends => {
                out.push(finish(self.kind, *o, t));
                self.open = None;
            }
            Some(o) => {
                o.extreme = match self.kind {
                    ExpectedKind::Swell => o.extreme.max(extreme),
                    _ => o.extreme.min(extreme),
                };
                o.phases |= crossing;
            }
            None => {}
        }
    }
}

/// The expected event of `kind` that was `o` and ended at `end_s`.
fn finish(kind: ExpectedKind, o: Open, end_s: f64) -> ExpectedEvent {
    let duration_s = end_s - o.start_s;
    let cell = match kind {
        ExpectedKind::Dip => dip_cell(o.extreme, duration_s),
        ExpectedKind::Swell => swell_cell(o.extreme, duration_s),
        ExpectedKind::Interruption => None,
    };
    ExpectedEvent {
        kind,
        start_s: o.start_s,
        duration_s,
        extreme_pct: o.extreme,
        phases: o.phases,
        dip_or_swell_cell: cell.map(str::to_string),
    }
}

/// The dips, swells and interruptions a recipe produces, by the ideal detector of the module
/// docs (interruptions shortened by one period `1/f0` at their start), in order of start (dips
/// before swells before interruptions at the same start). An event still in progress at the end
/// of the recipe is not listed.
///
/// # Examples
///
/// ```
/// use percycle_vectors::{pq_suite::{expected_events, ExpectedKind}, Recipe, Step, Topology};
/// let r = Recipe::new("d", Topology::ThreePhase4W).with_step(Step::dip(0.4, 0.1, &[0], 0.5));
/// let e = expected_events(&r);
/// assert_eq!(e.len(), 1);
/// assert_eq!(e[0].kind, ExpectedKind::Dip);
/// assert!((e[0].extreme_pct - 50.0).abs() < 1e-12);
/// assert_eq!(e[0].dip_or_swell_cell.as_deref(), Some("C1"));
/// ```
pub fn expected_events(recipe: &Recipe) -> Vec<ExpectedEvent> {
    let mut edges = vec![0.0];
    for s in &recipe.events {
        edges.extend([s.start_s, s.start_s + s.duration_s]);
    }
    edges.retain(|&t| (0.0..recipe.duration_s).contains(&t));
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let mut detectors = [ExpectedKind::Dip, ExpectedKind::Swell, ExpectedKind::Interruption]
        .map(IdealDetector::new);
    let mut out = Vec::new();
    for &t in &edges {
        let v: Vec<f64> = (0..recipe.phases.len())
            .map(|p| level_pct(recipe, p, step_factor(recipe, p, t)))
            .collect();
        for d in &mut detectors {
            d.update(t, &v, &mut out);
        }
    }
    // An interruption is seen once a whole one-cycle window fits inside it (module docs).
    let period_s = 1.0 / recipe.frequency.f0_hz;
    out.retain_mut(|e| {
        if e.kind == ExpectedKind::Interruption {
            e.start_s += period_s;
            e.duration_s -= period_s;
        }
        // Nanoseconds left over from f64 arithmetic are no interruption.
        e.duration_s > 1e-9
    });
    // A stable sort keeps the detector order for equal starts.
    out.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    out
}

/// Voltage unbalance u2 = |U−|/|U+| of a three-phase recipe's fundamental phasors, %; `None`
/// for other phase counts.
///
/// With `a = e^{j120°}` and phasors `U_p = u_rms_v · e^{j·u_phase_deg}` (the synthesiser's
/// sine-referenced phases): `U+ = (U1 + a·U2 + a²·U3)/3`, `U− = (U1 + a²·U2 + a·U3)/3`.
///
/// # Examples
///
/// ```
/// use percycle_vectors::{pq_suite::unbalance_u2_pct, Recipe, Topology};
/// let balanced = Recipe::new("b", Topology::ThreePhase4W);
/// assert!(unbalance_u2_pct(&balanced).unwrap() < 1e-12);
/// ```
pub fn unbalance_u2_pct(recipe: &Recipe) -> Option<f64> {
    if recipe.phases.len() != 3 {
        return None;
    }
    let phasor = |p: usize, rot_deg: f64| {
        let ph = &recipe.phases[p];
        let a = (ph.u_phase_deg + rot_deg).to_radians();
        (ph.u_rms_v * a.cos(), ph.u_rms_v * a.sin())
    };
    let sum = |rot: [f64; 3]| {
        let (re, im) =
            (0..3).map(|p| phasor(p, rot[p])).fold((0.0, 0.0), |(r, i), (x, y)| (r + x, i + y));
        (re / 3.0).hypot(im / 3.0)
    };
    let pos = sum([0.0, 120.0, 240.0]);
    let neg = sum([0.0, 240.0, 120.0]);
    (pos > 0.0).then(|| 100.0 * neg / pos)
}

/// Sample rate of the three-phase cases, Hz.
const FS_HZ: f64 = 10_240.0;
/// Steps start this long after t = 0 (a whole number of cycles at 50, 42.5 and 57.5 Hz).
const LEAD_S: f64 = 0.4;
/// Every recipe ends this long after its last step.
const TAIL_S: f64 = 0.3;

/// A 3P4W recipe at 230 V and `f_hz`.
fn three_phase(name: &str, f_hz: f64) -> Recipe {
    Recipe::new(name, Topology::ThreePhase4W)
        .with_sample_rate(FS_HZ)
        .with_frequency(f_hz)
        .with_voltage(DECLARED_VOLTAGE_V)
}

/// The instant `onset_deg` into the L1 cycle that starts at the lead-in, at `f_hz`.
fn onset_s(f_hz: f64, onset_deg: f64) -> f64 {
    ((LEAD_S * f_hz).round() + onset_deg / 360.0) / f_hz
}

/// Every EN 50160 harmonic limit on every phase, at phase 0°.
fn with_limit_harmonics(mut r: Recipe) -> Recipe {
    for p in &mut r.phases {
        p.u_harmonics = EN50160_HARMONIC_LIMITS_PCT
            .iter()
            .map(|&(h, pct)| Harmonic::new(h, pct, 0.0))
            .collect();
    }
    r
}

/// A case with the events of its recipe as truth (and no unbalance or frequency check).
fn case_of(recipe: Recipe, notes: &str) -> PqCase {
    let truth = PqTruth {
        events: expected_events(&recipe),
        unbalance_u2_pct: None,
        frequency_hz: None,
        notes: notes.to_string(),
    };
    PqCase { recipe, truth }
}

/// As [`case_of`], with the recipe cut `TAIL_S` after its last step.
fn event_case(mut recipe: Recipe, notes: &str) -> PqCase {
    let end = recipe.events.iter().map(|s| s.start_s + s.duration_s).fold(LEAD_S, f64::max);
    recipe.duration_s = end + TAIL_S;
    case_of(recipe, notes)
}

/// A 50 Hz three-phase case with single-phase-or-more steps starting at the lead-in.
fn dip_case(name: &str, steps: &[(f64, f64, &[usize], f64)], notes: &str) -> PqCase {
    let t0 = onset_s(50.0, 0.0);
    let recipe = steps.iter().fold(three_phase(name, 50.0), |r, &(offset, d, phases, factor)| {
        r.with_step(Step::dip(t0 + offset, d, phases, factor))
    });
    event_case(recipe, notes)
}

/// Negative-sequence voltage of the unbalance case, % of the positive sequence.
const UNBALANCE_PCT: f64 = 2.0;

/// Phases of 230 V positive sequence plus `UNBALANCE_PCT` % negative sequence at 30°.
fn unbalanced(mut r: Recipe) -> Recipe {
    let pos = DECLARED_VOLTAGE_V;
    let neg = UNBALANCE_PCT / 100.0 * pos;
    let neg_deg = 30.0;
    for (p, ph) in r.phases.iter_mut().enumerate() {
        let k = p as f64;
        let (a, b) = ((-120.0 * k).to_radians(), (neg_deg + 120.0 * k).to_radians());
        let (re, im) = (pos * a.cos() + neg * b.cos(), pos * a.sin() + neg * b.sin());
        ph.u_rms_v = re.hypot(im);
        ph.u_phase_deg = im.atan2(re).to_degrees();
    }
    r
}

/// The EN 50160 / IEC 61000-4-30 event suite (see the module docs for the cases), with truth.
///
/// # Examples
///
/// ```
/// let suite = percycle_vectors::en50160_suite();
/// let poly = suite.iter().find(|c| c.recipe.name == "dip_polyphase_l1_l2").unwrap();
/// assert_eq!(poly.truth.events.len(), 1);
/// assert!((poly.truth.events[0].duration_s - 0.160).abs() < 1e-9);
/// ```
pub fn en50160_suite() -> Vec<PqCase> {
    let mut cases = Vec::new();
    for deg in [0.0, 45.0, 90.0] {
        let name = format!("dip50_100ms_onset{deg}deg");
        let r = three_phase(&name, 50.0).with_step(Step::dip(onset_s(50.0, deg), 0.1, &[0], 0.5));
        cases.push(event_case(
            r,
            &format!(
                "L1 to 50 % for 100 ms, onset {deg}° of L1: residual and duration of Urms(1/2)"
            ),
        ));
    }
    cases.extend([
        dip_case(
            "dip_polyphase_l1_l2",
            &[(0.0, 0.100, &[0], 0.60), (0.030, 0.130, &[1], 0.45)],
            "L1 to 60 % at 0-100 ms, L2 to 45 % at 30-160 ms: one equivalent dip of 160 ms, \
             residual = lowest phase",
        ),
        dip_case(
            "dip_hysteresis_parked_90p5",
            &[(0.0, 0.100, &[0], 0.5), (0.100, 0.500, &[0], 0.905)],
            "L1 to 50 % for 100 ms, then parked at 90.5 % for 500 ms: the dip ends only at >= 92 %",
        ),
        dip_case(
            "interruption_300ms",
            &[(0.0, 0.300, &[0, 1, 2], 0.0)],
            "all phases to 0 for 300 ms: one interruption, and the dip (residual 0 %, X2) it \
             also is",
        ),
        dip_case(
            "near_interruption_l3_6pct",
            &[(0.0, 0.300, &[0, 1], 0.0), (0.0, 0.300, &[2], 0.06)],
            "L1 and L2 to 0, L3 lingering at 6 % for 300 ms: a dip at 0 %, no interruption",
        ),
        dip_case(
            "swell115_300ms",
            &[(0.0, 0.300, &[0, 1, 2], 1.15)],
            "all phases to 115 % for 300 ms: swell T1",
        ),
        dip_case(
            "swell125_800ms_l1",
            &[(0.0, 0.800, &[0], 1.25)],
            "L1 to 125 % for 800 ms: swell S2",
        ),
        dip_case("dip_cell_a1", &[(0.0, 0.150, &[0], 0.85)], "L1 to 85 % for 150 ms: cell A1"),
        dip_case("dip_cell_b2", &[(0.0, 0.350, &[1], 0.75)], "L2 to 75 % for 350 ms: cell B2"),
        dip_case("dip_cell_c3", &[(0.0, 0.750, &[2], 0.55)], "L3 to 55 % for 750 ms: cell C3"),
        dip_case(
            "dip_cell_d4",
            &[(0.0, 1.250, &[0, 1, 2], 0.20)],
            "all phases to 20 % for 1.25 s: cell D4",
        ),
        dip_case(
            "dip_cell_x1",
            &[(0.0, 0.120, &[1], 0.02)],
            "L2 to 2 % for 120 ms (others present, so no interruption): cell X1",
        ),
    ]);

    let clean = with_limit_harmonics(three_phase("clean_en50160_harmonics_noise", 50.0))
        .with_noise(0.01 * DECLARED_VOLTAGE_V, 0.05)
        .with_seed(50_160)
        .with_duration(1.0);
    cases.push(case_of(
        clean,
        "EN 50160 harmonic limits (orders 2-25, THD 11.3 %) and 1 % voltage noise: no event",
    ));

    for (name, f) in [("dip50_42p5hz", 42.5), ("dip50_57p5hz", 57.5)] {
        let r = three_phase(name, f).with_step(Step::dip(onset_s(f, 0.0), 5.0 / f, &[0], 0.5));
        cases.push(event_case(
            r,
            &format!("L1 to 50 % for 5 cycles at {f} Hz (nominal 50 Hz): residual and duration"),
        ));
    }

    let r = unbalanced(three_phase("unbalance_u2_2pct_h5", 50.0))
        .with_u_harmonic(5, 6.0, 0.0)
        .with_duration(1.0);
    let mut case = case_of(
        r,
        "negative sequence 2 % of the positive sequence plus a 6 % 5th harmonic on every phase: \
         u2 of the fundamental = 2.00 %",
    );
    case.truth.unbalance_u2_pct = unbalance_u2_pct(&case.recipe);
    cases.push(case);

    let r = with_limit_harmonics(
        Recipe::new("frequency_49p95hz_1p", Topology::SinglePhase)
            .with_sample_rate(4_000.0)
            .with_frequency(49.95)
            .with_voltage(DECLARED_VOLTAGE_V)
            .with_duration(20.5),
    );
    let mut case = case_of(
        r,
        "single phase at 4 kHz, 49.95 Hz with the EN 50160 harmonic limits: every 10-s value \
         49.95 Hz",
    );
    case.truth.frequency_hz = Some(case.recipe.frequency.f0_hz);
    cases.push(case);
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str) -> PqCase {
        en50160_suite().into_iter().find(|c| c.recipe.name == name).expect("case exists")
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn dip_cell_edges_are_inclusive_below_in_residual_and_above_in_duration() {
        assert_eq!(dip_cell(80.0, 0.200), Some("A1"));
        assert_eq!(dip_cell(79.99, 0.201), Some("B2"));
        assert_eq!(dip_cell(89.99, 0.010), Some("A1"));
        assert_eq!(dip_cell(90.0, 0.1), None);
        assert_eq!(dip_cell(50.0, 0.0099), None);
        assert_eq!(dip_cell(70.0, 0.5), Some("B2"));
        assert_eq!(dip_cell(69.99, 0.5001), Some("C3"));
        assert_eq!(dip_cell(40.0, 1.0), Some("C3"));
        assert_eq!(dip_cell(39.99, 1.001), Some("D4"));
        assert_eq!(dip_cell(5.0, 5.0), Some("D4"));
        assert_eq!(dip_cell(4.99, 5.001), Some("X5"));
        assert_eq!(dip_cell(0.0, 60.0), Some("X5"));
        assert_eq!(dip_cell(0.0, 60.001), None);
        assert_eq!(dip_cell(-0.1, 1.0), None);
        assert_eq!(dip_cell(f64::NAN, 1.0), None);
        // Decimal edges reached through f64 arithmetic still count as the edge.
        assert_eq!(dip_cell(0.8 * 100.0, 0.9 - 0.7), Some("A1"));
    }

    #[test]
    fn swell_cell_edges_follow_the_two_by_three_grid() {
        assert_eq!(swell_cell(120.0, 0.5), Some("S1"));
        assert_eq!(swell_cell(119.99, 0.5001), Some("T2"));
        assert_eq!(swell_cell(110.01, 6.0), Some("T3"));
        assert_eq!(swell_cell(110.0, 1.0), None);
        assert_eq!(swell_cell(1.1 * 100.0, 1.0), None);
        assert_eq!(swell_cell(125.0, 60.0), Some("S3"));
        assert_eq!(swell_cell(125.0, 60.001), None);
        assert_eq!(swell_cell(125.0, 0.009), None);
    }

    #[test]
    fn polyphase_dip_runs_from_the_first_phase_down_to_the_last_phase_up() {
        let c = case("dip_polyphase_l1_l2");
        let e = &c.truth.events;
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].kind, ExpectedKind::Dip);
        assert!(close(e[0].start_s, 0.4), "{}", e[0].start_s);
        assert!(close(e[0].duration_s, 0.160), "{}", e[0].duration_s);
        assert!(close(e[0].extreme_pct, 45.0), "residual = lowest phase: {}", e[0].extreme_pct);
        assert_eq!(e[0].phases, 0b011);
        assert_eq!(e[0].dip_or_swell_cell.as_deref(), Some("C1"));
    }

    #[test]
    fn dip_parked_inside_the_hysteresis_band_ends_only_at_92_percent() {
        let e = &case("dip_hysteresis_parked_90p5").truth.events;
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(close(e[0].duration_s, 0.600), "{}", e[0].duration_s);
        assert!(close(e[0].extreme_pct, 50.0));
        assert_eq!(e[0].dip_or_swell_cell.as_deref(), Some("C3"));
        // Parked at 92.5 % instead, the dip ends with the first step.
        let r = three_phase("parked_above", 50.0)
            .with_step(Step::dip(0.4, 0.1, &[0], 0.5))
            .with_step(Step::dip(0.5, 0.5, &[0], 0.925))
            .with_duration(1.3);
        let e = expected_events(&r);
        assert_eq!(e.len(), 1);
        assert!(close(e[0].duration_s, 0.100));
    }

    #[test]
    fn interruption_needs_every_phase_below_five_percent() {
        let e = &case("interruption_300ms").truth.events;
        let kinds: Vec<ExpectedKind> = e.iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [ExpectedKind::Dip, ExpectedKind::Interruption]);
        for x in e {
            assert!(x.extreme_pct == 0.0 && x.phases == 0b111, "{x:?}");
        }
        assert!(close(e[0].start_s, 0.400) && close(e[0].duration_s, 0.300));
        assert_eq!(e[0].dip_or_swell_cell.as_deref(), Some("X2"));
        // The interruption is seen once a whole cycle lies inside it.
        assert!(close(e[1].start_s, 0.420) && close(e[1].duration_s, 0.280), "{:?}", e[1]);
        assert_eq!(e[1].dip_or_swell_cell, None);
        // One cycle or less of zero voltage is a dip, never an interruption.
        let r = three_phase("blink", 50.0)
            .with_step(Step::dip(0.4, 0.02, &[0, 1, 2], 0.0))
            .with_duration(0.8);
        let kinds: Vec<ExpectedKind> = expected_events(&r).iter().map(|x| x.kind).collect();
        assert_eq!(kinds, [ExpectedKind::Dip]);

        let e = &case("near_interruption_l3_6pct").truth.events;
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].kind, e[0].phases), (ExpectedKind::Dip, 0b111));
        assert_eq!(e[0].extreme_pct, 0.0);
    }

    #[test]
    fn overlapping_steps_multiply_in_the_truth() {
        let r = three_phase("overlap", 50.0)
            .with_step(Step::dip(0.4, 0.2, &[0], 0.8))
            .with_step(Step::dip(0.5, 0.2, &[0], 0.5))
            .with_duration(1.0);
        let e = expected_events(&r);
        assert_eq!(e.len(), 1);
        assert!(close(e[0].extreme_pct, 40.0));
        assert!(close(e[0].duration_s, 0.3));
    }

    #[test]
    fn unbalance_case_has_u2_of_exactly_two_percent() {
        let c = case("unbalance_u2_2pct_h5");
        let u2 = c.truth.unbalance_u2_pct.unwrap();
        assert!((u2 - 2.0).abs() < 1e-12, "{u2}");
        assert!(c.truth.events.is_empty());
        let balanced = three_phase("b", 50.0);
        assert!(unbalance_u2_pct(&balanced).unwrap() < 1e-12);
    }

    #[test]
    fn harmonic_limits_and_noise_raise_the_level_as_their_powers_add() {
        let c = case("clean_en50160_harmonics_noise");
        let thd2: f64 = EN50160_HARMONIC_LIMITS_PCT.iter().map(|(_, p)| (p / 100.0).powi(2)).sum();
        assert!((thd2.sqrt() - 0.11325).abs() < 1e-4);
        let want = 100.0 * (1.0 + thd2 + 1e-4).sqrt();
        assert!(close(phase_level_pct(&c.recipe, 2), want));
        assert!(c.truth.events.is_empty());
    }

    #[test]
    fn every_true_cell_survives_a_cycle_of_duration_and_half_a_percent_of_residual() {
        for c in en50160_suite() {
            let cycle = 1.0 / c.recipe.frequency.f0_hz;
            for e in &c.truth.events {
                let cell = |u: f64, t: f64| match e.kind {
                    ExpectedKind::Dip => dip_cell(u, t),
                    ExpectedKind::Swell => swell_cell(u, t),
                    ExpectedKind::Interruption => None,
                };
                for du in [-0.5, 0.0, 0.5] {
                    for dt in [-cycle, 0.0, cycle] {
                        let u = (e.extreme_pct + du).max(0.0);
                        assert_eq!(
                            cell(u, e.duration_s + dt),
                            e.dip_or_swell_cell.as_deref(),
                            "{}: {e:?} moved by {du} %, {dt} s",
                            c.recipe.name
                        );
                    }
                }
                if e.kind != ExpectedKind::Interruption {
                    assert!(e.dip_or_swell_cell.is_some(), "{}: {e:?}", c.recipe.name);
                }
            }
        }
    }

    #[test]
    fn suite_is_valid_short_and_uniquely_named() {
        let suite = en50160_suite();
        assert_eq!(suite.len(), 19);
        let mut names: Vec<&str> = suite.iter().map(|c| c.recipe.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), suite.len());
        for c in &suite {
            c.recipe.validate().unwrap();
            for e in &c.truth.events {
                assert!(e.duration_s >= 1.5 / c.recipe.frequency.f0_hz, "{}", c.recipe.name);
                assert!(e.start_s + e.duration_s < c.recipe.duration_s, "{}", c.recipe.name);
            }
        }
        let total: f64 = suite.iter().map(|c| c.recipe.duration_s).sum();
        assert!(total < 42.0, "{total} s of signal");
        let f = suite.iter().find(|c| c.truth.frequency_hz.is_some()).unwrap();
        assert_eq!(f.truth.frequency_hz, Some(49.95));
        assert_eq!(f.recipe.topology, Topology::SinglePhase);
    }

    #[test]
    fn onsets_fall_at_the_requested_phase_of_l1() {
        for (name, deg) in [
            ("dip50_100ms_onset0deg", 0.0),
            ("dip50_100ms_onset45deg", 45.0),
            ("dip50_100ms_onset90deg", 90.0),
        ] {
            let c = case(name);
            let t0 = c.recipe.events[0].start_s;
            let phase = (t0 * 50.0).fract() * 360.0;
            assert!((phase - deg).abs() < 1e-6, "{name}: {phase}");
            assert!(close(c.truth.events[0].start_s, t0));
            assert_eq!(c.truth.events[0].dip_or_swell_cell.as_deref(), Some("C1"));
        }
    }
}
