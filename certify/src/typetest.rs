//! The energy type test: the test points of IEC 62053-21/-22/-23 (and EN 50470-3, which
//! follows the same structure) on the seed meter, 3 × 230/400 V, In 5 A, Imax 10 A, 50 Hz,
//! 10 000 imp/kWh, each a synthetic vector with analytic truth, judged against the limits of the
//! chosen classes ([`crate::class`]).
//!
//! | section | clause | points |
//! |---|---|---|
//! | accuracy | 7.9 (62053-22 Table 3, 62053-21 Table 8) | balanced load, 1 % In … Imax, PF 1, 0.5 L, 0.8 C, where the class sets a limit |
//! | single-phase load | 7.9 | one phase loaded, balanced voltages, each phase |
//! | influence quantities | 7.10 (Table 4) | voltage ±10 % and 80-115 %, frequency ±2 % and ±5 %, 5th harmonic in U and I, reversed phase sequence, voltage unbalance |
//! | starting, no load, constant, repeatability | 7.7, 7.6, and the meter-constant and repeatability tests | |
//! | reactive | IEC 62053-23 accuracy table | sin φ 1, 0.5, 0.25 |
//! | reactive: one phase loaded, influence, starting | IEC 62053-23 | each phase loaded alone; the influence quantities above at sin φ 1 and 0.5 (inductive); the starting current (0.003 In class 2, 0.005 In class 3) |
//!
//! Influence quantities are judged against the class limit at the test point, tighter than the
//! standard (which adds an allowance for the influence). The ADC is 24-bit with fixed full
//! scales (500 V and 20 A peak): the meter's design, not the signal's peak.

use crate::class::{ActiveClass, Classes, Pf, ReactiveClass};
use crate::energy::run_recipe;
use crate::report::{Chart, Section, TestPoint};
use anyhow::Result;
use percycle_analysis::analyze::Analysis;
use percycle_hil::bench::Target;
use percycle_vectors::{active_energy_wh, Harmonic, Recipe, Topology};
use std::path::Path;

/// Nominal voltage, V.
pub const UN: f64 = 230.0;
/// Nominal current In, A.
pub const IN: f64 = 5.0;
/// Maximum current, multiples of In (5(10) A).
pub const IMAX: f64 = 2.0;
/// Meter constant, imp/kWh (the engine's default).
pub const METER_CONSTANT: f64 = 10_000.0;
/// Length of each accuracy vector, s.
const SECONDS: f64 = 0.5;
/// Currents of the accuracy table, multiples of In.
const CURRENTS: [f64; 8] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, IMAX];

/// What a test point measures.
#[derive(Clone, Copy, Debug)]
enum Measure {
    /// Active energy A+ − A− (Wh), error % of the truth.
    Active,
    /// Reactive energy R+ − R− (varh), error % of the truth.
    Reactive,
}

/// A test point to run: its recipe, what it measures and the limit it is judged against.
struct Point {
    id: String,
    /// The standard and clause.
    clause: String,
    conditions: String,
    recipe: Recipe,
    measure: Measure,
    limit: f64,
    note: String,
    plot: Option<(f64, String)>,
}

/// The reference test point's vector (In, PF 1, 230 V, 50 Hz): its configuration is the one
/// the report's header states.
pub fn reference_recipe() -> Recipe {
    vector("reference", 1.0, 0.0)
}

/// The seed meter's vector: balanced 3P4W at `i` × In and load angle `angle` degrees.
fn vector(name: &str, i: f64, angle: f64) -> Recipe {
    Recipe::new(name, Topology::ThreePhase4W)
        .with_duration(SECONDS)
        .with_current(i * IN)
        .with_load_angle(angle)
        .with_quantisation(24, 500.0, 20.0)
}

/// Currents and power factors (sin φ for reactive) of the one-phase-loaded points.
const ONE_PHASE_POINTS: [(f64, Pf); 4] =
    [(0.1, Pf::Unity), (1.0, Pf::Unity), (IMAX, Pf::Unity), (1.0, Pf::HalfInductive)];

/// [`vector`] with only phase `phase` (0-based) carrying current; the voltages stay balanced.
fn one_phase_loaded(name: &str, phase: usize, i: f64, angle: f64) -> Recipe {
    let mut r = vector(name, i, angle);
    for (k, p) in r.phases.iter_mut().enumerate() {
        if k != phase {
            p.i_rms_a = 0.0;
        }
    }
    r
}

fn pct_label(i: f64) -> String {
    let p = i * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0} % In")
    } else {
        format!("{p} % In")
    }
}

fn id_current(i: f64) -> String {
    format!("{:04}", (i * 1000.0).round() as u32)
}

fn limit_note(l: crate::class::Limit) -> String {
    if l.confirmed {
        l.source.to_string()
    } else {
        format!("{}: limit unconfirmed", l.source)
    }
}

/// The test points of the accuracy, single-phase, influence and reactive sections.
fn points(classes: Classes) -> Vec<(&'static str, Point)> {
    let active = classes.active;
    let mut v = Vec::new();
    for pf in [Pf::Unity, Pf::HalfInductive, Pf::EightCapacitive] {
        for &i in &CURRENTS {
            let Some(l) = active.limit(i, pf) else { continue };
            let id = format!("A-7.9-{}-I{}", pf_id(pf), id_current(i));
            v.push((
                "accuracy",
                Point {
                    recipe: vector(&id, i, pf.load_angle_deg()),
                    id,
                    clause: format!("{} 7.9", active.standard()),
                    conditions: format!(
                        "balanced, {}, PF {}, 230 V, 50 Hz",
                        pct_label(i),
                        pf.label()
                    ),
                    measure: Measure::Active,
                    limit: l.pct,
                    note: limit_note(l),
                    plot: Some((i, format!("PF {}", pf.label()))),
                },
            ));
        }
    }
    for phase in 0..3 {
        for (i, pf) in ONE_PHASE_POINTS {
            let Some(l) = active.single_phase_load_limit(i, pf) else { continue };
            let id = format!("A-7.9-L{}-{}-I{}", phase + 1, pf_id(pf), id_current(i));
            let recipe = one_phase_loaded(&id, phase, i, pf.load_angle_deg());
            v.push((
                "single-phase-load",
                Point {
                    recipe,
                    id,
                    clause: format!("{} 7.9", active.standard()),
                    conditions: format!(
                        "L{} loaded only, balanced voltages, {}, PF {}",
                        phase + 1,
                        pct_label(i),
                        pf.label()
                    ),
                    measure: Measure::Active,
                    limit: l.pct,
                    note: format!("{}; 1.5 × the balanced limit", limit_note(l)),
                    plot: Some((i, format!("L{} PF {}", phase + 1, pf.label()))),
                },
            ));
        }
    }
    for pf in [Pf::Unity, Pf::HalfInductive] {
        let Some(l) = active.limit(1.0, pf) else { continue };
        for (tag, what, mut recipe) in influences() {
            let id = format!("A-7.10-{tag}-{}", pf_id(pf));
            recipe.name = id.clone();
            for p in &mut recipe.phases {
                p.load_angle_deg = pf.load_angle_deg();
                // The harmonic's power factor follows the fundamental's (harmonic PF = 1 at PF 1).
                for h in &mut p.i_harmonics {
                    *h = Harmonic::new(h.order, h.pct, h.phase_deg);
                }
            }
            v.push((
                "influence",
                Point {
                    recipe,
                    id,
                    clause: format!("{} 7.10", active.standard()),
                    conditions: format!("{what}; In, PF {}", pf.label()),
                    measure: Measure::Active,
                    limit: l.pct,
                    note: format!(
                        "{}; the class limit at the point (the standard adds an allowance for the influence)",
                        limit_note(l)
                    ),
                    plot: None,
                },
            ));
        }
    }
    let reactive = classes.reactive;
    for sin in [Pf::Unity, Pf::HalfInductive, Pf::Quarter] {
        for &i in &CURRENTS {
            let Some(l) = reactive.limit(i, sin) else { continue };
            let id = format!("R-{}-I{}", sin_id(sin), id_current(i));
            v.push((
                "reactive",
                Point {
                    recipe: vector(&id, i, sin.reactive_angle_deg()),
                    id,
                    clause: "IEC 62053-23 (current and sin φ table)".into(),
                    conditions: format!(
                        "balanced, {}, sin φ {} (inductive), 230 V, 50 Hz",
                        pct_label(i),
                        sin_label(sin)
                    ),
                    measure: Measure::Reactive,
                    limit: l.pct,
                    note: limit_note(l),
                    plot: Some((i, format!("sin φ {}", sin_label(sin)))),
                },
            ));
        }
    }
    for phase in 0..3 {
        for (i, sin) in ONE_PHASE_POINTS {
            let Some(l) = reactive.single_phase_load_limit(i, sin) else { continue };
            let id = format!("R-L{}-{}-I{}", phase + 1, sin_id(sin), id_current(i));
            let recipe = one_phase_loaded(&id, phase, i, sin.reactive_angle_deg());
            v.push((
                "reactive-influence",
                Point {
                    recipe,
                    id,
                    clause: "IEC 62053-23 (single-phase load)".into(),
                    conditions: format!(
                        "L{} loaded only, balanced voltages, {}, sin φ {} (inductive)",
                        phase + 1,
                        pct_label(i),
                        sin_label(sin)
                    ),
                    measure: Measure::Reactive,
                    limit: l.pct,
                    note: format!("{}; 1.5 × the balanced limit", limit_note(l)),
                    plot: None,
                },
            ));
        }
    }
    for sin in [Pf::Unity, Pf::HalfInductive] {
        let Some(l) = reactive.limit(1.0, sin) else { continue };
        for (tag, what, mut recipe) in influences() {
            let id = format!("R-{tag}-{}", sin_id(sin));
            recipe.name = id.clone();
            for p in &mut recipe.phases {
                p.load_angle_deg = sin.reactive_angle_deg();
            }
            v.push((
                "reactive-influence",
                Point {
                    recipe,
                    id,
                    clause: "IEC 62053-23 (influence quantities)".into(),
                    conditions: format!("{what}; In, sin φ {} (inductive)", sin_label(sin)),
                    measure: Measure::Reactive,
                    limit: l.pct,
                    note: format!(
                        "{}; the class limit at the point (the standard adds an allowance for the influence); truth: the fundamental's reactive energy",
                        limit_note(l)
                    ),
                    plot: None,
                },
            ));
        }
    }
    v
}

/// The influence quantities of clause 7.10, one at a time, each on the vector at In and PF 1
/// (the caller sets the load angle): tag, description, vector.
fn influences() -> Vec<(&'static str, String, Recipe)> {
    vec![
        ("U090", "voltage 90 % Un".into(), vector("", 1.0, 0.0).with_voltage(0.9 * UN)),
        ("U110", "voltage 110 % Un".into(), vector("", 1.0, 0.0).with_voltage(1.1 * UN)),
        (
            "U080",
            "voltage 80 % Un (extended range)".into(),
            vector("", 1.0, 0.0).with_voltage(0.8 * UN),
        ),
        (
            "U115",
            "voltage 115 % Un (extended range)".into(),
            vector("", 1.0, 0.0).with_voltage(1.15 * UN),
        ),
        ("F098", "frequency 98 % fn (49 Hz)".into(), vector("", 1.0, 0.0).with_frequency(49.0)),
        ("F102", "frequency 102 % fn (51 Hz)".into(), vector("", 1.0, 0.0).with_frequency(51.0)),
        ("F095", "frequency 95 % fn (47.5 Hz)".into(), vector("", 1.0, 0.0).with_frequency(47.5)),
        ("F105", "frequency 105 % fn (52.5 Hz)".into(), vector("", 1.0, 0.0).with_frequency(52.5)),
        (
            "H5",
            "5th harmonic, 10 % in U and 40 % in I, in phase".into(),
            vector("", 1.0, 0.0).with_u_harmonic(5, 10.0, 0.0).with_i_harmonic(5, 40.0, 0.0),
        ),
        ("REV", "reversed phase sequence (L1, L3, L2)".into(), {
            let mut r = vector("", 1.0, 0.0);
            r.phases[1].u_phase_deg = 120.0;
            r.phases[2].u_phase_deg = -120.0;
            r
        }),
        ("UNB", "voltage unbalance: U1 −10 %, U3 +10 %".into(), {
            let mut r = vector("", 1.0, 0.0);
            r.phases[0].u_rms_v = 0.9 * UN;
            r.phases[2].u_rms_v = 1.1 * UN;
            r
        }),
    ]
}

fn pf_id(pf: Pf) -> &'static str {
    match pf {
        Pf::Unity => "PF1",
        Pf::HalfInductive => "PF05L",
        Pf::EightCapacitive => "PF08C",
        Pf::Quarter => "PF025",
    }
}

fn sin_id(pf: Pf) -> &'static str {
    match pf {
        Pf::Unity => "SIN1",
        Pf::HalfInductive => "SIN05",
        _ => "SIN025",
    }
}

fn sin_label(pf: Pf) -> &'static str {
    match pf {
        Pf::Unity => "1",
        Pf::HalfInductive => "0.5",
        _ => "0.25",
    }
}

/// The exact reactive energy of a steady recipe over the engine's span (`n` samples, the
/// rectangle convention at both ends), varh: Σ U·I·sin φ × n / fs.
fn reactive_truth_varh(r: &Recipe) -> f64 {
    let n = (r.duration_s * r.sample_rate_hz).round();
    let q: f64 =
        r.phases.iter().map(|p| p.u_rms_v * p.i_rms_a * p.load_angle_deg.to_radians().sin()).sum();
    q * n / r.sample_rate_hz / 3600.0
}

/// The exact active energy over the engine's span, Wh.
fn active_truth_wh(r: &Recipe) -> Result<f64> {
    let fs = r.sample_rate_hz;
    let n = (r.duration_s * fs).round();
    Ok(active_energy_wh(r, -0.5 / fs, (n - 0.5) / fs)?)
}

fn registered(a: &Analysis, m: Measure) -> f64 {
    let wh = a.energy.total.to_wh();
    match m {
        Measure::Active => wh[0] - wh[1],
        Measure::Reactive => wh[2] - wh[3],
    }
}

/// Run the energy type test; returns its sections (test points judged against `classes`).
///
/// # Errors
/// A vector that cannot be written, read back or run (a refusal by the target is a failed
/// point, not an error).
pub fn run(
    out: &Path,
    classes: Classes,
    progress: bool,
    mut target: Option<&mut (dyn Target + '_)>,
) -> Result<Vec<Section>> {
    let dir = out.join("vectors").join("energy");
    std::fs::create_dir_all(&dir)?;
    let planned = points(classes);
    let extra = 4 + REPEATS;
    let total = planned.len() + extra;
    let mut sections: Vec<Section> = SECTIONS
        .iter()
        .map(|&(key, title, intro)| Section {
            key: key.into(),
            title: title.into(),
            intro: intro.into(),
            points: Vec::new(),
            charts: Vec::new(),
        })
        .collect();
    let mut step = 0;
    let mut tick = |name: &str| {
        step += 1;
        if progress {
            eprintln!("[{step}/{total}] {name}");
        }
    };
    for (key, p) in planned {
        tick(&p.id);
        let truth = match p.measure {
            Measure::Active => active_truth_wh(&p.recipe)?,
            Measure::Reactive => reactive_truth_varh(&p.recipe),
        };
        let unit = match p.measure {
            Measure::Active => "Wh",
            Measure::Reactive => "varh",
        };
        let quantity = match p.measure {
            Measure::Active => "active energy",
            Measure::Reactive => "reactive energy",
        };
        let (measured, note) = match run_recipe(&p.recipe, &dir, target.as_deref_mut(), progress)? {
            Ok((_, a)) => (registered(&a, p.measure), p.note),
            Err(why) => (f64::NAN, format!("not run: {why}")),
        };
        let error = 100.0 * (measured - truth) / truth;
        let mut tp = TestPoint::judged(
            p.id,
            p.clause,
            p.conditions,
            quantity,
            (measured, truth, unit),
            (error, p.limit, "%"),
            note,
        );
        if let Some((x, s)) = p.plot {
            tp = tp.plotted(x, s);
        }
        section(&mut sections, key).points.push(tp);
    }
    let special = &mut section(&mut sections, "starting-no-load").points;
    special.extend(starting_and_no_load(
        &dir,
        classes.active,
        &mut tick,
        target.as_deref_mut(),
        progress,
    )?);
    tick("R-START");
    let start = reactive_starting(&dir, classes.reactive, target, progress)?;
    section(&mut sections, "reactive-influence").points.push(start);
    for s in &mut sections {
        let chart = match s.key.as_str() {
            "accuracy" => Some((
                "Active energy: error vs current per power factor, with the class envelope",
                "error %",
            )),
            "single-phase-load" => {
                Some(("Active energy, one phase loaded: error vs current", "error %"))
            }
            "reactive" => Some((
                "Reactive energy: error vs current per sin φ, with the class envelope",
                "error %",
            )),
            _ => None,
        };
        if let Some((title, y)) = chart {
            s.charts.push(Chart::ErrorVsLog {
                title: format!("{title} (class {})", class_of(classes, &s.key)),
                x_label: "current, multiples of In (log)".into(),
                y_label: y.into(),
            });
        }
    }
    Ok(sections)
}

/// Runs of the repeatability point.
const REPEATS: usize = 5;

const SECTIONS: [(&str, &str, &str); 6] = [
    ("accuracy", "Active energy: accuracy (clause 7.9)", "Balanced load at the currents and power factors of the class's limit table; error of the total active energy register (A+ − A−) against the exact integral of the synthesised signal over the same samples."),
    ("single-phase-load", "Active energy: one phase loaded (clause 7.9)", "Polyphase meter with a single-phase load and balanced voltages, each phase in turn."),
    ("influence", "Active energy: influence quantities (clause 7.10)", "One influence quantity at a time at In, PF 1 and PF 0.5 L, judged against the class limit at the point (tighter than the standard, which allows an additional variation)."),
    ("starting-no-load", "Active energy: starting current (clause 7.7), no load (clause 7.6), meter constant, repeatability", "Starting current judged against the limit at the class's minimum current (the standard asks only that the meter registers); no load at 115 % Un with the current circuit open; pulses against the register; the spread of repeated measurements against a tenth of the class limit (the project's own bound)."),
    ("reactive", "Reactive energy (IEC 62053-23)", "Balanced inductive load at sin φ 1, 0.5 and 0.25; error of the total reactive register (R+ − R−, fundamental reactive energy) against U·I·sin φ over the same samples."),
    ("reactive-influence", "Reactive energy: one phase loaded, influence quantities, starting current (IEC 62053-23)", "One phase loaded with balanced voltages, each phase in turn; the influence quantities of the active test, one at a time at In, sin φ 1 and 0.5 (inductive), judged against the class limit at the point; the starting current judged against the limit at the class's lowest current. Truth: the fundamental's reactive energy (a harmonic adds none)."),
];

fn section<'a>(sections: &'a mut [Section], key: &str) -> &'a mut Section {
    sections.iter_mut().find(|s| s.key == key).expect("a section of SECTIONS")
}

fn class_of(classes: Classes, key: &str) -> String {
    if key == "reactive" {
        classes.reactive.to_string()
    } else {
        classes.active.to_string()
    }
}

/// The reactive starting current: 1 s at Ist, sin φ 1 (inductive), judged against the class
/// limit at its lowest current.
fn reactive_starting(
    dir: &Path,
    class: ReactiveClass,
    target: Option<&mut (dyn Target + '_)>,
    progress: bool,
) -> Result<TestPoint> {
    let ist = class.starting_current();
    let id = "R-START";
    let r = vector(id, ist, Pf::Unity.reactive_angle_deg()).with_duration(1.0);
    let truth = reactive_truth_varh(&r);
    let lim = class.limit(class.minimum_current(), Pf::Unity).map_or(f64::NAN, |l| l.pct);
    let (measured, note) = match run_recipe(&r, dir, target, progress)? {
        Ok((_, a)) => (registered(&a, Measure::Reactive), format!("limit: the class limit at its lowest current, {} In (the standard asks only that the meter starts and keeps registering); IEC 62053-23 (recalled): limit unconfirmed", class.minimum_current())),
        Err(why) => (f64::NAN, format!("not run: {why}")),
    };
    Ok(TestPoint::judged(
        id,
        "IEC 62053-23 (starting current)",
        format!("starting current {ist} In ({} mA), sin φ 1 (inductive), balanced", ist * IN * 1e3),
        "reactive energy",
        (measured, truth, "varh"),
        (100.0 * (measured - truth) / truth, lim, "%"),
        note,
    ))
}

/// Starting current, no load, meter constant and repeatability.
fn starting_and_no_load(
    dir: &Path,
    class: ActiveClass,
    tick: &mut dyn FnMut(&str),
    mut target: Option<&mut (dyn Target + '_)>,
    progress: bool,
) -> Result<Vec<TestPoint>> {
    let mut points = Vec::new();
    let std_ = class.standard();
    let run = |r: &Recipe, target: Option<&mut (dyn Target + '_)>| {
        run_recipe(r, dir, target, progress).map(|x| x.map(|(_, a)| a))
    };

    // 7.7 starting current: 1 s at Ist, PF 1.
    let ist = class.starting_current();
    let id = "A-7.7-START";
    tick(id);
    let r = vector(id, ist, 0.0).with_duration(1.0);
    let truth = active_truth_wh(&r)?;
    let lim = class.limit(class.minimum_current(), Pf::Unity).map_or(f64::NAN, |l| l.pct);
    let (measured, note) = match run(&r, target.as_deref_mut())? {
        Ok(a) => (registered(&a, Measure::Active), String::from("limit: the class limit at its minimum current (the standard asks only that the meter starts and keeps registering)")),
        Err(why) => (f64::NAN, format!("not run: {why}")),
    };
    points.push(TestPoint::judged(
        id,
        format!("{std_} 7.7"),
        format!("starting current {} In ({} mA), PF 1, balanced", ist, ist * IN * 1e3),
        "active energy",
        (measured, truth, "Wh"),
        (100.0 * (measured - truth) / truth, lim, "%"),
        note,
    ));

    // 7.6 no load: 115 % Un, current circuit open.
    let id = "A-7.6-NOLOAD";
    tick(id);
    let r = vector(id, 0.0, 0.0).with_duration(2.0).with_voltage(1.15 * UN);
    match run(&r, target.as_deref_mut())? {
        Ok(a) => {
            let pulses = a.energy.pulses.a_plus + a.energy.pulses.a_minus;
            points.push(TestPoint::judged(
                "A-7.6-NOLOAD-PULSES",
                format!("{std_} 7.6"),
                "115 % Un, current circuit open, 2 s",
                "test-output pulses",
                (pulses as f64, 0.0, "pulses"),
                (pulses as f64, 1.0, "pulses"),
                "at most one pulse",
            ));
            let wh = a.energy.total.to_wh();
            let any = wh[..4].iter().map(|v| v.abs()).sum::<f64>();
            points.push(TestPoint::judged(
                "A-7.6-NOLOAD-REGISTERS",
                format!("{std_} 7.6"),
                "115 % Un, current circuit open, 2 s",
                "energy registered (A±, R±)",
                (any, 0.0, "Wh"),
                (any, 0.0, "Wh"),
                "nothing registered (tighter than the standard's one pulse)",
            ));
        }
        Err(why) => points.push(TestPoint::judged(
            "A-7.6-NOLOAD-PULSES",
            format!("{std_} 7.6"),
            "115 % Un, current circuit open",
            "test-output pulses",
            (f64::NAN, 0.0, "pulses"),
            (f64::NAN, 1.0, "pulses"),
            format!("not run: {why}"),
        )),
    }

    // Meter constant: pulses against the register at In, PF 1, 2 s.
    let id = "A-CONSTANT";
    tick(id);
    let r = vector(id, 1.0, 0.0).with_duration(2.0);
    let (pulses, reg, note) = match run(&r, target.as_deref_mut())? {
        Ok(a) => (
            a.energy.pulses.a_plus as f64,
            a.energy.total.to_wh()[0] * METER_CONSTANT / 1000.0,
            format!("{METER_CONSTANT} imp/kWh; within one pulse of the register"),
        ),
        Err(why) => (f64::NAN, f64::NAN, format!("not run: {why}")),
    };
    points.push(TestPoint::judged(
        id,
        format!("{std_} (meter constant)"),
        "In, PF 1, balanced, 2 s",
        "pulses vs register × constant",
        (pulses, reg, "pulses"),
        (pulses - reg, 1.0, "pulses"),
        note,
    ));

    // Repeatability: the same point five times, each starting at another phase angle.
    let mut errors = Vec::new();
    let mut why_not = None;
    for k in 0..REPEATS {
        let id = format!("A-REPEAT-{}", k + 1);
        tick(&id);
        let mut r = vector(&id, 1.0, 0.0);
        let shift = 360.0 * k as f64 / REPEATS as f64;
        for p in &mut r.phases {
            p.u_phase_deg += shift;
        }
        let truth = active_truth_wh(&r)?;
        match run(&r, target.as_deref_mut())? {
            Ok(a) => errors.push(100.0 * (registered(&a, Measure::Active) - truth) / truth),
            Err(why) => why_not = Some(why),
        }
    }
    let lim = class.limit(1.0, Pf::Unity).map_or(f64::NAN, |l| l.pct / 10.0);
    let spread = if why_not.is_some() || errors.is_empty() {
        f64::NAN
    } else {
        errors.iter().cloned().fold(f64::MIN, f64::max)
            - errors.iter().cloned().fold(f64::MAX, f64::min)
    };
    points.push(TestPoint::judged(
        "A-REPEAT",
        format!("{std_} (repeatability)"),
        format!("In, PF 1, balanced, {REPEATS} runs starting at 0, 72, 144, 216, 288°"),
        "spread of the error (max − min)",
        (spread, 0.0, "%"),
        (spread, lim, "%"),
        why_not.map_or(
            "limit: a tenth of the class limit at In (the project's own bound)".into(),
            |w| format!("not run: {w}"),
        ),
    ));
    Ok(points)
}

/// The tightest classes every point of `sections` meets: recomputes each energy point's limit
/// for every class, tightest first.
pub fn tightest(sections: &[Section]) -> Vec<String> {
    let errors = |key: &str| -> Vec<(f64, Pf, f64, bool)> {
        sections
            .iter()
            .filter(|s| s.key == key)
            .flat_map(|s| &s.points)
            .filter_map(|p| {
                let (i, series) = p.plot.as_ref()?;
                let pf = if series.ends_with("0.5 L") || series.ends_with("0.5") {
                    Pf::HalfInductive
                } else if series.ends_with("0.8 C") {
                    Pf::EightCapacitive
                } else if series.ends_with("0.25") {
                    Pf::Quarter
                } else {
                    Pf::Unity
                };
                Some((*i, pf, p.error, series.starts_with('L')))
            })
            .collect()
    };
    let mut out = Vec::new();
    let active: Vec<_> =
        errors("accuracy").into_iter().chain(errors("single-phase-load")).collect();
    if !active.is_empty() {
        let met = ActiveClass::ALL.into_iter().find(|c| {
            active.iter().all(|&(i, pf, e, single)| {
                let l = if single { c.single_phase_load_limit(i, pf) } else { c.limit(i, pf) };
                l.is_none_or(|l| e.abs() <= l.pct)
            })
        });
        out.push(match met {
            Some(c) => format!(
                "Active energy: every accuracy point meets class {c} ({}), the tightest of 0.2S, 0.5S, 1, 2 (points below a class's lowest current are not judged for it).",
                c.standard()
            ),
            None => "Active energy: some accuracy point fails even class 2.".into(),
        });
    }
    let reactive = errors("reactive");
    if !reactive.is_empty() {
        let met = ReactiveClass::ALL.into_iter().find(|c| {
            reactive.iter().all(|&(i, pf, e, _)| c.limit(i, pf).is_none_or(|l| e.abs() <= l.pct))
        });
        out.push(match met {
            Some(c) => format!("Reactive energy: every accuracy point meets class {c} (IEC 62053-23), the tightest of 2, 3."),
            None => "Reactive energy: some point fails even class 3.".into(),
        });
    }
    out
}
