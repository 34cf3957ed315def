//! W3: the full pipeline on 10 s of 7 channels at 10.24 kHz (the EN 50160 limit voltage
//! spectrum, rectifier-like currents; see `percycle_benches::signal`), as ADC codes.
//!
//! * `engine/7ch_10s`: `Meter::process_block_with` over the 10 s, collecting every cycle report
//!   and every 10-cycle interval report, then `reset()`.
//! * `naive_realfft/7ch_10s`: the naive realfft pipeline (`percycle_benches::naive`): U1 zero
//!   crossings, per-cycle rms ×7 and P ×3, 2048-point windows, subgroups h1..h50, THD.
//!
//! Before timing, both must report the same mean rms, P and THD on every channel.
//! Real-time factor = 10 s / time per iteration.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use percycle_benches::{assert_same_work, engine, NaivePipeline, SignalSpec};
use std::hint::black_box;
use std::time::Duration;

fn pipeline(c: &mut Criterion) {
    let spec = SignalSpec::w3();
    let cfg = engine::config();
    let gains = engine::gains(&cfg);
    let codes = spec.codes(&gains);
    let mut meter = engine::meter(cfg);
    let mut naive = NaivePipeline::new();

    let e = engine::run_codes(&mut meter, &codes);
    let n = naive.run_codes(&codes, &gains);
    assert_same_work("pipeline/7ch_10s", &e, &n);

    let mut group = c.benchmark_group("pipeline");
    // Iterations take milliseconds to tens of milliseconds: equal-sized samples.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.throughput(Throughput::Elements(spec.frames() as u64));
    group.bench_function(BenchmarkId::new("engine", "7ch_10s"), |b| {
        b.iter(|| black_box(engine::run_codes(&mut meter, black_box(&codes))))
    });
    group.bench_function(BenchmarkId::new("naive_realfft", "7ch_10s"), |b| {
        b.iter(|| black_box(naive.run_codes(black_box(&codes), &gains)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = pipeline
}
criterion_main!(benches);
