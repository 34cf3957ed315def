//! From what a source states to the engine's [`Config`]: one home for the topology from the
//! channel names, the declared voltage, the aggregation window and the channel ranges, used by
//! `percycle analyze`, certification and the bench alike.
//!
//! # Channel ranges
//!
//! The engine measures integer codes of a 24-bit range ([`DEFAULT_INPUT_LIMIT_LSB`]). A channel's
//! range is the full scale its source states ([`ChannelInfo::full_scale`]: a WAV sidecar, or
//! `--full-scale`); a sample at or beyond it is flagged `clipped` on its own cycle. A channel
//! whose source states none gets a fixed range that depends on nothing in the samples:
//! [`DEFAULT_VOLTAGE_RANGE_X_UDIN`] × √2 × Udin for a voltage (±1301 V at 230 V) and
//! [`DEFAULT_CURRENT_RANGE_A`] for a current; the analysis says so in a note. A channel's scale
//! never comes from its own peak, so one outlier spoils only its own cycle, which carries a flag.
//!
//! The quantisation step of those ranges is 1.55e-4 V and 1.19e-4 A. Its noise adds to an rms
//! value in quadrature: at 1 % of Udin the bias is below 1e-9 relative, at 10 mA below 1e-5.

use crate::en50160::{self, En50160Config};
use crate::source::{ChannelInfo, SourceInfo, Unit};
use anyhow::{bail, Result};
use percycle_engine::{ChannelCal, Config, ConfigError, Topology, DEFAULT_INPUT_LIMIT_LSB};

/// Peak range of a voltage channel without a stated full scale, in multiples of √2 × Udin:
/// swells to 400 % of Udin pass unclipped.
pub const DEFAULT_VOLTAGE_RANGE_X_UDIN: f64 = 4.0;

/// Peak range of a current channel without a stated full scale, A.
pub const DEFAULT_CURRENT_RANGE_A: f64 = 1000.0;

/// Options of an analysis; `None` picks the default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// Nominal mains frequency (50 or 60 Hz); default the source's (a COMTRADE line
    /// frequency), else 50.
    pub nominal_hz: Option<f32>,
    /// Declared voltage Udin, V, 1 V to 1 MV; default 230 (400 for 3P3W).
    pub declared_voltage: Option<f32>,
    /// Aggregation window for the "10-min" values, s, 0.2 to 86 400; default 600.
    pub aggregate_s: Option<f64>,
    /// EN 50160 observation period, s; default one week.
    pub observation_s: Option<f64>,
}

/// The engine configuration of a source, and how its channels map onto the engine's.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The configuration the engine runs with.
    pub config: Config,
    /// Source channel of each engine channel (frame order); `None` where the source has none.
    pub mapping: Vec<Option<usize>>,
    /// For the user: absent and ignored channels, ranges assumed.
    pub notes: Vec<String>,
}

/// Which engine topology a set of channel names fits, with the source index of each frame
/// channel and notes on absent and ignored channels.
///
/// # Errors
/// When the names fit no topology; the message lists the names found and those expected.
pub fn map_channels(names: &[String]) -> Result<(Topology, Vec<Option<usize>>, Vec<String>)> {
    let upper: Vec<String> = names.iter().map(|n| n.trim().to_ascii_uppercase()).collect();
    let find = |n: &str| upper.iter().position(|x| x == n);
    let has = |list: &[&str]| list.iter().all(|n| find(n).is_some());
    let topology = if has(&["U1", "U2", "U3", "I1", "I2", "I3"]) {
        Topology::ThreePhase4W
    } else if has(&["U12", "U32", "I1", "I3"]) {
        Topology::ThreePhase3W
    } else if has(&["U1"]) && find("U2").is_none() {
        Topology::SinglePhase
    } else {
        bail!(
            "channels [{}] fit no topology: expected U1,U2,U3,I1,I2,I3[,IN] (3P4W), \
             U12,U32,I1,I3 (3P3W) or U1[,I1] (single phase)",
            names.join(",")
        );
    };
    let wanted = topology.channel_names();
    let mapping: Vec<Option<usize>> = wanted.iter().map(|n| find(n)).collect();
    let mut notes = Vec::new();
    for (name, m) in wanted.iter().zip(&mapping) {
        if m.is_none() {
            notes.push(format!("channel {name} is not in the file: taken as zero"));
        }
    }
    for (k, n) in names.iter().enumerate() {
        if !mapping.contains(&Some(k)) {
            notes.push(format!("channel {n} is not used by the {topology:?} topology: ignored"));
        }
    }
    Ok((topology, mapping, notes))
}

/// The options applied to a configuration (no check).
fn apply(config: &mut Config, opts: &Options) {
    if let Some(v) = opts.declared_voltage {
        config.declared_voltage = v;
        config.zc_hysteresis_v = 0.02 * v;
    }
    if let Some(w) = opts.aggregate_s {
        config.aggregation.window_s = w as f32;
    }
}

/// Check the options that do not depend on the source, before anything is read: each is finite
/// and in its stated range (the engine's own validation, and the EN 50160 evaluator's of the
/// observation period); the error names the command-line option.
///
/// # Errors
/// The first option out of range, e.g. `option --aggregate-s NaN: 0.2 to 86400 s`.
pub fn check_options(opts: &Options) -> Result<()> {
    let nominal_hz = opts.nominal_hz.unwrap_or(50.0);
    let mut config = Config::new(Topology::SinglePhase, 10_000.0, nominal_hz);
    apply(&mut config, opts);
    // An f64 option is checked as given, not only as the f32 the engine keeps.
    let aggregate_ok = opts.aggregate_s.is_none_or(|w| (0.2..=86_400.0).contains(&w));
    let result = if aggregate_ok {
        config.validate()
    } else {
        Err(ConfigError::OutOfRange("aggregation.window_s"))
    };
    if let Err(e) = result {
        let option = match e {
            ConfigError::OutOfRange("nominal_hz") => {
                format!("--nominal-hz {nominal_hz}: 50 or 60")
            }
            ConfigError::OutOfRange("declared_voltage" | "zc_hysteresis_v") => format!(
                "--declared-voltage {}: 1 to 1000000 V",
                opts.declared_voltage.unwrap_or_default()
            ),
            ConfigError::OutOfRange("aggregation.window_s") => {
                format!("--aggregate-s {}: 0.2 to 86400 s", opts.aggregate_s.unwrap_or_default())
            }
            other => format!("{other}"),
        };
        bail!("option {option}");
    }
    let en = en50160_config(&config, opts);
    if let Err(e) = en.validate() {
        bail!(
            "option --observation-s {}: {e}",
            opts.observation_s.map_or("(default)".to_string(), |v| v.to_string())
        );
    }
    Ok(())
}

/// The EN 50160 evaluation of an engine configuration and the options.
pub fn en50160_config(config: &Config, opts: &Options) -> En50160Config {
    En50160Config {
        nominal_hz: config.nominal_hz as f64,
        declared_voltage: config.declared_voltage as f64,
        observation_s: opts.observation_s.unwrap_or(en50160::ONE_WEEK_S),
        aggregate_s: config.aggregation.window_s as f64,
        ..En50160Config::default()
    }
}

/// The range of a voltage channel without a stated full scale, V peak.
pub fn default_voltage_range(declared_voltage: f32) -> f64 {
    DEFAULT_VOLTAGE_RANGE_X_UDIN * std::f64::consts::SQRT_2 * declared_voltage as f64
}

/// The engine setup of a source: topology from the channel names, each channel's range from
/// its stated full scale (else the fixed default of its kind), the options applied and checked.
///
/// # Errors
/// An option out of range, names that fit no topology, a channel whose unit contradicts its
/// place (a current in a voltage slot), a full scale that is not finite and positive, or a
/// configuration the engine refuses (the message names the source's rate and channels).
pub fn setup(info: &SourceInfo, opts: &Options) -> Result<Setup> {
    check_options(opts)?;
    let names = info.names();
    let (topology, mapping, mut notes) = map_channels(&names)?;
    // The user's nominal frequency, else the one the source states (a COMTRADE line
    // frequency), else 50 Hz.
    let nominal_hz = opts.nominal_hz.or(info.nominal_hz.map(|f| f as f32)).unwrap_or(50.0);
    let mut config = Config::new(topology, info.sample_rate_hz as f32, nominal_hz);
    apply(&mut config, opts);
    let mut assumed: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    for (c, (slot, m)) in topology.channel_names().iter().zip(&mapping).enumerate() {
        let want = Unit::of_name(slot).unwrap_or(Unit::Volt);
        let Some(k) = *m else {
            config.calibration[c] = ChannelCal::for_full_scale(1.0);
            continue;
        };
        let ChannelInfo { name, unit, full_scale } = &info.channels[k];
        if let Some(u) = unit {
            if *u != want {
                bail!(
                    "{}: channel {name} is in {} but the {slot} input of the {topology:?} \
                     topology measures {}",
                    info.path.display(),
                    u.symbol(),
                    want.symbol()
                );
            }
        }
        let full = match full_scale {
            Some(f) if f.is_finite() && *f > 0.0 && *f <= 1e9 => *f,
            Some(f) => bail!(
                "{}: channel {name}: full scale {f} {}: it must be finite, above 0 and at most \
                 1e9",
                info.path.display(),
                want.symbol()
            ),
            None => {
                assumed[(want == Unit::Ampere) as usize].push(name);
                match want {
                    Unit::Volt => default_voltage_range(config.declared_voltage),
                    Unit::Ampere => DEFAULT_CURRENT_RANGE_A,
                }
            }
        };
        config.calibration[c] = ChannelCal::for_full_scale(full as f32);
    }
    config.input_limit_lsb = DEFAULT_INPUT_LIMIT_LSB;
    if !assumed[0].is_empty() {
        notes.push(format!(
            "{}: no converter range stated: ±{:.1} V peak assumed ({DEFAULT_VOLTAGE_RANGE_X_UDIN} \
             × √2 × Udin); a sample beyond it is flagged clipped (state it with --full-scale U=…)",
            assumed[0].join(", "),
            default_voltage_range(config.declared_voltage)
        ));
    }
    if !assumed[1].is_empty() {
        notes.push(format!(
            "{}: no converter range stated: ±{DEFAULT_CURRENT_RANGE_A} A peak assumed; a sample \
             beyond it is flagged clipped (state it with --full-scale I=…)",
            assumed[1].join(", ")
        ));
    }
    if let Err(e) = config.validate() {
        bail!(
            "{}: {e} (the file: {} Hz sample rate, channels {}; nominal {nominal_hz} Hz)",
            info.path.display(),
            info.sample_rate_hz,
            names.join(",")
        );
    }
    Ok(Setup { config, mapping, notes })
}
