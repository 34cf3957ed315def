//! Runs the W3 pipeline a given number of times, for instruction counting under callgrind:
//! `pipeline_once engine 2` minus `pipeline_once engine 0` is the engine's count for two runs
//! over 10 s of 7 channels, without the signal synthesis. `pipeline_once check` prints the
//! engine's, the naive pipeline's and the closed-form values side by side.

use clap::{Parser, ValueEnum};
use percycle_benches::{engine, NaivePipeline, SignalSpec, CHANNEL_NAMES};
use std::hint::black_box;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Which {
    /// The engine (`Meter::process_block_with` on codes).
    Engine,
    /// The naive realfft pipeline on the same codes.
    Naive,
    /// Print both summaries and the closed form; no timing.
    Check,
}

/// Run the W3 pipeline N times after synthesising its signal.
#[derive(Parser)]
struct Args {
    /// Which implementation.
    which: Which,
    /// Runs over the whole signal (0 = synthesis only, the callgrind baseline).
    #[arg(default_value_t = 1)]
    iterations: u32,
    /// Signal length, s.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

fn main() {
    let args = Args::parse();
    let spec = SignalSpec::w3().with_seconds(args.seconds);
    let cfg = engine::config();
    let gains = engine::gains(&cfg);
    let codes = spec.codes(&gains);
    match args.which {
        Which::Engine => {
            let mut meter = engine::meter(cfg);
            for _ in 0..args.iterations {
                black_box(engine::run_codes(&mut meter, black_box(&codes)));
            }
        }
        Which::Naive => {
            let mut naive = NaivePipeline::new();
            for _ in 0..args.iterations {
                black_box(naive.run_codes(black_box(&codes), &gains));
            }
        }
        Which::Check => {
            let e = engine::run_codes(&mut engine::meter(cfg), &codes);
            let n = NaivePipeline::new().run_codes(&codes, &gains);
            let cf = spec.closed_form();
            println!("cycles: engine {}, naive {}", e.cycles, n.cycles);
            println!("windows: engine {}, naive {}", e.windows, n.windows);
            println!(
                "{:<3} {:>12} {:>12} {:>12} {:>10} | {:>9} {:>9} {:>9} {:>8}",
                "ch",
                "rms engine",
                "rms naive",
                "closed",
                "rel e-n",
                "THD eng",
                "THD naive",
                "closed",
                "pp e-n"
            );
            for (c, name) in CHANNEL_NAMES.iter().enumerate() {
                println!(
                    "{:<3} {:>12.6} {:>12.6} {:>12.6} {:>10.2e} | {:>9.4} {:>9.4} {:>9.4} {:>8.4}",
                    name,
                    e.rms_mean[c],
                    n.rms_mean[c],
                    cf.rms[c],
                    (e.rms_mean[c] - n.rms_mean[c]) / n.rms_mean[c],
                    e.thd_pct_mean[c],
                    n.thd_pct_mean[c],
                    cf.thd_pct[c],
                    e.thd_pct_mean[c] - n.thd_pct_mean[c]
                );
            }
            for p in 0..3 {
                println!(
                    "P{}  engine {:.4} W, naive {:.4} W, closed form {:.4} W",
                    p + 1,
                    e.p_mean[p],
                    n.p_mean[p],
                    cf.p[p]
                );
            }
        }
    }
}
