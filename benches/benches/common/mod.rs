//! The full-pipeline benchmark shared by `pipeline` (W3) and `pipeline_dram` (W4): the engine
//! and the naive realfft pipeline on the same codes, checked to do the same work first.

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use percycle_benches::{assert_same_work, engine, NaivePipeline, SignalSpec};
use std::hint::black_box;

/// Benchmark group `group` with ids `engine/<id>` and `naive_realfft/<id>` on `spec`'s signal.
pub fn engine_vs_naive(
    c: &mut Criterion,
    group: &str,
    id: &str,
    spec: &SignalSpec,
    samples: usize,
) {
    let cfg = engine::config();
    let gains = engine::gains(&cfg);
    let codes = spec.codes(&gains);
    let mut meter = engine::meter(cfg);
    let mut naive = NaivePipeline::new();

    let e = engine::run_codes(&mut meter, &codes);
    let n = naive.run_codes(&codes, &gains);
    assert_same_work(&format!("{group}/{id}"), &e, &n);

    let mut g = c.benchmark_group(group);
    // Iterations take milliseconds to seconds: equal-sized samples.
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(samples);
    g.throughput(Throughput::Elements(spec.frames() as u64));
    g.bench_function(BenchmarkId::new("engine", id), |b| {
        b.iter(|| black_box(engine::run_codes(&mut meter, black_box(&codes))))
    });
    g.bench_function(BenchmarkId::new("naive_realfft", id), |b| {
        b.iter(|| black_box(naive.run_codes(black_box(&codes), &gains)))
    });
    g.finish();
}
