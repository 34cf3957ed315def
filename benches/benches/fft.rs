//! The FFT the engine uses (microfft, f32, no_std) against realfft on the same sizes, in one run:
//! 128 points (per-cycle spectrum) and 1024/2048 points (IEC 61000-4-7 interval window).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use realfft::RealFftPlanner;
use std::hint::black_box;

fn input<const N: usize>() -> [f32; N] {
    let mut x = [0.0f32; N];
    for (k, v) in x.iter_mut().enumerate() {
        let t = k as f32 / N as f32;
        *v = (std::f32::consts::TAU * t).sin() + 0.05 * (std::f32::consts::TAU * 5.0 * t).sin();
    }
    x
}

macro_rules! sizes {
    ($group:ident, $($n:literal => $f:path),*) => {$(
        let x = input::<$n>();
        $group.bench_function(BenchmarkId::new("microfft", $n), |b| {
            b.iter(|| {
                let mut buf = black_box(x);
                let s = $f(&mut buf);
                black_box(s[1].re)
            })
        });
        let mut planner = RealFftPlanner::<f32>::new();
        let plan = planner.plan_fft_forward($n);
        let mut scratch = plan.make_scratch_vec();
        let mut out = plan.make_output_vec();
        $group.bench_function(BenchmarkId::new("realfft", $n), |b| {
            b.iter(|| {
                let mut buf = black_box(x);
                plan.process_with_scratch(&mut buf, &mut out, &mut scratch).unwrap();
                black_box(out[1].re)
            })
        });
    )*};
}

fn fft(c: &mut Criterion) {
    let mut group = c.benchmark_group("fft_real");
    sizes!(group, 128 => microfft::real::rfft_128, 1024 => microfft::real::rfft_1024, 2048 => microfft::real::rfft_2048);
    group.finish();
}

criterion_group!(benches, fft);
criterion_main!(benches);
