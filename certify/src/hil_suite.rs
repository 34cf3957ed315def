//! `percycle hil run`: a suite's vectors streamed through a target and through the host build,
//! every report compared bit for bit, and the target's reports judged against the vectors'
//! analytic truth.

use anyhow::{Context, Result};
use percycle_hil::bench::{
    analysis_of, compare_runs, refusal, stream, stream_recovering, wire_synthesised, HostTarget,
    LinkStats, Target,
};
use std::time::Instant;

/// Outcome of `percycle hil run`, written as `hil.json`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HilReport {
    /// Target description (`qemu mps2-an386`, `host`, `serial:/dev/ttyACM0`).
    pub target: String,
    /// Firmware identification: board, version, build id, code and configuration CRC-32.
    pub firmware: String,
    /// Vectors streamed.
    pub vectors: Vec<HilVector>,
    /// Link counters.
    pub link: LinkStats,
    /// Signal time streamed divided by wall time.
    pub speed_x_real_time: f64,
    /// Every vector bit-identical to the host build and within the limits of its truth.
    pub pass: bool,
}

/// One vector of a HIL run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HilVector {
    /// Vector name.
    pub name: String,
    /// Cycle records received from the target (each exactly once, checked by index).
    pub cycles: usize,
    /// Engine reports received (cycles, intervals, events, 10-s values, snapshots, registers,
    /// counters), each exactly once.
    pub reports: usize,
    /// Times the target died or was reset during the vector and the vector was sent again.
    pub restarts: u32,
    /// Records that differ from the host build in any bit.
    pub mismatches: Vec<String>,
    /// Energy registers equal to the host build's.
    pub energy_equal: bool,
    /// The target's reports against the vector's analytic truth (the checks and limits of
    /// `percycle certify`).
    pub truth: crate::energy::VectorResult,
}

/// Stream the vectors of a suite through `target` and through the host build and compare.
///
/// # Errors
/// An unknown suite, or a target error (which names what is missing).
pub fn run_suite(
    target: &mut dyn Target,
    target_name: &str,
    suite_name: &str,
    seconds: Option<f64>,
    progress: bool,
    out: Option<&std::path::Path>,
) -> Result<HilReport> {
    let recipes = percycle_vectors::suite(suite_name)
        .with_context(|| format!("unknown suite `{suite_name}`"))?;
    let id = target.identify()?;
    let board = id.board_name();
    let firmware = format!(
        "{board} v{}.{}.{} build {} code crc32 {:08x} protocol {}",
        id.version[0], id.version[1], id.version[2], id.build_id, id.code_crc32, id.protocol
    );
    let start = Instant::now();
    let mut signal_s = 0.0;
    let mut vectors = Vec::new();
    for recipe in recipes {
        let recipe = match seconds {
            Some(s) => recipe.with_duration(s),
            None => recipe,
        };
        if progress {
            eprintln!("{}: {}", target_name, recipe.name);
        }
        let v = percycle_vectors::synthesize(&recipe)
            .with_context(|| format!("synthesising {}", recipe.name))?;
        let (cfg, codes, nch) = wire_synthesised(&v)?;
        let host = stream(&mut HostTarget::like(&id)?, &cfg, &codes, nch, 40);
        let got = stream_recovering(target, &cfg, &codes, nch, &recipe.name, progress);
        let (host, (got, restarts)) = match (host, got) {
            (Ok(h), Ok(g)) => (h, g),
            // A vector the target (and its host twin) cannot be configured for fails, by
            // name; the rest run.
            (_, Err(e)) | (Err(e), _) if refusal(&e).is_some() => {
                let why = refusal(&e).map(ToString::to_string).unwrap_or_default();
                vectors.push(HilVector {
                    name: recipe.name.clone(),
                    cycles: 0,
                    reports: 0,
                    restarts: 0,
                    mismatches: vec![why.clone()],
                    energy_equal: false,
                    truth: crate::energy::VectorResult::not_run(&recipe.name, &why),
                });
                continue;
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        signal_s += recipe.duration_s;
        let mismatches = compare_runs(&got, &host);
        let analysis = analysis_of(&cfg, &got);
        if let Some(out) = out {
            let dir = out.join(&recipe.name);
            percycle_analysis::analyze::write_outputs(&dir, &analysis)
                .with_context(|| format!("writing {}", dir.display()))?;
        }
        let truth = crate::energy::judge(&recipe, &v.truth, &analysis)?;
        vectors.push(HilVector {
            name: recipe.name.clone(),
            cycles: got.cycles.len(),
            reports: got.reports.len(),
            energy_equal: format!("{:?}", got.energy) == format!("{:?}", host.energy),
            restarts,
            mismatches,
            truth,
        });
    }
    let pass = vectors.iter().all(|v| v.mismatches.is_empty() && v.energy_equal && v.truth.pass);
    Ok(HilReport {
        target: target_name.to_string(),
        firmware,
        vectors,
        link: target.stats(),
        speed_x_real_time: signal_s / start.elapsed().as_secs_f64().max(1e-9),
        pass,
    })
}
