//! The EN 50160 voltage-event suite through the engine, judged against closed-form truth.
//!
//! Each case of [`en50160_suite`] is synthesised, analysed in memory ([`analyze_waveform`],
//! nominal 50 Hz, declared voltage 230 V) and compared with the truth the suite derives from
//! the recipe (see [`percycle_vectors::pq_suite`]):
//!
//! | check | limit |
//! |---|---|
//! | events | exactly one measured event per expected event of the same kind (dip, swell, interruption); each expected event takes the measured one of its kind whose start is nearest, among those within [`MATCH_WINDOW_CYCLES`] nominal cycles; a measured event of these kinds that matches no expected one fails the case |
//! | Event IN (start) | within [`START_LIMIT_CYCLES`] nominal cycle (½ cycle, the Class A bound) of the true stamp |
//! | Event OUT (end) | within [`END_LIMIT_CYCLES`] nominal cycle of the true stamp |
//! | residual (dip, interruption) or maximum (swell) | [`EXTREME_LIMIT_PCT`] % of the declared voltage |
//! | phases | the measured phase mask equals the true one |
//! | EN 50160 cell | the cell of the measured residual and duration ([`dip_cell`], [`swell_cell`]) equals the true cell |
//! | unbalance u2 (when the case states it) | every unflagged basic interval within [`U2_LIMIT_PCT`] % absolute |
//! | power frequency (when the case states it) | every unflagged 10-s value within [`FREQUENCY_LIMIT_HZ`] Hz |
//!
//! The true stamps are those a Class A instrument prints (standards.md §2.2), computed in closed
//! form by [`percycle_vectors::pq_suite`]: Event IN is the start of the first one-cycle window
//! on the half-cycle lattice whose exact rms crossed the threshold, Event OUT the start of the
//! first window in which the ending condition holds. The engine stamps its Urms(1/2) values the
//! same way, so start and end are held to the Class A ±½ cycle each (the duration, their
//! difference, is reported). The residual is exact once a whole window lies inside a step,
//! which every case ensures, hence the tight residual limit.
//!
//! The event rows of the table are judged by one function that the hostile suite's judge
//! ([`crate::hostile`]) calls as well.
//!
//! Values count as *unflagged* when they carry no flag at all (no event in progress, not
//! settling, no hold-over, …); a case that checks unbalance or frequency fails when no
//! unflagged value is left to compare. Other event kinds the engine reports (rapid voltage
//! change, missing phase, low voltage, …) are not modelled by the suite: they are listed in
//! [`EventJudgement::other_events`] and do not decide the verdict.

use anyhow::{Context, Result};
use percycle_analysis::analyze::{analyze_waveform, Analysis};
use percycle_analysis::en50160::{dip_cell, swell_cell};
use percycle_analysis::setup::Options;
use percycle_analysis::source::WaveformSource;
use percycle_engine::{EventKind, Flags, VoltageEvent};
use percycle_vectors::pq_suite::DECLARED_VOLTAGE_V;
use percycle_vectors::{en50160_suite, synthesize, ExpectedEvent, ExpectedKind, PqCase, PqTruth};
use serde::Serialize;
use std::path::Path;

/// A measured event is matched with an expected one of its kind whose start lies within this
/// many nominal cycles (the search window, not the bound: see [`START_LIMIT_CYCLES`]).
pub const MATCH_WINDOW_CYCLES: f64 = 2.0;
/// Limit on the error of Event IN, nominal cycles (IEC 61000-4-30 Class A instruments: ±½ cycle).
pub const START_LIMIT_CYCLES: f64 = 0.5;
/// Limit on the error of Event OUT, nominal cycles.
pub const END_LIMIT_CYCLES: f64 = 0.5;
/// Limit on the residual or maximum error, % of the declared voltage.
pub const EXTREME_LIMIT_PCT: f64 = 0.02;
/// Limit on the unbalance error of each unflagged basic interval, % (absolute).
pub const U2_LIMIT_PCT: f64 = 0.015;
/// Limit on the error of each unflagged 10-s frequency value, Hz.
pub const FREQUENCY_LIMIT_HZ: f64 = 1e-3;

/// A dip, swell or interruption as the engine reported it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MeasuredEvent {
    /// Dip, swell or interruption.
    pub kind: ExpectedKind,
    /// Event IN: start of the first Urms(1/2) window past the threshold, s.
    pub start_s: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Residual or maximum, % of the declared voltage.
    pub extreme_pct: f64,
    /// Phases that crossed the threshold, bit 0 = L1.
    pub phases: u8,
    /// EN 50160 cell of the measured values (`None` for an interruption or outside the grid).
    pub cell: Option<String>,
    /// Still in progress when the stream ended.
    pub open_at_end: bool,
}

/// One expected event and what it was matched with.
#[derive(Clone, Debug, Serialize)]
pub struct EventCheck {
    /// The truth.
    pub expected: ExpectedEvent,
    /// The matching measured event, if any.
    pub measured: Option<MeasuredEvent>,
    /// Measured minus true residual (maximum), % of the declared voltage.
    pub extreme_err_pct: Option<f64>,
    /// Measured minus true Event IN, s.
    pub start_err_s: Option<f64>,
    /// Measured minus true Event OUT, s.
    pub end_err_s: Option<f64>,
    /// Measured minus true duration, s.
    pub duration_err_s: Option<f64>,
    /// Every check of this event within its limit.
    pub pass: bool,
}

/// The outcome of one case.
#[derive(Clone, Debug, Serialize)]
pub struct PqResult {
    /// Case (recipe) name.
    pub name: String,
    /// The truth it was judged against.
    pub truth: PqTruth,
    /// The dips, swells and interruptions against the truth.
    #[serde(flatten)]
    pub judged: EventJudgement,
    /// Largest |u2 error| over the unflagged basic intervals, % (when checked).
    pub u2_err_pct: Option<f64>,
    /// Basic intervals compared for u2.
    pub u2_intervals: usize,
    /// Largest |frequency error| over the unflagged 10-s values, Hz (when checked).
    pub frequency_err_hz: Option<f64>,
    /// 10-s values compared for frequency.
    pub frequency_values: usize,
    /// Every check within its limit.
    pub pass: bool,
    /// Why it failed, if it did.
    pub failures: Vec<String>,
}

fn kind_of(k: EventKind) -> Option<ExpectedKind> {
    match k {
        EventKind::Dip => Some(ExpectedKind::Dip),
        EventKind::Swell => Some(ExpectedKind::Swell),
        EventKind::Interruption => Some(ExpectedKind::Interruption),
        _ => None,
    }
}

fn measured(e: &VoltageEvent, kind: ExpectedKind, fs: f32, declared: f64) -> MeasuredEvent {
    let extreme_pct = 100.0 * e.extreme_v as f64 / declared;
    let duration_s = e.duration_s(fs);
    let cell = match kind {
        ExpectedKind::Dip => dip_cell(extreme_pct, duration_s),
        ExpectedKind::Swell => swell_cell(extreme_pct, duration_s),
        ExpectedKind::Interruption => None,
    };
    MeasuredEvent {
        kind,
        start_s: e.start.seconds(fs),
        duration_s,
        extreme_pct,
        phases: e.phases,
        cell: cell.map(str::to_string),
        open_at_end: e.open_at_end,
    }
}

/// The dips, swells and interruptions of an analysis judged against the expected ones: the
/// event rows of the module docs' table, shared by every judge that holds events to the Class A
/// stamps ([`judge`] and [`crate::hostile::judge`]).
#[derive(Clone, Debug, Serialize)]
pub struct EventJudgement {
    /// Expected dips, swells and interruptions.
    pub events_expected: usize,
    /// Dips, swells and interruptions the engine reported.
    pub events_found: usize,
    /// One entry per expected event.
    pub events: Vec<EventCheck>,
    /// Measured dips, swells and interruptions that matched no expected event.
    pub unexpected: Vec<MeasuredEvent>,
    /// Other event kinds the engine reported, as `kind@start_s`.
    pub other_events: Vec<String>,
    /// Largest |residual error| over the matched events, % of the declared voltage.
    pub worst_extreme_err_pct: Option<f64>,
    /// Event IN error of largest magnitude over the matched events (signed), s.
    pub worst_start_err_s: Option<f64>,
    /// Event OUT error of largest magnitude over the matched events (signed), s.
    pub worst_end_err_s: Option<f64>,
    /// Duration error of largest magnitude over the matched events (signed), s.
    pub worst_duration_err_s: Option<f64>,
}

impl EventJudgement {
    /// Nothing measured (a case that did not run) against `expected` events.
    pub fn none(expected: usize) -> Self {
        Self {
            events_expected: expected,
            events_found: 0,
            events: Vec::new(),
            unexpected: Vec::new(),
            other_events: Vec::new(),
            worst_extreme_err_pct: None,
            worst_start_err_s: None,
            worst_end_err_s: None,
            worst_duration_err_s: None,
        }
    }
}

/// Judge the events of `a` against `expected` (the module docs' event rules), adding a reason to
/// `failures` for every miss: an analysis run with another declared voltage than
/// `declared_voltage_v`, events dropped by the engine, an expected event without a match within
/// [`MATCH_WINDOW_CYCLES`] or outside a limit, and every measured event left unmatched.
///
/// Each expected event takes the unmatched measured event of its kind whose start is closest to
/// the true start, if within [`MATCH_WINDOW_CYCLES`] nominal cycles.
pub(crate) fn judge_events(
    expected: &[ExpectedEvent],
    declared_voltage_v: f64,
    a: &Analysis,
    failures: &mut Vec<String>,
) -> EventJudgement {
    let fs = a.config.sample_rate_hz;
    let declared = a.config.declared_voltage as f64;
    let cycle_s = 1.0 / a.config.nominal_hz as f64;
    if (declared - declared_voltage_v).abs() > 1e-3 {
        failures.push(format!(
            "analysis ran with a declared voltage of {declared} V, the truth refers to \
             {declared_voltage_v} V"
        ));
    }
    if a.events_dropped > 0 {
        failures.push(format!("{} events dropped by the engine", a.events_dropped));
    }

    let mut found = Vec::new();
    let mut other_events = Vec::new();
    for e in &a.events {
        match kind_of(e.kind) {
            Some(k) => found.push(measured(e, k, fs, declared)),
            None => other_events.push(format!("{:?}@{:.4}s", e.kind, e.start.seconds(fs))),
        }
    }
    let events_found = found.len();
    let mut used = vec![false; found.len()];
    let mut events = Vec::new();
    for x in expected {
        let best = found
            .iter()
            .enumerate()
            .filter(|(k, m)| !used[*k] && m.kind == x.kind)
            .map(|(k, m)| (k, (m.start_s - x.start_s).abs()))
            .filter(|&(_, d)| d <= MATCH_WINDOW_CYCLES * cycle_s)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let what = format!("{} at {:.4} s", x.kind.name(), x.start_s);
        let Some((k, _)) = best else {
            failures.push(format!(
                "{what}: no measured {} starting within {MATCH_WINDOW_CYCLES} cycles",
                x.kind.name()
            ));
            events.push(EventCheck {
                expected: x.clone(),
                measured: None,
                extreme_err_pct: None,
                start_err_s: None,
                end_err_s: None,
                duration_err_s: None,
                pass: false,
            });
            continue;
        };
        used[k] = true;
        let m = found[k].clone();
        let de = m.extreme_pct - x.extreme_pct;
        let dt = m.duration_s - x.duration_s;
        let d_in = m.start_s - x.start_s;
        let d_out = (m.start_s + m.duration_s) - (x.start_s + x.duration_s);
        let before = failures.len();
        if de.abs() > EXTREME_LIMIT_PCT {
            failures.push(format!(
                "{what}: extreme {:.4} % vs true {:.4} % (error {de:+.4} % > {EXTREME_LIMIT_PCT} %)",
                m.extreme_pct, x.extreme_pct
            ));
        }
        for (name, err, limit) in
            [("start", d_in, START_LIMIT_CYCLES), ("end", d_out, END_LIMIT_CYCLES)]
        {
            if err.abs() > limit * cycle_s {
                failures.push(format!(
                    "{what}: {name} error {:+.2} ms > {:.0} ms (duration {:.2} ms vs true {:.2} ms)",
                    err * 1e3,
                    limit * cycle_s * 1e3,
                    m.duration_s * 1e3,
                    x.duration_s * 1e3,
                ));
            }
        }
        if m.open_at_end != x.open_at_end {
            failures.push(format!(
                "{what}: open at the end of the stream {} vs true {}",
                m.open_at_end, x.open_at_end
            ));
        }
        if m.phases != x.phases {
            failures.push(format!("{what}: phases {:#05b} vs true {:#05b}", m.phases, x.phases));
        }
        if m.cell != x.dip_or_swell_cell {
            failures.push(format!(
                "{what}: cell {:?} vs true {:?}",
                m.cell.as_deref().unwrap_or("-"),
                x.dip_or_swell_cell.as_deref().unwrap_or("-")
            ));
        }
        events.push(EventCheck {
            expected: x.clone(),
            measured: Some(m),
            extreme_err_pct: Some(de),
            start_err_s: Some(d_in),
            end_err_s: Some(d_out),
            duration_err_s: Some(dt),
            pass: failures.len() == before,
        });
    }
    let unexpected: Vec<MeasuredEvent> =
        found.iter().zip(&used).filter(|(_, &u)| !u).map(|(m, _)| m.clone()).collect();
    for m in &unexpected {
        failures.push(format!(
            "unexpected {} at {:.4} s ({:.2} ms, {:.3} %)",
            m.kind.name(),
            m.start_s,
            m.duration_s * 1e3,
            m.extreme_pct
        ));
    }

    let worst_extreme_err_pct =
        events.iter().filter_map(|c| c.extreme_err_pct).map(f64::abs).reduce(f64::max);
    let worst = |f: fn(&EventCheck) -> Option<f64>| {
        events.iter().filter_map(f).reduce(|w, d| if d.abs() > w.abs() { d } else { w })
    };
    EventJudgement {
        events_expected: expected.len(),
        events_found,
        worst_extreme_err_pct,
        worst_start_err_s: worst(|c| c.start_err_s),
        worst_end_err_s: worst(|c| c.end_err_s),
        worst_duration_err_s: worst(|c| c.duration_err_s),
        events,
        unexpected,
        other_events,
    }
}

/// Compare one analysis with its case's truth (see the module docs for the checks).
///
/// Each expected event takes the unmatched measured event of its kind whose start is closest to
/// the true start, if within [`MATCH_WINDOW_CYCLES`] nominal cycles.
pub fn judge(case: &PqCase, a: &Analysis) -> PqResult {
    let truth = &case.truth;
    let mut failures = Vec::new();
    let ev = judge_events(&truth.events, DECLARED_VOLTAGE_V, a, &mut failures);

    let unflagged = |f: Flags| f == Flags::empty();
    let (mut u2_err_pct, mut u2_intervals) = (None, 0);
    if let Some(u2) = truth.unbalance_u2_pct {
        let errs: Vec<f64> = a
            .intervals
            .iter()
            .filter(|iv| unflagged(iv.flags))
            .map(|iv| iv.u2_pct as f64 - u2)
            .collect();
        u2_intervals = errs.len();
        let worst = errs.iter().fold(0.0f64, |w, e| w.max(e.abs()));
        if errs.is_empty() {
            failures.push("u2: no unflagged interval to compare".into());
        } else if worst > U2_LIMIT_PCT {
            failures
                .push(format!("u2: worst error {worst:.4} % > {U2_LIMIT_PCT} % (true {u2:.4} %)"));
        }
        u2_err_pct = Some(worst);
    }
    let (mut frequency_err_hz, mut frequency_values) = (None, 0);
    if let Some(f) = truth.frequency_hz {
        let errs: Vec<f64> = a
            .frequency
            .iter()
            .filter(|v| unflagged(v.flags))
            .map(|v| v.frequency as f64 - f)
            .collect();
        frequency_values = errs.len();
        let worst = errs.iter().fold(0.0f64, |w, e| w.max(e.abs()));
        if errs.is_empty() {
            failures.push("frequency: no unflagged 10-s value to compare".into());
        } else if worst > FREQUENCY_LIMIT_HZ {
            failures.push(format!(
                "frequency: worst error {:.3} mHz > {:.0} mHz (true {f} Hz)",
                worst * 1e3,
                FREQUENCY_LIMIT_HZ * 1e3
            ));
        }
        frequency_err_hz = Some(worst);
    }

    PqResult {
        name: case.recipe.name.clone(),
        truth: truth.clone(),
        judged: ev,
        u2_err_pct,
        u2_intervals,
        frequency_err_hz,
        frequency_values,
        pass: failures.is_empty(),
        failures,
    }
}

/// The analysis options of the suite: nominal 50 Hz, declared voltage 230 V.
pub fn options() -> Options {
    Options {
        nominal_hz: Some(50.0),
        declared_voltage: Some(DECLARED_VOLTAGE_V as f32),
        ..Options::default()
    }
}

/// Synthesise and analyse one case.
///
/// # Errors
/// An invalid recipe, or an analysis the engine rejects.
pub fn analyze_case(case: &PqCase) -> Result<Analysis> {
    let v =
        synthesize(&case.recipe).with_context(|| format!("synthesising {}", case.recipe.name))?;
    analyze_waveform(&v.waveform, None, &options())
        .with_context(|| format!("analysing {}", case.recipe.name))
}

/// Run the whole suite: synthesise, analyse and judge every case, then write `report.json`
/// and `report.md` into `out` (created if needed). Returns the results in suite order.
///
/// # Errors
/// A case that cannot be synthesised or analysed, or a report that cannot be written.
pub fn run_suite(
    out: &Path,
    progress: bool,
    mut target: Option<&mut (dyn percycle_hil::bench::Target + '_)>,
) -> Result<Vec<PqResult>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let cases = en50160_suite();
    let mut results = Vec::with_capacity(cases.len());
    for (k, case) in cases.iter().enumerate() {
        if progress {
            eprintln!("[{}/{}] {}", k + 1, cases.len(), case.recipe.name);
        }
        let a = match target.as_deref_mut() {
            None => analyze_case(case)?,
            Some(t) => {
                let r = &case.recipe;
                let v = synthesize(r).with_context(|| format!("synthesising {}", r.name))?;
                crate::energy::on_target(
                    t,
                    &mut WaveformSource::new(&v.waveform, None)?,
                    &percycle_analysis::setup::Options {
                        nominal_hz: Some(r.nominal_frequency_hz() as f32),
                        ..Default::default()
                    },
                    &r.name,
                    progress,
                )?
            }
        };
        results.push(judge(case, &a));
    }
    write_report(out, &results)?;
    Ok(results)
}

/// The pass/fail table: one row per case, then the limits and a closing `N passed, M failed`.
pub fn table(results: &[PqResult]) -> String {
    let mut s = format!(
        "{:<32} {:>7} {:>10} {:>8} {:>8} {:>14}  {}\n",
        "case", "events", "resid %Un", "in ms", "out ms", "u2 % / f mHz", "verdict"
    );
    let opt = |x: Option<f64>, scale: f64, digits: usize| {
        x.map_or_else(|| "-".to_string(), |v| format!("{:.*}", digits, v * scale))
    };
    for r in results {
        let extra = match (r.u2_err_pct, r.frequency_err_hz) {
            (Some(u), _) => format!("u2 {u:.4}"),
            (None, Some(f)) => format!("f {:.3}", f * 1e3),
            (None, None) => "-".to_string(),
        };
        let verdict =
            if r.pass { "PASS".to_string() } else { format!("FAIL: {}", r.failures.join("; ")) };
        s.push_str(&format!(
            "{:<32} {:>7} {:>10} {:>8} {:>8} {:>14}  {verdict}\n",
            r.name,
            format!("{}/{}", r.judged.events_expected, r.judged.events_found),
            opt(r.judged.worst_extreme_err_pct, 1.0, 4),
            opt(r.judged.worst_start_err_s, 1e3, 2),
            opt(r.judged.worst_end_err_s, 1e3, 2),
            extra,
        ));
    }
    let passed = results.iter().filter(|r| r.pass).count();
    s.push_str(&format!(
        "limits: residual {EXTREME_LIMIT_PCT} % Un, Event IN and OUT within {START_LIMIT_CYCLES} \
         cycle of the Class A stamps, u2 {U2_LIMIT_PCT} %, frequency {} mHz\n\
         {passed} passed, {} failed\n",
        FREQUENCY_LIMIT_HZ * 1e3,
        results.len() - passed
    ));
    s
}

fn write_report(out: &Path, results: &[PqResult]) -> Result<()> {
    #[derive(Serialize)]
    struct Limits {
        start_cycles: f64,
        end_cycles: f64,
        extreme_pct_of_declared: f64,
        u2_pct: f64,
        frequency_hz: f64,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        suite: &'a str,
        engine_version: &'a str,
        declared_voltage_v: f64,
        limits: Limits,
        results: &'a [PqResult],
    }
    let report = Report {
        suite: "en50160",
        engine_version: env!("CARGO_PKG_VERSION"),
        declared_voltage_v: DECLARED_VOLTAGE_V,
        limits: Limits {
            start_cycles: START_LIMIT_CYCLES,
            end_cycles: END_LIMIT_CYCLES,
            extreme_pct_of_declared: EXTREME_LIMIT_PCT,
            u2_pct: U2_LIMIT_PCT,
            frequency_hz: FREQUENCY_LIMIT_HZ,
        },
        results,
    };
    let md = format!(
        "# PQ event certification: suite `en50160`\n\n\
         Columns: events expected/found (dips, swells, interruptions); worst |residual \
         error| in % of the declared voltage; Event IN and Event OUT errors of largest \
         magnitude against the Class A stamps, in ms; \
         worst unbalance error (%) or 10-s frequency error (mHz).\n\n```text\n{}```\n",
        table(results)
    );
    crate::energy::write_report_files(out, &report, &md)
}
