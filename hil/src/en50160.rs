//! EN 50160 evaluation of IEC 61000-4-30 aggregates and voltage events (host side).
//!
//! The inputs are plain data defined here ([`TenMinuteValue`], [`TenSecondFrequency`],
//! [`VoltageEvent`]), so this module does not depend on the engine's types. The engine's
//! aggregates are mapped into them elsewhere; this module only counts and judges them.
//!
//! # Counting
//!
//! For every parameter and observation period (one week by default):
//!
//! * `N`: valid values, i.e. values that are not flagged and are finite. A flagged 10-min value is
//!   left out of every parameter it carries (IEC 61000-4-30 flagging: intervals containing a dip,
//!   swell or interruption; the mapper also flags intervals with the voltage outside ±15 %). A
//!   flagged 10-s frequency value is left out of the frequency counts. This module does not flag
//!   anything itself: a supply-voltage value at −15.1 % that arrives unflagged is counted, and
//!   lands in `N2`.
//! * `N1`: valid values outside the 95 % band (99.5 % band for frequency in an interconnected
//!   system).
//! * `N2`: valid values outside the 100 % band. Parameters without a 100 % band have `N2 = 0`.
//!
//! A parameter passes when `N1/N ≤ 5 %` (`≤ 0.5 %` for interconnected frequency) and `N2 = 0`.
//! The ratio is compared in integers (`1000·N1 ≤ 50·N`, or `≤ 5·N`), so 50 of 1008 (4.96 %)
//! passes and 51 of 1008 (5.06 %) fails without rounding questions. A parameter with `N = 0`
//! passes and carries a note.
//!
//! # Limits (EN 50160:2010, LV)
//!
//! | parameter | 95 % band (99.5 % for interconnected frequency) | 100 % band |
//! |---|---|---|
//! | power frequency, interconnected | fn ±1 % (49.5…50.5 Hz) | fn +4 %/−6 % (47…52 Hz) |
//! | power frequency, islanded | fn ±2 % | fn ±15 % |
//! | supply voltage, per phase (10-min rms) | Un ±10 % | Un +10 %/−15 % |
//! | unbalance u2 | ≤ 2 % | none |
//! | THD (orders 2…40), per phase | ≤ 8 % | none |
//! | harmonic h = 2…25, per phase | [`harmonic_limit_pct`] (% of the fundamental) | none |
//!
//! Band edges belong to the band: 253.0 V with Un = 230 V is inside ±10 %. Frequency limits scale
//! with `nominal_hz`, so at 60 Hz the bands are 59.4…60.6 Hz and 56.4…62.4 Hz.
//!
//! # Observation periods
//!
//! Periods are `observation_s` long and start at the earliest start time among all inputs. The
//! data end is the latest end among all inputs (10-min values last 600 s, frequency values 10 s,
//! events their duration). Every value and event belongs to the period that contains its start.
//! A period is `complete` when the data end reaches the period's end; only the last period can be
//! partial. Setting `observation_s` to a short span (e.g. 3600 s with six 10-min values) evaluates
//! a compressed "week" as one complete period.
//!
//! EN 50160:2010 evaluates power frequency over a year. With `frequency_observation_s = None`
//! (the default) the frequency is evaluated over the same periods as everything else and appears
//! as `power_frequency` in each [`PeriodReport`]. With `Some(span)` it is evaluated over its own
//! periods of `span` seconds (same origin), reported in [`En50160Report::frequency_periods`], and
//! the weekly periods carry no `power_frequency` entry.
//!
//! # Events
//!
//! Events are counted per period; they never decide a verdict (EN 50160 gives indicative numbers
//! for events, not limits). Dips go into the 5×5 grid of [`dip_cell`], swells into the 2×3 grid
//! of [`swell_cell`]; events outside a grid (e.g. a dip longer than 60 s) are counted as
//! `unclassified` in that table. Interruptions are counted as short (≤ 180 s) or long (> 180 s)
//! and are not also put in the dip grid's X row, which holds dips whose residual fell below 5 %
//! without being interruptions (not every phase below the threshold). RVC events are counted.
//!
//! # Edges and floating point
//!
//! Every comparison (band edges, grid edges, the 180 s interruption limit, period boundaries) is
//! made on values rounded to 1e-9 of their unit (nanoseconds; 1e-9 % for percentages). The
//! tables' decimal edges are therefore met exactly by values that equal them up to `f64`
//! rounding: a duration of `0.9 - 0.7` s (0.20000000000000007) is 200 ms and lands in column 1,
//! and a swell maximum of `1.1 * 100.0` % (110.00000000000001) is 110 % and is not a swell. Any
//! difference of 1e-9 or more is seen.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// One week in seconds, the default observation period.
pub const ONE_WEEK_S: f64 = 604_800.0;
/// Longest interruption counted as short, in seconds (3 min); longer ones are long.
pub const SHORT_INTERRUPTION_MAX_S: f64 = 180.0;
/// Most observation periods one evaluation may produce (weekly and frequency periods each).
pub const MAX_PERIODS: usize = 10_000;
/// Length of a 10-min aggregate, in seconds.
const TEN_MINUTES_S: f64 = 600.0;
/// Length of a 10-s frequency value, in seconds.
const TEN_SECONDS_S: f64 = 10.0;
/// Highest harmonic order with an EN 50160 limit.
pub const MAX_HARMONIC_ORDER: usize = 25;

/// One 10-minute aggregate (IEC 61000-4-30), per phase where relevant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenMinuteValue {
    /// Start of the interval, s (any epoch, the same for all inputs).
    pub start_s: f64,
    /// Interval flagged (dip, swell or interruption inside, or voltage outside ±15 %): excluded.
    pub flagged: bool,
    /// 10-min rms voltage per phase, V.
    pub u_rms_v: Vec<f64>,
    /// Negative-sequence unbalance u2 = U−/U+, %; `None` when not measured (e.g. single phase).
    pub u2_unbalance_pct: Option<f64>,
    /// Voltage THD per phase (orders 2…40), % of the fundamental.
    pub thd_pct: Vec<f64>,
    /// Individual harmonic voltages `[phase][h]` for h = 0..=25, % of the fundamental. Entries 0
    /// and 1 are not used; a row shorter than 26 leaves the missing orders uncounted.
    pub harmonics_pct: Vec<Vec<f64>>,
}

/// One 10-second power-frequency value (IEC 61000-4-30).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenSecondFrequency {
    /// Start of the 10-s interval, s.
    pub start_s: f64,
    /// Mean frequency over the interval, Hz.
    pub frequency_hz: f64,
    /// Interval flagged: excluded.
    pub flagged: bool,
}

/// Kind of a voltage event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// Voltage dip (residual below 90 % of the declared voltage on at least one phase).
    #[doc(alias = "sag")]
    Dip,
    /// Voltage swell (maximum above 110 % of the declared voltage).
    Swell,
    /// Interruption (every phase below the interruption threshold).
    Interruption,
    /// Rapid voltage change.
    Rvc,
}

/// One polyphase-aggregated voltage event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoltageEvent {
    /// What happened.
    pub kind: EventKind,
    /// Start, s.
    pub start_s: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Residual (dip, interruption) or maximum (swell) in % of the declared voltage; not used for
    /// RVC.
    pub extreme_pct: f64,
}

/// Settings of an evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct En50160Config {
    /// Nominal power frequency, Hz (50 or 60); the frequency bands scale with it.
    pub nominal_hz: f64,
    /// Declared supply voltage Un (Udin), V, as measured per phase.
    pub declared_voltage: f64,
    /// Observation period, s; one week ([`ONE_WEEK_S`]) by default. A shorter span lets a short
    /// recording be evaluated as complete periods.
    pub observation_s: f64,
    /// Synchronous (interconnected) system: frequency ±1 % for 99.5 %, +4 %/−6 % for 100 %.
    /// Otherwise (islanded): ±2 % for 95 %, ±15 % for 100 %.
    pub interconnected: bool,
    /// Observation period for power frequency, s. EN 50160:2010 uses a year. `None` (default)
    /// evaluates frequency over `observation_s`, inside each period; see the module docs.
    pub frequency_observation_s: Option<f64>,
    /// Length of the "10-min" values, s: 600 unless the aggregation window was shortened to let
    /// a short recording stand for a long one.
    #[serde(default = "ten_minutes")]
    pub aggregate_s: f64,
}

fn ten_minutes() -> f64 {
    TEN_MINUTES_S
}

impl Default for En50160Config {
    /// 50 Hz, 230 V, one week, interconnected, frequency over the same week.
    fn default() -> Self {
        Self {
            nominal_hz: 50.0,
            declared_voltage: 230.0,
            observation_s: ONE_WEEK_S,
            interconnected: true,
            frequency_observation_s: None,
            aggregate_s: TEN_MINUTES_S,
        }
    }
}

impl En50160Config {
    /// Checks that every number is usable.
    ///
    /// # Errors
    ///
    /// [`En50160Error::InvalidConfig`] naming the first field that is not finite and positive.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_hil::en50160::En50160Config;
    /// let cfg = En50160Config { observation_s: 0.0, ..En50160Config::default() };
    /// assert!(cfg.validate().is_err());
    /// assert!(En50160Config::default().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), En50160Error> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(self.nominal_hz) {
            return Err(En50160Error::InvalidConfig("nominal_hz"));
        }
        if !positive(self.declared_voltage) {
            return Err(En50160Error::InvalidConfig("declared_voltage"));
        }
        if !positive(self.observation_s) || nano(self.observation_s).is_none_or(|n| n <= 0) {
            return Err(En50160Error::InvalidConfig("observation_s"));
        }
        if let Some(f) = self.frequency_observation_s {
            if !positive(f) || nano(f).is_none_or(|n| n <= 0) {
                return Err(En50160Error::InvalidConfig("frequency_observation_s"));
            }
        }
        Ok(())
    }
}

/// Why an evaluation could not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum En50160Error {
    /// A configuration field is not finite and positive.
    #[error("invalid configuration: {0} must be finite and greater than zero")]
    InvalidConfig(&'static str),
    /// An input has a start time that is not finite.
    #[error("{what}[{index}] has a start time that is not finite")]
    NonFiniteStart {
        /// Which input slice (`freq`, `ten_min` or `events`).
        what: &'static str,
        /// Index in that slice.
        index: usize,
    },
    /// An event's duration is negative or not finite, or its extreme is not finite.
    #[error("events[{index}] needs a finite duration >= 0 and a finite extreme_pct")]
    InvalidEvent {
        /// Index in the event slice.
        index: usize,
    },
    /// The data span divided by the observation period gives too many periods.
    #[error("{periods} observation periods exceed the limit of {max}")]
    TooManyPeriods {
        /// Periods the data would need.
        periods: usize,
        /// [`MAX_PERIODS`].
        max: usize,
    },
}

/// The judgement of one parameter over one observation period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterVerdict {
    /// `power_frequency`, `supply_voltage_L1`, `unbalance`, `thd_L1`, `harmonic_5_L1`, …
    pub parameter: String,
    /// Valid (unflagged, finite) values.
    pub n: usize,
    /// Valid values outside the 95 % band (99.5 % for interconnected frequency).
    pub n1: usize,
    /// Valid values outside the 100 % band (always 0 without one).
    pub n2: usize,
    /// The limits, as text for people.
    pub limit: String,
    /// `N1/N` within the allowed share and `N2 = 0` (true when `N = 0`).
    pub pass: bool,
    /// Remark, e.g. that there were no valid values.
    pub note: Option<String>,
}

impl ParameterVerdict {
    /// `N1/N` in percent, `None` when `N = 0`.
    pub fn n1_pct(&self) -> Option<f64> {
        (self.n > 0).then(|| 100.0 * self.n1 as f64 / self.n as f64)
    }
}

/// Event counts in a classification grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassTable {
    /// Row labels (residual or maximum voltage in % of the declared voltage).
    pub rows: Vec<String>,
    /// Column labels (duration).
    pub columns: Vec<String>,
    /// Cell names, `[row][column]` (e.g. `"A1"`).
    pub cells: Vec<Vec<String>>,
    /// Counts, `[row][column]`.
    pub counts: Vec<Vec<usize>>,
    /// Events of this kind that fall outside the grid.
    pub unclassified: usize,
}

impl ClassTable {
    fn new(rows: &[&str], columns: &[&str], cells: &[&[&str]]) -> Self {
        Self {
            rows: rows.iter().map(|s| s.to_string()).collect(),
            columns: columns.iter().map(|s| s.to_string()).collect(),
            cells: cells.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect(),
            counts: vec![vec![0; columns.len()]; rows.len()],
            unclassified: 0,
        }
    }

    /// Count in the cell called `name` (e.g. `"B2"`), `None` if no such cell.
    pub fn count(&self, name: &str) -> Option<usize> {
        self.cells
            .iter()
            .zip(&self.counts)
            .find_map(|(names, counts)| names.iter().position(|n| n == name).map(|c| counts[c]))
    }

    /// Events counted in the grid (without `unclassified`).
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }
}

/// The evaluation of one observation period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodReport {
    /// Zero-based position of the period.
    pub index: usize,
    /// Start, s (same epoch as the inputs).
    pub start_s: f64,
    /// End (exclusive), s.
    pub end_s: f64,
    /// The data reach the end of the period.
    pub complete: bool,
    /// Verdicts, in the order frequency (when evaluated per period), supply voltage per phase,
    /// unbalance, THD per phase, harmonics (order by order, each per phase).
    pub parameters: Vec<ParameterVerdict>,
    /// Dips per cell of [`dip_cell`].
    pub dips: ClassTable,
    /// Swells per cell of [`swell_cell`].
    pub swells: ClassTable,
    /// Interruptions of at most 180 s.
    pub short_interruptions: usize,
    /// Interruptions longer than 180 s.
    pub long_interruptions: usize,
    /// Rapid voltage changes.
    pub rvc: usize,
    /// Every parameter passes.
    pub pass: bool,
}

/// The power-frequency evaluation over one frequency observation period (used when
/// `frequency_observation_s` is set).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrequencyPeriodReport {
    /// Zero-based position of the period.
    pub index: usize,
    /// Start, s.
    pub start_s: f64,
    /// End (exclusive), s.
    pub end_s: f64,
    /// The data reach the end of the period.
    pub complete: bool,
    /// The `power_frequency` verdict.
    pub verdict: ParameterVerdict,
}

/// The result of [`evaluate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct En50160Report {
    /// The settings used.
    pub config: En50160Config,
    /// Observation periods in time order; empty when there were no inputs.
    pub periods: Vec<PeriodReport>,
    /// Frequency periods when `frequency_observation_s` is set, otherwise empty (the frequency
    /// verdict is then in each period).
    pub frequency_periods: Vec<FrequencyPeriodReport>,
    /// Every period and every frequency period passes.
    pub pass: bool,
}

const DIP_ROWS: [&str; 5] =
    ["90 > u >= 80", "80 > u >= 70", "70 > u >= 40", "40 > u >= 5", "5 > u"];
const DIP_COLUMNS: [&str; 5] = [
    "10 ms <= t <= 200 ms",
    "200 ms < t <= 500 ms",
    "0.5 s < t <= 1 s",
    "1 s < t <= 5 s",
    "5 s < t <= 60 s",
];
const DIP_CELLS: [&[&str]; 5] = [
    &["A1", "A2", "A3", "A4", "A5"],
    &["B1", "B2", "B3", "B4", "B5"],
    &["C1", "C2", "C3", "C4", "C5"],
    &["D1", "D2", "D3", "D4", "D5"],
    &["X1", "X2", "X3", "X4", "X5"],
];
const SWELL_ROWS: [&str; 2] = ["u >= 120", "120 > u > 110"];
const SWELL_COLUMNS: [&str; 3] = ["10 ms <= t <= 500 ms", "0.5 s < t <= 5 s", "5 s < t <= 60 s"];
const SWELL_CELLS: [&[&str]; 2] = [&["S1", "S2", "S3"], &["T1", "T2", "T3"]];

/// `x` in units of 1e-9 (nanoseconds, nano-percent), `None` when not finite.
fn nano(x: f64) -> Option<i64> {
    // `as` saturates at the i64 range, which keeps huge values on the correct side of any edge.
    x.is_finite().then(|| (x * 1e9).round() as i64)
}

/// `x` (an exact decimal in the tables) in units of 1e-9.
fn edge(x: f64) -> i64 {
    (x * 1e9).round() as i64
}

/// Column index for a duration quantised to ns, given the inclusive upper edges in seconds.
fn duration_column(t_ns: i64, upper_edges_s: &[f64]) -> Option<usize> {
    if t_ns < edge(0.010) {
        return None;
    }
    upper_edges_s.iter().position(|&e| t_ns <= edge(e))
}

fn dip_index(residual_pct: f64, duration_s: f64) -> Option<(usize, usize)> {
    let u = nano(residual_pct)?;
    let t = nano(duration_s)?;
    if u < 0 {
        return None;
    }
    // Rows: the lower bound is inclusive, the upper exclusive.
    let row = [80.0, 70.0, 40.0, 5.0, 0.0].iter().position(|&lo| u >= edge(lo))?;
    if u >= edge(90.0) {
        return None;
    }
    let col = duration_column(t, &[0.2, 0.5, 1.0, 5.0, 60.0])?;
    Some((row, col))
}

fn swell_index(max_pct: f64, duration_s: f64) -> Option<(usize, usize)> {
    let u = nano(max_pct)?;
    let t = nano(duration_s)?;
    let row = if u >= edge(120.0) {
        0
    } else if u > edge(110.0) {
        1
    } else {
        return None;
    };
    let col = duration_column(t, &[0.5, 5.0, 60.0])?;
    Some((row, col))
}

/// The EN 50160:2010 dip cell for a residual voltage (% of the declared voltage) and a duration.
///
/// Rows: A `90 > u ≥ 80`, B `80 > u ≥ 70`, C `70 > u ≥ 40`, D `40 > u ≥ 5`, X `5 > u`.
/// Columns: 1 `10 ms ≤ t ≤ 200 ms`, 2 `200 ms < t ≤ 500 ms`, 3 `0.5 s < t ≤ 1 s`,
/// 4 `1 s < t ≤ 5 s`, 5 `5 s < t ≤ 60 s`. Lower residual bounds and upper duration bounds are
/// inclusive. `None` outside the grid (`u ≥ 90`, `u < 0`, `t < 10 ms`, `t > 60 s`, not finite).
/// Inputs are rounded to 1e-9 % and 1 ns first (see the module docs).
///
/// # Examples
///
/// ```
/// use percycle_hil::en50160::dip_cell;
/// assert_eq!(dip_cell(80.0, 0.200), Some("A1"));
/// assert_eq!(dip_cell(79.99, 0.201), Some("B2"));
/// assert_eq!(dip_cell(90.0, 0.1), None);
/// ```
pub fn dip_cell(residual_pct: f64, duration_s: f64) -> Option<&'static str> {
    dip_index(residual_pct, duration_s).map(|(r, c)| DIP_CELLS[r][c])
}

/// The EN 50160:2010 swell cell for a maximum voltage (% of the declared voltage) and a duration.
///
/// Rows: S `u ≥ 120`, T `120 > u > 110`. Columns: 1 `10 ms ≤ t ≤ 500 ms`, 2 `0.5 s < t ≤ 5 s`,
/// 3 `5 s < t ≤ 60 s`. `None` outside the grid (`u ≤ 110`, `t < 10 ms`, `t > 60 s`, not
/// finite). Inputs are rounded to 1e-9 % and 1 ns first (see the module docs).
///
/// # Examples
///
/// ```
/// use percycle_hil::en50160::swell_cell;
/// assert_eq!(swell_cell(120.0, 0.5), Some("S1"));
/// assert_eq!(swell_cell(110.01, 6.0), Some("T3"));
/// assert_eq!(swell_cell(110.0, 1.0), None);
/// ```
pub fn swell_cell(max_pct: f64, duration_s: f64) -> Option<&'static str> {
    swell_index(max_pct, duration_s).map(|(r, c)| SWELL_CELLS[r][c])
}

/// EN 50160 limit (95 % of the 10-min values) for harmonic order `order`, % of the fundamental;
/// `None` outside 2…25.
///
/// # Examples
///
/// ```
/// use percycle_hil::en50160::harmonic_limit_pct;
/// assert_eq!(harmonic_limit_pct(5), Some(6.0));
/// assert_eq!(harmonic_limit_pct(24), Some(0.5));
/// assert_eq!(harmonic_limit_pct(26), None);
/// ```
pub fn harmonic_limit_pct(order: usize) -> Option<f64> {
    Some(match order {
        2 => 2.0,
        3 => 5.0,
        4 => 1.0,
        5 => 6.0,
        7 => 5.0,
        9 => 1.5,
        11 => 3.5,
        13 => 3.0,
        15 | 21 => 0.5,
        17 => 2.0,
        19 | 23 | 25 => 1.5,
        6..=24 if order % 2 == 0 => 0.5,
        _ => return None,
    })
}

/// An inclusive range in units of 1e-9 of the measured quantity (percent).
#[derive(Clone, Copy, Debug)]
struct Band {
    lo: i64,
    hi: i64,
}

impl Band {
    fn pct(lo: f64, hi: f64) -> Self {
        Self { lo: edge(lo), hi: edge(hi) }
    }

    fn below(hi: f64) -> Self {
        Self { lo: i64::MIN, hi: edge(hi) }
    }

    fn contains(self, x: i64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// How one parameter is judged. Values are passed in percent (of nominal, declared or
/// fundamental).
struct Rule {
    name: String,
    band: Band,
    full: Option<Band>,
    /// Allowed share of N1 in N, per mille.
    allowed_permille: usize,
    limit: String,
}

#[derive(Clone, Copy, Debug, Default)]
struct Count {
    n: usize,
    n1: usize,
    n2: usize,
}

impl Count {
    fn add(&mut self, rule: &Rule, value_pct: f64) {
        let Some(x) = nano(value_pct) else { return };
        self.n += 1;
        if !rule.band.contains(x) {
            self.n1 += 1;
        }
        if rule.full.is_some_and(|b| !b.contains(x)) {
            self.n2 += 1;
        }
    }

    fn verdict(self, rule: &Rule) -> ParameterVerdict {
        let pass = self.n1 * 1000 <= self.n * rule.allowed_permille && self.n2 == 0;
        ParameterVerdict {
            parameter: rule.name.clone(),
            n: self.n,
            n1: self.n1,
            n2: self.n2,
            limit: rule.limit.clone(),
            pass,
            note: (self.n == 0)
                .then(|| "no valid values in this period; passes by default".to_string()),
        }
    }
}

/// `nominal · pct / 100`, multiplied first so that round numbers stay exact (60 · 99 / 100).
fn scaled(nominal: f64, pct: f64) -> f64 {
    nominal * pct / 100.0
}

fn frequency_rule(cfg: &En50160Config) -> Rule {
    let f = cfg.nominal_hz;
    let (band, full, permille, limit) = if cfg.interconnected {
        (
            Band::pct(99.0, 101.0),
            Band::pct(94.0, 104.0),
            5,
            format!(
                "99.5 %: {}..{} Hz (+-1 %); 100 %: {}..{} Hz (+4/-6 %)",
                scaled(f, 99.0),
                scaled(f, 101.0),
                scaled(f, 94.0),
                scaled(f, 104.0)
            ),
        )
    } else {
        (
            Band::pct(98.0, 102.0),
            Band::pct(85.0, 115.0),
            50,
            format!(
                "95 %: {}..{} Hz (+-2 %); 100 %: {}..{} Hz (+-15 %)",
                scaled(f, 98.0),
                scaled(f, 102.0),
                scaled(f, 85.0),
                scaled(f, 115.0)
            ),
        )
    };
    Rule {
        name: "power_frequency".into(),
        band,
        full: Some(full),
        allowed_permille: permille,
        limit,
    }
}

fn phase(p: usize) -> String {
    format!("L{}", p + 1)
}

/// The rules for 10-min parameters, and where each family starts in the list.
struct TenMinuteRules {
    rules: Vec<Rule>,
    phases: usize,
    voltage: usize,
    unbalance: usize,
    thd: usize,
    harmonics: usize,
}

impl TenMinuteRules {
    fn new(cfg: &En50160Config, phases: usize, with_frequency: bool) -> Self {
        let un = cfg.declared_voltage;
        let mut rules = Vec::new();
        if with_frequency {
            rules.push(frequency_rule(cfg));
        }
        let voltage = rules.len();
        for p in 0..phases {
            rules.push(Rule {
                name: format!("supply_voltage_{}", phase(p)),
                band: Band::pct(90.0, 110.0),
                full: Some(Band::pct(85.0, 110.0)),
                allowed_permille: 50,
                limit: format!(
                    "95 %: {}..{} V (Un +-10 %); 100 %: {}..{} V (Un +10/-15 %)",
                    scaled(un, 90.0),
                    scaled(un, 110.0),
                    scaled(un, 85.0),
                    scaled(un, 110.0)
                ),
            });
        }
        let unbalance = rules.len();
        rules.push(Rule {
            name: "unbalance".into(),
            band: Band::below(2.0),
            full: None,
            allowed_permille: 50,
            limit: "95 %: u2 <= 2 %".into(),
        });
        let thd = rules.len();
        for p in 0..phases {
            rules.push(Rule {
                name: format!("thd_{}", phase(p)),
                band: Band::below(8.0),
                full: None,
                allowed_permille: 50,
                limit: "95 %: THD <= 8 %".into(),
            });
        }
        let harmonics = rules.len();
        for h in 2..=MAX_HARMONIC_ORDER {
            let lim = harmonic_limit_pct(h).unwrap_or(0.0);
            for p in 0..phases {
                rules.push(Rule {
                    name: format!("harmonic_{h}_{}", phase(p)),
                    band: Band::below(lim),
                    full: None,
                    allowed_permille: 50,
                    limit: format!("95 %: <= {lim} % of U1"),
                });
            }
        }
        Self { rules, phases, voltage, unbalance, thd, harmonics }
    }

    fn harmonic(&self, h: usize, p: usize) -> usize {
        self.harmonics + (h - 2) * self.phases + p
    }

    fn add(&self, counts: &mut [Count], cfg: &En50160Config, v: &TenMinuteValue) {
        for (p, &u) in v.u_rms_v.iter().enumerate().take(self.phases) {
            let i = self.voltage + p;
            counts[i].add(&self.rules[i], 100.0 * u / cfg.declared_voltage);
        }
        if let Some(u2) = v.u2_unbalance_pct {
            counts[self.unbalance].add(&self.rules[self.unbalance], u2);
        }
        for (p, &thd) in v.thd_pct.iter().enumerate().take(self.phases) {
            let i = self.thd + p;
            counts[i].add(&self.rules[i], thd);
        }
        for (p, row) in v.harmonics_pct.iter().enumerate().take(self.phases) {
            for (h, &x) in row.iter().enumerate().take(MAX_HARMONIC_ORDER + 1).skip(2) {
                let i = self.harmonic(h, p);
                counts[i].add(&self.rules[i], x);
            }
        }
    }
}

/// Period layout shared by the weekly and the frequency periods: origin, length and data end,
/// all in ns relative to the origin.
struct Periods {
    origin_s: f64,
    len_ns: i64,
    len_s: f64,
    count: usize,
    data_end_ns: i64,
}

impl Periods {
    fn new(
        origin_s: f64,
        len_s: f64,
        data_end_ns: i64,
        starts: impl Iterator<Item = f64>,
    ) -> Result<Self, En50160Error> {
        let len_ns = nano(len_s).unwrap_or(i64::MAX).max(1);
        let needed = data_end_ns.max(0).saturating_add(len_ns - 1) / len_ns;
        let mut count = usize::try_from(needed).unwrap_or(usize::MAX);
        let mut p = Self { origin_s, len_ns, len_s, count: 0, data_end_ns };
        for s in starts {
            count = count.max(p.index(s).saturating_add(1));
        }
        if count > MAX_PERIODS {
            return Err(En50160Error::TooManyPeriods { periods: count, max: MAX_PERIODS });
        }
        p.count = count.max(1);
        Ok(p)
    }

    fn offset_ns(&self, t_s: f64) -> i64 {
        nano(t_s - self.origin_s).unwrap_or(0).max(0)
    }

    fn index(&self, start_s: f64) -> usize {
        usize::try_from(self.offset_ns(start_s) / self.len_ns).unwrap_or(usize::MAX)
    }

    fn start_s(&self, i: usize) -> f64 {
        self.origin_s + i as f64 * self.len_s
    }

    fn complete(&self, i: usize) -> bool {
        (i as i64 + 1).saturating_mul(self.len_ns) <= self.data_end_ns
    }
}

fn check_inputs(
    freq: &[TenSecondFrequency],
    ten_min: &[TenMinuteValue],
    events: &[VoltageEvent],
) -> Result<(), En50160Error> {
    let bad = |what, index| Err(En50160Error::NonFiniteStart { what, index });
    if let Some(i) = freq.iter().position(|f| !f.start_s.is_finite()) {
        return bad("freq", i);
    }
    if let Some(i) = ten_min.iter().position(|v| !v.start_s.is_finite()) {
        return bad("ten_min", i);
    }
    if let Some(i) = events.iter().position(|e| !e.start_s.is_finite()) {
        return bad("events", i);
    }
    if let Some(index) = events.iter().position(|e| {
        !(e.duration_s.is_finite() && e.duration_s >= 0.0 && e.extreme_pct.is_finite())
    }) {
        return Err(En50160Error::InvalidEvent { index });
    }
    Ok(())
}

/// Evaluates the inputs against EN 50160 (see the module docs for the rules).
///
/// # Errors
///
/// An invalid configuration, a non-finite start time, an event with a non-finite or negative
/// duration or a non-finite extreme, or more than [`MAX_PERIODS`] periods.
pub fn try_evaluate(
    cfg: &En50160Config,
    freq: &[TenSecondFrequency],
    ten_min: &[TenMinuteValue],
    events: &[VoltageEvent],
) -> Result<En50160Report, En50160Error> {
    cfg.validate()?;
    check_inputs(freq, ten_min, events)?;

    let starts = || {
        freq.iter()
            .map(|f| f.start_s)
            .chain(ten_min.iter().map(|v| v.start_s))
            .chain(events.iter().map(|e| e.start_s))
    };
    let Some(origin_s) = starts().reduce(f64::min) else {
        return Ok(En50160Report {
            config: cfg.clone(),
            periods: Vec::new(),
            frequency_periods: Vec::new(),
            pass: true,
        });
    };
    let end_ns = |start_s: f64, len_s: f64| nano(start_s - origin_s + len_s).unwrap_or(i64::MAX);
    let freq_ends = || freq.iter().map(|f| end_ns(f.start_s, TEN_SECONDS_S));
    let other_ends = ten_min
        .iter()
        .map(|v| end_ns(v.start_s, cfg.aggregate_s))
        .chain(events.iter().map(|e| end_ns(e.start_s, e.duration_s)));

    // With a separate frequency period the weekly periods cover only the 10-min values and the
    // events; otherwise they cover the frequency values too.
    let separate_frequency = cfg.frequency_observation_s;
    let weekly_end_ns = if separate_frequency.is_none() {
        other_ends.chain(freq_ends()).max()
    } else {
        other_ends.max()
    }
    .unwrap_or(0);
    let weekly_starts = ten_min
        .iter()
        .map(|v| v.start_s)
        .chain(events.iter().map(|e| e.start_s))
        .chain(freq.iter().filter(|_| separate_frequency.is_none()).map(|f| f.start_s));
    let weeks = Periods::new(origin_s, cfg.observation_s, weekly_end_ns, weekly_starts)?;

    let phases = ten_min
        .iter()
        .map(|v| v.u_rms_v.len().max(v.thd_pct.len()).max(v.harmonics_pct.len()))
        .max()
        .unwrap_or(0);
    let layout = TenMinuteRules::new(cfg, phases, separate_frequency.is_none());
    let mut counts = vec![vec![Count::default(); layout.rules.len()]; weeks.count];
    for v in ten_min.iter().filter(|v| !v.flagged) {
        layout.add(&mut counts[weeks.index(v.start_s)], cfg, v);
    }

    let freq_rule = frequency_rule(cfg);
    let add_frequency = |c: &mut Count, f: &TenSecondFrequency| {
        c.add(&freq_rule, 100.0 * f.frequency_hz / cfg.nominal_hz);
    };
    let mut frequency_periods = Vec::new();
    match separate_frequency {
        None => {
            for f in freq.iter().filter(|f| !f.flagged) {
                add_frequency(&mut counts[weeks.index(f.start_s)][0], f);
            }
        }
        Some(len_s) => {
            let freq_end_ns = freq_ends().max().unwrap_or(0);
            let fp = Periods::new(origin_s, len_s, freq_end_ns, freq.iter().map(|f| f.start_s))?;
            let mut fcounts = vec![Count::default(); fp.count];
            for f in freq.iter().filter(|f| !f.flagged) {
                add_frequency(&mut fcounts[fp.index(f.start_s)], f);
            }
            frequency_periods = fcounts
                .into_iter()
                .enumerate()
                .map(|(i, c)| FrequencyPeriodReport {
                    index: i,
                    start_s: fp.start_s(i),
                    end_s: fp.start_s(i + 1),
                    complete: fp.complete(i),
                    verdict: c.verdict(&freq_rule),
                })
                .collect();
        }
    }

    let mut periods: Vec<PeriodReport> = counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let parameters: Vec<ParameterVerdict> =
                c.iter().zip(&layout.rules).map(|(c, r)| c.verdict(r)).collect();
            PeriodReport {
                index: i,
                start_s: weeks.start_s(i),
                end_s: weeks.start_s(i + 1),
                complete: weeks.complete(i),
                pass: parameters.iter().all(|v| v.pass),
                parameters,
                dips: ClassTable::new(&DIP_ROWS, &DIP_COLUMNS, &DIP_CELLS),
                swells: ClassTable::new(&SWELL_ROWS, &SWELL_COLUMNS, &SWELL_CELLS),
                short_interruptions: 0,
                long_interruptions: 0,
                rvc: 0,
            }
        })
        .collect();

    let short_max_ns = edge(SHORT_INTERRUPTION_MAX_S);
    for e in events {
        let p = &mut periods[weeks.index(e.start_s)];
        match e.kind {
            EventKind::Dip => match dip_index(e.extreme_pct, e.duration_s) {
                Some((r, c)) => p.dips.counts[r][c] += 1,
                None => p.dips.unclassified += 1,
            },
            EventKind::Swell => match swell_index(e.extreme_pct, e.duration_s) {
                Some((r, c)) => p.swells.counts[r][c] += 1,
                None => p.swells.unclassified += 1,
            },
            EventKind::Interruption => {
                if nano(e.duration_s).is_some_and(|t| t <= short_max_ns) {
                    p.short_interruptions += 1;
                } else {
                    p.long_interruptions += 1;
                }
            }
            EventKind::Rvc => p.rvc += 1,
        }
    }

    let pass = periods.iter().all(|p| p.pass) && frequency_periods.iter().all(|f| f.verdict.pass);
    Ok(En50160Report { config: cfg.clone(), periods, frequency_periods, pass })
}

/// Evaluates the inputs against EN 50160 (see the module docs for the rules).
///
/// # Panics
///
/// When [`try_evaluate`] returns an error: an invalid configuration, a non-finite start time, an
/// invalid event, or more than [`MAX_PERIODS`] periods.
///
/// # Examples
///
/// ```
/// use percycle_hil::en50160::{evaluate, En50160Config, TenMinuteValue};
/// let cfg = En50160Config { observation_s: 3600.0, ..En50160Config::default() };
/// let ten_min: Vec<TenMinuteValue> = (0..6)
///     .map(|i| TenMinuteValue {
///         start_s: 600.0 * i as f64,
///         flagged: false,
///         u_rms_v: vec![230.0; 3],
///         u2_unbalance_pct: Some(0.5),
///         thd_pct: vec![2.0; 3],
///         harmonics_pct: vec![vec![0.0; 26]; 3],
///     })
///     .collect();
/// let report = evaluate(&cfg, &[], &ten_min, &[]);
/// assert_eq!(report.periods.len(), 1);
/// assert!(report.periods[0].complete && report.pass);
/// ```
pub fn evaluate(
    cfg: &En50160Config,
    freq: &[TenSecondFrequency],
    ten_min: &[TenMinuteValue],
    events: &[VoltageEvent],
) -> En50160Report {
    match try_evaluate(cfg, freq, ten_min, events) {
        Ok(report) => report,
        Err(e) => panic!("EN 50160 evaluation: {e}"),
    }
}

fn pass_text(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "FAIL"
    }
}

fn write_verdicts(out: &mut String, verdicts: &[&ParameterVerdict]) {
    let header = ["parameter", "N", "N1", "N2", "N1/N %", "limit", "verdict"];
    let rows: Vec<[String; 7]> = verdicts
        .iter()
        .map(|v| {
            [
                v.parameter.clone(),
                v.n.to_string(),
                v.n1.to_string(),
                v.n2.to_string(),
                v.n1_pct().map_or_else(|| "-".to_string(), |p| format!("{p:.2}")),
                v.limit.clone(),
                pass_text(v.pass).to_string(),
            ]
        })
        .collect();
    let mut width = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut line = |cells: [&str; 7]| {
        let _ = writeln!(
            out,
            "{:<w0$}  {:>w1$}  {:>w2$}  {:>w3$}  {:>w4$}  {:<w5$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            cells[5],
            cells[6],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3],
            w4 = width[4],
            w5 = width[5],
        );
    };
    line(header);
    for row in &rows {
        line(row.each_ref().map(String::as_str));
    }
    for v in verdicts {
        if let Some(note) = &v.note {
            let _ = writeln!(out, "note: {}: {note}", v.parameter);
        }
    }
}

fn write_class_table(out: &mut String, title: &str, t: &ClassTable) {
    let _ = writeln!(out, "{title}");
    let w0 = t.rows.iter().map(|r| r.chars().count()).max().unwrap_or(0);
    let _ = write!(out, "{:<w0$}", "");
    for c in &t.columns {
        let _ = write!(out, "  {c:>w$}", w = c.chars().count());
    }
    out.push('\n');
    for (row, counts) in t.rows.iter().zip(&t.counts) {
        let _ = write!(out, "{row:<w0$}");
        for (c, n) in t.columns.iter().zip(counts) {
            let _ = write!(out, "  {n:>w$}", w = c.chars().count());
        }
        out.push('\n');
    }
    let _ = writeln!(out, "outside the table: {}", t.unclassified);
}

/// A plain-text report for people: per period the parameter table (parameter, N, N1, N2,
/// N1/N %, limit, PASS/FAIL), the dip and swell tables and the interruption and RVC counts, then
/// the frequency periods when frequency has its own observation period.
///
/// # Examples
///
/// ```
/// use percycle_hil::en50160::{evaluate, verdict_table, En50160Config};
/// let text = verdict_table(&evaluate(&En50160Config::default(), &[], &[], &[]));
/// assert!(text.contains("overall: PASS"));
/// ```
pub fn verdict_table(report: &En50160Report) -> String {
    let mut out = String::new();
    let cfg = &report.config;
    let _ = writeln!(
        out,
        "EN 50160 evaluation: Un = {} V, fn = {} Hz, {} system, observation period {} s",
        cfg.declared_voltage,
        cfg.nominal_hz,
        if cfg.interconnected { "interconnected" } else { "islanded" },
        cfg.observation_s
    );
    let _ = writeln!(out, "overall: {}", pass_text(report.pass));
    if report.periods.is_empty() {
        let _ = writeln!(out, "no input values");
    }
    for p in &report.periods {
        let _ = writeln!(
            out,
            "\nperiod {} of {}: {} s .. {} s, {}: {}",
            p.index + 1,
            report.periods.len(),
            p.start_s,
            p.end_s,
            if p.complete { "complete" } else { "partial" },
            pass_text(p.pass)
        );
        write_verdicts(&mut out, &p.parameters.iter().collect::<Vec<_>>());
        out.push('\n');
        write_class_table(
            &mut out,
            "dips (rows: residual u in % of Un; columns: duration t)",
            &p.dips,
        );
        out.push('\n');
        write_class_table(
            &mut out,
            "swells (rows: maximum u in % of Un; columns: duration t)",
            &p.swells,
        );
        let _ = writeln!(
            out,
            "\nshort interruptions (<= 180 s): {}\nlong interruptions (> 180 s): {}\nrapid voltage \
             changes: {}",
            p.short_interruptions, p.long_interruptions, p.rvc
        );
    }
    if !report.frequency_periods.is_empty() {
        let _ = writeln!(
            out,
            "\npower frequency over periods of {} s",
            cfg.frequency_observation_s.unwrap_or(cfg.observation_s)
        );
        for f in &report.frequency_periods {
            let _ = writeln!(
                out,
                "\nfrequency period {} of {}: {} s .. {} s, {}",
                f.index + 1,
                report.frequency_periods.len(),
                f.start_s,
                f.end_s,
                if f.complete { "complete" } else { "partial" }
            );
            write_verdicts(&mut out, &[&f.verdict]);
        }
    }
    out
}
