//! W3: the full pipeline on 10 s of 7 channels at 10.24 kHz (the EN 50160 limit voltage
//! spectrum, rectifier-like currents; see `percycle_benches::signal`), as ADC codes.
//!
//! * `engine/7ch_10s`: `Meter::process_block_with` over the 10 s, collecting every cycle report
//!   and every 10-cycle interval report, then `reset()`.
//! * `naive_realfft/7ch_10s`: the naive realfft pipeline (`percycle_benches::naive`): U1 zero
//!   crossings, per-cycle rms ×7 and P ×3, 2048-point windows, subgroups h1..h50, THD.
//!
//! * `engine_interval_only/7ch_10s`: the engine without per-cycle spectra (the naive job's work).
//! * `fft_floor/7ch_10s`: realfft running exactly the transforms of the engine's job.
//!
//! Before timing, both must report the same mean rms, P and THD on every channel.
//! Real-time factor = 10 s / time per iteration.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use percycle_benches::SignalSpec;
use std::time::Duration;

fn pipeline(c: &mut Criterion) {
    common::engine_vs_naive(c, "pipeline", "7ch_10s", &SignalSpec::w3(), 20, true);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = pipeline
}
criterion_main!(benches);
