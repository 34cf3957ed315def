//! The full-pipeline benchmark shared by `pipeline` (W3) and `pipeline_dram` (W4): the engine
//! and the naive realfft pipeline on the same codes, checked to do the same work first.

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use percycle_benches::{assert_same_work, engine, NaivePipeline, SignalSpec};
use percycle_engine::{CYCLE_POINTS, DEFAULT_WINDOW};
use realfft::RealFftPlanner;
use std::hint::black_box;

/// Benchmark group `group` with ids `engine/<id>` and `naive_realfft/<id>` on `spec`'s signal;
/// with `floor`, also `engine_interval_only/<id>` (the job without per-cycle spectra, the naive
/// pipeline's work) and `fft_floor/<id>`: realfft running exactly the transforms of the
/// engine's job on this signal (a `CYCLE_POINTS`-point transform per cycle and channel, a
/// `DEFAULT_WINDOW`-point one per interval and channel), the least time any implementation of
/// the job built on realfft can take.
pub fn engine_vs_naive(
    c: &mut Criterion,
    group: &str,
    id: &str,
    spec: &SignalSpec,
    samples: usize,
    floor: bool,
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
    if floor {
        let mut interval_only = engine::meter(engine::config_interval_only());
        let i = engine::run_codes(&mut interval_only, &codes);
        assert_same_work(&format!("{group}/{id} interval only"), &i, &n);
        g.bench_function(BenchmarkId::new("engine_interval_only", id), |b| {
            b.iter(|| black_box(engine::run_codes(&mut interval_only, black_box(&codes))))
        });
        // The transforms of the engine's job: per channel, one per cycle and one per interval
        // (the counts the engine reported above).
        let channels = gains.len();
        let mut planner = RealFftPlanner::<f32>::new();
        let small = planner.plan_fft_forward(CYCLE_POINTS);
        let large = planner.plan_fft_forward(DEFAULT_WINDOW);
        let (mut xs, mut ys) = (small.make_input_vec(), small.make_output_vec());
        let (mut xl, mut yl) = (large.make_input_vec(), large.make_output_vec());
        let (mut ss, mut sl) = (small.make_scratch_vec(), large.make_scratch_vec());
        for (k, v) in xs.iter_mut().enumerate() {
            *v = (k as f32 * 0.37).sin();
        }
        for (k, v) in xl.iter_mut().enumerate() {
            *v = (k as f32 * 0.037).sin();
        }
        let (cycles, windows) = (e.cycles * channels, e.windows * channels);
        g.bench_function(BenchmarkId::new("fft_floor", id), |b| {
            b.iter(|| {
                for _ in 0..cycles {
                    small.process_with_scratch(&mut xs, &mut ys, &mut ss).unwrap();
                }
                for _ in 0..windows {
                    large.process_with_scratch(&mut xl, &mut yl, &mut sl).unwrap();
                }
                black_box((&ys, &yl));
            })
        });
    }
    g.finish();
}
