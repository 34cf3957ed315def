//! W2: per-cycle work on 1 s of the W3 signal (7 channels, 10.24 kHz, 50 Hz, ADC codes).
//!
//! * `engine/7ch_1s`: `Meter::process_block_with` over the second, then `reset()`, with the
//!   harmonic analysis off (`engine::config_per_cycle`): tracker, per-cycle integrals (rms ×7,
//!   P ×3, Q ×3, fundamental phasors, frequency), energy, Urms(1/2) ×3 and the event detectors.
//!   This is performance.md's W2 set.
//! * `engine_core/7ch_1s`: the same with power quality off too (`engine::config_core`): the
//!   per-cycle core alone.
//! * `naive/7ch_1s`: the naive pipeline's time-domain part: rising zero crossings of U1,
//!   per-cycle rms of the 7 channels and P of the 3 phases, one pass in f32.
//!
//! Before timing, both must report the same mean rms and P (within 10⁻³).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use percycle_benches::{assert_same_work, engine, naive, SignalSpec};
use std::hint::black_box;
use std::time::Duration;

fn cycle_kernels(c: &mut Criterion) {
    let spec = SignalSpec::w3().with_seconds(1.0);
    let gains = engine::gains(&engine::config());
    let codes = spec.codes(&gains);
    let mut meter = engine::meter(engine::config_per_cycle());
    let mut core = engine::meter(engine::config_core());

    let n = naive::time_domain_codes(&codes, &gains).acc.finish();
    let e = engine::run_codes(&mut meter, &codes);
    assert_same_work("cycle_kernels/engine/7ch_1s", &e, &n);
    let e = engine::run_codes(&mut core, &codes);
    assert_same_work("cycle_kernels/engine_core/7ch_1s", &e, &n);

    let mut group = c.benchmark_group("cycle_kernels");
    group.throughput(Throughput::Elements(spec.frames() as u64));
    group.bench_function(BenchmarkId::new("engine", "7ch_1s"), |b| {
        b.iter(|| black_box(engine::run_codes(&mut meter, black_box(&codes))))
    });
    group.bench_function(BenchmarkId::new("engine_core", "7ch_1s"), |b| {
        b.iter(|| black_box(engine::run_codes(&mut core, black_box(&codes))))
    });
    group.bench_function(BenchmarkId::new("naive", "7ch_1s"), |b| {
        b.iter(|| black_box(naive::time_domain_codes(black_box(&codes), &gains).acc.finish()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = cycle_kernels
}
criterion_main!(benches);
