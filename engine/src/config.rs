//! Validated engine configuration: sample rate, mains, topology, calibration, energy settings.

use core::fmt;

/// Largest number of input channels in a frame (3P4W: U1, U2, U3, I1, I2, I3, IN).
pub const MAX_CHANNELS: usize = 7;

/// Largest ADC code magnitude the engine accepts; larger codes are clipped and flagged.
///
/// 25-bit signed range: squares fit in 2^48 and a cycle of up to 2^14 samples sums into an `i64`
/// without overflow, whatever the samples are.
pub const CODE_LIMIT: i32 = (1 << 24) - 1;

/// The code that marks a missing sample (a gap in the recording, a lost ADC frame): the engine
/// takes it as no data, never as a value. Float inputs mark missing samples with NaN or ±∞.
pub const CODE_MISSING: i32 = i32::MIN;

/// Default input range: the rail of a 24-bit converter, and the code range that
/// [`ChannelCal::for_full_scale`] spans.
pub const DEFAULT_INPUT_LIMIT_LSB: i32 = (1 << 23) - 1;

/// Largest phase-correction delay magnitude, in samples.
pub const MAX_DELAY_SAMPLES: f32 = 2.0;

/// How the meter is connected; fixes the channel order of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Topology {
    /// One phase: frame `[U1, I1]`.
    SinglePhase,
    /// Three phases, four wires: frame `[U1, U2, U3, I1, I2, I3, IN]`, voltages to neutral.
    ThreePhase4W,
    /// Three phases, three wires (Aron connection): frame `[U12, U32, I1, I3]`.
    ///
    /// Reports carry element 1 (U12, I1) in the phase-1 slots and element 2 (U32, I3) in the
    /// phase-3 slots; phase-2 slots stay zero. Totals are the sum of the two elements.
    ThreePhase3W,
}

impl Topology {
    /// Number of channels in one frame.
    pub const fn channels(self) -> usize {
        match self {
            Topology::SinglePhase => 2,
            Topology::ThreePhase4W => 7,
            Topology::ThreePhase3W => 4,
        }
    }

    /// Channel names in frame order.
    pub const fn channel_names(self) -> &'static [&'static str] {
        match self {
            Topology::SinglePhase => &["U1", "I1"],
            Topology::ThreePhase4W => &["U1", "U2", "U3", "I1", "I2", "I3", "IN"],
            Topology::ThreePhase3W => &["U12", "U32", "I1", "I3"],
        }
    }

    /// Frame index of the voltage and current of each phase slot, and of the neutral current.
    pub(crate) const fn roles(self) -> Roles {
        match self {
            Topology::SinglePhase => {
                Roles { u: [Some(0), None, None], i: [Some(1), None, None], neutral: None }
            }
            Topology::ThreePhase4W => Roles {
                u: [Some(0), Some(1), Some(2)],
                i: [Some(3), Some(4), Some(5)],
                neutral: Some(6),
            },
            Topology::ThreePhase3W => {
                Roles { u: [Some(0), None, Some(1)], i: [Some(2), None, Some(3)], neutral: None }
            }
        }
    }
}

/// Frame positions of each phase's voltage and current.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Roles {
    pub u: [Option<usize>; 3],
    pub i: [Option<usize>; 3],
    pub neutral: Option<usize>,
}

impl Roles {
    /// No channel has a role.
    pub const NONE: Self = Self { u: [None; 3], i: [None; 3], neutral: None };
}

/// Calibration of one channel.
///
/// The engineering value of a code is `gain * (code - offset_lsb)`, taken at time
/// `t - delay_samples / sample_rate` (a positive delay shifts the channel later, i.e. corrects a
/// channel that leads). The f32 input path quantises volts and amperes to this channel's LSB
/// (`gain`) before the same processing, so `gain` is also the resolution of that path.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChannelCal {
    /// Volts or amperes per ADC code (LSB).
    pub gain: f32,
    /// ADC code that means zero volts or amperes.
    pub offset_lsb: i32,
    /// Phase correction as a fractional-sample delay, within ±[`MAX_DELAY_SAMPLES`].
    pub delay_samples: f32,
}

impl ChannelCal {
    /// Calibration whose code range (±2^23) spans `±full_scale_peak` volts or amperes.
    pub fn for_full_scale(full_scale_peak: f32) -> Self {
        Self { gain: full_scale_peak / 8_388_608.0, offset_lsb: 0, delay_samples: 0.0 }
    }
}

impl Default for ChannelCal {
    fn default() -> Self {
        Self::for_full_scale(1000.0)
    }
}

/// Engine configuration. Build it with [`Config::new`] and adjust the public fields; the
/// [`crate::Meter`] checks it once at construction.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Config {
    /// ADC sample rate in Hz, 400..=32 000 (below 5.75 kHz at 50 Hz the highest harmonic order
    /// is lower than 50: [`Config::max_order`]).
    pub sample_rate_hz: f32,
    /// Nominal mains frequency in Hz: 50 or 60.
    pub nominal_hz: f32,
    /// Declared supply voltage Udin (phase to neutral; line to line for 3P3W), V rms, 1..=10⁶.
    pub declared_voltage: f32,
    /// Nominal (CT secondary or primary) current In, A rms; scales the default creep threshold.
    pub nominal_current: f32,
    /// Connection and channel order.
    pub topology: Topology,
    /// Calibration per channel in frame order; entries past the topology's channel count are ignored.
    pub calibration: [ChannelCal; MAX_CHANNELS],
    /// Meter constant in impulses per kWh (and per kvarh for the reactive pulse outputs).
    pub meter_constant_imp_per_kwh: u32,
    /// Anti-creep threshold: a phase whose cycle current rms is below this registers no energy, A.
    pub creep_current: f32,
    /// Zero-crossing hysteresis of the reference voltage, V (the reference must pass ±this).
    pub zc_hysteresis_v: f32,
    /// Input range in codes (after the offset): a sample whose magnitude reaches it is taken as
    /// clipped by the converter ([`crate::Flags::CLIPPED`] on the cycles that hold it), and one
    /// beyond it (a float input over the full scale) is clipped to it. 1..=[`CODE_LIMIT`];
    /// default [`DEFAULT_INPUT_LIMIT_LSB`], the rail of a 24-bit converter.
    pub input_limit_lsb: i32,
    /// Cycles with a locked fundamental that are flagged [`crate::Flags::SETTLING`] after start
    /// or reset, before Urms(1/2), the intervals and the detectors take values.
    pub settle_cycles: u16,
    /// Subtract each cycle's mean before taking rms (`E[x²] − E[x]²`). Off by default: rms is the
    /// true rms including any DC component, as an energy meter sees it.
    pub dc_removal: bool,
    /// Voltage events (dips, swells, interruptions) on Urms(1/2).
    pub events: EventConfig,
    /// Which analyses beyond the per-cycle core run (both on by default).
    pub analysis: Analysis,
    /// Clock windows of the 10-min and 2-h aggregation.
    pub aggregation: crate::aggregate::AggregationConfig,
}

/// Switches for the analyses beyond the per-cycle core (rms, power, fundamental phasors,
/// frequency, flags, energy registers and pulses), which always runs. Turning an analysis off
/// saves its processing time; the core numbers stay bit for bit the same either way.
///
/// # Examples
///
/// ```
/// use percycle_engine::{Analysis, Config, Meter, Topology};
/// let mut cfg = Config::new(Topology::ThreePhase4W, 10_240.0, 50.0);
/// // A plain energy meter: no harmonics, no power-quality monitoring.
/// cfg.analysis = Analysis { harmonics: false, power_quality: false, cycle_spectra: false };
/// let meter: Meter = Meter::new(cfg).unwrap();
/// assert!(!meter.config().analysis.harmonics);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Analysis {
    /// Per-cycle spectrum (orders 0..=50, THD) and the IEC 61000-4-7 interval window. Off: no
    /// resampling and no FFT; the [`crate::CycleSpectrum`] stays zero, every THD field of the
    /// [`crate::CycleReport`] (and of a [`crate::Snapshot`]) is 0, and no
    /// [`crate::Output::Interval`] is produced. The 10/12-cycle rms that drives the sliding
    /// reference of the event detectors is still kept.
    pub harmonics: bool,
    /// Power quality: Urms(1/2), dips, swells and interruptions, rapid voltage changes, the
    /// conditions (missing phase, broken neutral, phase sequence, low voltage), grid snapshots
    /// and the 10-s power frequency. Off: `u_rms_half` is 0, [`crate::Flags::EVENT`] is never
    /// set, and no [`crate::Output::Event`], [`crate::Output::Frequency`] or
    /// [`crate::Output::Snapshot`] is produced.
    pub power_quality: bool,
    /// The per-cycle spectrum and THD, with `harmonics` on. Off: the
    /// [`crate::CycleSpectrum`] and the per-cycle THD stay zero while the IEC 61000-4-7
    /// interval is still produced (a PQ instrument needs only the interval; a meter that shows
    /// THD per cycle needs both).
    pub cycle_spectra: bool,
}

impl Default for Analysis {
    /// Everything on.
    fn default() -> Self {
        Self { harmonics: true, power_quality: true, cycle_spectra: true }
    }
}

/// Thresholds of the voltage-event detectors, in % of the reference voltage (the declared
/// voltage, or the sliding reference).
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EventConfig {
    /// A dip starts when a phase's Urms(1/2) falls below this (default 90 %).
    pub dip_threshold_pct: f32,
    /// A swell starts when a phase's Urms(1/2) rises above this (default 110 %).
    pub swell_threshold_pct: f32,
    /// An interruption starts when every phase is below this (default 5 %).
    pub interruption_threshold_pct: f32,
    /// Hysteresis for the end of every event (default 2 %).
    pub hysteresis_pct: f32,
    /// Use the sliding reference (the 10/12-cycle rms through a 1-minute first-order low-pass)
    /// for dips and swells instead of the declared voltage.
    pub sliding_reference: bool,
    /// Rapid voltage change threshold: a phase is steady while its last 100/120 Urms(1/2) values
    /// stay within ± this of their mean (default 3 %).
    pub rvc_threshold_pct: f32,
    /// Rapid voltage change hysteresis (default 1.5 %, half the threshold).
    pub rvc_hysteresis_pct: f32,
    /// A phase is missing while its cycle rms is below this and another phase is above the dip
    /// threshold (default 10 %).
    pub missing_phase_pct: f32,
    /// Broken neutral: zero-sequence voltage |U0| above this % of the mean phase voltage, with
    /// a negative sequence below half of it (default 10 %).
    pub broken_neutral_u0_pct: f32,
    /// Low supply voltage indicator threshold, V (default 160 V).
    pub low_voltage_v: f32,
}

impl EventConfig {
    /// Every threshold zero (an unconfigured meter's detector settings).
    pub(crate) const ZERO: Self = Self {
        dip_threshold_pct: 0.0,
        swell_threshold_pct: 0.0,
        interruption_threshold_pct: 0.0,
        hysteresis_pct: 0.0,
        sliding_reference: false,
        rvc_threshold_pct: 0.0,
        rvc_hysteresis_pct: 0.0,
        missing_phase_pct: 0.0,
        broken_neutral_u0_pct: 0.0,
        low_voltage_v: 0.0,
    };
}

impl Default for EventConfig {
    fn default() -> Self {
        Self {
            dip_threshold_pct: 90.0,
            swell_threshold_pct: 110.0,
            interruption_threshold_pct: 5.0,
            hysteresis_pct: 2.0,
            sliding_reference: false,
            rvc_threshold_pct: 3.0,
            rvc_hysteresis_pct: 1.5,
            missing_phase_pct: 10.0,
            broken_neutral_u0_pct: 10.0,
            low_voltage_v: 160.0,
        }
    }
}

impl Config {
    /// Every field zero: the configuration of [`crate::Meter::UNCONFIGURED`], which
    /// [`Config::validate`] rejects.
    pub(crate) const ZERO: Self = Self {
        sample_rate_hz: 0.0,
        nominal_hz: 0.0,
        declared_voltage: 0.0,
        nominal_current: 0.0,
        topology: Topology::SinglePhase,
        calibration: [ChannelCal { gain: 0.0, offset_lsb: 0, delay_samples: 0.0 }; MAX_CHANNELS],
        meter_constant_imp_per_kwh: 0,
        creep_current: 0.0,
        zc_hysteresis_v: 0.0,
        input_limit_lsb: 0,
        settle_cycles: 0,
        dc_removal: false,
        events: EventConfig::ZERO,
        analysis: Analysis { harmonics: false, power_quality: false, cycle_spectra: false },
        aggregation: crate::aggregate::AggregationConfig::ZERO,
    };

    /// Defaults of the reference product (230 V, 5 A CT, 10 000 imp/kWh) for a topology, rate
    /// and nominal frequency. Calibration defaults to ±1000 V / ±1000 A full scale per code range.
    pub fn new(topology: Topology, sample_rate_hz: f32, nominal_hz: f32) -> Self {
        let mut calibration = [ChannelCal::default(); MAX_CHANNELS];
        let roles = topology.roles();
        for c in roles.i.iter().flatten().chain(roles.neutral.iter()) {
            calibration[*c] = ChannelCal::for_full_scale(100.0);
        }
        let declared_voltage = match topology {
            Topology::ThreePhase3W => 400.0,
            _ => 230.0,
        };
        Self {
            sample_rate_hz,
            nominal_hz,
            declared_voltage,
            nominal_current: 5.0,
            topology,
            calibration,
            meter_constant_imp_per_kwh: 10_000,
            creep_current: 5.0 * 0.0004,
            zc_hysteresis_v: declared_voltage * 0.02,
            input_limit_lsb: DEFAULT_INPUT_LIMIT_LSB,
            settle_cycles: 2,
            dc_removal: false,
            events: EventConfig::default(),
            analysis: Analysis::default(),
            aggregation: crate::aggregate::AggregationConfig::default(),
        }
    }

    /// Check every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        use ConfigError::OutOfRange;
        if !(400.0..=32_000.0).contains(&self.sample_rate_hz) {
            return Err(OutOfRange("sample_rate_hz"));
        }
        if self.nominal_hz != 50.0 && self.nominal_hz != 60.0 {
            return Err(OutOfRange("nominal_hz"));
        }
        // From 1 V to 1 MV (a primary-side transmission voltage); beyond, the tracker's
        // hysteresis (2 % of it) would never be passed.
        if !(1.0..=1.0e6).contains(&self.declared_voltage) {
            return Err(OutOfRange("declared_voltage"));
        }
        if !(self.nominal_current.is_finite() && self.nominal_current > 0.0) {
            return Err(OutOfRange("nominal_current"));
        }
        if self.meter_constant_imp_per_kwh == 0 || self.meter_constant_imp_per_kwh > 1_000_000 {
            return Err(OutOfRange("meter_constant_imp_per_kwh"));
        }
        if !(self.creep_current.is_finite() && self.creep_current >= 0.0) {
            return Err(OutOfRange("creep_current"));
        }
        // From one basic interval (0.2 s) to a day.
        if !(0.2..=86_400.0).contains(&self.aggregation.window_s) {
            return Err(OutOfRange("aggregation.window_s"));
        }
        if !(self.aggregation.anchor_s.is_finite() && self.aggregation.anchor_s >= 0.0) {
            return Err(OutOfRange("aggregation.anchor_s"));
        }
        if !(1..=CODE_LIMIT).contains(&self.input_limit_lsb) {
            return Err(OutOfRange("input_limit_lsb"));
        }
        if !(self.zc_hysteresis_v.is_finite() && self.zc_hysteresis_v > 0.0) {
            return Err(OutOfRange("zc_hysteresis_v"));
        }
        let e = &self.events;
        let pct = |v: f32| v.is_finite() && (0.0..=200.0).contains(&v);
        if !pct(e.hysteresis_pct)
            || e.hysteresis_pct >= e.interruption_threshold_pct.max(1.0) * 10.0
        {
            return Err(OutOfRange("events.hysteresis_pct"));
        }
        if !pct(e.interruption_threshold_pct) || e.interruption_threshold_pct >= e.dip_threshold_pct
        {
            return Err(OutOfRange("events.interruption_threshold_pct"));
        }
        if !pct(e.dip_threshold_pct) || e.dip_threshold_pct >= 100.0 {
            return Err(OutOfRange("events.dip_threshold_pct"));
        }
        if !pct(e.swell_threshold_pct) || e.swell_threshold_pct <= 100.0 {
            return Err(OutOfRange("events.swell_threshold_pct"));
        }
        if !pct(e.rvc_threshold_pct) || e.rvc_threshold_pct <= 0.0 {
            return Err(OutOfRange("events.rvc_threshold_pct"));
        }
        if !pct(e.rvc_hysteresis_pct) || e.rvc_hysteresis_pct >= e.rvc_threshold_pct {
            return Err(OutOfRange("events.rvc_hysteresis_pct"));
        }
        if !pct(e.missing_phase_pct) || !pct(e.broken_neutral_u0_pct) {
            return Err(OutOfRange("events.missing_phase_pct"));
        }
        if !(e.low_voltage_v.is_finite() && e.low_voltage_v >= 0.0) {
            return Err(OutOfRange("events.low_voltage_v"));
        }
        for cal in &self.calibration[..self.topology.channels()] {
            if !(cal.gain.is_finite() && cal.gain > 0.0) {
                return Err(OutOfRange("calibration.gain"));
            }
            if cal.offset_lsb.unsigned_abs() > CODE_LIMIT as u32 {
                return Err(OutOfRange("calibration.offset_lsb"));
            }
            if !(cal.delay_samples.is_finite() && cal.delay_samples.abs() <= MAX_DELAY_SAMPLES) {
                return Err(OutOfRange("calibration.delay_samples"));
            }
        }
        Ok(())
    }

    /// Sample period in seconds.
    pub fn sample_period_s(&self) -> f64 {
        1.0 / self.sample_rate_hz as f64
    }

    /// The highest harmonic order this configuration measures: the largest `h ≤ MAX_ORDER`
    /// whose frequency stays below the Nyquist frequency at the top of the measuring range
    /// (`h · 57.5 Hz < fs/2` at 50 Hz, `h · 69 Hz < fs/2` at 60 Hz): 3 at 400 Hz, 10 at
    /// 1.2 kHz, 34 at 4 kHz, 50 from 5.75 kHz (50 Hz) or 6.9 kHz (60 Hz) up. Harmonic values,
    /// subgroups and interharmonic subgroups above it are absent (reported as 0, which the
    /// writers print as empty), and THD and THDS sum orders 2 up to it.
    pub fn max_order(&self) -> usize {
        let top = if self.nominal_hz == 60.0 { 69.0 } else { 57.5 };
        let h = (0.5 * self.sample_rate_hz / top) as usize;
        // Strictly below Nyquist.
        let h = if h as f32 * top >= 0.5 * self.sample_rate_hz { h.saturating_sub(1) } else { h };
        h.min(crate::spectrum::MAX_ORDER)
    }
}

/// A configuration the engine cannot run with. Raised only by construction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The named field is outside its documented range.
    OutOfRange(&'static str),
    /// The sample ring is too short for the longest cycle at this sample rate.
    RingTooSmall {
        /// Samples the configuration needs.
        needed: usize,
        /// Samples the `Meter` type was built with.
        ring: usize,
    },
    /// The interval window is too short for the 50th harmonic at this nominal frequency.
    WindowTooSmall {
        /// Points the configuration needs.
        needed: usize,
        /// Points the `Meter` type was built with.
        window: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::OutOfRange(field) => {
                write!(f, "configuration field `{field}` is out of range")
            }
            ConfigError::RingTooSmall { needed, ring } => write!(
                f,
                "sample ring of {ring} samples is too short: this sample rate needs {needed}"
            ),
            ConfigError::WindowTooSmall { needed, window } => write!(
                f,
                "interval window of {window} points is too short: this nominal frequency needs {needed}"
            ),
        }
    }
}

impl core::error::Error for ConfigError {}
