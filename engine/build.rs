//! Generates the resampler's polyphase kernel table (`OUT_DIR/kernel.rs`) at build time, so the
//! target never computes it and host and target use the same f32 values.

use std::f64::consts::PI;
use std::fmt::Write as _;

/// The kernels: (name, taps on each side of the interpolation point, Kaiser window shape).
/// `KERNEL` (16 taps) keeps its response within 6·10⁻⁴ of unity up to 0.36·fs; `KERNEL_SHORT`
/// (12 taps) within 3.4·10⁻⁴ up to 0.29·fs, which holds the interharmonic subgroup above the
/// 50th harmonic of 57.5 Hz at 10.24 kHz (0.286·fs). The meter takes the short one when its
/// highest order stays below that.
const KERNELS: [(&str, i32, f64); 2] = [("KERNEL", 8, 7.0), ("KERNEL_SHORT", 6, 8.0)];
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

fn kernel(t: f64, half: i32, beta: f64) -> f64 {
    let half = half as f64;
    if t.abs() >= half {
        return 0.0;
    }
    let sinc = if t == 0.0 { 1.0 } else { (PI * t).sin() / (PI * t) };
    sinc * bessel_i0(beta * (1.0 - (t / half).powi(2)).sqrt()) / bessel_i0(beta)
}

fn main() {
    let mut s = String::new();
    writeln!(s, "/// Fractional positions tabulated per sample period.").unwrap();
    writeln!(s, "pub(crate) const KERNEL_PHASES: usize = {PHASES};").unwrap();
    for (name, half, beta) in KERNELS {
        writeln!(s, "/// Polyphase windowed-sinc kernel, {} taps (Kaiser β = {beta}): row i holds the taps for a fractional position i/{PHASES}.", 2 * half).unwrap();
        writeln!(s, "pub(crate) static {name}: [[f32; {}]; {}] = [", 2 * half, PHASES + 1).unwrap();
        for i in 0..=PHASES {
            let mu = i as f64 / PHASES as f64;
            // Tap k multiplies x[n0 + k] for k = -half+1 ..= half; normalised to unit DC gain.
            let taps: Vec<f64> =
                (-half + 1..=half).map(|k| kernel(mu - k as f64, half, beta)).collect();
            let sum: f64 = taps.iter().sum();
            write!(s, "    [").unwrap();
            for t in taps {
                write!(s, "{:e}, ", (t / sum) as f32).unwrap();
            }
            writeln!(s, "],").unwrap();
        }
        writeln!(s, "];").unwrap();
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("kernel.rs");
    std::fs::write(out, s).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
