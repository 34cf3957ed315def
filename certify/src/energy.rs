//! `percycle certify`: a vector suite through files and the engine, judged against analytic truth.
//!
//! Each vector is synthesised, written as a 32-bit WAV with its sidecar, read back, and run
//! either through the host engine as `percycle analyze` would, or streamed to a board (the
//! emulated one by default in `scripts/certify.sh`) whose reports are judged instead. Either way
//! the results are compared with the truth computed from the continuous model:
//!
//! | check | limit |
//! |---|---|
//! | per-cycle U and I rms | 0.01 % of the true rms |
//! | per-cycle frequency | 1 mHz |
//! | per-cycle P and Q (fundamental) per phase | 0.01 % of the true apparent power |
//! | active energy (A+ − A−, all samples) | 0.01 % of the exact integral over the same span |
//! | quadrant registers | the same registers above 0.01 % of the apparent energy as in the truth |
//!
//! Cycles are matched to the truth by start time. Cycles that start within three periods of a
//! step (dip, swell, phase jump) are left out of the per-cycle checks and counted: the tracker's
//! filter spans about a quarter cycle, so a boundary next to a step is not a clean crossing.

use anyhow::{Context, Result};
use percycle_analysis::analyze::{analyze_source, Analysis};
use percycle_analysis::read::WavSource;
use percycle_analysis::setup::Options;
use percycle_analysis::source::{collect, Source};
use percycle_engine::Flags;
use percycle_hil::bench::{analysis_of, stream_recovering, wire_vector, Target};
use percycle_vectors::{
    active_energy_wh, suite, synthesize, write_vector, FileKind, Recipe, Truth, Vector, WavFormat,
};
use serde::Serialize;
use std::path::Path;

/// Limits of the checks (see the module docs).
pub const RMS_LIMIT: f64 = 1e-4;
/// Per-cycle frequency limit, Hz.
pub const FREQ_LIMIT_HZ: f64 = 1e-3;
/// P and Q limit, relative to the true apparent power.
pub const POWER_LIMIT: f64 = 1e-4;
/// Active energy limit, relative.
pub const ENERGY_LIMIT: f64 = 1e-4;

/// The outcome for one vector.
#[derive(Clone, Debug, Serialize)]
pub struct VectorResult {
    /// Vector name.
    pub name: String,
    /// Cycles reported by the engine.
    pub cycles_reported: usize,
    /// Cycles compared with the truth.
    pub cycles_compared: usize,
    /// Cycles left out next to steps.
    pub cycles_near_steps: usize,
    /// Worst relative rms error (U and I).
    pub rms_rel_err: f64,
    /// Worst frequency error, Hz.
    pub freq_err_hz: f64,
    /// Worst P or Q error relative to S.
    pub power_rel_err: f64,
    /// Relative error of the active energy (absolute Wh when the truth is zero).
    pub energy_rel_err: f64,
    /// Quadrant registers non-zero exactly where the truth's are.
    pub registers_ok: bool,
    /// Every check within its limit.
    pub pass: bool,
    /// Why it failed, if it did.
    pub failures: Vec<String>,
}

impl VectorResult {
    /// A vector that could not run (the target refused its configuration): a failure.
    pub fn not_run(name: &str, why: &str) -> Self {
        Self {
            name: name.to_string(),
            cycles_reported: 0,
            cycles_compared: 0,
            cycles_near_steps: 0,
            rms_rel_err: f64::NAN,
            freq_err_hz: f64::NAN,
            power_rel_err: f64::NAN,
            energy_rel_err: f64::NAN,
            registers_ok: false,
            pass: false,
            failures: vec![format!("not run: {why}")],
        }
    }
}

/// Run a suite; writes vectors and per-vector outputs under `out`, plus `report.json` and
/// `report.md`. Returns the results in suite order.
///
/// # Errors
/// An unknown suite, or a file that cannot be written or read back.
pub fn certify(
    suite_name: &str,
    out: &Path,
    progress: bool,
    mut target: Option<&mut (dyn Target + '_)>,
) -> Result<Vec<VectorResult>> {
    let recipes = suite(suite_name).with_context(|| {
        format!(
            "unknown suite `{suite_name}` (known: {})",
            percycle_vectors::suite_names().join(", ")
        )
    })?;
    let vectors_dir = out.join("vectors");
    std::fs::create_dir_all(&vectors_dir)
        .with_context(|| format!("creating {}", vectors_dir.display()))?;
    let mut results = Vec::new();
    for (k, recipe) in recipes.iter().enumerate() {
        if progress {
            eprintln!("[{}/{}] {}", k + 1, recipes.len(), recipe.name);
        }
        match run_recipe(recipe, &vectors_dir, target.as_deref_mut(), progress)? {
            Ok((vector, analysis)) => {
                percycle_analysis::analyze::write_outputs(
                    &out.join("results").join(&recipe.name),
                    &analysis,
                )?;
                results.push(judge(recipe, &vector.truth, &analysis)?);
            }
            // A vector the target cannot be configured for fails, by name; the rest run.
            Err(refused) => results.push(VectorResult::not_run(&recipe.name, &refused)),
        }
    }
    write_report(out, suite_name, &results)?;
    Ok(results)
}

/// One recipe synthesised, written as a 32-bit WAV with its sidecar under `vectors_dir`, read
/// back and analysed as `percycle analyze` would (channels and full scales from the sidecar), on
/// the host or on `target`. `Ok(Err(reason))` when the target refused the configuration.
///
/// # Errors
/// A file that cannot be written or read back, or a target error that a restart does not cure.
pub fn run_recipe(
    recipe: &Recipe,
    vectors_dir: &Path,
    target: Option<&mut (dyn Target + '_)>,
    progress: bool,
) -> Result<std::result::Result<(Vector, Analysis), String>> {
    run_recipe_with(recipe, vectors_dir, &Options::default(), target, progress)
}

/// [`run_recipe`] with analysis options (e.g. the aggregation window); the nominal frequency is
/// always the recipe's ([`Recipe::nominal_frequency_hz`]), as a meter is set for its supply.
///
/// # Errors
/// As [`run_recipe`].
pub fn run_recipe_with(
    recipe: &Recipe,
    vectors_dir: &Path,
    options: &Options,
    target: Option<&mut (dyn Target + '_)>,
    progress: bool,
) -> Result<std::result::Result<(Vector, Analysis), String>> {
    let vector = synthesize(recipe).with_context(|| format!("synthesising {}", recipe.name))?;
    let path = write_vector(vectors_dir, &vector, FileKind::Wav(WavFormat::I32))?;
    let mut wav = WavSource::open(&path, None)?;
    let opts =
        Options { nominal_hz: Some(recipe.nominal_frequency_hz() as f32), ..options.clone() };
    let analysis = match target {
        None => analyze_source(&mut wav, &opts)
            .with_context(|| format!("analysing {}", path.display()))?,
        Some(t) => match on_target(t, &mut wav, &opts, &recipe.name, progress) {
            Ok(a) => a,
            Err(e) => match percycle_hil::bench::refusal(&e) {
                Some(r) => return Ok(Err(r.to_string())),
                None => return Err(e),
            },
        },
    };
    Ok(Ok((vector, analysis)))
}

/// A source through a target (board): its reports as an analysis. The codes and calibration
/// are those of [`wire_vector`]: the setup of `percycle analyze` with `options` (the nominal
/// frequency the meter is set for, the aggregation window), at the full scales the source
/// states.
///
/// # Errors
/// A read error of the source, or a target error that a restart does not cure (naming the
/// vector and what is missing).
pub fn on_target(
    target: &mut dyn Target,
    source: &mut dyn Source,
    options: &Options,
    name: &str,
    progress: bool,
) -> Result<Analysis> {
    let full_scale: Option<Vec<f64>> =
        source.info().channels.iter().map(|c| c.full_scale).collect();
    let w = collect(source)?;
    let (cfg, codes, nch) = wire_vector(&w, full_scale.as_deref(), options)?;
    codes_on_target(target, &cfg, &codes, nch, name, progress)
}

/// Interleaved ADC codes of `channels` channels through a target configured with `cfg`: its
/// reports as an analysis.
///
/// # Errors
/// As [`on_target`].
pub fn codes_on_target(
    target: &mut dyn Target,
    cfg: &percycle_wire::WireConfig,
    codes: &[i32],
    channels: usize,
    name: &str,
    progress: bool,
) -> Result<Analysis> {
    let (run, _) = stream_recovering(target, cfg, codes, channels, name, progress)?;
    Ok(analysis_of(cfg, &run))
}

/// Compare one analysis with its truth.
///
/// # Errors
/// Only if the recipe is invalid (it was synthesised, so it is not).
pub fn judge(recipe: &Recipe, truth: &Truth, a: &Analysis) -> Result<VectorResult> {
    let fs = a.config.sample_rate_hz as f64;
    let phases = truth.cycles.first().map_or(0, |c| c.u_rms.len());
    let edges: Vec<f64> =
        recipe.events.iter().flat_map(|s| [s.start_s, s.start_s + s.duration_s]).collect();
    let mut r = VectorResult {
        name: recipe.name.clone(),
        cycles_reported: a.cycles.len(),
        cycles_compared: 0,
        cycles_near_steps: 0,
        rms_rel_err: 0.0,
        freq_err_hz: 0.0,
        power_rel_err: 0.0,
        energy_rel_err: 0.0,
        registers_ok: true,
        pass: true,
        failures: Vec::new(),
    };
    let rel = |a: f64, b: f64| {
        if b.abs() > 0.0 {
            (a - b).abs() / b.abs()
        } else {
            a.abs()
        }
    };
    for rep in a
        .cycles
        .iter()
        .filter(|c| !c.flags.intersects(Flags::SETTLING | Flags::HOLDOVER | Flags::RESYNC))
    {
        let start = rep.start_s(a.config.sample_rate_hz);
        let Some(t) =
            truth.cycles.iter().find(|t| (t.start_s - start).abs() < 0.25 * (t.end_s - t.start_s))
        else {
            continue;
        };
        let period = t.end_s - t.start_s;
        if edges.iter().any(|&e| e > t.start_s - 3.0 * period && e < t.end_s + 3.0 * period) {
            r.cycles_near_steps += 1;
            continue;
        }
        r.cycles_compared += 1;
        for p in 0..phases {
            let slot = if phases == 2 && p == 1 { 2 } else { p };
            r.rms_rel_err = r.rms_rel_err.max(rel(rep.u_rms[slot] as f64, t.u_rms[p]));
            if t.i_rms[p] > 0.0 {
                r.rms_rel_err = r.rms_rel_err.max(rel(rep.i_rms[slot] as f64, t.i_rms[p]));
            }
            let s = t.s_va[p];
            if s > 0.0 {
                let dp = (rep.p_active[slot] as f64 - t.p_w[p]).abs() / s;
                let dq = (rep.q_reactive[slot] as f64 - t.q_var[p]).abs() / s;
                r.power_rel_err = r.power_rel_err.max(dp).max(dq);
            }
        }
        r.freq_err_hz = r.freq_err_hz.max((rep.frequency as f64 - t.frequency_hz).abs());
    }
    let n = a.cycles.len();
    let samples = (recipe.duration_s * fs).round();
    let exact = active_energy_wh(recipe, -0.5 / fs, (samples - 0.5) / fs)?;
    let wh = a.energy.total.to_wh();
    let got = wh[0] - wh[1];
    r.energy_rel_err = if exact.abs() > 1e-9 { rel(got, exact) } else { got.abs() };
    // A quadrant register counts as used when it holds more than 0.01 % of the apparent energy
    // (a PF 1 load leaves rounding-level reactive energy in R1 and R4).
    let t = &truth.energy.total;
    let s_wh: f64 =
        truth.cycles.iter().map(|c| c.s_va.iter().sum::<f64>() * c.period_s()).sum::<f64>()
            / 3600.0;
    let floor_varh = (1e-4 * s_wh).max(1e-9);
    let truth_nonzero = [t.r1_varh, t.r2_varh, t.r3_varh, t.r4_varh].map(|v| v.abs() > floor_varh);
    let engine_nonzero = a.energy.total.r_quadrant.map(|v| v as f64 / 3.6e9 > floor_varh);
    r.registers_ok = truth_nonzero == engine_nonzero;
    if exact.abs() <= 1e-9
        && (a.energy.pulses != Default::default() || a.energy.total != Default::default())
    {
        r.registers_ok = false;
        r.failures.push("energy registered or pulses emitted at no load".into());
    }

    if n == 0 || r.cycles_compared == 0 {
        r.failures.push(format!("{} cycles reported, {} compared", n, r.cycles_compared));
    }
    if r.rms_rel_err > RMS_LIMIT {
        r.failures.push(format!("rms error {:.2e} > {RMS_LIMIT:.0e}", r.rms_rel_err));
    }
    if r.freq_err_hz > FREQ_LIMIT_HZ {
        r.failures.push(format!("frequency error {:.3} mHz > 1 mHz", r.freq_err_hz * 1e3));
    }
    if r.power_rel_err > POWER_LIMIT {
        r.failures.push(format!("P/Q error {:.2e} of S > {POWER_LIMIT:.0e}", r.power_rel_err));
    }
    if r.energy_rel_err > ENERGY_LIMIT {
        r.failures
            .push(format!("active energy error {:.2e} > {ENERGY_LIMIT:.0e}", r.energy_rel_err));
    }
    if !r.registers_ok && !r.failures.iter().any(|f| f.contains("no load")) {
        r.failures.push(format!("quadrant registers {engine_nonzero:?}, truth {truth_nonzero:?}"));
    }
    r.pass = r.failures.is_empty();
    Ok(r)
}

/// The pass/fail table for people.
pub fn table(results: &[VectorResult]) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{:<26} {:>6} {:>9} {:>9} {:>9} {:>9} {:>5} {}\n",
        "vector", "cycles", "rms %", "f mHz", "P,Q %S", "energy %", "quad", "verdict"
    ));
    for r in results {
        s.push_str(&format!(
            "{:<26} {:>6} {:>9.5} {:>9.4} {:>9.5} {:>9.5} {:>5} {}\n",
            r.name,
            r.cycles_compared,
            r.rms_rel_err * 100.0,
            r.freq_err_hz * 1e3,
            r.power_rel_err * 100.0,
            r.energy_rel_err * 100.0,
            if r.registers_ok { "ok" } else { "BAD" },
            if r.pass { "PASS".to_string() } else { format!("FAIL: {}", r.failures.join("; ")) },
        ));
    }
    let passed = results.iter().filter(|r| r.pass).count();
    s.push_str(&format!(
        "limits: rms 0.01 %, frequency 1 mHz, P/Q 0.01 % of S, energy 0.01 %\n{} passed, {} failed\n",
        passed,
        results.len() - passed
    ));
    s
}

fn write_report(out: &Path, suite_name: &str, results: &[VectorResult]) -> Result<()> {
    #[derive(Serialize)]
    struct Report<'a> {
        suite: &'a str,
        engine_version: &'a str,
        limits: [(&'a str, f64); 4],
        results: &'a [VectorResult],
    }
    let report = Report {
        suite: suite_name,
        engine_version: env!("CARGO_PKG_VERSION"),
        limits: [
            ("rms_rel", RMS_LIMIT),
            ("frequency_hz", FREQ_LIMIT_HZ),
            ("power_rel_of_s", POWER_LIMIT),
            ("energy_rel", ENERGY_LIMIT),
        ],
        results,
    };
    let md = format!("# Certification: suite `{suite_name}`\n\n```text\n{}```\n", table(results));
    write_report_files(out, &report, &md)
}

/// Write a certification report as `out/report.json` (machine-readable) and `out/report.md`.
///
/// # Errors
/// Serialisation or I/O errors naming the file.
pub fn write_report_files(out: &Path, report: &impl Serialize, markdown: &str) -> Result<()> {
    let path = out.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(report)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    let path = out.join("report.md");
    std::fs::write(&path, markdown).with_context(|| format!("writing {}", path.display()))
}
