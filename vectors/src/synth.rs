//! Deterministic, seeded synthesis of mains test vectors from a [`Recipe`].
//!
//! # Signal model
//!
//! Time `t` runs from 0 s. The fundamental phase of the recipe is
//!
//! ```text
//! θ(t) = 2π (f0·t + r·t²/2)          instantaneous frequency f(t) = f0 + r·t
//! ```
//!
//! with `f0 = frequency.f0_hz` and `r = frequency.ramp_hz_per_s` (0 when absent). For phase `p`
//! the voltage and current fundamental phases are
//!
//! ```text
//! φ_u = u_phase_deg            φ_i = u_phase_deg − load_angle_deg
//! ```
//!
//! (degrees converted to radians), so a positive load angle φ makes the current lag the voltage
//! (inductive load): `P = U·I·cos φ` and `Q = U·I·sin φ`, with `Q > 0` for an inductive,
//! import-reactive load (IEC 62053-24 sign). Every channel `x` with fundamental rms `X` and
//! fundamental phase `φ_x` is
//!
//! ```text
//! x(t) = √2·X·sin(θ + φ_x)
//!      + Σ_harmonics      √2·X·pct/100·sin(h·θ + h·φ_x + phase_deg)
//!      + Σ_interharmonics √2·X·pct/100·sin(2π·freq_hz·t + phase_deg)
//!      + dc
//! ```
//!
//! Harmonic and interharmonic amplitudes are a percentage of that channel's fundamental rms.
//!
//! # Steps
//!
//! While a [`Step`] is active (`start_s ≤ t < start_s + duration_s`), every voltage component of
//! the listed phases (fundamental, harmonics, interharmonics, DC) is multiplied by `u_factor`, and
//! `phase_jump_deg` is added to `φ_u` (so harmonic `h` moves by `h·phase_jump_deg`; interharmonics
//! and DC keep their phase). Currents are not changed by steps. Overlapping steps compose: their
//! factors multiply and their jumps add.
//!
//! # Topologies
//!
//! The model always has one or three phases with phase-to-neutral voltages. The recorded channels
//! are derived from it per [`Topology`]:
//!
//! - `SinglePhase`: `U1 = u1`, `I1 = i1`.
//! - `ThreePhase4W`: `U1..U3`, `I1..I3`, and `IN = i1 + i2 + i3` (instantaneous sum).
//! - `ThreePhase3W` (Aron connection): `U12 = u1 − u2`, `U32 = u3 − u2`, `I1`, `I3`. A three-wire
//!   system has no neutral, so the model's L2 current is `i2 = −(i1 + i3)` and the current fields
//!   of `phases[1]` are not used.
//!
//! # Sampling, noise and quantisation
//!
//! The vector has `round(duration_s · sample_rate_hz)` samples per channel, sample `n` taken at
//! `t = n / sample_rate_hz`. Sines are evaluated with `libm` on the phase reduced to `[0, 2π)`,
//! so the noise-free samples are bit-identical on every machine.
//!
//! When [`Recipe::noise`] is set, a `ChaCha8Rng` seeded with `seed_from_u64(seed)` draws one
//! standard normal value per sample and per channel, sample by sample, channels in
//! [`Topology::channel_names`] order, skipping `IN`; each draw is scaled by the noise rms of the
//! channel's kind (`u_rms_v` for voltages, `i_rms_a` for currents) and added. `IN` is then the sum
//! of the noisy `I1..I3`. The ChaCha stream is portable; the normal sampler (ziggurat) uses the
//! platform's `exp`/`ln` only in its rare tail and wedge branches.
//!
//! When [`Recipe::quantisation`] is set, each sample (after noise) becomes the ADC code
//! [`quantise`]`(x, full_scale, bits)`, and the waveform holds the dequantised value
//! `code · full_scale / (2^(bits−1) − 1)`. The code saturates at the rails `±(2^(bits−1) − 1)`
//! as an ADC does: a sample beyond full scale is stored as the rail, so its value is lost and an
//! analysis must flag it as clipped.
//!
//! # Hostile input: spikes and gaps
//!
//! After noise and before quantisation, each [`Spike`] replaces one sample of one channel (the
//! sample nearest `at_s`, `round(at_s · sample_rate_hz)`) with its value; `IN` is recorded as a
//! channel of its own, so a spike on `I1` does not reach `IN`. Then each [`Gap`] makes every
//! channel's samples in `[start_s, start_s + duration_s)` missing: NaN in the waveform and
//! [`MISSING_CODE`] in the ADC codes (a gap wins over a spike on the same sample). Missing data
//! is never 0 V. Steps, spikes and gaps do not change the truth, which is of the continuous,
//! noise-free model.
//!
//! # Nominal frequency
//!
//! [`Recipe::nominal_hz`] is the supply frequency the meter is configured for (50 or 60 Hz),
//! which may differ from the signal's: a 30 Hz or 70 Hz supply on a 50 Hz meter is a valid
//! recipe. Without it, the nominal frequency is the standard one nearest `f0_hz`
//! ([`Recipe::nominal_frequency_hz`]).

use std::f64::consts::TAU;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::truth::{self, Truth};

/// Most samples per channel a recipe may ask for.
pub const MAX_SAMPLES: u64 = u32::MAX as u64;

/// The ADC code of a missing sample: `i32::MIN`.
///
/// [`quantise`] never returns it for a number, because codes saturate at the symmetric rails
/// `±(2^(bits−1) − 1)`; it stands for a sample that was not acquired (a [`Gap`], NaN in the
/// waveform). The engine takes this code as a missing sample, never as a value. It can be stored
/// only where the code range holds it: WAV 32-bit integer writes it as is, WAV float and CSV carry
/// NaN instead, and WAV 16- and 24-bit integer cannot carry a missing sample at all (writing one
/// is refused).
pub const MISSING_CODE: i32 = i32::MIN;

/// Standard nominal supply frequencies, Hz.
pub const NOMINAL_FREQUENCIES_HZ: [f64; 2] = [50.0, 60.0];

/// How the meter is connected, which fixes the recorded channels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topology {
    /// One voltage and one current: `U1`, `I1`.
    #[serde(rename = "single_phase")]
    SinglePhase,
    /// Three phases and neutral: `U1 U2 U3 I1 I2 I3 IN`.
    #[default]
    #[serde(rename = "three_phase_4w")]
    ThreePhase4W,
    /// Three phases without neutral, Aron connection: `U12 U32 I1 I3`.
    #[serde(rename = "three_phase_3w")]
    ThreePhase3W,
}

impl Topology {
    /// Channel names in recorded order.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_vectors::Topology;
    /// assert_eq!(Topology::ThreePhase3W.channel_names(), ["U12", "U32", "I1", "I3"]);
    /// ```
    pub fn channel_names(&self) -> &'static [&'static str] {
        match self {
            Topology::SinglePhase => &["U1", "I1"],
            Topology::ThreePhase4W => &["U1", "U2", "U3", "I1", "I2", "I3", "IN"],
            Topology::ThreePhase3W => &["U12", "U32", "I1", "I3"],
        }
    }

    /// Number of phases the model of this topology has (1 or 3).
    pub fn phase_count(&self) -> usize {
        match self {
            Topology::SinglePhase => 1,
            Topology::ThreePhase4W | Topology::ThreePhase3W => 3,
        }
    }
}

/// Whether a channel carries a voltage or a current.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChannelKind {
    /// Volts; channel names starting with `U`.
    Voltage,
    /// Amperes; channel names starting with `I` (including `IN`).
    Current,
}

impl ChannelKind {
    /// The kind named by the first letter of a channel name (`U…` or `I…`, case-insensitive).
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_vectors::ChannelKind;
    /// assert_eq!(ChannelKind::of("IN"), Some(ChannelKind::Current));
    /// assert_eq!(ChannelKind::of("t"), None);
    /// ```
    pub fn of(channel: &str) -> Option<ChannelKind> {
        match channel.chars().next()?.to_ascii_uppercase() {
            'U' => Some(ChannelKind::Voltage),
            'I' => Some(ChannelKind::Current),
            _ => None,
        }
    }

    /// SI unit symbol: `"V"` or `"A"`.
    pub fn unit(&self) -> &'static str {
        match self {
            ChannelKind::Voltage => "V",
            ChannelKind::Current => "A",
        }
    }
}

/// Fundamental frequency: constant `f0_hz`, optionally with a linear ramp.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencySpec {
    /// Frequency at `t = 0`, Hz.
    pub f0_hz: f64,
    /// Ramp rate, Hz/s: `f(t) = f0 + r·t`. `None` means 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_hz_per_s: Option<f64>,
}

impl Default for FrequencySpec {
    fn default() -> Self {
        FrequencySpec { f0_hz: 50.0, ramp_hz_per_s: None }
    }
}

/// One harmonic of a channel: `√2·rms·pct/100·sin(h·θ + h·φ_ch + phase_deg)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Harmonic {
    /// Harmonic order `h ≥ 2`.
    pub order: u32,
    /// Rms as a percentage of the channel's fundamental rms.
    pub pct: f64,
    /// Phase added to `h·(θ + φ_ch)`, degrees.
    #[serde(default)]
    pub phase_deg: f64,
}

impl Harmonic {
    /// A harmonic of `order` at `pct` % of the fundamental with `phase_deg`.
    pub fn new(order: u32, pct: f64, phase_deg: f64) -> Self {
        Harmonic { order, pct, phase_deg }
    }
}

/// A fixed-frequency component: `√2·rms·pct/100·sin(2π·freq_hz·t + phase_deg)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interharmonic {
    /// Frequency, Hz (does not follow the fundamental's ramp).
    pub freq_hz: f64,
    /// Rms as a percentage of the channel's fundamental rms.
    pub pct: f64,
    /// Phase at `t = 0`, degrees.
    #[serde(default)]
    pub phase_deg: f64,
}

/// Voltage and current of one phase (L1, L2 or L3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhaseSpec {
    /// Voltage fundamental rms, V.
    pub u_rms_v: f64,
    /// Voltage fundamental phase φ_u, degrees. When a recipe's JSON omits it, it is 0, −120 and
    /// +120 for L1, L2 and L3.
    #[serde(default = "unset_phase")]
    pub u_phase_deg: f64,
    /// Current fundamental rms, A.
    pub i_rms_a: f64,
    /// Load angle φ, degrees: the current lags the voltage by φ (positive = inductive).
    pub load_angle_deg: f64,
    /// Voltage harmonics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub u_harmonics: Vec<Harmonic>,
    /// Current harmonics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub i_harmonics: Vec<Harmonic>,
    /// Voltage interharmonics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub u_interharmonics: Vec<Interharmonic>,
    /// Current interharmonics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub i_interharmonics: Vec<Interharmonic>,
    /// Voltage DC offset, V.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub u_dc_v: Option<f64>,
    /// Current DC offset, A.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub i_dc_a: Option<f64>,
}

impl Default for PhaseSpec {
    fn default() -> Self {
        PhaseSpec::new(230.0, 0.0, 5.0, 0.0)
    }
}

impl PhaseSpec {
    /// A sinusoidal phase: voltage `u_rms_v` at `u_phase_deg`, current `i_rms_a` lagging by
    /// `load_angle_deg`.
    pub fn new(u_rms_v: f64, u_phase_deg: f64, i_rms_a: f64, load_angle_deg: f64) -> Self {
        PhaseSpec {
            u_rms_v,
            u_phase_deg,
            i_rms_a,
            load_angle_deg,
            u_harmonics: Vec::new(),
            i_harmonics: Vec::new(),
            u_interharmonics: Vec::new(),
            i_interharmonics: Vec::new(),
            u_dc_v: None,
            i_dc_a: None,
        }
    }

    /// Balanced sinusoidal phases for a topology: 230 V, 5 A, load angle 0, voltage phases
    /// 0, −120, +120 degrees.
    pub fn balanced(topology: Topology) -> Vec<PhaseSpec> {
        DEFAULT_U_PHASE_DEG[..topology.phase_count()]
            .iter()
            .map(|&deg| PhaseSpec::new(230.0, deg, 5.0, 0.0))
            .collect()
    }
}

/// White Gaussian noise added to every recorded channel (see the module docs for the draw order).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noise {
    /// Standard deviation on voltage channels, V.
    pub u_rms_v: f64,
    /// Standard deviation on current channels, A.
    pub i_rms_a: f64,
}

/// A rectangular voltage event on some phases: dip, interruption, swell and/or phase jump.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Start time, s (the step is active for `start_s ≤ t < start_s + duration_s`).
    pub start_s: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Affected phases, 0-based.
    pub phases: Vec<usize>,
    /// Factor on every voltage component: 0.5 = dip to 50 %, 0 = interruption, 1.2 = swell.
    #[serde(default = "one")]
    pub u_factor: f64,
    /// Added to the voltage phase φ_u of the affected phases, degrees.
    #[serde(default)]
    pub phase_jump_deg: f64,
}

fn one() -> f64 {
    1.0
}

/// Marks a `u_phase_deg` missing from JSON; [`phases_with_default_angles`] replaces it.
fn unset_phase() -> f64 {
    f64::NAN
}

/// Default voltage phases of L1, L2, L3, degrees.
const DEFAULT_U_PHASE_DEG: [f64; 3] = [0.0, -120.0, 120.0];

fn phases_with_default_angles<'de, D>(deserializer: D) -> Result<Vec<PhaseSpec>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let mut phases = Vec::<PhaseSpec>::deserialize(deserializer)?;
    for (p, phase) in phases.iter_mut().enumerate() {
        if phase.u_phase_deg.is_nan() {
            phase.u_phase_deg = DEFAULT_U_PHASE_DEG.get(p).copied().unwrap_or(0.0);
        }
    }
    Ok(phases)
}

impl Step {
    /// A dip (or swell, or interruption) of `u_factor` on `phases` from `start_s` for `duration_s`.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_vectors::Step;
    /// let dip = Step::dip(0.2, 0.1, &[0, 1, 2], 0.5);
    /// assert_eq!(dip.phase_jump_deg, 0.0);
    /// ```
    pub fn dip(start_s: f64, duration_s: f64, phases: &[usize], u_factor: f64) -> Self {
        Step { start_s, duration_s, phases: phases.to_vec(), u_factor, phase_jump_deg: 0.0 }
    }
}

/// ADC quantisation of every channel.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantisation {
    /// ADC resolution, 2..=32 bits.
    pub bits: u32,
    /// Voltage peak mapped to code `2^(bits−1) − 1`, V.
    pub u_full_scale_v: f64,
    /// Current peak mapped to code `2^(bits−1) − 1`, A.
    pub i_full_scale_a: f64,
}

impl Quantisation {
    /// Full scale of a channel kind.
    pub fn full_scale(&self, kind: ChannelKind) -> f64 {
        match kind {
            ChannelKind::Voltage => self.u_full_scale_v,
            ChannelKind::Current => self.i_full_scale_a,
        }
    }
}

/// Largest positive code of a `bits`-bit two's-complement converter, `2^(bits−1) − 1`.
pub fn max_code(bits: u32) -> f64 {
    (2.0f64).powi(bits as i32 - 1) - 1.0
}

/// The ADC code of `x`: `round(x / full_scale · (2^(bits−1) − 1))`, rounding half away from zero,
/// clamped to the rails `±(2^(bits−1) − 1)` = `±`[`max_code`]`(bits)`, as a saturating ADC does.
///
/// The clamp is symmetric: the most negative two's-complement code `−2^(bits−1)` is never
/// produced, so at 32 bits it stays free for [`MISSING_CODE`]. A sample reaches a rail when
/// `|x| ≥ full_scale · (1 − 0.5 / max_code(bits))`. NaN (a missing sample) gives
/// [`MISSING_CODE`] whatever `bits` is.
///
/// # Examples
///
/// ```
/// use percycle_vectors::{quantise, MISSING_CODE};
/// assert_eq!(quantise(0.5, 1.0, 8), 64); // 63.5 rounds away from zero
/// assert_eq!(quantise(2.0, 1.0, 8), 127); // clamped to the rail
/// assert_eq!(quantise(-2.0, 1.0, 8), -127);
/// assert_eq!(quantise(f64::NAN, 1.0, 24), MISSING_CODE);
/// ```
pub fn quantise(x: f64, full_scale: f64, bits: u32) -> i32 {
    if x.is_nan() {
        return MISSING_CODE;
    }
    let max = max_code(bits);
    (x / full_scale * max).round().clamp(-max, max) as i32
}

/// The value of an ADC code: `code · full_scale / (2^(bits−1) − 1)`; NaN for [`MISSING_CODE`].
pub fn dequantise(code: i32, full_scale: f64, bits: u32) -> f64 {
    if code == MISSING_CODE {
        return f64::NAN;
    }
    f64::from(code) * full_scale / max_code(bits)
}

/// Missing data: every channel's samples in `[start_s, start_s + duration_s)` were not acquired
/// (NaN in the waveform, [`MISSING_CODE`] in the codes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    /// Start, s.
    pub start_s: f64,
    /// Length, s.
    pub duration_s: f64,
}

impl Gap {
    /// A gap of `count` samples from sample `first`, on the sample grid of `sample_rate_hz`.
    pub fn samples(first: usize, count: usize, sample_rate_hz: f64) -> Self {
        Gap { start_s: first as f64 / sample_rate_hz, duration_s: count as f64 / sample_rate_hz }
    }

    /// Indices `[first, end)` of the samples `n` with `start_s ≤ n / sample_rate_hz <
    /// start_s + duration_s` (before clipping to the record). An instant within a millionth of a
    /// sample period of an edge counts as on it, so a gap built on the sample grid holds exactly
    /// the samples it was built from.
    pub fn sample_range(&self, sample_rate_hz: f64) -> std::ops::Range<usize> {
        let index = |t: f64| (t * sample_rate_hz - 1e-6).ceil().max(0.0) as usize;
        index(self.start_s)..index(self.start_s + self.duration_s)
    }
}

/// One sample of one channel replaced by `value`, as a glitch of the acquisition does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spike {
    /// Time; the sample nearest it is replaced, s.
    pub at_s: f64,
    /// Recorded channel name, e.g. `U1` (see [`Topology::channel_names`]).
    pub channel: String,
    /// The sample's value, V or A. With quantisation, a value beyond full scale is stored as the
    /// rail.
    pub value: f64,
}

impl Spike {
    /// Index of the replaced sample, `round(at_s · sample_rate_hz)`.
    pub fn sample_index(&self, sample_rate_hz: f64) -> usize {
        (self.at_s * sample_rate_hz).round().max(0.0) as usize
    }
}

/// Everything that defines one test vector.
///
/// Build one with [`Recipe::new`] and the `with_*` helpers, or deserialize it from JSON.
///
/// # Examples
///
/// ```
/// use percycle_vectors::{Recipe, Topology};
/// let r = Recipe::new("pf05", Topology::ThreePhase4W)
///     .with_sample_rate(10_240.0)
///     .with_duration(0.5)
///     .with_load_angle(60.0);
/// assert_eq!(r.phases.len(), 3);
/// assert_eq!(r.phases[1].u_phase_deg, -120.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Vector name, used as the file stem: letters, digits, `_`, `-` and `.`.
    pub name: String,
    /// Seed of the noise generator.
    #[serde(default)]
    pub seed: u64,
    /// Sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Length, s.
    pub duration_s: f64,
    /// Connection, which fixes the channels and the number of phases.
    pub topology: Topology,
    /// Fundamental frequency.
    pub frequency: FrequencySpec,
    /// Phases: one for `SinglePhase`, three otherwise.
    #[serde(deserialize_with = "phases_with_default_angles")]
    pub phases: Vec<PhaseSpec>,
    /// Additive white Gaussian noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<Noise>,
    /// Voltage steps (dips, swells, interruptions, phase jumps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Step>,
    /// ADC quantisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantisation: Option<Quantisation>,
    /// Nominal supply frequency the meter is set for, 50 or 60 Hz; `None` means the standard
    /// frequency nearest `frequency.f0_hz` (see [`Recipe::nominal_frequency_hz`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nominal_hz: Option<f64>,
    /// Single-sample glitches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spikes: Vec<Spike>,
    /// Missing data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe::new("vector", Topology::ThreePhase4W)
    }
}

impl Recipe {
    /// A 1 s, 50 Hz, 10.24 kHz recipe with balanced 230 V / 5 A phases at PF 1, seed 0.
    pub fn new(name: impl Into<String>, topology: Topology) -> Self {
        Recipe {
            name: name.into(),
            seed: 0,
            sample_rate_hz: 10_240.0,
            duration_s: 1.0,
            topology,
            frequency: FrequencySpec::default(),
            phases: PhaseSpec::balanced(topology),
            noise: None,
            events: Vec::new(),
            quantisation: None,
            nominal_hz: None,
            spikes: Vec::new(),
            gaps: Vec::new(),
        }
    }

    /// Sets the name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the noise seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the sample rate, Hz.
    pub fn with_sample_rate(mut self, hz: f64) -> Self {
        self.sample_rate_hz = hz;
        self
    }

    /// Sets the duration, s.
    pub fn with_duration(mut self, s: f64) -> Self {
        self.duration_s = s;
        self
    }

    /// Sets the fundamental frequency at `t = 0`, Hz.
    pub fn with_frequency(mut self, hz: f64) -> Self {
        self.frequency.f0_hz = hz;
        self
    }

    /// Sets a linear frequency ramp, Hz/s.
    pub fn with_ramp(mut self, hz_per_s: f64) -> Self {
        self.frequency.ramp_hz_per_s = Some(hz_per_s);
        self
    }

    /// Sets the voltage fundamental rms of every phase, V.
    pub fn with_voltage(mut self, u_rms_v: f64) -> Self {
        self.phases.iter_mut().for_each(|p| p.u_rms_v = u_rms_v);
        self
    }

    /// Sets the current fundamental rms of every phase, A.
    pub fn with_current(mut self, i_rms_a: f64) -> Self {
        self.phases.iter_mut().for_each(|p| p.i_rms_a = i_rms_a);
        self
    }

    /// Sets the load angle of every phase, degrees (positive = inductive).
    pub fn with_load_angle(mut self, deg: f64) -> Self {
        self.phases.iter_mut().for_each(|p| p.load_angle_deg = deg);
        self
    }

    /// Adds a voltage harmonic to every phase.
    pub fn with_u_harmonic(mut self, order: u32, pct: f64, phase_deg: f64) -> Self {
        let h = Harmonic::new(order, pct, phase_deg);
        self.phases.iter_mut().for_each(|p| p.u_harmonics.push(h.clone()));
        self
    }

    /// Adds a current harmonic to every phase.
    pub fn with_i_harmonic(mut self, order: u32, pct: f64, phase_deg: f64) -> Self {
        let h = Harmonic::new(order, pct, phase_deg);
        self.phases.iter_mut().for_each(|p| p.i_harmonics.push(h.clone()));
        self
    }

    /// Sets white Gaussian noise, V and A rms.
    pub fn with_noise(mut self, u_rms_v: f64, i_rms_a: f64) -> Self {
        self.noise = Some(Noise { u_rms_v, i_rms_a });
        self
    }

    /// Adds a step event.
    pub fn with_step(mut self, step: Step) -> Self {
        self.events.push(step);
        self
    }

    /// Sets ADC quantisation.
    pub fn with_quantisation(
        mut self,
        bits: u32,
        u_full_scale_v: f64,
        i_full_scale_a: f64,
    ) -> Self {
        self.quantisation = Some(Quantisation { bits, u_full_scale_v, i_full_scale_a });
        self
    }

    /// Sets the nominal supply frequency, Hz (50 or 60).
    pub fn with_nominal(mut self, hz: f64) -> Self {
        self.nominal_hz = Some(hz);
        self
    }

    /// Adds a spike: the sample of `channel` nearest `at_s` becomes `value`.
    pub fn with_spike(mut self, at_s: f64, channel: &str, value: f64) -> Self {
        self.spikes.push(Spike { at_s, channel: channel.to_string(), value });
        self
    }

    /// Adds a gap of missing data on every channel.
    pub fn with_gap(mut self, gap: Gap) -> Self {
        self.gaps.push(gap);
        self
    }

    /// The nominal supply frequency: [`Recipe::nominal_hz`] when set, otherwise the standard
    /// frequency (50 or 60 Hz) nearest `frequency.f0_hz`, 50 Hz on a tie.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_vectors::{Recipe, Topology};
    /// let r = Recipe::new("f", Topology::SinglePhase).with_frequency(57.5);
    /// assert_eq!(r.nominal_frequency_hz(), 60.0);
    /// assert_eq!(r.with_nominal(50.0).nominal_frequency_hz(), 50.0);
    /// ```
    pub fn nominal_frequency_hz(&self) -> f64 {
        self.nominal_hz.unwrap_or({
            let f = self.frequency.f0_hz;
            if (f - 60.0).abs() < (f - 50.0).abs() {
                60.0
            } else {
                50.0
            }
        })
    }

    /// Samples per channel: `round(duration_s · sample_rate_hz)`.
    pub fn sample_count(&self) -> usize {
        (self.duration_s * self.sample_rate_hz).round() as usize
    }

    /// Checks every field; the error names the first bad one.
    ///
    /// # Errors
    ///
    /// [`SynthError::InvalidField`] for a non-finite, out-of-range or inconsistent field,
    /// including components at or above the Nyquist frequency.
    pub fn validate(&self) -> Result<(), SynthError> {
        Validator { recipe: self }.run()
    }
}

/// A recipe that cannot be synthesised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A field is out of range or inconsistent with the others.
    #[error("recipe '{recipe}': field `{field}`: {message}")]
    InvalidField {
        /// Recipe name.
        recipe: String,
        /// Path of the bad field, e.g. `phases[1].u_harmonics[0].order`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl SynthError {
    /// Path of the bad field.
    pub fn field(&self) -> &str {
        match self {
            SynthError::InvalidField { field, .. } => field,
        }
    }
}

struct Validator<'a> {
    recipe: &'a Recipe,
}

impl Validator<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> SynthError {
        SynthError::InvalidField {
            recipe: self.recipe.name.clone(),
            field: field.into(),
            message: message.into(),
        }
    }

    fn finite(&self, field: &str, x: f64) -> Result<(), SynthError> {
        if x.is_finite() {
            Ok(())
        } else {
            Err(self.err(field, format!("must be finite (got {x})")))
        }
    }

    fn non_negative(&self, field: &str, x: f64) -> Result<(), SynthError> {
        if x.is_finite() && x >= 0.0 {
            Ok(())
        } else {
            Err(self.err(field, format!("must be finite and ≥ 0 (got {x})")))
        }
    }

    fn positive(&self, field: &str, x: f64) -> Result<(), SynthError> {
        if x.is_finite() && x > 0.0 {
            Ok(())
        } else {
            Err(self.err(field, format!("must be finite and > 0 (got {x})")))
        }
    }

    fn run(&self) -> Result<(), SynthError> {
        let r = self.recipe;
        let name_ok = !r.name.is_empty()
            && !r.name.starts_with('.')
            && r.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !name_ok {
            return Err(self.err(
                "name",
                format!(
                    "must be non-empty, not start with '.', and use only ASCII letters, digits, \
                     '_', '-', '.' (got {:?})",
                    r.name
                ),
            ));
        }
        self.positive("sample_rate_hz", r.sample_rate_hz)?;
        self.positive("duration_s", r.duration_s)?;
        let n = (r.duration_s * r.sample_rate_hz).round();
        if n < 1.0 || n > MAX_SAMPLES as f64 {
            return Err(self.err(
                "duration_s",
                format!("gives {n} samples per channel; need 1..={MAX_SAMPLES}"),
            ));
        }
        self.positive("frequency.f0_hz", r.frequency.f0_hz)?;
        let ramp = r.frequency.ramp_hz_per_s.unwrap_or(0.0);
        self.finite("frequency.ramp_hz_per_s", ramp)?;
        let f_end = r.frequency.f0_hz + ramp * r.duration_s;
        if f_end <= 0.0 {
            return Err(self.err(
                "frequency.ramp_hz_per_s",
                format!("frequency must stay > 0 over the duration (reaches {f_end} Hz)"),
            ));
        }
        let f_max = r.frequency.f0_hz.max(f_end);
        let nyquist = r.sample_rate_hz / 2.0;
        if f_max >= nyquist {
            return Err(self.err(
                "frequency.f0_hz",
                format!("fundamental reaches {f_max} Hz, at or above Nyquist {nyquist} Hz"),
            ));
        }

        let want = r.topology.phase_count();
        if r.phases.len() != want {
            return Err(self.err(
                "phases",
                format!("{:?} needs {want} phase(s), got {}", r.topology, r.phases.len()),
            ));
        }
        for (p, ph) in r.phases.iter().enumerate() {
            let f = |s: &str| format!("phases[{p}].{s}");
            self.non_negative(&f("u_rms_v"), ph.u_rms_v)?;
            self.finite(&f("u_phase_deg"), ph.u_phase_deg)?;
            self.non_negative(&f("i_rms_a"), ph.i_rms_a)?;
            self.finite(&f("load_angle_deg"), ph.load_angle_deg)?;
            for (list, hs) in [("u_harmonics", &ph.u_harmonics), ("i_harmonics", &ph.i_harmonics)] {
                for (k, h) in hs.iter().enumerate() {
                    let hf = |s: &str| format!("phases[{p}].{list}[{k}].{s}");
                    if h.order < 2 {
                        return Err(self.err(
                            hf("order"),
                            format!("harmonic order must be ≥ 2 (got {})", h.order),
                        ));
                    }
                    let fh = f64::from(h.order) * f_max;
                    if fh >= nyquist {
                        return Err(self.err(
                            hf("order"),
                            format!(
                                "harmonic {} reaches {fh} Hz, at or above Nyquist {nyquist} Hz",
                                h.order
                            ),
                        ));
                    }
                    self.non_negative(&hf("pct"), h.pct)?;
                    self.finite(&hf("phase_deg"), h.phase_deg)?;
                }
            }
            for (list, hs) in [
                ("u_interharmonics", &ph.u_interharmonics),
                ("i_interharmonics", &ph.i_interharmonics),
            ] {
                for (k, h) in hs.iter().enumerate() {
                    let hf = |s: &str| format!("phases[{p}].{list}[{k}].{s}");
                    self.positive(&hf("freq_hz"), h.freq_hz)?;
                    if h.freq_hz >= nyquist {
                        return Err(self.err(
                            hf("freq_hz"),
                            format!("{} Hz is at or above Nyquist {nyquist} Hz", h.freq_hz),
                        ));
                    }
                    self.non_negative(&hf("pct"), h.pct)?;
                    self.finite(&hf("phase_deg"), h.phase_deg)?;
                }
            }
            if let Some(dc) = ph.u_dc_v {
                self.finite(&f("u_dc_v"), dc)?;
            }
            if let Some(dc) = ph.i_dc_a {
                self.finite(&f("i_dc_a"), dc)?;
            }
        }
        if let Some(noise) = &r.noise {
            self.non_negative("noise.u_rms_v", noise.u_rms_v)?;
            self.non_negative("noise.i_rms_a", noise.i_rms_a)?;
        }
        for (k, s) in r.events.iter().enumerate() {
            let f = |x: &str| format!("events[{k}].{x}");
            self.finite(&f("start_s"), s.start_s)?;
            self.positive(&f("duration_s"), s.duration_s)?;
            self.non_negative(&f("u_factor"), s.u_factor)?;
            self.finite(&f("phase_jump_deg"), s.phase_jump_deg)?;
            if s.phases.is_empty() {
                return Err(self.err(f("phases"), "must name at least one phase"));
            }
            if let Some(&bad) = s.phases.iter().find(|&&p| p >= want) {
                return Err(self.err(
                    f("phases"),
                    format!("phase index {bad} out of range (recipe has {want} phase(s))"),
                ));
            }
        }
        if let Some(q) = &r.quantisation {
            if !(2..=32).contains(&q.bits) {
                return Err(
                    self.err("quantisation.bits", format!("must be in 2..=32 (got {})", q.bits))
                );
            }
            self.positive("quantisation.u_full_scale_v", q.u_full_scale_v)?;
            self.positive("quantisation.i_full_scale_a", q.i_full_scale_a)?;
        }
        if let Some(hz) = r.nominal_hz {
            if !NOMINAL_FREQUENCIES_HZ.contains(&hz) {
                return Err(self.err("nominal_hz", format!("must be 50 or 60 (got {hz})")));
            }
        }
        let n = r.sample_count();
        let names = r.topology.channel_names();
        for (k, s) in r.spikes.iter().enumerate() {
            let f = |x: &str| format!("spikes[{k}].{x}");
            self.non_negative(&f("at_s"), s.at_s)?;
            if s.sample_index(r.sample_rate_hz) >= n {
                return Err(self.err(
                    f("at_s"),
                    format!("{} s is past the last sample ({n} samples)", s.at_s),
                ));
            }
            if !names.contains(&s.channel.as_str()) {
                return Err(self.err(
                    f("channel"),
                    format!(
                        "{:?} is not a channel of {:?} ({})",
                        s.channel,
                        r.topology,
                        names.join(", ")
                    ),
                ));
            }
            self.finite(&f("value"), s.value)?;
        }
        for (k, g) in r.gaps.iter().enumerate() {
            let f = |x: &str| format!("gaps[{k}].{x}");
            self.non_negative(&f("start_s"), g.start_s)?;
            self.positive(&f("duration_s"), g.duration_s)?;
            let range = g.sample_range(r.sample_rate_hz);
            if range.start >= n {
                return Err(self.err(
                    f("start_s"),
                    format!("{} s is past the last sample ({n} samples)", g.start_s),
                ));
            }
            if range.is_empty() {
                return Err(self.err(
                    f("duration_s"),
                    format!("the gap of {} s from {} s holds no sample", g.duration_s, g.start_s),
                ));
            }
        }
        Ok(())
    }
}

/// Sampled channels of one recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Waveform {
    /// Sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Channel names, e.g. `U1`, `I1`.
    pub channels: Vec<String>,
    /// Samples per channel (same order as `channels`), V or A.
    pub samples: Vec<Vec<f64>>,
}

impl Waveform {
    /// Samples per channel (0 when there are no channels).
    pub fn len(&self) -> usize {
        self.samples.first().map_or(0, Vec::len)
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples of the channel called `name`.
    pub fn channel(&self, name: &str) -> Option<&[f64]> {
        let k = self.channels.iter().position(|c| c == name)?;
        self.samples.get(k).map(Vec::as_slice)
    }

    /// Duration covered, `len / sample_rate_hz`, s.
    pub fn duration_s(&self) -> f64 {
        self.len() as f64 / self.sample_rate_hz
    }
}

/// A synthesised vector: its recipe, samples, ADC codes and analytic truth.
#[derive(Clone, Debug, PartialEq)]
pub struct Vector {
    /// The recipe it was made from.
    pub recipe: Recipe,
    /// Samples in V and A (dequantised when the recipe quantises).
    pub waveform: Waveform,
    /// Per-channel ADC codes when the recipe quantises.
    pub codes: Option<Vec<Vec<i32>>>,
    /// Truth from the continuous, noise-free, unquantised model.
    pub truth: Truth,
}

/// Synthesises the vector a recipe describes, with its truth.
///
/// # Errors
///
/// [`SynthError`] naming the first invalid field of the recipe.
///
/// # Examples
///
/// ```
/// use percycle_vectors::{synthesize, Recipe, Topology};
/// let v = synthesize(&Recipe::new("demo", Topology::SinglePhase).with_duration(0.1))?;
/// assert_eq!(v.waveform.len(), 1024);
/// assert_eq!(v.truth.cycles.len(), 5);
/// # Ok::<(), percycle_vectors::SynthError>(())
/// ```
pub fn synthesize(recipe: &Recipe) -> Result<Vector, SynthError> {
    recipe.validate()?;
    let model = Model::new(recipe);
    let names = recipe.topology.channel_names();
    let kinds: Vec<ChannelKind> = names
        .iter()
        .map(|n| ChannelKind::of(n).expect("built-in channel names start with U or I"))
        .collect();
    let neutral = names.iter().position(|&n| n == "IN");
    let n = recipe.sample_count();
    let mut samples = vec![Vec::with_capacity(n); names.len()];
    let mut rng = recipe.noise.map(|noise| (noise, ChaCha8Rng::seed_from_u64(recipe.seed)));
    let mut frame = [0.0f64; 7];
    for k in 0..n {
        let t = k as f64 / recipe.sample_rate_hz;
        let frame = &mut frame[..names.len()];
        model.eval(t).write_channels(recipe.topology, frame);
        if let Some((noise, rng)) = rng.as_mut() {
            for (j, x) in frame.iter_mut().enumerate() {
                if Some(j) == neutral {
                    continue;
                }
                let z: f64 = StandardNormal.sample(rng);
                *x += z * match kinds[j] {
                    ChannelKind::Voltage => noise.u_rms_v,
                    ChannelKind::Current => noise.i_rms_a,
                };
            }
            if let Some(jn) = neutral {
                frame[jn] = frame[3] + frame[4] + frame[5];
            }
        }
        for (ch, &x) in samples.iter_mut().zip(frame.iter()) {
            ch.push(x);
        }
    }
    for s in &recipe.spikes {
        let k = names.iter().position(|&c| c == s.channel).expect("validated channel");
        samples[k][s.sample_index(recipe.sample_rate_hz)] = s.value;
    }
    for g in &recipe.gaps {
        let range = g.sample_range(recipe.sample_rate_hz);
        let range = range.start.min(n)..range.end.min(n);
        for ch in &mut samples {
            ch[range.clone()].fill(f64::NAN);
        }
    }
    let codes = recipe.quantisation.map(|q| {
        samples
            .iter_mut()
            .zip(&kinds)
            .map(|(ch, &kind)| {
                let fs = q.full_scale(kind);
                ch.iter_mut()
                    .map(|x| {
                        let code = quantise(*x, fs, q.bits);
                        *x = dequantise(code, fs, q.bits);
                        code
                    })
                    .collect()
            })
            .collect()
    });
    let truth = truth::from_model(recipe, &model);
    Ok(Vector {
        recipe: recipe.clone(),
        waveform: Waveform {
            sample_rate_hz: recipe.sample_rate_hz,
            channels: names.iter().map(|s| s.to_string()).collect(),
            samples,
        },
        codes,
        truth,
    })
}

/// `sin(2π·c)` for a phase `c` in cycles, reduced to `[0, 1)` first.
pub(crate) fn sin_cycles(c: f64) -> f64 {
    libm::sin(TAU * (c - c.floor()))
}

/// `cos(2π·c)` for a phase `c` in cycles, reduced to `[0, 1)` first.
pub(crate) fn cos_cycles(c: f64) -> f64 {
    libm::cos(TAU * (c - c.floor()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::SQRT_2;

    fn deg(x: f64) -> f64 {
        x.to_radians()
    }

    #[test]
    fn channel_names_follow_the_topology() {
        assert_eq!(Topology::SinglePhase.channel_names(), ["U1", "I1"]);
        assert_eq!(
            Topology::ThreePhase4W.channel_names(),
            ["U1", "U2", "U3", "I1", "I2", "I3", "IN"]
        );
        assert_eq!(Topology::ThreePhase3W.channel_names(), ["U12", "U32", "I1", "I3"]);
    }

    #[test]
    fn sampled_waveform_matches_the_analytic_model_at_sample_instants() {
        let mut r = Recipe::new("model", Topology::ThreePhase4W)
            .with_load_angle(30.0)
            .with_u_harmonic(5, 10.0, 20.0)
            .with_i_harmonic(3, 40.0, -45.0);
        r.phases[2].u_interharmonics.push(Interharmonic {
            freq_hz: 175.0,
            pct: 2.0,
            phase_deg: 10.0,
        });
        r.phases[0].i_dc_a = Some(0.25);
        let v = synthesize(&r).unwrap();
        let fs = r.sample_rate_hz;
        let u = |p: usize, t: f64| {
            let ph = r.phases[p].u_phase_deg;
            let w = TAU * 50.0 * t;
            let mut x = SQRT_2 * 230.0 * (w + deg(ph)).sin()
                + SQRT_2 * 23.0 * (5.0 * w + 5.0 * deg(ph) + deg(20.0)).sin();
            if p == 2 {
                x += SQRT_2 * 4.6 * (TAU * 175.0 * t + deg(10.0)).sin();
            }
            x
        };
        let i = |p: usize, t: f64| {
            let ph = deg(r.phases[p].u_phase_deg - 30.0);
            let w = TAU * 50.0 * t;
            let mut x = SQRT_2 * 5.0 * (w + ph).sin()
                + SQRT_2 * 2.0 * (3.0 * w + 3.0 * ph - deg(45.0)).sin();
            if p == 0 {
                x += 0.25;
            }
            x
        };
        for n in [0usize, 1, 77, 5000, 10239] {
            let t = n as f64 / fs;
            for p in 0..3 {
                let su = v.waveform.samples[p][n];
                let si = v.waveform.samples[3 + p][n];
                assert!((su - u(p, t)).abs() < 1e-9, "U{} at n={n}", p + 1);
                assert!((si - i(p, t)).abs() < 1e-11, "I{} at n={n}", p + 1);
            }
            let want_in = i(0, t) + i(1, t) + i(2, t);
            assert!((v.waveform.samples[6][n] - want_in).abs() < 1e-11);
        }
    }

    #[test]
    fn balanced_sinusoidal_load_has_no_neutral_current() {
        let v =
            synthesize(&Recipe::new("bal", Topology::ThreePhase4W).with_load_angle(25.0)).unwrap();
        let max_in = v.waveform.samples[6].iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!(max_in < 1e-12, "max |IN| = {max_in}");
    }

    #[test]
    fn aron_channels_are_line_to_line_voltages_and_outer_currents() {
        let r3 = Recipe::new("aron", Topology::ThreePhase3W).with_load_angle(10.0);
        let mut r4 = r3.clone();
        r4.topology = Topology::ThreePhase4W;
        let v3 = synthesize(&r3).unwrap().waveform;
        let v4 = synthesize(&r4).unwrap().waveform;
        for n in [0, 3, 999] {
            let (u1, u2, u3) = (v4.samples[0][n], v4.samples[1][n], v4.samples[2][n]);
            assert_eq!(v3.samples[0][n], u1 - u2);
            assert_eq!(v3.samples[1][n], u3 - u2);
            assert_eq!(v3.samples[2][n], v4.samples[3][n]);
            assert_eq!(v3.samples[3][n], v4.samples[5][n]);
        }
        let peak = v3.samples[0].iter().fold(0.0f64, |m, x| m.max(x.abs()));
        assert!((peak / (230.0 * 3f64.sqrt() * SQRT_2) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn same_seed_gives_identical_samples_and_another_seed_other_noise() {
        let r = Recipe::new("noisy", Topology::ThreePhase4W)
            .with_duration(0.2)
            .with_noise(0.5, 0.01)
            .with_seed(7);
        let a = synthesize(&r).unwrap().waveform;
        let b = synthesize(&r).unwrap().waveform;
        assert_eq!(a, b);
        let c = synthesize(&r.clone().with_seed(8)).unwrap().waveform;
        let differing = a.samples[0].iter().zip(&c.samples[0]).filter(|(x, y)| x != y).count();
        assert!(differing > a.len() * 9 / 10);
        let clean = synthesize(&Recipe { noise: None, ..r.clone() }).unwrap().waveform;
        let n = a.len() as f64;
        let var_u =
            a.samples[0].iter().zip(&clean.samples[0]).map(|(x, y)| (x - y).powi(2)).sum::<f64>()
                / n;
        assert!((var_u.sqrt() / 0.5 - 1.0).abs() < 0.05, "σ_u = {}", var_u.sqrt());
        // IN stays the sum of the noisy phase currents.
        for k in [0, 100, 2047] {
            let s = a.samples[3][k] + a.samples[4][k] + a.samples[5][k];
            assert_eq!(a.samples[6][k], s);
        }
    }

    #[test]
    fn noise_is_drawn_channel_by_channel_in_the_documented_order() {
        let r = Recipe::new("order", Topology::SinglePhase)
            .with_duration(0.01)
            .with_noise(1.0, 0.1)
            .with_seed(42);
        let noisy = synthesize(&r).unwrap().waveform;
        let clean = synthesize(&Recipe { noise: None, ..r }).unwrap().waveform;
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        for k in 0..noisy.len() {
            let zu: f64 = StandardNormal.sample(&mut rng);
            let zi: f64 = StandardNormal.sample(&mut rng);
            assert_eq!(noisy.samples[0][k], clean.samples[0][k] + zu);
            assert_eq!(noisy.samples[1][k], clean.samples[1][k] + 0.1 * zi);
        }
    }

    #[test]
    fn quantisation_rounds_to_codes_and_clips_at_full_scale() {
        assert_eq!(quantise(0.0, 1.0, 4), 0);
        assert_eq!(quantise(1.0, 1.0, 4), 7);
        assert_eq!(quantise(-1.0, 1.0, 4), -7);
        assert_eq!(quantise(1.5, 1.0, 4), 7);
        assert_eq!(quantise(-1.5, 1.0, 4), -7); // symmetric rails: −8 is never produced
        assert_eq!(quantise(0.5 / 7.0, 1.0, 4), 1);
        assert_eq!(quantise(-0.5 / 7.0, 1.0, 4), -1);
        assert_eq!(quantise(0.49 / 7.0, 1.0, 4), 0);
        assert_eq!(quantise(1e9, 1.0, 32), i32::MAX);
        assert_eq!(quantise(-1e9, 1.0, 32), -i32::MAX);
        assert_eq!(quantise(f64::NAN, 1.0, 16), MISSING_CODE);
        assert!(dequantise(MISSING_CODE, 1.0, 32).is_nan());
        assert_eq!(dequantise(-i32::MAX, 2.0, 32), -2.0);

        // 230 V rms peaks at 325.3 V; a 300 V full scale clips it.
        let r = Recipe::new("q", Topology::SinglePhase)
            .with_duration(0.02)
            .with_quantisation(8, 300.0, 10.0);
        let v = synthesize(&r).unwrap();
        let clean = synthesize(&Recipe { quantisation: None, ..r.clone() }).unwrap();
        let codes = v.codes.as_ref().unwrap();
        assert_eq!(codes[0].iter().copied().max(), Some(127));
        assert_eq!(codes[0].iter().copied().min(), Some(-127));
        let (clean_u, clean_i) = (&clean.waveform.samples[0], &clean.waveform.samples[1]);
        for (k, (&x, &xi)) in clean_u.iter().zip(clean_i).enumerate() {
            let want = (x / 300.0 * 127.0).round().clamp(-127.0, 127.0) as i32;
            assert_eq!(codes[0][k], want);
            assert_eq!(v.waveform.samples[0][k], f64::from(want) * 300.0 / 127.0);
            assert_eq!(codes[1][k], (xi / 10.0 * 127.0).round() as i32);
        }
        // Truth ignores quantisation.
        assert_eq!(v.truth, clean.truth);
    }

    #[test]
    fn invalid_recipes_name_the_bad_field() {
        let base = Recipe::new("ok", Topology::ThreePhase4W);
        let cases: Vec<(Recipe, &str)> = vec![
            (base.clone().with_sample_rate(0.0), "sample_rate_hz"),
            (base.clone().with_duration(-1.0), "duration_s"),
            (base.clone().with_name("a/b"), "name"),
            (base.clone().with_frequency(f64::NAN), "frequency.f0_hz"),
            (base.clone().with_ramp(-60.0), "frequency.ramp_hz_per_s"),
            (Recipe { topology: Topology::SinglePhase, ..base.clone() }, "phases"),
            (base.clone().with_u_harmonic(1, 5.0, 0.0), "phases[0].u_harmonics[0].order"),
            (base.clone().with_i_harmonic(200, 5.0, 0.0), "phases[0].i_harmonics[0].order"),
            (base.clone().with_current(-1.0), "phases[0].i_rms_a"),
            (base.clone().with_noise(-1.0, 0.0), "noise.u_rms_v"),
            (base.clone().with_step(Step::dip(0.1, 0.1, &[3], 0.5)), "events[0].phases"),
            (base.clone().with_step(Step::dip(0.1, 0.0, &[0], 0.5)), "events[0].duration_s"),
            (base.clone().with_quantisation(40, 400.0, 10.0), "quantisation.bits"),
            (base.clone().with_quantisation(16, 0.0, 10.0), "quantisation.u_full_scale_v"),
            (base.clone().with_nominal(55.0), "nominal_hz"),
            (base.clone().with_spike(0.5, "U4", 1.0), "spikes[0].channel"),
            (base.clone().with_spike(-0.1, "U1", 1.0), "spikes[0].at_s"),
            (base.clone().with_spike(1.0, "U1", 1.0), "spikes[0].at_s"),
            (base.clone().with_spike(0.5, "I1", f64::INFINITY), "spikes[0].value"),
            (base.clone().with_gap(Gap { start_s: f64::NAN, duration_s: 0.1 }), "gaps[0].start_s"),
            (base.clone().with_gap(Gap { start_s: 0.1, duration_s: 0.0 }), "gaps[0].duration_s"),
            (base.clone().with_gap(Gap { start_s: 1.0, duration_s: 0.1 }), "gaps[0].start_s"),
            (
                base.clone().with_gap(Gap { start_s: 0.10001, duration_s: 1e-6 }),
                "gaps[0].duration_s",
            ),
        ];
        for (r, field) in cases {
            let e = synthesize(&r).unwrap_err();
            assert_eq!(e.field(), field, "{e}");
            assert!(e.to_string().contains(field));
        }
        assert!(synthesize(&base).is_ok());
    }

    #[test]
    fn hostile_supplies_are_valid_recipes() {
        // Off-nominal fundamentals, no fundamental at all, DC or noise only.
        let base = Recipe::new("h", Topology::ThreePhase4W).with_duration(0.2);
        for r in [
            base.clone().with_frequency(30.0).with_nominal(50.0),
            base.clone().with_frequency(70.0).with_nominal(50.0),
            base.clone().with_voltage(0.0).with_current(0.0),
            base.clone().with_voltage(0.0).with_noise(230.0, 0.0),
        ] {
            let v = synthesize(&r).unwrap();
            assert!(v.waveform.samples.iter().flatten().all(|x| x.is_finite()));
        }
        let mut dc = base.with_voltage(0.0);
        dc.phases.iter_mut().for_each(|p| p.u_dc_v = Some(325.0));
        let v = synthesize(&dc).unwrap();
        assert!(v.waveform.samples[..3].iter().flatten().all(|&x| x == 325.0));
    }

    #[test]
    fn nominal_frequency_defaults_to_the_nearest_standard_one() {
        let r = Recipe::new("n", Topology::SinglePhase);
        assert_eq!(r.nominal_frequency_hz(), 50.0);
        assert_eq!(r.clone().with_frequency(55.0).nominal_frequency_hz(), 50.0);
        assert_eq!(r.clone().with_frequency(70.0).nominal_frequency_hz(), 60.0);
        assert_eq!(r.with_frequency(70.0).with_nominal(50.0).nominal_frequency_hz(), 50.0);
    }

    #[test]
    fn gaps_are_nan_and_the_missing_code_and_spikes_replace_one_sample() {
        let fs = 10_240.0;
        let r = Recipe::new("hostile", Topology::ThreePhase4W)
            .with_duration(0.1)
            .with_noise(0.5, 0.01)
            .with_seed(3)
            .with_spike(0.05, "I2", 99.0)
            .with_spike(0.0301, "U3", -5000.0)
            .with_gap(Gap::samples(100, 37, fs))
            .with_quantisation(24, 400.0, 10.0);
        let v = synthesize(&r).unwrap();
        let plain = synthesize(&Recipe { spikes: vec![], gaps: vec![], ..r.clone() }).unwrap();
        let codes = v.codes.as_ref().unwrap();
        assert_eq!(r.gaps[0].sample_range(fs), 100..137);
        let max = max_code(24) as i32;
        for (ch, samples) in v.waveform.samples.iter().enumerate() {
            for (k, &x) in samples.iter().enumerate() {
                let in_gap = (100..137).contains(&k);
                assert_eq!(x.is_nan(), in_gap, "channel {ch}, sample {k}");
                assert_eq!(codes[ch][k] == MISSING_CODE, in_gap, "channel {ch}, sample {k}");
                let spiked = (ch == 4 && k == 512) || (ch == 2 && k == 308);
                if !in_gap && !spiked {
                    assert_eq!(x, plain.waveform.samples[ch][k], "channel {ch}, sample {k}");
                }
            }
        }
        // 99 A is beyond the 10 A full scale: the rail; IN is a channel of its own.
        assert_eq!(codes[4][512], max);
        assert_eq!(v.waveform.samples[4][512], 10.0);
        assert_eq!(v.waveform.samples[6][512], plain.waveform.samples[6][512]);
        assert_eq!(codes[2][308], -max);
        assert_eq!(v.waveform.samples[2][308], -400.0);
        // The truth is of the continuous model.
        assert_eq!(v.truth, plain.truth);
    }

    #[test]
    fn gap_sample_ranges_are_exact_on_the_sample_grid() {
        for fs in [4_000.0, 10_240.0, 12_800.0, 15_360.0] {
            for (first, count) in [(0, 1), (1, 100), (5_120, 100), (6_000, 100), (12_345, 7)] {
                let g = Gap::samples(first, count, fs);
                assert_eq!(g.sample_range(fs), first..first + count, "{fs} Hz");
            }
        }
        let between = Gap { start_s: 0.5 / 1000.0, duration_s: 2.0 / 1000.0 };
        assert_eq!(between.sample_range(1000.0), 1..3);
    }

    #[test]
    fn recipes_round_trip_through_json() {
        let r = Recipe::new("json", Topology::ThreePhase3W)
            .with_ramp(0.5)
            .with_u_harmonic(7, 3.0, 12.5)
            .with_noise(0.1, 0.001)
            .with_step(Step::dip(0.3, 0.05, &[1], 0.0))
            .with_quantisation(16, 400.0, 10.0)
            .with_nominal(60.0)
            .with_spike(0.25, "U12", 1e4)
            .with_gap(Gap::samples(50, 10, 10_240.0));
        let s = serde_json::to_string(&r).unwrap();
        let back: Recipe = serde_json::from_str(&s).unwrap();
        assert_eq!(back, r);
        assert!(s.contains("\"three_phase_3w\""));
        let bad = s.replace("\"seed\"", "\"sede\"");
        assert!(serde_json::from_str::<Recipe>(&bad).is_err());
    }

    #[test]
    fn omitted_voltage_phases_default_to_a_positive_sequence() {
        let json = r#"{
            "name": "short", "sample_rate_hz": 10240, "duration_s": 0.1,
            "topology": "three_phase_4w", "frequency": { "f0_hz": 50 },
            "phases": [ { "load_angle_deg": 30 }, {}, { "u_rms_v": 240, "u_phase_deg": 100 } ]
        }"#;
        let r: Recipe = serde_json::from_str(json).unwrap();
        let angles: Vec<f64> = r.phases.iter().map(|p| p.u_phase_deg).collect();
        assert_eq!(angles, [0.0, -120.0, 100.0]);
        assert_eq!(r.phases[0].u_rms_v, 230.0);
        assert_eq!(r.phases[0].load_angle_deg, 30.0);
        assert_eq!(r.phases[2].u_rms_v, 240.0);
        assert!(synthesize(&r).is_ok());
    }
}
