//! W1: forward real FFT of f32, sizes 128..2048, in one run:
//!
//! * `engine_microfft`: microfft `rfft_N`, in place on a copy (the engine's FFT until it had its
//!   own);
//! * `engine_fft`: the engine's own real FFT (`percycle_engine::fft::rfft_N`, in place on a
//!   copy) at the sizes it is built for, 128, 1024, 1280, 1536 and 2048, next to realfft at the
//!   same sizes;
//! * `realfft`: realfft r2c with a reused scratch buffer;
//! * `rustfft_c2c_half_ideal_core`: rustfft's complex FFT of N/2 points on the real input packed
//!   as N/2 complex values, with the real-split post-processing omitted. It is not a complete
//!   real FFT: it is the "ideal core" that bounds what a real FFT built on it can reach
//!   (performance.md §3.1, W1's stretch goal).
//!
//! Every variant copies its input first (the transforms work in place or destroy their input),
//! so the copy costs the same in all three. Before timing, the engine's and realfft's spectra
//! are checked to agree.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use realfft::RealFftPlanner;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use std::hint::black_box;
use std::time::Duration;

/// A fundamental at bin 1 with 5 % of the 5th harmonic and a little of bin N/4 + 1.
fn input<const N: usize>() -> [f32; N] {
    core::array::from_fn(|k| {
        let t = k as f32 / N as f32;
        (std::f32::consts::TAU * t).sin()
            + 0.05 * (std::f32::consts::TAU * 5.0 * t).sin()
            + 0.01 * (std::f32::consts::TAU * (N / 4 + 1) as f32 * t).cos()
    })
}

/// Panics unless microfft's and realfft's spectra agree on bins 1..N/2 (microfft keeps the
/// Nyquist bin in the imaginary part of bin 0).
fn check(n: usize, micro: &[microfft::Complex32], real: &[Complex<f32>]) {
    let peak = real.iter().map(|x| x.norm()).fold(0.0f32, f32::max);
    for k in 1..n / 2 {
        let d = ((micro[k].re - real[k].re).powi(2) + (micro[k].im - real[k].im).powi(2)).sqrt();
        assert!(
            d <= 1e-4 * peak,
            "fft_real/{n}: microfft and realfft differ at bin {k}: {:?} vs {:?}",
            micro[k],
            real[k]
        );
    }
}

macro_rules! sizes {
    ($group:ident, $($n:literal => $f:path),*) => {$(
        let x = input::<$n>();
        $group.throughput(Throughput::Elements($n));

        let mut planner = RealFftPlanner::<f32>::new();
        let plan = planner.plan_fft_forward($n);
        let mut scratch = plan.make_scratch_vec();
        let mut out = plan.make_output_vec();
        {
            let mut a = x;
            let mut b = x;
            plan.process_with_scratch(&mut b, &mut out, &mut scratch).unwrap();
            check($n, $f(&mut a), &out);
        }

        $group.bench_function(BenchmarkId::new("engine_microfft", $n), |b| {
            b.iter(|| {
                let mut buf = black_box(x);
                let s = $f(&mut buf);
                black_box(s[1].re)
            })
        });
        $group.bench_function(BenchmarkId::new("realfft", $n), |b| {
            b.iter(|| {
                let mut buf = black_box(x);
                plan.process_with_scratch(&mut buf, &mut out, &mut scratch).unwrap();
                black_box(out[1].re)
            })
        });

        let half = FftPlanner::<f32>::new().plan_fft_forward($n / 2);
        let mut buf = vec![Complex::new(0.0f32, 0.0); $n / 2];
        let mut cscratch = vec![Complex::new(0.0f32, 0.0); half.get_inplace_scratch_len()];
        $group.bench_function(BenchmarkId::new("rustfft_c2c_half_ideal_core", $n), |b| {
            b.iter(|| {
                let x = black_box(&x);
                for (z, p) in buf.iter_mut().zip(x.chunks_exact(2)) {
                    *z = Complex::new(p[0], p[1]);
                }
                half.process_with_scratch(&mut buf, &mut cscratch);
                black_box(buf[1].re)
            })
        });
    )*};
}

/// Panics unless the engine's FFT (CMSIS packing: X_0, X_{N/2}, then re/im of bins 1..N/2) and
/// realfft's spectra agree on all bins.
fn check_packed(n: usize, packed: &[f32], real: &[Complex<f32>]) {
    let peak = real.iter().map(|x| x.norm()).fold(0.0f32, f32::max);
    let bin = |k: usize| match k {
        0 => Complex::new(packed[0], 0.0),
        k if k == n / 2 => Complex::new(packed[1], 0.0),
        k => Complex::new(packed[2 * k], packed[2 * k + 1]),
    };
    for (k, r) in real.iter().enumerate() {
        assert!(
            (bin(k) - r).norm() <= 1e-4 * peak,
            "fft_real/{n}: engine_fft and realfft differ at bin {k}: {:?} vs {r:?}",
            bin(k)
        );
    }
}

macro_rules! engine_sizes {
    ($group:ident, $($n:literal => $f:path),*) => {$(
        let x = input::<$n>();
        $group.throughput(Throughput::Elements($n));

        let mut planner = RealFftPlanner::<f32>::new();
        let plan = planner.plan_fft_forward($n);
        let mut scratch = plan.make_scratch_vec();
        let mut out = plan.make_output_vec();
        {
            let mut a = x;
            let mut b = x;
            plan.process_with_scratch(&mut b, &mut out, &mut scratch).unwrap();
            $f(&mut a);
            check_packed($n, &a, &out);
        }

        $group.bench_function(BenchmarkId::new("engine_fft", $n), |b| {
            b.iter(|| {
                let mut buf = black_box(x);
                $f(&mut buf);
                black_box(buf[2])
            })
        });
        // realfft at 128, 1024 and 2048 is measured by `sizes!`.
        if ![128, 1024, 2048].contains(&$n) {
            $group.bench_function(BenchmarkId::new("realfft", $n), |b| {
                b.iter(|| {
                    let mut buf = black_box(x);
                    plan.process_with_scratch(&mut buf, &mut out, &mut scratch).unwrap();
                    black_box(out[1].re)
                })
            });
        }
    )*};
}

fn fft_real(c: &mut Criterion) {
    let mut group = c.benchmark_group("fft_real");
    sizes!(group,
        128 => microfft::real::rfft_128,
        256 => microfft::real::rfft_256,
        512 => microfft::real::rfft_512,
        1024 => microfft::real::rfft_1024,
        2048 => microfft::real::rfft_2048
    );
    engine_sizes!(group,
        128 => percycle_engine::fft::rfft_128,
        1024 => percycle_engine::fft::rfft_1024,
        1280 => percycle_engine::fft::rfft_1280,
        1536 => percycle_engine::fft::rfft_1536,
        2048 => percycle_engine::fft::rfft_2048
    );
    group.finish();
}

criterion_group! {
    name = benches;
    // 20 short kernels: 0.5 s warm-up and 1.5 s of measurement each keep W1 near 50 s.
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500));
    targets = fft_real
}
criterion_main!(benches);
