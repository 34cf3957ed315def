//! Throughput at scale: N independent meters (default 64), each with its own 7-channel stream
//! (`SignalSpec::meter(seed)`: own start angle, voltages, currents, load angles and noise),
//! processed with rayon on 1, 2, … up to all cores, one `ThreadPool` per thread count.
//!
//! For each thread count it prints, and with `--json PATH` writes: wall time (best of
//! `--repeats` rounds over all counts), streams × real time (total signal seconds / wall), speed-up over one thread and
//! parallel efficiency (speed-up / threads). Every thread count must give bit-identical
//! summaries, meter by meter.

use clap::Parser;
use percycle_benches::{engine, SignalSpec, Summary};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Scaling of the engine across cores on many independent streams.
#[derive(Parser)]
struct Args {
    /// Independent meters (streams).
    #[arg(long, default_value_t = 64)]
    meters: usize,
    /// Signal length per meter, s.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Timed rounds over every thread count (the best pass of each count is kept).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Largest thread count (default: every available core).
    #[arg(long)]
    max_threads: Option<usize>,
    /// Write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// One thread count's result.
#[derive(Serialize)]
struct Row {
    threads: usize,
    wall_s: f64,
    streams_x_real_time: f64,
    speedup: f64,
    efficiency: f64,
}

/// The whole run, as written to `--json`.
#[derive(Serialize)]
struct Report {
    meters: usize,
    seconds_per_meter: f64,
    signal_seconds: f64,
    bytes: usize,
    cores: usize,
    repeats: usize,
    rows: Vec<Row>,
}

/// Thread counts to try: every count up to 8, then powers of two, and always `max`.
fn thread_counts(max: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (1..=max.min(8)).collect();
    let mut t = 16;
    while t < max {
        v.push(t);
        t *= 2;
    }
    if !v.contains(&max) {
        v.push(max);
    }
    v
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max = args.max_threads.unwrap_or(cores).max(1);
    let cfg = engine::config();
    let gains = engine::gains(&cfg);
    eprintln!("synthesising {} streams of {} s", args.meters, args.seconds);
    let streams: Vec<Vec<i32>> = (0..args.meters as u64)
        .into_par_iter()
        .map(|seed| SignalSpec::meter(seed, args.seconds).codes(&gains))
        .collect();
    let bytes = streams.iter().map(|s| s.len() * 4).sum();
    let signal_seconds = args.meters as f64 * args.seconds;
    let mut meters: Vec<_> = (0..args.meters).map(|_| engine::meter(cfg)).collect();

    let mut rows: Vec<Row> = Vec::new();
    let mut reference: Option<Vec<Summary>> = None;
    println!(
        "{} meters × {} s ({:.0} MB of codes), best of {}",
        args.meters,
        args.seconds,
        bytes as f64 / 1e6,
        args.repeats
    );
    println!(
        "{:>7} {:>10} {:>20} {:>9} {:>11}",
        "threads", "wall s", "streams x real time", "speed-up", "efficiency"
    );
    // Rounds over all thread counts, best per count: a burst of load from elsewhere on the
    // machine then spoils one pass of each count, not all passes of one.
    let counts = thread_counts(max);
    let pools = counts
        .iter()
        .map(|&t| rayon::ThreadPoolBuilder::new().num_threads(t).build())
        .collect::<Result<Vec<_>, _>>()?;
    let mut best = vec![f64::INFINITY; counts.len()];
    for _ in 0..args.repeats.max(1) {
        for ((pool, best), &threads) in pools.iter().zip(best.iter_mut()).zip(&counts) {
            let t0 = Instant::now();
            let out: Vec<Summary> = pool.install(|| {
                meters
                    .par_iter_mut()
                    .zip(streams.par_iter())
                    .map(|(m, s)| engine::run_codes(m, s))
                    .collect()
            });
            *best = best.min(t0.elapsed().as_secs_f64());
            match &reference {
                None => reference = Some(out),
                Some(r) => {
                    if *r != out {
                        return Err(format!("{threads} threads changed the results").into());
                    }
                }
            }
        }
    }
    for (&threads, &wall) in counts.iter().zip(&best) {
        let speedup = best[0] / wall;
        let row = Row {
            threads,
            wall_s: wall,
            streams_x_real_time: signal_seconds / wall,
            speedup,
            efficiency: speedup / threads as f64,
        };
        println!(
            "{:>7} {:>10.4} {:>20.0} {:>9.2} {:>10.0}%",
            row.threads,
            row.wall_s,
            row.streams_x_real_time,
            row.speedup,
            100.0 * row.efficiency
        );
        rows.push(row);
    }
    if let Some(path) = &args.json {
        let report = Report {
            meters: args.meters,
            seconds_per_meter: args.seconds,
            signal_seconds,
            bytes,
            cores,
            repeats: args.repeats,
            rows,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
