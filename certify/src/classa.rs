//! Power-quality measurements at test points in the spirit of IEC 62586-2 (the type test of
//! IEC 61000-4-30 Class A instruments), each against the Class A uncertainty (standards.md §2):
//!
//! | quantity | test points | limit |
//! |---|---|---|
//! | 10-s power frequency | the edges and the middle of the measuring ranges: 42.5, 50, 57.5 Hz (nominal 50 Hz); 51, 69 Hz (nominal 60 Hz); the 5th and 7th harmonics at 6 % and 5 %; 20 s each (the first 10-s value holds the settling cycles) | ±10 mHz |
//! | 10/12-cycle voltage magnitude | 10, 50, 100, 150 % Udin at 50 and 60 Hz | ±0.1 % Udin |
//! | negative-sequence unbalance u2 | 0.5, 1, 2, 5 % | ±0.15 % absolute |
//! | rapid voltage change: ΔUss and ΔUmax of a lasting step of 4 % and 6 % down and 4 % up on all phases (threshold 3 %) | exactly one RVC event; ±0.2 % Udin (the Class A uncertainty of Urms(1/2), which both come from) |
//!
//! Each row is the worst unflagged value of its vector against the closed-form truth; a vector
//! without an unflagged value fails. For magnitude and unbalance an interval flagged only for
//! the event its own level makes (a dip at 10 % Udin, a swell at 150 %) counts: the flag marks
//! it for aggregation (IEC 61000-4-30 4.7), the value must still be right.

use crate::energy::run_recipe;
use crate::report::{Section, TestPoint};
use anyhow::Result;
use percycle_engine::{EventKind, Flags};
use percycle_hil::bench::Target;
use percycle_vectors::{Recipe, Step, Topology};
use std::path::Path;

/// Declared voltage, V.
const UDIN: f64 = 230.0;
/// Class A limits.
const FREQUENCY_LIMIT_HZ: f64 = 0.010;
const MAGNITUDE_LIMIT_PCT: f64 = 0.1;
const UNBALANCE_LIMIT_PCT: f64 = 0.15;
const RVC_LIMIT_PCT: f64 = 0.2;

fn base(name: &str, f: f64, nominal: f64, seconds: f64) -> Recipe {
    Recipe::new(name, Topology::ThreePhase4W)
        .with_frequency(f)
        .with_nominal(nominal)
        .with_duration(seconds)
        .with_quantisation(24, 500.0, 20.0)
}

/// What a case measures, with its truth.
enum Check {
    /// 10-s frequency, Hz.
    Frequency(f64),
    /// Interval rms of U1-U3, V.
    Magnitude(f64),
    /// Interval u2, %.
    Unbalance(f64),
    /// One RVC event with this ΔUss (= ΔUmax for a lasting step), V.
    Rvc(f64),
}

fn cases() -> Vec<(Recipe, Check)> {
    let mut v = Vec::new();
    for (f, nominal) in [(42.5, 50.0), (50.0, 50.0), (57.5, 50.0), (51.0, 60.0), (69.0, 60.0)] {
        let name = format!("a_frequency_{}hz", f.to_string().replace('.', "p"));
        let r =
            base(&name, f, nominal, 20.2).with_u_harmonic(5, 6.0, 0.0).with_u_harmonic(7, 5.0, 0.0);
        v.push((r, Check::Frequency(f)));
    }
    for nominal in [50.0, 60.0] {
        for pct in [10.0, 50.0, 100.0, 150.0] {
            let name = format!("a_magnitude_{pct}pct_{nominal}hz");
            let r = base(&name, nominal, nominal, 0.6).with_voltage(UDIN * pct / 100.0);
            v.push((r, Check::Magnitude(UDIN * pct / 100.0)));
        }
    }
    for u2 in [0.5, 1.0, 2.0, 5.0] {
        // U1 = V·(1 + x) with U2, U3 at V: U+ = V·(3 + x)/3, U− = V·x/3, so u2 = x/(3 + x).
        let x = 3.0 * (u2 / 100.0) / (1.0 - u2 / 100.0);
        let mut r = base(&format!("a_unbalance_u2_{u2}pct"), 50.0, 50.0, 0.6);
        r.phases[0].u_rms_v = UDIN * (1.0 + x);
        v.push((r, Check::Unbalance(u2)));
    }
    for (tag, factor) in [("down4pct", 0.96), ("down6pct", 0.94), ("up4pct", 1.04)] {
        // Steady for more than 1 s after settling, then a lasting step at 2 s.
        let r = base(&format!("a_rvc_{tag}"), 50.0, 50.0, 4.0).with_step(Step::dip(
            2.0,
            2.0,
            &[0, 1, 2],
            factor,
        ));
        v.push((r, Check::Rvc(UDIN * (1.0 - factor).abs())));
    }
    v
}

/// No flag but, possibly, the event one.
fn only_event(f: Flags) -> bool {
    f.0 & !Flags::EVENT.0 == 0
}

/// Run the cases; returns their section.
///
/// # Errors
/// A vector that cannot be written, read back or run (a refusal by the target is a failed row).
pub fn run(
    out: &Path,
    progress: bool,
    mut target: Option<&mut (dyn Target + '_)>,
) -> Result<Section> {
    let dir = out.join("vectors");
    std::fs::create_dir_all(&dir)?;
    let all = cases();
    let mut points = Vec::new();
    for (k, (r, check)) in all.iter().enumerate() {
        if progress {
            eprintln!("[{}/{}] {}", k + 1, all.len(), r.name);
        }
        let result = run_recipe(r, &dir, target.as_deref_mut(), progress)?;
        let conditions = format!(
            "{}: {} Hz (nominal {} Hz), {} s",
            r.name,
            r.frequency.f0_hz,
            r.nominal_frequency_hz(),
            r.duration_s
        );
        let (clause, quantity, limit, unit) = match check {
            Check::Frequency(_) => (
                "IEC 61000-4-30 5.1 Class A",
                "10-s power frequency, worst",
                FREQUENCY_LIMIT_HZ * 1e3,
                "mHz",
            ),
            Check::Magnitude(_) => (
                "IEC 61000-4-30 5.2 Class A",
                "10/12-cycle U1-U3 rms, worst",
                MAGNITUDE_LIMIT_PCT,
                "% Udin",
            ),
            Check::Unbalance(_) => (
                "IEC 61000-4-30 5.7 Class A",
                "10/12-cycle u2, worst",
                UNBALANCE_LIMIT_PCT,
                "% (absolute)",
            ),
            Check::Rvc(_) => (
                "IEC 61000-4-30 (rapid voltage change)",
                "ΔUss and ΔUmax of the one RVC event, worst",
                RVC_LIMIT_PCT,
                "% Udin",
            ),
        };
        let (errs, truth, count, note): (Vec<f64>, f64, usize, String) = match result {
            Err(why) => (Vec::new(), f64::NAN, 0, format!("not run: {why}")),
            Ok((_, a)) => match *check {
                Check::Frequency(f) => {
                    let e: Vec<f64> = a
                        .frequency
                        .iter()
                        .filter(|x| x.flags == Flags::empty())
                        .map(|x| 1e3 * (x.frequency as f64 - f))
                        .collect();
                    let n = a.frequency.len();
                    (e, f, n, String::new())
                }
                Check::Magnitude(u) => {
                    let clean = a.intervals.iter().filter(|iv| only_event(iv.flags));
                    let e = clean
                        .flat_map(|iv| (0..3).map(move |c| 100.0 * (iv.rms[c] as f64 - u) / UDIN))
                        .collect();
                    (e, u, a.intervals.len(), String::new())
                }
                Check::Unbalance(u2) => {
                    let clean = a.intervals.iter().filter(|iv| only_event(iv.flags));
                    let e = clean.map(|iv| iv.u2_pct as f64 - u2).collect();
                    (e, u2, a.intervals.len(), String::new())
                }
                Check::Rvc(d) => {
                    let rvc: Vec<_> =
                        a.events.iter().filter(|e| e.kind == EventKind::Rvc).collect();
                    let others = a.events.len() - rvc.len();
                    match rvc[..] {
                        [e] => {
                            let err = |v: f32| 100.0 * (v as f64 - d) / UDIN;
                            let e = vec![err(e.delta_ss_v), err(e.extreme_v)];
                            (e, d, 1, format!("{others} other events"))
                        }
                        _ => {
                            let why = format!("{} RVC events, one expected", rvc.len());
                            (Vec::new(), d, rvc.len(), why)
                        }
                    }
                }
            },
        };
        let worst = errs.iter().copied().fold(f64::NAN, |w: f64, e| {
            if w.is_nan() || e.abs() > w.abs() {
                e
            } else {
                w
            }
        });
        let note = if note.is_empty() {
            format!("{} unflagged values of {count}", errs.len())
        } else {
            note
        };
        let measured = match check {
            Check::Frequency(_) => truth + worst / 1e3,
            Check::Magnitude(_) | Check::Rvc(_) => truth + worst * UDIN / 100.0,
            Check::Unbalance(_) => truth + worst,
        };
        let value_unit = match check {
            Check::Frequency(_) => "Hz",
            Check::Magnitude(_) | Check::Rvc(_) => "V",
            Check::Unbalance(_) => "%",
        };
        points.push(TestPoint::judged(
            format!("PQA-{}", r.name),
            clause,
            conditions,
            quantity,
            (measured, truth, value_unit),
            (worst, limit, unit),
            note,
        ));
    }
    Ok(Section {
        key: "classa".into(),
        title: "Power quality: frequency, magnitude and unbalance (IEC 61000-4-30 Class A)".into(),
        intro: "Test points in the spirit of IEC 62586-2 (whose numeric test points are not public): the 10-s frequency across the measuring ranges of 50 and 60 Hz systems, the 10/12-cycle magnitude from 10 % to 150 % Udin, and the negative-sequence unbalance, each the worst unflagged value against the Class A uncertainty.".into(),
        points,
        charts: Vec::new(),
    })
}
