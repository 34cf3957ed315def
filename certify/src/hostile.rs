//! The hostile suite through the engine, judged against closed-form truth: right or flagged.
//!
//! Each case of [`hostile_cases`] is synthesised and run through the engine with the nominal
//! frequency and declared voltage of its truth and the ADC its recipe states, never settings
//! taken from the data: in memory ([`analyze_waveform`] with the case's full scales,
//! the recipe's ADC full scales), or on a target ([`percycle_hil::bench::wire_codes`]: the vector's own
//! codes, each channel's gain from its full scale, the converter's rail as input limit, missing
//! samples as `MISSING_CODE`). The reports are compared with the truth the suite derives from
//! the recipe ([`percycle_vectors::hostile_suite`], [`HostileTruth`]):
//!
//! | check | limit |
//! |---|---|
//! | dips, swells, interruptions | the rules of the EN 50160 suite ([`crate::pq`], shared code): one measured event per expected event of its kind and none left over; Event IN and Event OUT within ½ nominal cycle of the Class A stamps; residual within [`EXTREME_LIMIT_PCT`] % of the declared voltage; phases, EN 50160 cell and open-at-end equal |
//! | condition events | with `no_condition_events`: no missing phase, broken neutral or phase sequence event |
//! | unlocked supply | with `unlocked_from_s`: no event of any kind at all |
//! | unlocked cycles | every cycle starting at or after `unlocked_from_s` carries one of `unlocked_flags` or `settling`, and its frequency is not valid ([`Flags::frequency_valid`]) |
//! | unlocked intervals | every 10/12-cycle interval starting at or after `unlocked_from_s` carries a flag of [`Flags::UNRELIABLE`] |
//! | flag spans | every cycle and interval that overlaps a span carries the span's flag (`invalid_input`, `clipped`; names of [`Flags::NAMES`]); one that overlaps no span of that flag does not carry it |
//! | quiet cycles | no flag except `creep` |
//! | quiet cycles, rms | each phase's cycle rms within [`QUIET_RMS_LIMIT_PCT`] % of its expected level |
//! | EN 50160 exclusion | every 10-min aggregate ([`percycle_analysis::aggregate`], window [`AGGREGATE_WINDOW_S`]) that contains an interval with a flag of [`Flags::UNRELIABLE`] is flagged |
//!
//! *Overlap.* A cycle (or interval) from `a = start.sample + start.frac` to
//! `b = a + duration_samples` touches the samples `floor(a) − R ..= ceil(b) + R`: its trapezoidal
//! integrals between fractional boundaries use the sample on either side of each boundary, and
//! the tracker's filter lets a sample within `R` ([`boundary_reach`]) of a boundary move it. It
//! overlaps a span of the samples `n0..n1` (`n0 = start_s·fs`, `n1 = end_s·fs`, rounded) when
//! `floor(a) − R < n1` and `n0 ≤ ceil(b) + R`. The `invalid_input` and `clipped` flags are checked in both
//! directions on every case, also where the truth has no span of them.
//!
//! *Unlocked intervals.* The row holds for whatever intervals the engine reports; an engine that
//! closes no 10/12-cycle interval without a locked fundamental (as this one does on the suite's
//! unlocked cases) has none to flag.
//!
//! *Quiet cycles.* With `settled_by_s` set, a cycle is quiet when it starts at or after it, ends
//! at or before `unlocked_from_s` (if set), and lies farther than `quiet_margin_s` from every flag
//! span and every expected event (Event IN to Event OUT). A case with `settled_by_s` and no quiet
//! cycle fails. Its expected level per phase is `level_pct` × the declared voltage, times the
//! factor of every recipe step that covers the whole cycle; a quiet cycle within
//! `quiet_margin_s` of a step edge is checked for flags only. The rms check is on phase
//! voltages: single phase and 3P4W (3P3W reports line voltages and is not checked).
//!
//! *The rms limit.* The engine's accuracy target for the 10/12-cycle rms is 0.01 % of Udin
//! (design targets); one cycle holds a tenth of the samples, and 0.05 % was the allowance first
//! set for it. The suite's signals are noise-free sines on a 24-bit converter, and the worst
//! error measured over every quiet cycle of the suite is 1.3·10⁻⁵ % (the f32 resolution of the
//! per-cycle integrals), in memory and on the emulated board alike. The limit is therefore
//! 0.001 %: about 75 times the measured error, and a tenth of the interval target.
//!
//! Values and cases are counted in [`HostileResult`]: cycles carrying each flag, cycles checked
//! as unlocked and as quiet, the worst Event IN and OUT errors, aggregates flagged.

use crate::pq::{judge_events, EventJudgement, EXTREME_LIMIT_PCT};
use anyhow::{bail, Context, Result};
use percycle_analysis::aggregate;
use percycle_analysis::analyze::{analyze_waveform, Analysis};
use percycle_analysis::setup::Options;
use percycle_engine::{EventKind, Flags, SampleTime, Topology};
use percycle_hil::bench::{refusal, wire_codes, Target};
use percycle_vectors::hostile_suite::{FLAG_CLIPPED, FLAG_INVALID_INPUT};
use percycle_vectors::{hostile_cases, synthesize, ChannelKind, HostileCase, HostileTruth, Vector};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Limit on each phase's rms error of a quiet cycle, % of its expected level (module docs).
pub const QUIET_RMS_LIMIT_PCT: f64 = 0.001;
/// Length of the "10-min" aggregation window for the records of the suite (0.5 s to 5.5 s), s:
/// one basic interval at 50 Hz, the shortest the engine takes, so that every interval of a
/// record lands in a reported aggregate (a longer window leaves the incomplete window at the end
/// of a short record out, and with it the flagged intervals it holds).
pub const AGGREGATE_WINDOW_S: f64 = 0.2;
/// Examples named in a failure message of a check that fails on many values.
const EXAMPLES: usize = 3;

/// The outcome of one case.
#[derive(Clone, Debug, Serialize)]
pub struct HostileResult {
    /// Case (recipe) name.
    pub name: String,
    /// The truth it was judged against.
    pub truth: HostileTruth,
    /// The dips, swells and interruptions against the truth.
    #[serde(flatten)]
    pub judged: EventJudgement,
    /// Cycles reported.
    pub cycles: usize,
    /// 10/12-cycle intervals reported.
    pub intervals: usize,
    /// Cycles carrying each flag, by the name of [`Flags::NAMES`] (flags on no cycle left out).
    pub flagged_cycles: BTreeMap<String, usize>,
    /// Cycles carrying any flag but `creep`.
    pub cycles_flagged: usize,
    /// Cycles overlapping a flag span.
    pub span_cycles: usize,
    /// Cycles checked as unlocked (starting at or after `unlocked_from_s`).
    pub unlocked_cycles: usize,
    /// Quiet cycles (checked for flags).
    pub quiet_cycles: usize,
    /// Quiet cycles whose rms was checked.
    pub rms_cycles: usize,
    /// Largest |rms error| of a phase over the quiet cycles, % of the expected level.
    pub rms_err_pct: Option<f64>,
    /// 10-min aggregates (window [`AGGREGATE_WINDOW_S`]).
    pub aggregates: usize,
    /// Of those, flagged.
    pub aggregates_flagged: usize,
    /// Every check within its limit.
    pub pass: bool,
    /// Why it failed, if it did.
    pub failures: Vec<String>,
}

impl HostileResult {
    /// A case that could not run (the target refused its configuration): a failure.
    fn not_run(case: &HostileCase, why: &str) -> Self {
        Self {
            name: case.recipe.name.clone(),
            truth: case.truth.clone(),
            judged: EventJudgement::none(case.truth.events.len()),
            cycles: 0,
            intervals: 0,
            flagged_cycles: BTreeMap::new(),
            cycles_flagged: 0,
            span_cycles: 0,
            unlocked_cycles: 0,
            quiet_cycles: 0,
            rms_cycles: 0,
            rms_err_pct: None,
            aggregates: 0,
            aggregates_flagged: 0,
            pass: false,
            failures: vec![format!("not run: {why}")],
        }
    }
}

/// Values that failed one check: how many, and the first few.
#[derive(Default)]
struct Misses {
    checks: BTreeMap<String, (usize, Vec<String>)>,
}

impl Misses {
    fn add(&mut self, check: String, example: impl FnOnce() -> String) {
        let (n, first) = self.checks.entry(check).or_default();
        *n += 1;
        if first.len() < EXAMPLES {
            first.push(example());
        }
    }

    fn into_failures(self, failures: &mut Vec<String>) {
        for (check, (n, first)) in self.checks {
            let more = if n > first.len() { ", …" } else { "" };
            failures.push(format!("{check}: {n} ({}{more})", first.join("; ")));
        }
    }
}

/// The samples a value from `start` lasting `duration_samples` touches: `floor(a) ..= ceil(b)`.
fn touched(start: SampleTime, duration_samples: f32, reach: f64) -> (f64, f64) {
    let a = start.sample as f64 + start.frac as f64;
    ((a).floor() - reach, (a + duration_samples as f64).ceil() + reach)
}

/// Samples on either side of a cycle boundary that move it: the tracker places a boundary by
/// interpolating its filtered reference, four cascaded moving averages of `round(fs/(k·f0))`
/// samples (k = 3, 4, 5, 7), and subtracts their group delay `Σ(L − 1)/2`; an input sample
/// within `ceil(Σ(L − 1)/2) + 1` of a boundary shapes it, so a missing or clipped sample there
/// spoils the cycles on both sides (the engine's documented rule, transcribed here).
pub fn boundary_reach(fs: f64, nominal_hz: f64) -> f64 {
    let sum: f64 = [3.0, 4.0, 5.0, 7.0]
        .iter()
        .map(|k| (fs / (k * nominal_hz)).round().clamp(1.0, 256.0) - 1.0)
        .sum();
    (sum / 2.0).ceil() + 1.0
}

/// The flag of a name of [`Flags::NAMES`].
fn flag_named(name: &str) -> Option<Flags> {
    Flags::NAMES.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
}

/// Distance between the time spans `[a0, a1]` and `[b0, b1]`, s (0 when they meet).
fn distance(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (b0 - a1).max(a0 - b1).max(0.0)
}

/// Compare one analysis with its case's truth (see the module docs for the checks).
pub fn judge(case: &HostileCase, a: &Analysis) -> HostileResult {
    let truth = &case.truth;
    let fs = a.config.sample_rate_hz;
    let fs64 = fs as f64;
    let mut failures = Vec::new();
    if (a.config.nominal_hz as f64 - truth.nominal_hz).abs() > 1e-9 {
        failures.push(format!(
            "analysis ran at a nominal {} Hz, the truth is for {} Hz",
            a.config.nominal_hz, truth.nominal_hz
        ));
    }

    // Events.
    let ev = judge_events(&truth.events, truth.declared_voltage_v, a, &mut failures);
    let conditions = [EventKind::MissingPhase, EventKind::BrokenNeutral, EventKind::PhaseSequence];
    let measured_kinds = [EventKind::Dip, EventKind::Swell, EventKind::Interruption];
    for e in &a.events {
        let at = e.start.seconds(fs);
        if truth.unlocked_from_s.is_some() {
            // Dips, swells and interruptions are judged above (the truth of an unlocked supply
            // expects none); a matched one is caught below.
            if !measured_kinds.contains(&e.kind) {
                failures.push(format!("unlocked supply: {:?} event at {at:.4} s", e.kind));
            }
        } else if truth.no_condition_events && conditions.contains(&e.kind) {
            failures.push(format!("{:?} event at {at:.4} s, no condition holds", e.kind));
        }
    }
    if truth.unlocked_from_s.is_some() {
        for m in ev.events.iter().filter_map(|c| c.measured.as_ref()) {
            failures.push(format!(
                "unlocked supply: {} event at {:.4} s",
                m.kind.name(),
                m.start_s
            ));
        }
    }

    // Flag spans, as sample ranges, and the span flags checked both ways.
    let mut span_flags: Vec<(Flags, String)> = Vec::new();
    let mut spans: Vec<(Flags, f64, f64)> = Vec::new();
    for name in [FLAG_INVALID_INPUT, FLAG_CLIPPED]
        .into_iter()
        .chain(truth.flag_spans.iter().map(|s| s.flag.as_str()))
    {
        match flag_named(name) {
            Some(f) if !span_flags.iter().any(|(g, _)| *g == f) => {
                span_flags.push((f, name.to_string()))
            }
            Some(_) => {}
            None => failures.push(format!("the truth names an unknown flag `{name}`")),
        }
    }
    for s in &truth.flag_spans {
        if let Some(f) = flag_named(&s.flag) {
            spans.push((f, (s.start_s * fs64).round(), (s.end_s * fs64).round()));
        }
    }
    let mut misses = Misses::default();
    let reach = boundary_reach(fs64, truth.nominal_hz);
    let mut check_spans = |what: &str, index: u64, start: SampleTime, len: f32, flags: Flags| {
        let (lo, hi) = touched(start, len, reach);
        let mut any = false;
        for (flag, name) in &span_flags {
            let over = spans.iter().any(|&(f, n0, n1)| f == *flag && lo < n1 && n0 <= hi);
            any |= over;
            let at = || format!("{what} {index} at {:.4} s", start.seconds(fs));
            if over && !flags.contains(*flag) {
                misses.add(format!("{what}s overlapping a `{name}` span without the flag"), at);
            } else if !over && flags.contains(*flag) {
                misses.add(format!("{what}s carrying `{name}` that overlap no span of it"), at);
            }
        }
        any
    };
    let mut span_cycles = 0;
    for c in &a.cycles {
        span_cycles +=
            usize::from(check_spans("cycle", c.index, c.start, c.duration_samples, c.flags));
    }
    for iv in &a.intervals {
        check_spans("interval", iv.index, iv.start, iv.duration_samples, iv.flags);
    }

    // Unlocked supply.
    let mut unlocked_cycles = 0;
    if let Some(from) = truth.unlocked_from_s {
        let mut unlocked = Flags::empty();
        for name in &truth.unlocked_flags {
            match flag_named(name) {
                Some(f) => unlocked.insert(f),
                None => failures.push(format!("the truth names an unknown flag `{name}`")),
            }
        }
        let names = truth.unlocked_flags.join("|");
        for c in a.cycles.iter().filter(|c| c.start_s(fs) >= from) {
            unlocked_cycles += 1;
            let at = || {
                format!(
                    "cycle {} at {:.4} s, {:.2} Hz, flags {}",
                    c.index,
                    c.start_s(fs),
                    c.frequency,
                    percycle_analysis::write::flag_names(c.flags)
                )
            };
            if !c.flags.intersects(unlocked | Flags::SETTLING) {
                misses.add(format!("unlocked cycles without {names} or settling"), at);
            }
            if c.flags.frequency_valid() {
                misses.add("unlocked cycles with a valid frequency".to_string(), at);
            }
        }
        for iv in a.intervals.iter().filter(|iv| iv.start.seconds(fs) >= from) {
            if !iv.flags.intersects(Flags::UNRELIABLE) {
                misses.add("unlocked intervals without an unreliable flag".to_string(), || {
                    format!("interval {} at {:.4} s", iv.index, iv.start.seconds(fs))
                });
            }
        }
    }

    // Quiet cycles.
    let (mut quiet_cycles, mut rms_cycles, mut rms_err_pct) = (0, 0, None::<f64>);
    if let Some(settled) = truth.settled_by_s {
        let margin = truth.quiet_margin_s;
        let disturbed: Vec<(f64, f64)> = truth
            .flag_spans
            .iter()
            .map(|s| (s.start_s, s.end_s))
            .chain(truth.events.iter().map(|e| (e.start_s, e.start_s + e.duration_s)))
            .collect();
        let steps = &case.recipe.events;
        let edges: Vec<f64> =
            steps.iter().flat_map(|s| [s.start_s, s.start_s + s.duration_s]).collect();
        let phase_voltages =
            matches!(a.config.topology, Topology::SinglePhase | Topology::ThreePhase4W);
        for c in &a.cycles {
            let ta = c.start_s(fs);
            let tb = ta + c.duration_samples as f64 / fs64;
            if ta < settled
                || truth.unlocked_from_s.is_some_and(|u| tb > u)
                || disturbed.iter().any(|&(s0, s1)| distance(ta, tb, s0, s1) <= margin)
            {
                continue;
            }
            quiet_cycles += 1;
            let mut others = c.flags;
            others.0 &= !Flags::CREEP.0;
            if others != Flags::empty() {
                misses.add("quiet cycles with a flag".to_string(), || {
                    format!(
                        "cycle {} at {ta:.4} s: {}",
                        c.index,
                        percycle_analysis::write::flag_names(c.flags)
                    )
                });
            }
            if !phase_voltages || edges.iter().any(|&e| distance(ta, tb, e, e) <= margin) {
                continue;
            }
            rms_cycles += 1;
            for (p, level) in truth.level_pct.iter().enumerate().take(3) {
                let factor: f64 = steps
                    .iter()
                    .filter(|s| {
                        s.phases.contains(&p) && s.start_s <= ta && tb <= s.start_s + s.duration_s
                    })
                    .map(|s| s.u_factor)
                    .product();
                let expected = level / 100.0 * truth.declared_voltage_v * factor;
                let err = 100.0 * (c.u_rms[p] as f64 - expected) / expected;
                rms_err_pct = Some(rms_err_pct.map_or(err.abs(), |w| w.max(err.abs())));
                if err.abs() > QUIET_RMS_LIMIT_PCT {
                    misses.add(
                        format!("quiet cycles with an rms error above {QUIET_RMS_LIMIT_PCT} %"),
                        || {
                            format!(
                            "cycle {} at {ta:.4} s, U{}: {:.4} V vs {expected:.4} V ({err:+.5} %)",
                            c.index,
                            p + 1,
                            c.u_rms[p]
                        )
                        },
                    );
                }
            }
        }
        if quiet_cycles == 0 {
            failures.push(format!(
                "no quiet cycle to check (settled by {settled} s, margin {:.1} ms)",
                margin * 1e3
            ));
        }
    }

    // EN 50160 exclusion: aggregates holding a flagged interval are flagged.
    let agg = aggregate::Aggregates::of(&a.aggregates, &a.config, a.incomplete_windows);
    for v in &agg.ten_min {
        let w = (v.start_s / AGGREGATE_WINDOW_S).round();
        let holds_flagged = a.intervals.iter().any(|iv| {
            (iv.start.seconds(fs) / AGGREGATE_WINDOW_S).floor() == w
                && iv.flags.intersects(Flags::UNRELIABLE)
        });
        if holds_flagged && !v.flagged {
            misses.add(
                "10-min aggregates holding a flagged interval, not flagged".to_string(),
                || format!("window at {:.3} s", v.start_s),
            );
        }
    }
    misses.into_failures(&mut failures);

    let mut flagged_cycles = BTreeMap::new();
    for (flag, name) in Flags::NAMES {
        let n = a.cycles.iter().filter(|c| c.flags.contains(flag)).count();
        if n > 0 {
            flagged_cycles.insert(name.to_string(), n);
        }
    }
    let cycles_flagged = a.cycles.iter().filter(|c| c.flags.0 & !Flags::CREEP.0 != 0).count();
    HostileResult {
        name: case.recipe.name.clone(),
        truth: truth.clone(),
        judged: ev,
        cycles: a.cycles.len(),
        intervals: a.intervals.len(),
        flagged_cycles,
        cycles_flagged,
        span_cycles,
        unlocked_cycles,
        quiet_cycles,
        rms_cycles,
        rms_err_pct,
        aggregates: agg.ten_min.len(),
        aggregates_flagged: agg.ten_min.iter().filter(|v| v.flagged).count(),
        pass: failures.is_empty(),
        failures,
    }
}

/// The full scale of the ADC of each channel of a vector (in its channel order), as its recipe
/// states it.
///
/// # Errors
/// A recipe that states no ADC, or a channel that is neither a voltage nor a current.
pub fn full_scales(v: &Vector) -> Result<Vec<f64>> {
    let name = &v.recipe.name;
    let Some(q) = v.recipe.quantisation else {
        bail!("{name}: the recipe states no ADC full scale");
    };
    v.waveform
        .channels
        .iter()
        .map(|ch| {
            ChannelKind::of(ch)
                .map(|k| q.full_scale(k))
                .with_context(|| format!("{name}: channel {ch} is neither a voltage nor a current"))
        })
        .collect()
}

/// The analysis options of a case: the truth's nominal frequency and declared voltage, the
/// suite's aggregation window (the ADC full scales of its recipe go with the waveform:
/// [`full_scales`]).
pub fn options(truth: &HostileTruth) -> Options {
    Options {
        nominal_hz: Some(truth.nominal_hz as f32),
        declared_voltage: Some(truth.declared_voltage_v as f32),
        aggregate_s: Some(AGGREGATE_WINDOW_S),
        ..Options::default()
    }
}

/// Synthesise one case and run it through the engine: in memory (`target` `None`) or on a
/// target, with the settings of [`options`] (see the module docs).
///
/// # Errors
/// An invalid recipe, a recipe without an ADC, a configuration the engine rejects, or a target
/// error a restart does not cure.
pub fn analyze_case(
    case: &HostileCase,
    target: Option<&mut (dyn Target + '_)>,
    progress: bool,
) -> Result<Analysis> {
    let r = &case.recipe;
    let v = synthesize(r).with_context(|| format!("synthesising {}", r.name))?;
    let opts = options(&case.truth);
    match target {
        None => analyze_waveform(&v.waveform, Some(&full_scales(&v)?), &opts)
            .with_context(|| format!("analysing {}", r.name)),
        Some(t) => {
            let (mut cfg, codes, nch) =
                wire_codes(&v, case.truth.nominal_hz as f32, case.truth.declared_voltage_v as f32)?;
            cfg.aggregation_window_s = AGGREGATE_WINDOW_S as f32;
            let mut a = crate::energy::codes_on_target(t, &cfg, &codes, nch, &r.name, progress)?;
            a.options = opts;
            Ok(a)
        }
    }
}

/// Run the whole suite: [`run_cases`] over [`hostile_cases`].
///
/// # Errors
/// As [`run_cases`].
pub fn run_suite(
    out: &Path,
    progress: bool,
    target: Option<&mut (dyn Target + '_)>,
) -> Result<Vec<HostileResult>> {
    run_cases(&hostile_cases(), out, progress, target)
}

/// Run cases: synthesise, analyse (or run on `target`) and judge each, write the analysis files
/// of each under `out/results/<case>/` and then `report.json` and `report.md` into `out`
/// (created if needed). Returns the results in the order of `cases`. A case the target cannot be
/// configured for fails by name; the others still run.
///
/// # Errors
/// A case that cannot be synthesised or analysed, a target error a restart does not cure, or a
/// file that cannot be written.
pub fn run_cases(
    cases: &[HostileCase],
    out: &Path,
    progress: bool,
    mut target: Option<&mut (dyn Target + '_)>,
) -> Result<Vec<HostileResult>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut results = Vec::with_capacity(cases.len());
    for (k, case) in cases.iter().enumerate() {
        if progress {
            eprintln!("[{}/{}] {}", k + 1, cases.len(), case.recipe.name);
        }
        // Reborrowed for this case (the trait object's lifetime shortened to the borrow).
        let t = target.as_deref_mut().map(|t| t as &mut dyn Target);
        let a = match analyze_case(case, t, progress) {
            Ok(a) => a,
            Err(e) => match refusal(&e) {
                Some(r) => {
                    results.push(HostileResult::not_run(case, &r.to_string()));
                    continue;
                }
                None => return Err(e),
            },
        };
        percycle_analysis::analyze::write_outputs(
            &out.join("results").join(&case.recipe.name),
            &a,
        )?;
        results.push(judge(case, &a));
    }
    write_report(out, &results)?;
    Ok(results)
}

/// The pass/fail table: one row per case, then the limits and a closing `N passed, M failed`.
pub fn table(results: &[HostileResult]) -> String {
    let mut s = format!(
        "{:<26} {:>6} {:>7} {:>7} {:>6} {:>7} {:>5} {:>5} {:>6} {:>5} {:>9}  {}\n",
        "case",
        "events",
        "in ms",
        "out ms",
        "cycles",
        "flagged",
        "inval",
        "clip",
        "unlock",
        "quiet",
        "rms %",
        "verdict"
    );
    let opt = |x: Option<f64>, scale: f64, digits: usize| {
        x.map_or_else(|| "-".to_string(), |v| format!("{:.*}", digits, v * scale))
    };
    for r in results {
        let count = |name: &str| r.flagged_cycles.get(name).copied().unwrap_or(0);
        let verdict =
            if r.pass { "PASS".to_string() } else { format!("FAIL: {}", r.failures.join("; ")) };
        s.push_str(&format!(
            "{:<26} {:>6} {:>7} {:>7} {:>6} {:>7} {:>5} {:>5} {:>6} {:>5} {:>9}  {verdict}\n",
            r.name,
            format!("{}/{}", r.judged.events_expected, r.judged.events_found),
            opt(r.judged.worst_start_err_s, 1e3, 2),
            opt(r.judged.worst_end_err_s, 1e3, 2),
            r.cycles,
            r.cycles_flagged,
            count(FLAG_INVALID_INPUT),
            count(FLAG_CLIPPED),
            r.unlocked_cycles,
            r.quiet_cycles,
            opt(r.rms_err_pct, 1.0, 6),
        ));
    }
    let passed = results.iter().filter(|r| r.pass).count();
    s.push_str(&format!(
        "limits: events as en50160 (Event IN and OUT within ½ cycle of the Class A stamps, \
         residual {EXTREME_LIMIT_PCT} % Un); flags exactly on the cycles and intervals holding \
         missing or clipped samples or within the tracker's reach of their boundaries; unlocked cycles flagged, no event; quiet cycles unflagged \
         and rms within {QUIET_RMS_LIMIT_PCT} %\n\
         {passed} passed, {} failed\n",
        results.len() - passed
    ));
    s
}

fn write_report(out: &Path, results: &[HostileResult]) -> Result<()> {
    #[derive(Serialize)]
    struct Limits {
        start_cycles: f64,
        end_cycles: f64,
        extreme_pct_of_declared: f64,
        quiet_rms_pct: f64,
        aggregate_window_s: f64,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        suite: &'a str,
        engine_version: &'a str,
        limits: Limits,
        results: &'a [HostileResult],
    }
    let report = Report {
        suite: "hostile",
        engine_version: env!("CARGO_PKG_VERSION"),
        limits: Limits {
            start_cycles: crate::pq::START_LIMIT_CYCLES,
            end_cycles: crate::pq::END_LIMIT_CYCLES,
            extreme_pct_of_declared: EXTREME_LIMIT_PCT,
            quiet_rms_pct: QUIET_RMS_LIMIT_PCT,
            aggregate_window_s: AGGREGATE_WINDOW_S,
        },
        results,
    };
    let md = format!(
        "# Right or flagged: suite `hostile`\n\n\
         Columns: events expected/found (dips, swells, interruptions); Event IN and Event OUT \
         errors of largest magnitude against the Class A stamps, in ms; cycles reported; cycles \
         with any flag but creep; cycles flagged invalid_input and clipped; cycles checked as \
         unlocked; quiet cycles; worst rms error of a quiet cycle, % of its level.\n\n\
         ```text\n{}```\n",
        table(results)
    );
    crate::energy::write_report_files(out, &report, &md)
}
