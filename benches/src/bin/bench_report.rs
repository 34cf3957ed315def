//! Assembles one table from everything `scripts/bench.sh` measured: criterion's estimates
//! (W1–W4), callgrind instruction counts (W3), the engine's and the Python peers' results on the
//! same samples (W3), the scaling run, and the QEMU instruction counts of the engine and
//! CMSIS-DSP (W5). Each row is judged against its goal (design.md "Targets", performance.md §5);
//! the peers' outputs are checked against the engine's. Missing inputs are tolerated: their rows
//! say "not run" and why.
//!
//! Writes `DIR/report.md` and `DIR/report.json` and prints the table.

use clap::Parser;
use percycle_benches::summary::within;
use percycle_benches::{SignalSpec, CHANNELS, CHANNEL_NAMES};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// Goals. Sources: design.md "Targets" (host speed, MCU cost) and performance.md §5.
/// W1: engine time ≤ 0.75 × realfft time, i.e. a speed-up of at least 1/0.75.
const W1_VS_REALFFT: f64 = 1.0 / 0.75;
/// W1 stretch: engine time ≤ 1.15 × rustfft c2c(N/2) time.
const W1_VS_C2C_HALF: f64 = 1.0 / 1.15;
/// W2: ≥ 2 × the naive time-domain loop.
const W2_VS_NAIVE: f64 = 2.0;
/// W3: ≥ 16 000 × real time on one core.
const W3_RTF: f64 = 16_000.0;
/// W3: ≥ 2 × the naive realfft pipeline.
const W3_VS_NAIVE: f64 = 2.0;
/// W3 without per-cycle spectra: ≥ 0.5 × the naive realfft pipeline's speed (issue goal of
/// the per-cycle budget work; the naive job resamples nothing and has no per-cycle spectra).
const W3_INTERVAL_VS_NAIVE: f64 = 0.5;
/// W3: the engine's time within 2.5 × the realfft time of its own transforms (the FFT floor).
const W3_VS_FFT_FLOOR: f64 = 1.0 / 2.5;
/// W3: ≥ 10 × vectorised numpy.
const W3_VS_NUMPY: f64 = 10.0;
/// W3: ≥ 500 × pqopen-lib.
const W3_VS_PQOPEN: f64 = 500.0;
/// W4: ≥ 13 000 × real time (25 % of the DRAM ceiling, 52 700×).
const W4_RTF: f64 = 13_000.0;
/// Scaling: "near-linear", taken as a parallel efficiency of at least 80 %.
const SCALING_EFFICIENCY: f64 = 0.8;
/// W5: engine instructions ≤ 1.0 × CMSIS-DSP f32 for the same job, i.e. CMSIS/engine ≥ 1.
const W5_VS_CMSIS: f64 = 1.0;
/// W5: firmware flash (text + data) ≤ 64 KiB.
const FLASH_BYTES: f64 = 64.0 * 1024.0;
/// W5: firmware static RAM (data + bss) ≤ 48 KiB.
const RAM_BYTES: f64 = 48.0 * 1024.0;

/// Build the benchmark report.
#[derive(Parser)]
struct Args {
    /// Directory of the JSON inputs and of the report.
    #[arg(long, default_value = "target/bench")]
    dir: PathBuf,
    /// Criterion's output directory.
    #[arg(long, default_value = "target/criterion")]
    criterion: PathBuf,
    /// Free text describing the run (commit, date), printed at the top.
    #[arg(long, default_value = "")]
    label: String,
}

/// One line of the table.
#[derive(Serialize, Default)]
struct Row {
    /// Workload and case.
    workload: String,
    /// The engine's figure, as shown.
    engine: String,
    /// What the engine is compared with.
    peer: String,
    /// The peer's figure, as shown.
    peer_value: String,
    /// Speed-up of the engine over the peer (peer cost / engine cost; > 1: engine better).
    ratio: Option<f64>,
    /// The goal, as shown.
    goal: String,
    /// Whether the goal is met; `None` when there is no goal or no measurement.
    met: Option<bool>,
    /// Instruction counts, where measured.
    instructions: String,
    /// Engine figure as a number (ns, × real time, instructions or bytes; see `workload`).
    engine_value: Option<f64>,
    /// Peer figure as a number, same unit.
    peer_number: Option<f64>,
    /// Why the row has no measurement.
    not_run: Option<String>,
}

impl Row {
    fn missing(
        workload: impl Into<String>,
        peer: impl Into<String>,
        goal: &str,
        why: String,
    ) -> Row {
        Row {
            workload: workload.into(),
            engine: format!("not run: {why}"),
            peer: peer.into(),
            goal: goal.to_string(),
            not_run: Some(why),
            ..Row::default()
        }
    }
}

/// A check of one implementation's outputs against another's.
#[derive(Serialize)]
struct Check {
    what: String,
    tolerance: String,
    pass: Option<bool>,
    problems: Vec<String>,
}

/// Criterion's estimates of one benchmark, ns per iteration.
#[derive(Clone, Copy, Serialize)]
struct Estimate {
    median_ns: f64,
    mean_ns: f64,
}

/// Inputs that were read, with the reason for each one that was not.
struct Inputs {
    dir: PathBuf,
    criterion: BTreeMap<String, Estimate>,
}

impl Inputs {
    /// `DIR/NAME.json`, or why it is not there: the first line of `DIR/status/NAME.txt`
    /// (written by bench.sh when the step that makes it failed or was skipped), else "no file".
    fn json(&self, name: &str) -> Result<Value, String> {
        let path = self.dir.join(format!("{name}.json"));
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("{} is not valid JSON: {e}", path.display())),
            Err(_) => {
                let status = self.dir.join("status").join(format!("{name}.txt"));
                match std::fs::read_to_string(status) {
                    Ok(s) if !s.trim().is_empty() => {
                        Err(s.lines().next().unwrap_or_default().trim().to_string())
                    }
                    _ => Err(format!("{} not found", path.display())),
                }
            }
        }
    }

    fn estimate(&self, id: &str) -> Result<Estimate, String> {
        self.criterion.get(id).copied().ok_or_else(|| format!("no criterion result for {id}"))
    }
}

/// Every `*/new/benchmark.json` under `root`, by full id, with its `estimates.json`.
fn read_criterion(root: &Path) -> BTreeMap<String, Estimate> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "benchmark.json")
                && dir.file_name().is_some_and(|n| n == "new")
            {
                let read = |f: &Path| -> Option<Value> {
                    serde_json::from_str(&std::fs::read_to_string(f).ok()?).ok()
                };
                let (Some(b), Some(est)) = (read(&p), read(&dir.join("estimates.json"))) else {
                    continue;
                };
                let (Some(id), Some(median), Some(mean)) = (
                    b["full_id"].as_str(),
                    est["median"]["point_estimate"].as_f64(),
                    est["mean"]["point_estimate"].as_f64(),
                ) else {
                    continue;
                };
                out.insert(id.to_string(), Estimate { median_ns: median, mean_ns: mean });
            }
        }
    }
    out
}

fn fmt_time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A count with a thousands separator: 16 000.
fn fmt_count(v: f64) -> String {
    let s = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    if v < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

fn fmt_instr(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.3} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.1} k", v / 1e3)
    } else if v >= 1e3 {
        format!("{:.2} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 100.0 => format!("{r:.0}×"),
        Some(r) if r >= 10.0 => format!("{r:.1}×"),
        Some(r) => format!("{r:.2}×"),
        None => "—".to_string(),
    }
}

fn fmt_met(r: &Row) -> &'static str {
    match (r.met, &r.not_run) {
        (Some(true), _) => "yes",
        (Some(false), _) => "NO",
        (None, Some(_)) => "not run",
        (None, None) => "—",
    }
}

/// Speed-up row of engine time vs peer time (criterion), with a minimum speed-up goal.
fn speed_row(
    inputs: &Inputs,
    workload: &str,
    engine_id: &str,
    peer: &str,
    peer_id: &str,
    goal: Option<(f64, String)>,
) -> Row {
    let goal_text = goal.as_ref().map_or("—".to_string(), |g| g.1.clone());
    let (e, p) = match (inputs.estimate(engine_id), inputs.estimate(peer_id)) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(why), _) | (_, Err(why)) => return Row::missing(workload, peer, &goal_text, why),
    };
    let ratio = p.median_ns / e.median_ns;
    Row {
        workload: workload.to_string(),
        engine: fmt_time(e.median_ns),
        peer: peer.to_string(),
        peer_value: fmt_time(p.median_ns),
        ratio: Some(ratio),
        goal: goal_text,
        met: goal.map(|g| ratio >= g.0),
        engine_value: Some(e.median_ns),
        peer_number: Some(p.median_ns),
        ..Row::default()
    }
}

/// Real-time-factor row of a criterion pipeline result over `seconds` of signal.
fn rtf_row(inputs: &Inputs, workload: &str, id: &str, seconds: f64, goal: f64) -> Row {
    let goal_text = format!("≥ {}× RT", fmt_count(goal));
    match inputs.estimate(id) {
        Ok(e) => {
            let rtf = seconds * 1e9 / e.median_ns;
            Row {
                workload: workload.to_string(),
                engine: format!("{} ({}× RT)", fmt_time(e.median_ns), fmt_count(rtf)),
                peer: "real time".to_string(),
                peer_value: format!("{seconds} s"),
                goal: goal_text,
                met: Some(rtf >= goal),
                engine_value: Some(rtf),
                ..Row::default()
            }
        }
        Err(why) => Row::missing(workload, "real time", &goal_text, why),
    }
}

fn w1(inputs: &Inputs, rows: &mut Vec<Row>) {
    // The sizes the engine's own FFT is built for; rustfft's half-length core and microfft (the
    // engine's FFT before it had its own) are measured at the powers of two.
    for n in [128u32, 1024, 1280, 1536, 2048] {
        let e = format!("fft_real/engine_fft/{n}");
        rows.push(speed_row(
            inputs,
            &format!("W1 real FFT N={n}"),
            &e,
            "realfft r2c",
            &format!("fft_real/realfft/{n}"),
            Some((W1_VS_REALFFT, "≥ 1.33× (≤ 0.75× realfft time)".to_string())),
        ));
        if n.is_power_of_two() {
            rows.push(speed_row(
                inputs,
                &format!("W1 real FFT N={n}"),
                &e,
                "rustfft c2c N/2 (ideal core)",
                &format!("fft_real/rustfft_c2c_half_ideal_core/{n}"),
                Some((W1_VS_C2C_HALF, "stretch: ≥ 0.87× (≤ 1.15× core time)".to_string())),
            ));
            rows.push(speed_row(
                inputs,
                &format!("W1 real FFT N={n}"),
                &e,
                "microfft 0.6",
                &format!("fft_real/engine_microfft/{n}"),
                None,
            ));
        }
    }
}

fn w2(inputs: &Inputs, rows: &mut Vec<Row>) {
    rows.push(speed_row(
        inputs,
        "W2 per-cycle, 1 s × 7 ch",
        "cycle_kernels/engine/7ch_1s",
        "naive loop (rms ×7, P ×3)",
        "cycle_kernels/naive/7ch_1s",
        Some((W2_VS_NAIVE, "≥ 2×".to_string())),
    ));
    rows.push(speed_row(
        inputs,
        "W2 per-cycle core only (no PQ), 1 s × 7 ch",
        "cycle_kernels/engine_core/7ch_1s",
        "naive loop (rms ×7, P ×3)",
        "cycle_kernels/naive/7ch_1s",
        None,
    ));
}

/// Instruction counts per run of W3 from `callgrind.json`: (engine, naive) or why not.
fn callgrind(inputs: &Inputs) -> Result<(f64, f64), String> {
    let v = inputs.json("callgrind")?;
    if let Some(e) = v["error"].as_str() {
        return Err(e.to_string());
    }
    match (
        v["engine"]["instructions_per_run"].as_f64(),
        v["naive"]["instructions_per_run"].as_f64(),
    ) {
        (Some(e), Some(n)) => Ok((e, n)),
        _ => Err("callgrind.json lacks engine/naive instructions_per_run".to_string()),
    }
}

/// Goal of a Python peer by its name: pqopen ≥ 500×, vectorised numpy ≥ 10×, others none.
fn peer_goal(name: &str) -> Option<(f64, String)> {
    let n = name.to_ascii_lowercase();
    if n.contains("pqopen") {
        Some((W3_VS_PQOPEN, "≥ 500×".to_string()))
    } else if n.contains("numpy") && !n.contains("loop") {
        Some((W3_VS_NUMPY, "≥ 10×".to_string()))
    } else {
        None
    }
}

fn w3(inputs: &Inputs, rows: &mut Vec<Row>) {
    rows.push(rtf_row(inputs, "W3 pipeline, 10 s × 7 ch", "pipeline/engine/7ch_10s", 10.0, W3_RTF));
    let mut naive = speed_row(
        inputs,
        "W3 pipeline, 10 s × 7 ch",
        "pipeline/engine/7ch_10s",
        "naive realfft pipeline",
        "pipeline/naive_realfft/7ch_10s",
        Some((W3_VS_NAIVE, "≥ 2×".to_string())),
    );
    naive.instructions = match callgrind(inputs) {
        Ok((e, n)) => format!("{} vs {} ({:.2}×)", fmt_instr(e), fmt_instr(n), n / e),
        Err(why) => format!("n/a: {why}"),
    };
    rows.push(naive);
    rows.push(speed_row(
        inputs,
        "W3 without per-cycle spectra, 10 s × 7 ch",
        "pipeline/engine_interval_only/7ch_10s",
        "naive realfft pipeline",
        "pipeline/naive_realfft/7ch_10s",
        Some((W3_INTERVAL_VS_NAIVE, "≥ 0.5×".to_string())),
    ));
    rows.push(speed_row(
        inputs,
        "W3 pipeline, 10 s × 7 ch",
        "pipeline/engine/7ch_10s",
        "FFT floor: realfft, the job's transforms",
        "pipeline/fft_floor/7ch_10s",
        Some((W3_VS_FFT_FLOOR, "within 2.5× (≥ 0.40×)".to_string())),
    ));

    // Python peers: the engine's figure is peer_input's run on the same f32 samples, measured
    // right before the peers in the same bench.sh run.
    let engine = inputs.json("w3.engine");
    let peers = inputs.json("peers");
    let (engine, peers) = match (engine, peers) {
        (Ok(e), Ok(p)) => (e, p),
        (Err(why), _) => {
            rows.push(Row::missing("W3 vs Python peers", "peers", "—", why));
            return;
        }
        (_, Err(why)) => {
            rows.push(Row::missing("W3 vs Python peers", "peers", "—", why));
            return;
        }
    };
    let Some(e_rtf) = engine["rtf"].as_f64() else {
        rows.push(Row::missing(
            "W3 vs Python peers",
            "peers",
            "—",
            "w3.engine.json has no rtf".into(),
        ));
        return;
    };
    let list = peers["peers"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        rows.push(Row::missing(
            "W3 vs Python peers",
            "peers",
            "—",
            "peers.json lists no peer".into(),
        ));
    }
    for p in list {
        let name = p["peer"].as_str().unwrap_or("?").to_string();
        let version = p["version"].as_str().map(|v| format!(" {v}")).unwrap_or_default();
        let label = format!("{name}{version}");
        let goal = peer_goal(&name);
        let goal_text = goal.as_ref().map_or("—".to_string(), |g| g.1.clone());
        if let Some(err) = p["error"].as_str() {
            rows.push(Row::missing("W3 pipeline, 10 s × 7 ch", label, &goal_text, err.to_string()));
            continue;
        }
        let Some(p_rtf) = p["rtf"].as_f64() else {
            rows.push(Row::missing("W3 pipeline, 10 s × 7 ch", label, &goal_text, "no rtf".into()));
            continue;
        };
        let ratio = e_rtf / p_rtf;
        rows.push(Row {
            workload: "W3 pipeline, 10 s × 7 ch (f32 input)".to_string(),
            engine: format!("{}× RT", fmt_count(e_rtf)),
            peer: label,
            peer_value: format!("{}× RT", fmt_count(p_rtf)),
            ratio: Some(ratio),
            goal: goal_text,
            met: goal.map(|g| ratio >= g.0),
            engine_value: Some(e_rtf),
            peer_number: Some(p_rtf),
            ..Row::default()
        });
    }
}

fn w4(inputs: &Inputs, rows: &mut Vec<Row>) {
    rows.push(rtf_row(
        inputs,
        "W4 stream > LLC, 600 s × 7 ch",
        "pipeline_dram/engine/7ch_600s",
        600.0,
        W4_RTF,
    ));
    rows.push(speed_row(
        inputs,
        "W4 stream > LLC, 600 s × 7 ch",
        "pipeline_dram/engine/7ch_600s",
        "naive realfft pipeline",
        "pipeline_dram/naive_realfft/7ch_600s",
        None,
    ));
}

fn scaling(inputs: &Inputs, rows: &mut Vec<Row>) {
    let goal = format!("efficiency ≥ {:.0} %", 100.0 * SCALING_EFFICIENCY);
    let v = match inputs.json("scaling") {
        Ok(v) => v,
        Err(why) => {
            rows.push(Row::missing("scaling", "1 thread", &goal, why));
            return;
        }
    };
    let meters = v["meters"].as_u64().unwrap_or(0);
    let seconds = v["seconds_per_meter"].as_f64().unwrap_or(0.0);
    for r in v["rows"].as_array().cloned().unwrap_or_default() {
        let (Some(t), Some(x), Some(s), Some(eff)) = (
            r["threads"].as_u64(),
            r["streams_x_real_time"].as_f64(),
            r["speedup"].as_f64(),
            r["efficiency"].as_f64(),
        ) else {
            continue;
        };
        rows.push(Row {
            workload: format!("scaling, {meters} meters × {seconds} s, {t} thread(s)"),
            engine: format!("{}× RT ({:.0} % eff.)", fmt_count(x), 100.0 * eff),
            peer: "1 thread".to_string(),
            peer_value: String::new(),
            ratio: Some(s),
            goal: if t > 1 { goal.clone() } else { "—".to_string() },
            met: (t > 1).then_some(eff >= SCALING_EFFICIENCY),
            engine_value: Some(x),
            ..Row::default()
        });
    }
}

fn w5(inputs: &Inputs, rows: &mut Vec<Row>) {
    let engine = inputs.json("mcu_engine");
    let cmsis = inputs.json("mcu_cmsis");
    let w = "W5 MCU, instr / mains cycle / ch";
    let goal = "≥ 1.00× (≤ 1.0× CMSIS instructions)";
    let per_ch = "instructions_per_mains_cycle_per_channel";
    // Parts as "name count, …" from an object or from a list of {name, per-channel count}.
    let parts = |v: &Value| -> Vec<String> {
        match v {
            Value::Object(o) => o
                .iter()
                .filter_map(|(k, v)| v.as_f64().map(|v| format!("{k} {}", fmt_instr(v))))
                .collect(),
            Value::Array(a) => a
                .iter()
                .filter(|r| r["name"] != "full")
                .filter_map(|r| {
                    Some(format!("{} {}", r["name"].as_str()?, fmt_instr(r[per_ch].as_f64()?)))
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let engine_full: Result<f64, String> = engine.as_ref().map_err(Clone::clone).and_then(|e| {
        e["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["name"] == "full"))
            .and_then(|r| r[per_ch].as_f64())
            .ok_or_else(|| format!("mcu_engine.json has no row \"full\" with {per_ch}"))
    });
    let cmsis_full: Result<f64, String> = cmsis
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|c| c[per_ch].as_f64().ok_or_else(|| format!("mcu_cmsis.json has no {per_ch}")));
    let source = cmsis
        .as_ref()
        .ok()
        .and_then(|c| c["cmsis_dsp"].as_str().map(|v| format!("CMSIS-DSP f32 {v}")))
        .map(|s| s.split(" (").next().unwrap_or_default().to_string())
        .unwrap_or_else(|| "CMSIS-DSP f32".to_string());
    let mut notes = Vec::new();
    if let Ok(e) = &engine {
        let p = parts(&e["rows"]);
        if !p.is_empty() {
            notes.push(format!("engine: {}", p.join(", ")));
        }
    }
    if let Ok(c) = &cmsis {
        let p = parts(&c["parts"]);
        if !p.is_empty() {
            notes.push(format!("CMSIS: {}", p.join(", ")));
        }
    }
    let mut row = Row {
        workload: w.to_string(),
        peer: source,
        goal: goal.to_string(),
        instructions: notes.join("; "),
        ..Row::default()
    };
    match &cmsis_full {
        Ok(c) => {
            row.peer_value = fmt_instr(*c);
            row.peer_number = Some(*c);
        }
        Err(why) => row.peer_value = format!("not run: {why}"),
    }
    match (&engine_full, &cmsis_full) {
        (Ok(e), Ok(c)) => {
            row.engine = fmt_instr(*e);
            row.engine_value = Some(*e);
            row.ratio = Some(c / e);
            row.met = Some(c / e >= W5_VS_CMSIS);
        }
        (Ok(e), Err(why)) => {
            row.engine = fmt_instr(*e);
            row.engine_value = Some(*e);
            row.not_run = Some(why.clone());
        }
        (Err(why), _) => {
            row.engine = format!("not run: {why}");
            row.not_run = Some(why.clone());
        }
    }
    rows.push(row);
    let size = |key: &str| engine.as_ref().ok().and_then(|e| e[key].as_f64());
    for (what, keys, limit, goal) in [
        ("W5 firmware flash (text + data)", ["text_bytes", "data_bytes"], FLASH_BYTES, "≤ 64 KiB"),
        ("W5 firmware static RAM (data + bss)", ["data_bytes", "bss_bytes"], RAM_BYTES, "≤ 48 KiB"),
    ] {
        match (size(keys[0]), size(keys[1])) {
            (Some(a), Some(b)) => {
                let stack = size("stack_bytes")
                    .filter(|_| keys[1] == "bss_bytes")
                    .map(|s| format!("stack {} B besides", fmt_count(s)))
                    .unwrap_or_default();
                rows.push(Row {
                    workload: what.to_string(),
                    engine: format!("{:.1} KiB", (a + b) / 1024.0),
                    peer: "limit".to_string(),
                    peer_value: format!("{:.0} KiB", limit / 1024.0),
                    goal: goal.to_string(),
                    met: Some(a + b <= limit),
                    instructions: stack,
                    engine_value: Some(a + b),
                    peer_number: Some(limit),
                    ..Row::default()
                });
            }
            _ => {
                let why = match &engine {
                    Err(why) => why.clone(),
                    Ok(_) => format!("mcu_engine.json lacks {} or {}", keys[0], keys[1]),
                };
                let mut row = Row::missing(what, "limit", goal, why);
                row.peer_value = format!("{:.0} KiB", limit / 1024.0);
                rows.push(row);
            }
        }
    }
}

/// `v[key]` as per-channel numbers (nulls and missing entries as `None`).
fn values(v: &Value, key: &str, n: usize) -> Vec<Option<f64>> {
    (0..n).map(|i| v[key].get(i).and_then(Value::as_f64)).collect()
}

/// Compare `b` against the reference `a` (each with `rms_mean`, `thd_pct_mean`, `p_mean`).
fn compare(a: &Value, b: &Value, rms_rel: f64, thd_pp: f64, p_rel: f64) -> Vec<String> {
    let mut out = Vec::new();
    let rel = |x: f64, y: f64| (y - x).abs() / x.abs().max(1e-12);
    let (ra, rb) = (values(a, "rms_mean", CHANNELS), values(b, "rms_mean", CHANNELS));
    let (ta, tb) = (values(a, "thd_pct_mean", CHANNELS), values(b, "thd_pct_mean", CHANNELS));
    let (pa, pb) = (values(a, "p_mean", 3), values(b, "p_mean", 3));
    for c in 0..CHANNELS {
        if let (Some(x), Some(y)) = (ra[c], rb[c]) {
            if !within(rel(x, y), rms_rel) {
                out.push(format!(
                    "{} rms {y:.5} vs {x:.5} (relative {:.1e} > {rms_rel:.0e})",
                    CHANNEL_NAMES[c],
                    rel(x, y)
                ));
            }
        }
        if let (Some(x), Some(y)) = (ta[c], tb[c]) {
            // THDs above 100 % (the neutral's) are judged relative to their size.
            let limit = thd_pp.max(rms_rel * x.abs());
            if !within((y - x).abs(), limit) {
                out.push(format!(
                    "{} THD {y:.3} % vs {x:.3} % ({:.3} pp > {limit:.2} pp)",
                    CHANNEL_NAMES[c],
                    (y - x).abs()
                ));
            }
        }
    }
    for p in 0..3 {
        if let (Some(x), Some(y)) = (pa[p], pb[p]) {
            if !within(rel(x, y), p_rel) {
                out.push(format!(
                    "P{} {y:.3} W vs {x:.3} W (relative {:.1e} > {p_rel:.0e})",
                    p + 1,
                    rel(x, y)
                ));
            }
        }
    }
    let present = |v: &[Option<f64>]| v.iter().filter(|x| x.is_some()).count();
    if present(&rb) + present(&tb) + present(&pb) == 0 {
        out.push("no rms_mean, thd_pct_mean or p_mean to compare".to_string());
    }
    out
}

fn checks(inputs: &Inputs) -> Vec<Check> {
    let mut out = Vec::new();
    let engine = match inputs.json("w3.engine") {
        Ok(e) => e,
        Err(why) => {
            out.push(Check {
                what: "engine outputs".into(),
                tolerance: String::new(),
                pass: None,
                problems: vec![format!("not run: {why}")],
            });
            return out;
        }
    };
    // The engine against the closed form of the signal it was given.
    let cf = SignalSpec::w3().closed_form();
    let truth = serde_json::json!({"rms_mean": cf.rms, "thd_pct_mean": cf.thd_pct, "p_mean": cf.p});
    let problems = compare(&truth, &engine, 1e-3, 0.2, 1e-3);
    out.push(Check {
        what: "percycle (engine) vs closed form of the W3 signal".into(),
        tolerance: "rms, P 1e-3 relative; THD 0.2 pp".into(),
        pass: Some(problems.is_empty()),
        problems,
    });
    let peers = match inputs.json("peers") {
        Ok(p) => p,
        Err(why) => {
            out.push(Check {
                what: "Python peers vs engine".into(),
                tolerance: String::new(),
                pass: None,
                problems: vec![format!("not run: {why}")],
            });
            return out;
        }
    };
    for p in peers["peers"].as_array().cloned().unwrap_or_default() {
        let name = p["peer"].as_str().unwrap_or("?").to_string();
        if let Some(err) = p["error"].as_str() {
            out.push(Check {
                what: format!("{name} vs engine"),
                tolerance: String::new(),
                pass: None,
                problems: vec![format!("not run: {err}")],
            });
            continue;
        }
        // pqopen-lib has its own zero-crossing filter and resampling: a looser tolerance.
        let (rms, thd, pw, tol) = if name.to_ascii_lowercase().contains("pqopen") {
            (1e-2, 0.5, 1e-2, "rms, P 1e-2 relative; THD 0.5 pp")
        } else {
            (1e-3, 0.2, 1e-3, "rms, P 1e-3 relative; THD 0.2 pp")
        };
        let problems = compare(&engine, &p, rms, thd, pw);
        out.push(Check {
            what: format!("{name} vs engine"),
            tolerance: tol.into(),
            pass: Some(problems.is_empty()),
            problems,
        });
    }
    out
}

/// The rows as an aligned Markdown table.
fn table(rows: &[Row]) -> String {
    let head = ["workload", "engine", "peer", "peer value", "ratio", "goal", "met", "instructions"];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.workload.clone(),
                r.engine.clone(),
                r.peer.clone(),
                r.peer_value.clone(),
                fmt_ratio(r.ratio),
                r.goal.clone(),
                fmt_met(r).to_string(),
                r.instructions.clone(),
            ]
        })
        .collect();
    let mut width = head.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: &[String]| -> String {
        let mut s = String::from("|");
        for (c, w) in cols.iter().zip(width) {
            let pad = w - c.chars().count();
            let _ = write!(s, " {c}{} |", " ".repeat(pad));
        }
        s.push('\n');
        s
    };
    let mut out = line(&head.map(String::from));
    out += &line(&width.map(|w| "-".repeat(w)));
    for row in &cells {
        out += &line(row);
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let inputs = Inputs { criterion: read_criterion(&args.criterion), dir: args.dir.clone() };
    let mut rows = Vec::new();
    w1(&inputs, &mut rows);
    w2(&inputs, &mut rows);
    w3(&inputs, &mut rows);
    w4(&inputs, &mut rows);
    scaling(&inputs, &mut rows);
    w5(&inputs, &mut rows);
    let checks = checks(&inputs);

    let mut md = String::from("# percycle benchmark report\n\n");
    if !args.label.is_empty() {
        let _ = writeln!(md, "{}\n", args.label);
    }
    md += "Ratio = speed-up of the engine over the peer (peer time ÷ engine time, or CMSIS \
           instructions ÷ engine instructions): above 1 the engine is better. Times are \
           criterion medians, single thread. RT = real time. Instructions: callgrind per 10-s \
           run (engine vs naive) and QEMU per mains cycle per channel (W5).\n\n";
    let t = table(&rows);
    md += &t;
    md += "\n## Output checks\n\n";
    let mut check_text = String::new();
    for c in &checks {
        let verdict = match c.pass {
            Some(true) => "agree",
            Some(false) => "DISAGREE",
            None => "not run",
        };
        let tol =
            if c.tolerance.is_empty() { String::new() } else { format!(" ({})", c.tolerance) };
        let _ = writeln!(check_text, "- {}: {verdict}{tol}", c.what);
        for p in &c.problems {
            let _ = writeln!(check_text, "  - {p}");
        }
    }
    md += &check_text;
    let goals_met = rows.iter().filter(|r| r.met == Some(true)).count();
    let goals_missed = rows.iter().filter(|r| r.met == Some(false)).count();
    let not_run = rows.iter().filter(|r| r.not_run.is_some()).count();
    let summary = format!("{goals_met} goals met, {goals_missed} not met, {not_run} rows not run");
    let _ = writeln!(md, "\n{summary}");

    std::fs::create_dir_all(&args.dir)?;
    std::fs::write(args.dir.join("report.md"), &md)?;
    let json = serde_json::json!({
        "label": args.label,
        "rows": rows,
        "checks": checks,
        "criterion": inputs.criterion,
        "goals_met": goals_met,
        "goals_not_met": goals_missed,
        "rows_not_run": not_run,
    });
    std::fs::write(args.dir.join("report.json"), serde_json::to_string_pretty(&json)? + "\n")?;
    print!("{t}\n{check_text}\n{summary}\n");
    eprintln!(
        "wrote {} and {}",
        args.dir.join("report.md").display(),
        args.dir.join("report.json").display()
    );
    Ok(())
}
