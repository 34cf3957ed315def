//! Per-cycle core on 7 channels (3P4W, 10.24 kHz, 50 Hz): one second of signal through the
//! engine's block path, next to a naive fixed-window rms/power loop over the same codes.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use percycle_engine::{Config, Meter, Topology};
use std::hint::black_box;

const FS: f32 = 10_240.0;

/// One second of 3P4W codes: 230 V / 5 A, 30° load, 5 % 5th harmonic in U, 30 % 3rd in I.
fn signal(cfg: &Config) -> Vec<i32> {
    let n = FS as usize;
    let mut v = Vec::with_capacity(n * 7);
    for k in 0..n {
        let t = k as f64 / FS as f64;
        let w = 2.0 * std::f64::consts::PI * 50.0 * t;
        let mut i_sum = 0.0;
        let mut frame = [0.0f64; 7];
        for p in 0..3 {
            let s = -(p as f64) * 2.0 * std::f64::consts::PI / 3.0;
            frame[p] = 325.3 * ((w + s).sin() + 0.05 * (5.0 * (w + s)).sin());
            let i = 7.07 * ((w + s - 0.52).sin() + 0.3 * (3.0 * (w + s - 0.52)).sin());
            frame[3 + p] = i;
            i_sum += i;
        }
        frame[6] = i_sum;
        for (c, x) in frame.iter().enumerate() {
            v.push((x / cfg.calibration[c].gain as f64).round() as i32);
        }
    }
    v
}

/// Baseline: rms of every channel and the three phase powers over fixed 205-sample windows.
fn naive(codes: &[i32], cfg: &Config) -> f64 {
    let mut acc = 0.0;
    for window in codes.chunks(205 * 7) {
        let mut sq = [0.0f64; 7];
        let mut p = [0.0f64; 3];
        for frame in window.chunks_exact(7) {
            for c in 0..7 {
                let x = frame[c] as f64 * cfg.calibration[c].gain as f64;
                sq[c] += x * x;
            }
            for ph in 0..3 {
                p[ph] += frame[ph] as f64 * frame[3 + ph] as f64;
            }
        }
        acc += sq.iter().map(|s| s.sqrt()).sum::<f64>() + p.iter().sum::<f64>();
    }
    acc
}

fn per_cycle_core(c: &mut Criterion) {
    let cfg = Config::new(Topology::ThreePhase4W, FS, 50.0);
    let codes = signal(&cfg);
    let mut group = c.benchmark_group("cycle_core_7ch_1s");
    group.throughput(Throughput::Elements(FS as u64));
    group.bench_with_input(BenchmarkId::new("engine", "10.24kHz"), &codes, |b, codes| {
        let mut meter: Meter = Meter::new(cfg).unwrap();
        b.iter(|| {
            let mut sum = 0.0f32;
            meter.process_block(black_box(codes), |r| sum += r.p_total);
            meter.reset();
            black_box(sum)
        })
    });
    group.bench_with_input(
        BenchmarkId::new("naive_fixed_window", "10.24kHz"),
        &codes,
        |b, codes| b.iter(|| black_box(naive(black_box(codes), &cfg))),
    );
    group.finish();
}

criterion_group!(benches, per_cycle_core);
criterion_main!(benches);
