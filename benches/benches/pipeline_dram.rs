//! W4: the W3 pipeline over 10 minutes of 7 channels (6.1 M frames of i32 codes, 172 MB, far
//! larger than the last-level cache), so every sample comes from DRAM once per iteration.
//!
//! * `engine/7ch_600s` and `naive_realfft/7ch_600s`, as in W3.
//!
//! Before timing, both must report the same mean rms, P and THD on every channel. An iteration
//! takes from a tenth of a second to seconds, so the group takes 10 samples of one iteration.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use percycle_benches::SignalSpec;
use std::time::Duration;

/// Signal length, s.
const SECONDS: f64 = 600.0;

fn pipeline_dram(c: &mut Criterion) {
    common::engine_vs_naive(
        c,
        "pipeline_dram",
        "7ch_600s",
        &SignalSpec::w3().with_seconds(SECONDS),
        10,
        false,
    );
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
