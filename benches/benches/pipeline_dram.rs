//! W4: the W3 pipeline over 10 minutes of 7 channels (6.1 M frames of i32 codes, 172 MB, far
//! larger than the last-level cache), so every sample comes from DRAM once per iteration.
//!
//! * `engine/7ch_600s` and `naive_realfft/7ch_600s`, as in W3.
//!
//! Before timing, both must report the same mean rms, P and THD on every channel. An iteration
//! takes from a tenth of a second to seconds, so the group takes 10 samples of one iteration.

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use percycle_benches::{assert_same_work, engine, NaivePipeline, SignalSpec};
use std::hint::black_box;
use std::time::Duration;

/// Signal length, s.
const SECONDS: f64 = 600.0;

fn pipeline_dram(c: &mut Criterion) {
    let spec = SignalSpec::w3().with_seconds(SECONDS);
    let cfg = engine::config();
    let gains = engine::gains(&cfg);
    let codes = spec.codes(&gains);
    let mut meter = engine::meter(cfg);
    let mut naive = NaivePipeline::new();

    let e = engine::run_codes(&mut meter, &codes);
    let n = naive.run_codes(&codes, &gains);
    assert_same_work("pipeline_dram/7ch_600s", &e, &n);

    let mut group = c.benchmark_group("pipeline_dram");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.throughput(Throughput::Elements(spec.frames() as u64));
    group.bench_function(BenchmarkId::new("engine", "7ch_600s"), |b| {
        b.iter(|| black_box(engine::run_codes(&mut meter, black_box(&codes))))
    });
    group.bench_function(BenchmarkId::new("naive_realfft", "7ch_600s"), |b| {
        b.iter(|| black_box(naive.run_codes(black_box(&codes), &gains)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion stretches the measurement when 10 iterations do not fit; it says so and goes on.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = pipeline_dram
}
criterion_main!(benches);
