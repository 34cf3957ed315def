//! Writes the W3 signal for the peers, and the engine's results on the very same samples:
//!
//! * `PREFIX.f32`: raw little-endian f32, interleaved frames U1,U2,U3,I1,I2,I3,IN in V and A;
//! * `PREFIX.json`: `{"fs_hz","f0_hz","channels","frames","seconds"}`;
//! * `PREFIX.engine.json`: the engine on those f32 samples (`Meter::process_f32_block_with`) in
//!   the peers' schema: `{"peer":"percycle","version","rms_mean":[7],"thd_pct_mean":[7],
//!   "p_mean":[3],"cycles","windows","wall_s","rtf"}`. `rms_mean` is the mean per-cycle rms per
//!   channel, `thd_pct_mean` the mean interval THD (harmonic subgroups, orders 2..=50) in % per
//!   channel, `wall_s` the best of `--runs` runs over the whole signal and `rtf` = seconds /
//!   `wall_s`.

use clap::Parser;
use percycle_benches::{engine, SignalSpec, CHANNEL_NAMES, F0_HZ, FS_HZ};
use serde_json::json;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

/// Write the W3 input of the peers and the engine's results on it.
#[derive(Parser)]
struct Args {
    /// Output prefix, e.g. target/bench/w3.
    prefix: PathBuf,
    /// Timed engine runs (the best is reported).
    #[arg(long, default_value_t = 7)]
    runs: usize,
}

fn with_suffix(prefix: &std::path::Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if let Some(dir) = args.prefix.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let spec = SignalSpec::w3();
    let x = spec.volts_f32();
    let bytes: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    let raw = with_suffix(&args.prefix, ".f32");
    std::fs::write(&raw, bytes)?;
    let meta = json!({
        "fs_hz": FS_HZ,
        "f0_hz": F0_HZ,
        "channels": CHANNEL_NAMES,
        "frames": spec.frames(),
        "seconds": spec.seconds,
    });
    let meta_path = with_suffix(&args.prefix, ".json");
    std::fs::write(&meta_path, serde_json::to_string_pretty(&meta)? + "\n")?;

    let mut meter = engine::meter(engine::config());
    let summary = engine::run_f32(&mut meter, &x);
    let mut best = f64::INFINITY;
    for _ in 0..args.runs.max(1) {
        let t0 = Instant::now();
        black_box(engine::run_f32(&mut meter, black_box(&x)));
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let out = json!({
        "peer": "percycle",
        "version": env!("CARGO_PKG_VERSION"),
        "input": "f32 volts and amperes (Meter::process_f32_block_with)",
        "rms_mean": summary.rms_mean,
        "thd_pct_mean": summary.thd_pct_mean,
        "p_mean": summary.p_mean,
        "cycles": summary.cycles,
        "windows": summary.windows,
        "wall_s": best,
        "rtf": spec.seconds / best,
        "runs": args.runs.max(1),
    });
    let engine_path = with_suffix(&args.prefix, ".engine.json");
    std::fs::write(&engine_path, serde_json::to_string_pretty(&out)? + "\n")?;
    println!(
        "wrote {}, {}, {}: engine {:.3} ms per {} s ({:.0}x real time)",
        raw.display(),
        meta_path.display(),
        engine_path.display(),
        best * 1e3,
        spec.seconds,
        spec.seconds / best
    );
    Ok(())
}
