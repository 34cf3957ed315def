//! Generates the resampler's polyphase kernel table (`OUT_DIR/kernel.rs`) at build time, so the
//! target never computes it and host and target use the same f32 values.

use std::f64::consts::PI;
use std::fmt::Write as _;

/// Taps on each side of the interpolation point.
const HALF: i32 = 8;
/// Kaiser window shape.
const BETA: f64 = 7.0;
/// Phases per sample period (the table has PHASES + 1 rows, both ends included).
const PHASES: usize = 128;

fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..60 {
        let f = x / (2.0 * k as f64);
        term *= f * f;
        sum += term;
    }
    sum
}

fn kernel(t: f64) -> f64 {
    let half = HALF as f64;
    if t.abs() >= half {
        return 0.0;
    }
    let sinc = if t == 0.0 { 1.0 } else { (PI * t).sin() / (PI * t) };
    sinc * bessel_i0(BETA * (1.0 - (t / half).powi(2)).sqrt()) / bessel_i0(BETA)
}

fn main() {
    let mut s = String::new();
    writeln!(s, "/// Polyphase windowed-sinc kernel: row i holds the taps for a fractional position i/{PHASES}.").unwrap();
    writeln!(s, "pub(crate) const KERNEL_PHASES: usize = {PHASES};").unwrap();
    writeln!(s, "pub(crate) const KERNEL_HALF: usize = {HALF};").unwrap();
    writeln!(s, "pub(crate) static KERNEL: [[f32; {}]; {}] = [", 2 * HALF, PHASES + 1).unwrap();
    for i in 0..=PHASES {
        let mu = i as f64 / PHASES as f64;
        // Tap k multiplies x[n0 + k] for k = -HALF+1 ..= HALF; normalised to unit DC gain.
        let taps: Vec<f64> = (-HALF + 1..=HALF).map(|k| kernel(mu - k as f64)).collect();
        let sum: f64 = taps.iter().sum();
        write!(s, "    [").unwrap();
        for t in taps {
            write!(s, "{:e}, ", (t / sum) as f32).unwrap();
        }
        writeln!(s, "],").unwrap();
    }
    writeln!(s, "];").unwrap();
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("kernel.rs");
    std::fs::write(out, s).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
