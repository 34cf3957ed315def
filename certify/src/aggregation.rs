//! Aggregation and flagging at test points in the spirit of IEC 62586-2 (IEC 61000-4-30 §4.4,
//! §4.5, §4.7; standards.md §2.1), against closed-form truth.
//!
//! One vector stands for a stretch of clock windows: the "10-min" window is shortened to
//! [`WINDOW_S`] (the engine's `aggregation.window_s`, carried to a board in its configuration),
//! so that a stream of a few seconds holds several clock ticks; every rule judged here is the
//! same at 600 s. The voltage of all three phases alternates between 250 V and 210 V
//! every half second (whole cycles at 50 Hz, inside the ±10 % band, no event), and one dip to
//! 100 V lasts 100 ms in the second window. Because every level lasts whole cycles and every
//! basic interval ten of them, the mean square of any span of whole seconds is
//! `(250² + 210²) / 2` V² whatever the span's phase, and that of a span holding the dip is the
//! same less the dip's share: the truth of each aggregate needs no knowledge of where the
//! meter's intervals fall.
//!
//! | row | truth | limit |
//! |---|---|---|
//! | 10-min U1-U3 (rms of the basic values), worst | the mean square of its span | ±0.1 % Udin (the magnitude uncertainty; rms aggregation adds none) |
//! | 150/180-cycle U1-U3, worst | the same | ±0.1 % Udin |
//! | 10-min frequency (mean of the basic values), worst | 50 Hz | ±10 mHz |
//! | resynchronisation: a new 150/180-cycle value starts at each tick | start − tick | within one basic interval (200 ms): the blocks restart at the first interval starting in the new window; the running one completes (overlap) |
//! | flags: each aggregate holding the dip flagged, each other one not | count of wrong flags | 0 |
//!
//! An aggregate whose span is not whole seconds (a first window shortened by the meter's
//! settling) has no closed-form value here, nor has one flagged for anything but the dip's
//! event: each is counted in its row's note, not judged for its value. Every aggregate is judged
//! for its flags.

use crate::energy::run_recipe_with;
use crate::report::{Section, TestPoint};
use anyhow::Result;
use percycle_analysis::analyze::Analysis;
use percycle_analysis::setup::Options;
use percycle_engine::{AggregateKind, AggregateReport, Flags};
use percycle_hil::bench::Target;
use percycle_vectors::{Recipe, Step, Topology};
use std::path::Path;

/// Declared voltage, V.
const UDIN: f64 = 230.0;
/// The two levels, V, and the dip's residual voltage, V.
const HIGH_V: f64 = 250.0;
const LOW_V: f64 = 210.0;
const DIP_V: f64 = 100.0;
/// The dip: start and duration, s (inside the second window, at the high level).
const DIP_START_S: f64 = 5.0;
const DIP_S: f64 = 0.1;
/// The clock window standing for 10 min, s: not a whole number of 150/180-cycle blocks, so
/// every tick falls inside a running block.
pub const WINDOW_S: f64 = 4.0;
/// Stream length, s: three whole windows and a part of a fourth.
const SECONDS: f64 = 12.5;
/// Basic interval at 50 Hz, s.
const INTERVAL_S: f64 = 0.2;
/// Limits (standards.md §2.2, Class A).
const MAGNITUDE_LIMIT_PCT: f64 = 0.1;
const FREQUENCY_LIMIT_HZ: f64 = 0.010;

/// The vector.
pub fn recipe() -> Recipe {
    let mut r = Recipe::new("a_aggregation", Topology::ThreePhase4W)
        .with_frequency(50.0)
        .with_nominal(50.0)
        .with_duration(SECONDS)
        .with_quantisation(24, 500.0, 20.0)
        .with_voltage(HIGH_V);
    let mut t = 0.5;
    while t < SECONDS {
        r = r.with_step(Step::dip(t, 0.5, &[0, 1, 2], LOW_V / HIGH_V));
        t += 1.0;
    }
    r.with_step(Step::dip(DIP_START_S, DIP_S, &[0, 1, 2], DIP_V / HIGH_V))
}

/// Mean square of the voltage over a span of whole seconds, V², with or without the dip.
fn mean_square(span_s: f64, holds_dip: bool) -> f64 {
    let base = (HIGH_V * HIGH_V + LOW_V * LOW_V) / 2.0;
    if holds_dip {
        base - DIP_S * (HIGH_V * HIGH_V - DIP_V * DIP_V) / span_s
    } else {
        base
    }
}

/// The span of an aggregate's basic intervals, s: a 150/180-cycle value starts at its first
/// interval; a 10-min value's first interval starts at most one interval after its window, as
/// does a 2-h value's, which holds whole windows.
fn span(a: &AggregateReport) -> (f64, f64) {
    match a.kind {
        AggregateKind::ThreeSecond => (a.start_s, a.start_s + a.values as f64 * INTERVAL_S),
        AggregateKind::TenMinute => (a.start_s, a.start_s + (a.values + 1) as f64 * INTERVAL_S),
        AggregateKind::TwoHour => (a.start_s, a.start_s + a.values as f64 * WINDOW_S + INTERVAL_S),
    }
}

/// Seconds of signal an aggregate holds.
fn held_s(a: &AggregateReport) -> f64 {
    match a.kind {
        AggregateKind::TwoHour => a.values as f64 * WINDOW_S,
        _ => a.values as f64 * INTERVAL_S,
    }
}

/// Clock ticks at which a new 150/180-cycle value must start and complete inside the stream.
fn ticks() -> Vec<f64> {
    (1..).map(|k| k as f64 * WINDOW_S).take_while(|t| t + 3.0 + INTERVAL_S <= SECONDS).collect()
}

/// Whether an aggregate holds the dip.
fn holds_dip(a: &AggregateReport) -> bool {
    let (lo, hi) = span(a);
    lo < DIP_START_S + DIP_S && DIP_START_S < hi
}

fn kind_name(k: AggregateKind) -> &'static str {
    match k {
        AggregateKind::ThreeSecond => "150/180-cycle",
        AggregateKind::TenMinute => "10-min",
        AggregateKind::TwoHour => "2-h",
    }
}

/// The worst error (largest magnitude, NaN for none).
fn worst(errors: impl Iterator<Item = f64>) -> f64 {
    errors.fold(f64::NAN, |w, e| if w.is_nan() || e.abs() > w.abs() { e } else { w })
}

/// Run the vector; returns its section.
///
/// # Errors
/// A vector that cannot be written, read back or run (a refusal by the target is a failed row).
pub fn run(out: &Path, progress: bool, target: Option<&mut (dyn Target + '_)>) -> Result<Section> {
    let dir = out.join("vectors");
    std::fs::create_dir_all(&dir)?;
    let r = recipe();
    if progress {
        eprintln!("[1/1] {}", r.name);
    }
    let opts = Options { aggregate_s: Some(WINDOW_S), ..Options::default() };
    let conditions = format!(
        "{}: 3P4W 50 Hz, U1-U3 alternating {HIGH_V}/{LOW_V} V every 0.5 s, a dip to {DIP_V} V at \
         {DIP_START_S} s for {} ms, clock window {WINDOW_S} s standing for 10 min, {SECONDS} s",
        r.name,
        DIP_S * 1e3
    );
    let points = match run_recipe_with(&r, &dir, &opts, target, progress)? {
        Ok((_, a)) => judge(&a, &conditions),
        Err(why) => vec![TestPoint::judged(
            "PQA-AGG",
            "IEC 61000-4-30 4.5",
            conditions,
            "aggregated values",
            (f64::NAN, f64::NAN, "V"),
            (f64::NAN, MAGNITUDE_LIMIT_PCT, "% Udin"),
            format!("not run: {why}"),
        )],
    };
    Ok(Section {
        key: "aggregation".into(),
        title: "Power quality: aggregation and flagging (IEC 61000-4-30 4.5, 4.7)".into(),
        intro: format!(
            "One vector with a clock window of {WINDOW_S} s standing for 10 min (the rules do not \
             depend on the window's length): the 150/180-cycle, 10-min and 2-h values against the \
             mean square of the closed-form signal over their spans, the 10-min frequency, the \
             restart of the 150/180-cycle values at each tick with the running one completing, \
             and the flag of every aggregate that holds the dip (and of no other)."
        ),
        points,
        charts: Vec::new(),
    })
}

/// The rows of one run.
fn judge(a: &Analysis, conditions: &str) -> Vec<TestPoint> {
    let mut points = Vec::new();
    for kind in [AggregateKind::ThreeSecond, AggregateKind::TenMinute, AggregateKind::TwoHour] {
        let all: Vec<&AggregateReport> = a.aggregates.iter().filter(|x| x.kind == kind).collect();
        // Spans of whole seconds (5 intervals), flagged for the dip at most.
        let judged: Vec<&&AggregateReport> = all
            .iter()
            .filter(|x| {
                let whole = match kind {
                    AggregateKind::TwoHour => true,
                    _ => x.values % 5 == 0,
                };
                whole && x.flags.0 & !Flags::EVENT.0 == 0
            })
            .collect();
        let values: Vec<(f64, f64)> = judged
            .iter()
            .flat_map(|x| {
                let t = mean_square(held_s(x), holds_dip(x)).sqrt();
                (0..3).map(move |c| (x.rms[c] as f64, t))
            })
            .collect();
        let error = |&(m, t): &(f64, f64)| 100.0 * (m - t) / UDIN;
        let (measured, truth_v) = values
            .iter()
            .copied()
            .reduce(|w, v| if error(&v).abs() > error(&w).abs() { v } else { w })
            .unwrap_or((f64::NAN, f64::NAN));
        let e = error(&(measured, truth_v));
        let name = kind_name(kind);
        let id = match kind {
            AggregateKind::ThreeSecond => "PQA-AGG-3S-U",
            AggregateKind::TenMinute => "PQA-AGG-10MIN-U",
            AggregateKind::TwoHour => "PQA-AGG-2H-U",
        };
        let mut note = format!("{} of {} {name} values judged", judged.len(), all.len());
        if kind == AggregateKind::TwoHour {
            // The engine closes the 2-h window at the stream's end with the windows it holds
            // and says how many in `values`.
            let held: Vec<String> = all.iter().map(|x| format!("{} of 12", x.values)).collect();
            note.push_str(&format!(
                " (closed by the stream's end, holding {} 10-min values)",
                held.join(", ")
            ));
        }
        points.push(TestPoint::judged(
            id,
            "IEC 61000-4-30 4.5",
            conditions,
            format!("{name} U1-U3 (rms of the values held), worst"),
            (measured, truth_v, "V"),
            (e, MAGNITUDE_LIMIT_PCT, "% Udin"),
            note,
        ));
    }
    // 10-min frequency: the mean of the basic values.
    let ten: Vec<&AggregateReport> =
        a.aggregates.iter().filter(|x| x.kind == AggregateKind::TenMinute).collect();
    let e = worst(ten.iter().map(|x| x.frequency as f64 - 50.0));
    points.push(TestPoint::judged(
        "PQA-AGG-10MIN-F",
        "IEC 61000-4-30 4.5",
        conditions,
        "10-min frequency (mean of the values held), worst",
        (50.0 + e, 50.0, "Hz"),
        (e * 1e3, FREQUENCY_LIMIT_HZ * 1e3, "mHz"),
        format!("{} 10-min values", ten.len()),
    ));
    // Resynchronisation at each tick.
    let three: Vec<&AggregateReport> =
        a.aggregates.iter().filter(|x| x.kind == AggregateKind::ThreeSecond).collect();
    for (k, tick) in ticks().into_iter().enumerate() {
        let restart = three.iter().map(|x| x.start_s).filter(|&s| s >= tick).reduce(f64::min);
        let running = three.iter().find(|x| x.start_s < tick && x.start_s + x.length_s > tick);
        let (delay_ms, note) = match (restart, running) {
            (Some(s), Some(r)) => (
                (s - tick) * 1e3,
                format!(
                    "the block running at the tick ({:.3}-{:.3} s) completes its {} intervals",
                    r.start_s,
                    r.start_s + r.length_s,
                    r.values
                ),
            ),
            (Some(_), None) => (f64::NAN, "no block runs across the tick".to_string()),
            (None, _) => (f64::NAN, "no 150/180-cycle value starts after the tick".to_string()),
        };
        points.push(TestPoint::judged(
            format!("PQA-AGG-RESYNC-{}", k + 1),
            "IEC 61000-4-30 4.5",
            conditions,
            format!("start of the first 150/180-cycle value after the tick at {tick} s"),
            (tick + delay_ms / 1e3, tick, "s"),
            (delay_ms, INTERVAL_S * 1e3, "ms"),
            note,
        ));
    }
    // Flags: every aggregate holding the dip carries the event flag and nothing else does.
    let wrong: Vec<String> = a
        .aggregates
        .iter()
        .filter(|x| {
            let expected = if holds_dip(x) { Flags::EVENT } else { Flags::empty() };
            x.flags != expected
        })
        .map(|x| format!("{} at {:.2} s: flags {:#x}", kind_name(x.kind), x.start_s, x.flags.0))
        .collect();
    let flagged = a.aggregates.iter().filter(|x| holds_dip(x)).count();
    points.push(TestPoint::judged(
        "PQA-AGG-FLAGS",
        "IEC 61000-4-30 4.7",
        conditions,
        "aggregates whose flag is wrong",
        (wrong.len() as f64, 0.0, "values"),
        (wrong.len() as f64, 0.0, "values"),
        if wrong.is_empty() {
            format!(
                "{} aggregates: the {flagged} holding the dip flagged, the others not",
                a.aggregates.len()
            )
        } else {
            wrong.join("; ")
        },
    ));
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_run() -> Analysis {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options { aggregate_s: Some(WINDOW_S), ..Options::default() };
        run_recipe_with(&recipe(), dir.path(), &opts, None, false).unwrap().unwrap().1
    }

    fn failed(points: &[TestPoint]) -> Vec<&str> {
        points.iter().filter(|p| !p.pass).map(|p| p.id.as_str()).collect()
    }

    #[test]
    fn the_engine_meets_every_row_and_a_wrong_aggregation_fails_its_own_rows() {
        let a = host_run();
        let points = judge(&a, "c");
        assert!(failed(&points).is_empty(), "{points:#?}");
        // Every kind judged, both ticks, and the dip flagged in some values of each kind.
        assert_eq!(points.len(), 7, "{points:#?}");
        let flags = points.iter().find(|p| p.id == "PQA-AGG-FLAGS").unwrap();
        assert!(flags.note.contains("the 4 holding the dip flagged"), "{}", flags.note);

        // The arithmetic mean in place of the rms: 230 V for 230.87 V, 0.38 % Udin.
        let mut mean = a.clone();
        for x in mean.aggregates.iter_mut().filter(|x| !holds_dip(x)) {
            x.rms[1] = ((HIGH_V + LOW_V) / 2.0) as f32;
        }
        let f = failed(&judge(&mean, "c")).join(" ");
        assert_eq!(f, "PQA-AGG-3S-U PQA-AGG-10MIN-U");

        // A flag lost, and one leaking into a clean value.
        let mut lost = a.clone();
        let dipped = lost.aggregates.iter().position(holds_dip).unwrap();
        lost.aggregates[dipped].flags = Flags::empty();
        let clean = lost.aggregates.iter().position(|x| !holds_dip(x)).unwrap();
        lost.aggregates[clean].flags = Flags::EVENT;
        let points = judge(&lost, "c");
        assert_eq!(failed(&points), ["PQA-AGG-FLAGS"]);
        assert_eq!(points.last().unwrap().error, 2.0);

        // No restart at the second tick: the blocks run on from the first.
        let mut late = a.clone();
        late.aggregates
            .retain(|x| !(x.kind == AggregateKind::ThreeSecond && (8.0..8.2).contains(&x.start_s)));
        assert_eq!(failed(&judge(&late, "c")), ["PQA-AGG-RESYNC-2"]);
    }
}
