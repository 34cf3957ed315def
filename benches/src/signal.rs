//! The benchmark signal: a 3P4W grid with the EN 50160 limit voltage harmonics and
//! rectifier-like load currents, described by its harmonic phasors so that every measured value
//! has a closed form.
//!
//! Each channel is a finite sum of sines at multiples of the fundamental:
//! `x(t) = Σ_h √2·A_h·sin(h·ω·t + α_h)` (A_h rms, α_h the phase at t = 0). Phase p (0, 1, 2) has
//! the angle `θ_p = ω·t + start + φ_p` with φ_p = 0°, −120°, +120°:
//!
//! * `u_p = √2·U_p·[sin θ_p + Σ a_h·sin(h·θ_p + β_h)]` (a_h from the voltage harmonic list),
//! * `i_p = √2·I_p·[sin(θ_p − ψ_p) + Σ b_h·sin(h·(θ_p − ψ_p) + γ_h)]` (ψ_p the load angle),
//! * `in = i_1 + i_2 + i_3` (the neutral conductor carries the sum; triplen orders add up).
//!
//! Uniform white noise of standard deviation `noise_rel × (fundamental rms)` is added to each
//! U and I channel, and `noise_rel × max I_p` to IN. When the sample rate is a rational multiple
//! of the fundamental with a short period (10.24 kHz / 50 Hz repeats every 5 cycles = 1024
//! samples), one period is tabulated and tiled, so ten minutes of signal take a fraction of a
//! second to make.

use percycle_vectors::pq_suite::EN50160_HARMONIC_LIMITS_PCT;
use std::f64::consts::{SQRT_2, TAU};

/// Sample rate of every workload, Hz.
pub const FS_HZ: f64 = 10_240.0;
/// Mains frequency of every workload, Hz.
pub const F0_HZ: f64 = 50.0;
/// Channels per frame (3P4W).
pub const CHANNELS: usize = 7;
/// Channel names in frame order.
pub const CHANNEL_NAMES: [&str; CHANNELS] = ["U1", "U2", "U3", "I1", "I2", "I3", "IN"];

/// Current harmonics of a mix of switched-mode (capacitor-input rectifier) and linear loads:
/// (order, % of the fundamental, phase in degrees). The phases alternate so that the harmonics
/// peak together with the fundamental, which gives the peaky current of a rectifier; THD ≈ 36.6 %.
pub const RECTIFIER_CURRENT_PCT: [(u32, f64, f64); 12] = [
    (3, 30.0, 180.0),
    (5, 18.0, 0.0),
    (7, 9.0, 180.0),
    (9, 4.0, 0.0),
    (11, 3.0, 180.0),
    (13, 2.0, 0.0),
    (15, 1.2, 180.0),
    (17, 1.0, 0.0),
    (19, 0.8, 180.0),
    (21, 0.5, 0.0),
    (23, 0.5, 180.0),
    (25, 0.4, 0.0),
];

/// A harmonic relative to its channel's fundamental.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Harmonic {
    /// Order h ≥ 2.
    pub order: u32,
    /// Rms in % of the fundamental rms.
    pub pct: f64,
    /// Phase added to `h·θ`, degrees.
    pub phase_deg: f64,
}

/// Everything that defines a benchmark signal.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalSpec {
    /// Sample rate, Hz.
    pub fs_hz: f64,
    /// Fundamental frequency, Hz.
    pub f0_hz: f64,
    /// Length, s.
    pub seconds: f64,
    /// Angle of phase 1 at t = 0, degrees.
    pub start_deg: f64,
    /// Fundamental voltage rms per phase, V.
    pub u_rms: [f64; 3],
    /// Fundamental current rms per phase, A.
    pub i_rms: [f64; 3],
    /// Load angle per phase (current lags voltage), degrees.
    pub load_deg: [f64; 3],
    /// Voltage harmonics (the same on every phase).
    pub u_harmonics: Vec<Harmonic>,
    /// Current harmonics (the same on every phase).
    pub i_harmonics: Vec<Harmonic>,
    /// Noise standard deviation relative to the channel's fundamental rms.
    pub noise_rel: f64,
    /// Seed of the noise generator.
    pub seed: u64,
}

/// One sinusoidal component of a channel: `√2·rms·sin(order·ω·t + phase_rad)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component {
    /// Multiple of the fundamental.
    pub order: u32,
    /// Rms value, V or A.
    pub rms: f64,
    /// Phase at t = 0, radians.
    pub phase_rad: f64,
}

/// Closed-form values of a signal (without noise unless stated).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClosedForm {
    /// True rms per channel, noise variance included, V or A.
    pub rms: [f64; CHANNELS],
    /// THD over orders 2..=50 in % of the fundamental, per channel (noise excluded).
    pub thd_pct: [f64; CHANNELS],
    /// Active power per phase (all harmonics), W.
    pub p: [f64; 3],
}

impl SignalSpec {
    /// The W3 signal: 10 s at 10.24 kHz and 50 Hz; 230 V with every EN 50160 harmonic limit
    /// (orders 2..25, THD ≈ 11.3 %); unbalanced load currents 5 / 4 / 3 A at a 15° load angle with
    /// [`RECTIFIER_CURRENT_PCT`]; noise 10⁻⁴ of the fundamental.
    pub fn w3() -> Self {
        SignalSpec {
            fs_hz: FS_HZ,
            f0_hz: F0_HZ,
            seconds: 10.0,
            start_deg: 37.0,
            u_rms: [230.0; 3],
            i_rms: [5.0, 4.0, 3.0],
            load_deg: [15.0; 3],
            u_harmonics: EN50160_HARMONIC_LIMITS_PCT
                .iter()
                .map(|&(order, pct)| Harmonic { order, pct, phase_deg: 0.0 })
                .collect(),
            i_harmonics: RECTIFIER_CURRENT_PCT
                .iter()
                .map(|&(order, pct, phase_deg)| Harmonic { order, pct, phase_deg })
                .collect(),
            noise_rel: 1e-4,
            seed: 1,
        }
    }

    /// The W3 signal with another length.
    pub fn with_seconds(mut self, seconds: f64) -> Self {
        self.seconds = seconds;
        self
    }

    /// One of many independent meters' streams: the W3 spectrum with the start angle, voltage
    /// (225..235 V), currents (1..10 A), load angles (0..40°) and noise drawn from `seed`.
    pub fn meter(seed: u64, seconds: f64) -> Self {
        let mut rng = SplitMix(seed ^ 0x5eed_5eed);
        let mut uniform = |lo: f64, hi: f64| lo + (hi - lo) * rng.unit();
        let mut s = Self::w3().with_seconds(seconds);
        s.start_deg = uniform(0.0, 360.0);
        for p in 0..3 {
            s.u_rms[p] = uniform(225.0, 235.0);
            s.i_rms[p] = uniform(1.0, 10.0);
            s.load_deg[p] = uniform(0.0, 40.0);
        }
        s.seed = seed;
        s
    }

    /// Frames (samples per channel): `round(seconds × fs)`.
    pub fn frames(&self) -> usize {
        (self.seconds * self.fs_hz).round() as usize
    }

    /// The components of every channel in frame order (IN holds the phasor sum of the three
    /// currents, order by order).
    pub fn components(&self) -> [Vec<Component>; CHANNELS] {
        let mut ch: [Vec<Component>; CHANNELS] = Default::default();
        let start = self.start_deg.to_radians();
        for p in 0..3 {
            let phi = start - p as f64 * TAU / 3.0;
            ch[p].push(Component { order: 1, rms: self.u_rms[p], phase_rad: phi });
            for h in &self.u_harmonics {
                ch[p].push(Component {
                    order: h.order,
                    rms: self.u_rms[p] * h.pct / 100.0,
                    phase_rad: h.order as f64 * phi + h.phase_deg.to_radians(),
                });
            }
            let phi_i = phi - self.load_deg[p].to_radians();
            ch[3 + p].push(Component { order: 1, rms: self.i_rms[p], phase_rad: phi_i });
            for h in &self.i_harmonics {
                ch[3 + p].push(Component {
                    order: h.order,
                    rms: self.i_rms[p] * h.pct / 100.0,
                    phase_rad: h.order as f64 * phi_i + h.phase_deg.to_radians(),
                });
            }
        }
        // Neutral: add the phase currents' phasors of each order (sin convention: the phasor
        // of √2·A·sin(hωt + α) is A·e^{jα}).
        let mut orders: Vec<u32> = ch[3..6].iter().flatten().map(|c| c.order).collect();
        orders.sort_unstable();
        orders.dedup();
        for h in orders {
            let (mut re, mut im) = (0.0, 0.0);
            for c in ch[3..6].iter().flatten().filter(|c| c.order == h) {
                re += c.rms * c.phase_rad.cos();
                im += c.rms * c.phase_rad.sin();
            }
            ch[6].push(Component { order: h, rms: re.hypot(im), phase_rad: im.atan2(re) });
        }
        ch
    }

    /// Noise standard deviation per channel, V or A.
    pub fn noise_sigma(&self) -> [f64; CHANNELS] {
        let i_max = self.i_rms.iter().cloned().fold(0.0, f64::max);
        let mut s = [0.0; CHANNELS];
        for p in 0..3 {
            s[p] = self.noise_rel * self.u_rms[p];
            s[3 + p] = self.noise_rel * self.i_rms[p];
        }
        s[6] = self.noise_rel * i_max;
        s
    }

    /// Closed-form rms, THD and active power (see [`ClosedForm`]).
    pub fn closed_form(&self) -> ClosedForm {
        let comps = self.components();
        let sigma = self.noise_sigma();
        let mut cf = ClosedForm { rms: [0.0; CHANNELS], thd_pct: [0.0; CHANNELS], p: [0.0; 3] };
        for c in 0..CHANNELS {
            let total: f64 = comps[c].iter().map(|k| k.rms * k.rms).sum();
            cf.rms[c] = (total + sigma[c] * sigma[c]).sqrt();
            let fund: f64 = comps[c].iter().filter(|k| k.order == 1).map(|k| k.rms * k.rms).sum();
            let harm: f64 = comps[c]
                .iter()
                .filter(|k| (2..=50).contains(&k.order))
                .map(|k| k.rms * k.rms)
                .sum();
            cf.thd_pct[c] = 100.0 * (harm / fund).sqrt();
        }
        // P = Σ_h U_h·I_h·cos(α_h − δ_h) over the orders present in both.
        for p in 0..3 {
            for u in &comps[p] {
                for i in comps[3 + p].iter().filter(|i| i.order == u.order) {
                    cf.p[p] += u.rms * i.rms * (u.phase_rad - i.phase_rad).cos();
                }
            }
        }
        cf
    }

    /// Calls `put(frame, channel, value)` for every sample in time order, values in V or A.
    pub fn generate(&self, mut put: impl FnMut(usize, usize, f64)) {
        let frames = self.frames();
        let comps = self.components();
        let sigma = self.noise_sigma();
        let w = TAU * self.f0_hz / self.fs_hz;
        let eval = |k: usize, c: usize| -> f64 {
            let t = k as f64;
            comps[c]
                .iter()
                .map(|x| SQRT_2 * x.rms * (x.order as f64 * w * t + x.phase_rad).sin())
                .sum()
        };
        // Period of the noiseless signal in frames, if short: smallest whole number of cycles
        // that spans a whole number of samples.
        let period = (1..=100u32).find_map(|cycles| {
            let n = cycles as f64 * self.fs_hz / self.f0_hz;
            let r = n.round();
            ((n - r).abs() < 1e-9 && r >= 1.0 && (r as usize) < frames).then_some(r as usize)
        });
        let table: Option<Vec<f64>> = period.map(|n| {
            let mut t = vec![0.0; n * CHANNELS];
            for k in 0..n {
                for c in 0..CHANNELS {
                    t[k * CHANNELS + c] = eval(k, c);
                }
            }
            t
        });
        let mut rng = SplitMix(self.seed);
        // Uniform on [−√3σ, √3σ) has standard deviation σ.
        let amp = sigma.map(|s| 3.0f64.sqrt() * s);
        for k in 0..frames {
            for c in 0..CHANNELS {
                let clean = match (&table, period) {
                    (Some(t), Some(n)) => t[(k % n) * CHANNELS + c],
                    _ => eval(k, c),
                };
                let noise = amp[c] * (2.0 * rng.unit() - 1.0);
                put(k, c, clean + noise);
            }
        }
    }

    /// Interleaved frames in volts and amperes, as f32.
    pub fn volts_f32(&self) -> Vec<f32> {
        let mut v = vec![0.0f32; self.frames() * CHANNELS];
        self.generate(|k, c, x| v[k * CHANNELS + c] = x as f32);
        v
    }

    /// Interleaved frames as ADC codes: `round(value / gain[c])`.
    pub fn codes(&self, gains: &[f32; CHANNELS]) -> Vec<i32> {
        let mut v = vec![0i32; self.frames() * CHANNELS];
        let inv = gains.map(|g| 1.0 / g as f64);
        self.generate(|k, c, x| v[k * CHANNELS + c] = (x * inv[c]).round() as i32);
        v
    }
}

/// SplitMix64: a small, fast, seedable generator for the noise and the meters' parameters.
#[derive(Clone, Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform on [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}
