//! Generates the resampler's polyphase kernel table (`OUT_DIR/kernel.rs`) at build time, so the
//! target never computes it and host and target use the same f32 values, and the FFT's twiddle
//! and permutation tables (`OUT_DIR/fft_tables.rs`).

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
    fft_tables();
    println!("cargo:rerun-if-changed=build.rs");
}

/// Stage radices of the complex FFT of M = N/2 points, first (twiddle-free) stage first.
fn fft_radices(m: usize) -> &'static [usize] {
    match m {
        64 => &[8, 8],
        640 => &[10, 4, 4, 4],
        768 => &[12, 4, 4, 4],
        512 => &[8, 4, 4, 4],
        1024 => &[4, 4, 4, 4, 4],
        _ => unreachable!(),
    }
}

/// Digit reversal of a decimation-in-time FFT with stage radices `r` (first stage first):
/// position p = j1 + r1·(j2 + r2·(j3 + …)) receives input σ(p) = js + rs·(j(s−1) + … + r2·j1).
fn digit_reversal(r: &[usize]) -> Vec<usize> {
    let m: usize = r.iter().product();
    (0..m)
        .map(|p| {
            let mut digits = Vec::new();
            let mut q = p;
            for &ri in r {
                digits.push(q % ri);
                q /= ri;
            }
            // digits[i] is j(i+1), base r[i]; rebuild with js least significant.
            let mut s = 0;
            for i in 0..r.len() {
                s = s * r[i] + digits[i];
            }
            s
        })
        .collect()
}

/// The permutation's cycles of length ≥ 2, each listed from its smallest point p0 as
/// p0, σ(p0), σ²(p0), …, concatenated, and the cycle lengths.
fn permutation_cycles(sigma: &[usize]) -> (Vec<u16>, Vec<u16>) {
    let mut seen = vec![false; sigma.len()];
    let (mut points, mut lengths) = (Vec::new(), Vec::new());
    for p0 in 0..sigma.len() {
        if seen[p0] || sigma[p0] == p0 {
            continue;
        }
        let mut p = p0;
        let start = points.len();
        loop {
            seen[p] = true;
            points.push(p as u16);
            p = sigma[p];
            if p == p0 {
                break;
            }
        }
        lengths.push((points.len() - start) as u16);
    }
    (points, lengths)
}

/// Writes `OUT_DIR/fft_tables.rs`: quarter-circle twiddles of the three base sizes, the twiddles
/// of the radix-4 stages but the last of 1024, 1280, 1536 and 2048 points, and the input
/// permutations of the five complex FFT lengths.
fn fft_tables() {
    let mut s = String::new();
    for b in [2048usize, 1536, 1280] {
        writeln!(
            s,
            "/// (cos θ, sin θ) of θ = 2πk/{b}, k = 0..{q}: the twiddles e^(−iθ) of a quarter circle.",
            q = b / 4
        )
        .unwrap();
        writeln!(s, "pub(crate) static QUARTER_{b}: [f32; {}] = [", b / 2).unwrap();
        for k in 0..b / 4 {
            let t = 2.0 * PI * k as f64 / b as f64;
            writeln!(s, "    {:e}, {:e},", t.cos() as f32, t.sin() as f32).unwrap();
        }
        writeln!(s, "];").unwrap();
    }
    writeln!(
        s,
        "/// Twiddles of the 128-point FFT's radix-8 stage: row k − 1 holds (cos, sin) of 2π·j·k/64"
    )
    .unwrap();
    writeln!(s, "/// for j = 1..=7, k = 1..8.").unwrap();
    writeln!(s, "pub(crate) static STAGE_128_8: [[f32; 14]; 7] = [").unwrap();
    for k in 1..8 {
        write!(s, "    [").unwrap();
        for j in 1..8 {
            let t = 2.0 * PI * (j * k) as f64 / 64.0;
            write!(s, "{:e}, {:e}, ", t.cos() as f32, t.sin() as f32).unwrap();
        }
        writeln!(s, "],").unwrap();
    }
    writeln!(s, "];").unwrap();
    for (n, l) in [
        (1280usize, 10usize),
        (1280, 40),
        (1536, 12),
        (1536, 48),
        (1024, 8),
        (1024, 32),
        (2048, 4),
        (2048, 16),
        (2048, 64),
    ] {
        writeln!(
            s,
            "/// Twiddles of the {n}-point FFT's radix-4 stage on DFTs of {l} points: row k − 1 holds"
        )
        .unwrap();
        writeln!(s, "/// (cos, sin) of 2π·j·k/{} for j = 1, 2, 3, k = 1..{l}.", 4 * l).unwrap();
        writeln!(s, "pub(crate) static STAGE_{n}_{l}: [[f32; 6]; {}] = [", l - 1).unwrap();
        for k in 1..l {
            write!(s, "    [").unwrap();
            for j in 1..=3 {
                let t = 2.0 * PI * (j * k) as f64 / (4 * l) as f64;
                write!(s, "{:e}, {:e}, ", t.cos() as f32, t.sin() as f32).unwrap();
            }
            writeln!(s, "],").unwrap();
        }
        writeln!(s, "];").unwrap();
    }
    for m in [64usize, 640, 768, 512, 1024] {
        let (points, lengths) = permutation_cycles(&digit_reversal(fft_radices(m)));
        writeln!(
            s,
            "/// Digit-reversal permutation of the {m}-point complex FFT: its cycles, concatenated."
        )
        .unwrap();
        writeln!(s, "pub(crate) static PERM_{m}: [u16; {}] = [", points.len()).unwrap();
        for c in points.chunks(16) {
            write!(s, "   ").unwrap();
            for v in c {
                write!(s, " {v},").unwrap();
            }
            writeln!(s).unwrap();
        }
        writeln!(s, "];").unwrap();
        writeln!(s, "/// Lengths of the cycles in `PERM_{m}`.").unwrap();
        writeln!(s, "pub(crate) static PERM_{m}_CYCLES: [u16; {}] = {lengths:?};", lengths.len())
            .unwrap();
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("fft_tables.rs");
    std::fs::write(out, s).unwrap();
}
