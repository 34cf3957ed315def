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
//! passes and 51 of 1008 (5.06 %) fails without rounding questions.
//!
//! # Verdicts and missing data
//!
//! Nothing passes by default. Each parameter of each period gets a [`Verdict`]: `pass`, `fail`
//! or `not_evaluated`. A parameter is evaluated only when its valid values cover enough of the
//! values the period should hold:
//!
//! * expected values `E`: the number of value slots in the period, `⌈observation / length⌉`
//!   with the length of one value (`aggregate_s` for 10-min values, 10 s for frequency) and
//!   the period's full length, also for a partial last period; a week of 10-min values gives
//!   `E = 1008`, a week of 10-s values `E = 60480`. With `frequency_observation_s` set, the
//!   frequency periods use that span;
//! * the parameter is evaluated when `N ≥ 1` and `N ≥ min_valid_pct · E / 100`
//!   ([`En50160Config::min_valid_pct`], 50 % by default), compared exactly in integers, so
//!   504 of 1008 (exactly 50 %) is evaluated and 503 is not.
//!
//! A parameter that is not evaluated has no pass/fail verdict, carries a reason (e.g. "3 valid
//! 10-min values of 1008 expected (0.29 %); at least 50 % needed") and its `N`, `N1`, `N2` are
//! still reported. A period, and the whole report, is `fail` when any evaluated parameter fails,
//! otherwise `not_evaluated` when any parameter was not evaluated (the reason says how many),
//! and `pass` only when every parameter of every period was evaluated and passed. A report
//! without any input has no periods and is `not_evaluated`.
//!
//! The parameter list follows the data: supply voltage, THD and harmonics for every phase
//! present in the 10-min values (at least one phase, so that a period without any 10-min value
//! is not evaluated rather than judged on frequency alone), and unbalance for three-phase values
//! or whenever a value carries `u2` (single-phase supplies have no unbalance to judge).
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
/// Most observation periods one evaluation may produce (weekly and frequency periods each).
pub const MAX_PERIODS: usize = 10_000;
/// Length of a 10-min aggregate, in seconds.
const TEN_MINUTES_S: f64 = 600.0;
/// Length of a 10-s frequency value, in seconds.
const TEN_SECONDS_S: f64 = 10.0;

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
    /// Residual (dip, interruption) or maximum (swell) in % of the reference voltage (the declared
    /// voltage, or the sliding reference); not used for RVC.
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
    /// Least share of its expected values, in percent (0…100), that a parameter of a period
    /// needs as valid values to be evaluated; at least one valid value is always needed. 50 %
    /// by default ([`DEFAULT_MIN_VALID_PCT`]); see the module docs.
    #[serde(default = "default_min_valid_pct")]
    pub min_valid_pct: f64,
}

/// Default of [`En50160Config::min_valid_pct`]: half of the values a period should hold.
pub const DEFAULT_MIN_VALID_PCT: f64 = 50.0;

fn ten_minutes() -> f64 {
    TEN_MINUTES_S
}

fn default_min_valid_pct() -> f64 {
    DEFAULT_MIN_VALID_PCT
}

impl Default for En50160Config {
    /// 50 Hz, 230 V, one week, interconnected, frequency over the same week, 600-s aggregates,
    /// at least 50 % of the expected values valid.
    fn default() -> Self {
        Self {
            nominal_hz: 50.0,
            declared_voltage: 230.0,
            observation_s: ONE_WEEK_S,
            interconnected: true,
            frequency_observation_s: None,
            aggregate_s: TEN_MINUTES_S,
            min_valid_pct: DEFAULT_MIN_VALID_PCT,
        }
    }
}

impl En50160Config {
    /// Checks that every number is usable.
    ///
    /// # Errors
    ///
    /// [`En50160Error::InvalidConfig`] naming the first field that is not finite and positive,
    /// or [`En50160Error::InvalidPercentage`] when `min_valid_pct` is not a finite number from 0
    /// to 100.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_analysis::en50160::En50160Config;
    /// let cfg = En50160Config { observation_s: 0.0, ..En50160Config::default() };
    /// assert!(cfg.validate().is_err());
    /// let cfg = En50160Config { min_valid_pct: 101.0, ..En50160Config::default() };
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
        if !positive(self.aggregate_s) || nano(self.aggregate_s).is_none_or(|n| n <= 0) {
            return Err(En50160Error::InvalidConfig("aggregate_s"));
        }
        if !(self.min_valid_pct.is_finite() && (0.0..=100.0).contains(&self.min_valid_pct)) {
            return Err(En50160Error::InvalidPercentage("min_valid_pct"));
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
    /// A configuration field that is a percentage is not finite or outside 0…100.
    #[error("invalid configuration: {0} must be a finite percentage from 0 to 100")]
    InvalidPercentage(&'static str),
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

/// The outcome of a judgement: a parameter, a period or a whole report.
///
/// Serialised as `"pass"`, `"fail"` or `"not_evaluated"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Evaluated, and within the limits.
    Pass,
    /// Evaluated, and outside the limits.
    Fail,
    /// Not judged: too few valid values (for a parameter), or some parameter not judged and
    /// none failing (for a period or a report).
    NotEvaluated,
}

impl Verdict {
    /// `PASS`, `FAIL` or `NOT EVALUATED`.
    pub fn text(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotEvaluated => "NOT EVALUATED",
        }
    }

    /// `Fail` when any verdict fails, otherwise `NotEvaluated` when any was not evaluated or
    /// there are none, otherwise `Pass`.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_analysis::en50160::Verdict::{self, *};
    /// assert_eq!(Verdict::combine([Pass, NotEvaluated, Fail]), Fail);
    /// assert_eq!(Verdict::combine([Pass, NotEvaluated]), NotEvaluated);
    /// assert_eq!(Verdict::combine([Pass, Pass]), Pass);
    /// assert_eq!(Verdict::combine([]), NotEvaluated);
    /// ```
    pub fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        let (mut any, mut fail, mut not_evaluated) = (false, false, false);
        for v in verdicts {
            any = true;
            fail |= v == Verdict::Fail;
            not_evaluated |= v == Verdict::NotEvaluated;
        }
        if fail {
            Verdict::Fail
        } else if not_evaluated || !any {
            Verdict::NotEvaluated
        } else {
            Verdict::Pass
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

/// The judgement of one parameter over one observation period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterVerdict {
    /// `power_frequency`, `supply_voltage_L1`, `unbalance`, `thd_L1`, `harmonic_5_L1`, …
    pub parameter: String,
    /// Valid (unflagged, finite) values.
    pub n: usize,
    /// Values the period should hold (see the module docs).
    pub expected: usize,
    /// Valid values outside the 95 % band (99.5 % for interconnected frequency).
    pub n1: usize,
    /// Valid values outside the 100 % band (always 0 without one).
    pub n2: usize,
    /// The limits, as text for people.
    pub limit: String,
    /// `Pass` when `N1/N` is within the allowed share and `N2 = 0`, `Fail` otherwise;
    /// `NotEvaluated` when the valid values are too few (see `reason`).
    pub verdict: Verdict,
    /// Why the parameter was not evaluated; `None` when it was.
    pub reason: Option<String>,
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
    fn new<const C: usize>(rows: &[&str], columns: &[&str; C], cells: &[[&str; C]]) -> Self {
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
    /// [`Verdict::combine`] of the parameters: `Pass` only when every one was evaluated and
    /// passed.
    pub verdict: Verdict,
    /// How many parameters fail and how many were not evaluated; `None` on `Pass`.
    pub reason: Option<String>,
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
    /// [`Verdict::combine`] of every parameter of every period and frequency period: `Pass`
    /// only when all of them were evaluated and passed; `NotEvaluated` without any input.
    pub verdict: Verdict,
    /// How many periods and parameters fail or were not evaluated; `None` on `Pass`.
    pub reason: Option<String>,
}

/// `x` in units of 1e-9 (nanoseconds, nano-percent), `None` when not finite.
fn nano(x: f64) -> Option<i64> {
    // `as` saturates at the i64 range, which keeps huge values on the correct side of any edge.
    x.is_finite().then(|| (x * 1e9).round() as i64)
}

/// `x` (an exact decimal in the tables) in units of 1e-9.
fn edge(x: f64) -> i64 {
    (x * 1e9).round() as i64
}

use percycle_engine::en50160 as tables;
pub use percycle_engine::en50160::{
    dip_cell_name as dip_cell, harmonic_limit_pct, interruption_is_short,
    swell_cell_name as swell_cell, MAX_LIMITED_ORDER as MAX_HARMONIC_ORDER,
    SHORT_INTERRUPTION_MAX_S,
};

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

    fn verdict(self, rule: &Rule, need: &Coverage) -> ParameterVerdict {
        let reason = need.shortfall(self.n);
        let verdict = if reason.is_some() {
            Verdict::NotEvaluated
        } else if self.n1 * 1000 <= self.n * rule.allowed_permille && self.n2 == 0 {
            Verdict::Pass
        } else {
            Verdict::Fail
        };
        ParameterVerdict {
            parameter: rule.name.clone(),
            n: self.n,
            expected: need.expected,
            n1: self.n1,
            n2: self.n2,
            limit: rule.limit.clone(),
            verdict,
            reason,
        }
    }
}

/// How many valid values a parameter of a period needs to be evaluated.
struct Coverage {
    /// What the values are called in a reason (`10-min`, `10-s`).
    what: &'static str,
    /// Values the period should hold.
    expected: usize,
    /// [`En50160Config::min_valid_pct`] in units of 1e-9 %.
    min_nano_pct: i64,
    /// [`En50160Config::min_valid_pct`] as given, for the reason text.
    min_pct: f64,
}

impl Coverage {
    /// Value slots of `value_s` in a period of `period_s`, rounded up (a value belongs to the
    /// period holding its start).
    fn new(what: &'static str, period_s: f64, value_s: f64, cfg: &En50160Config) -> Self {
        let period = nano(period_s).unwrap_or(i64::MAX).max(1);
        let value = nano(value_s).unwrap_or(i64::MAX).max(1);
        let expected =
            usize::try_from(period / value + i64::from(period % value != 0)).unwrap_or(usize::MAX);
        Self {
            what,
            expected,
            min_nano_pct: nano(cfg.min_valid_pct).unwrap_or(0),
            min_pct: cfg.min_valid_pct,
        }
    }

    /// `None` when `n` valid values are enough, otherwise why not.
    fn shortfall(&self, n: usize) -> Option<String> {
        // 100 % in units of 1e-9 %.
        const FULL: i128 = 100_000_000_000;
        let enough =
            n >= 1 && n as i128 * FULL >= i128::from(self.min_nano_pct) * self.expected as i128;
        if enough {
            return None;
        }
        // Share in hundredths of a percent, rounded down so that it never reads as enough.
        let hundredths = (n as u128 * 10_000).checked_div(self.expected as u128).unwrap_or(0);
        let need = if self.min_nano_pct > 0 {
            format!("at least {} % needed", self.min_pct)
        } else {
            "at least one value needed".to_string()
        };
        Some(format!(
            "{n} valid {} values of {} expected ({}.{:02} %); {need}",
            self.what,
            self.expected,
            hundredths / 100,
            hundredths % 100
        ))
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
    /// `None` when unbalance is not judged (single-phase values).
    unbalance: Option<usize>,
    thd: usize,
    harmonics: usize,
}

impl TenMinuteRules {
    fn new(cfg: &En50160Config, phases: usize, with_frequency: bool, with_unbalance: bool) -> Self {
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
        let unbalance = with_unbalance.then_some(rules.len());
        if with_unbalance {
            rules.push(Rule {
                name: "unbalance".into(),
                band: Band::below(2.0),
                full: None,
                allowed_permille: 50,
                limit: "95 %: u2 <= 2 %".into(),
            });
        }
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
        if let (Some(i), Some(u2)) = (self.unbalance, v.u2_unbalance_pct) {
            counts[i].add(&self.rules[i], u2);
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
            verdict: Verdict::NotEvaluated,
            reason: Some("no input values".to_string()),
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

    // At least one phase: a period without 10-min values is then not evaluated instead of being
    // judged on frequency alone.
    let phases = ten_min
        .iter()
        .map(|v| v.u_rms_v.len().max(v.thd_pct.len()).max(v.harmonics_pct.len()))
        .max()
        .unwrap_or(0)
        .max(1);
    let with_unbalance = phases >= 3 || ten_min.iter().any(|v| v.u2_unbalance_pct.is_some());
    let with_frequency = separate_frequency.is_none();
    let layout = TenMinuteRules::new(cfg, phases, with_frequency, with_unbalance);
    let ten_min_need = Coverage::new("10-min", cfg.observation_s, cfg.aggregate_s, cfg);
    let weekly_freq_need = Coverage::new("10-s", cfg.observation_s, TEN_SECONDS_S, cfg);
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
            let need = Coverage::new("10-s", len_s, TEN_SECONDS_S, cfg);
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
                    verdict: c.verdict(&freq_rule, &need),
                })
                .collect();
        }
    }

    let mut periods: Vec<PeriodReport> = counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let parameters: Vec<ParameterVerdict> = c
                .iter()
                .zip(&layout.rules)
                .enumerate()
                .map(|(j, (c, r))| {
                    // The frequency rule, when present, is the first.
                    c.verdict(
                        r,
                        if with_frequency && j == 0 { &weekly_freq_need } else { &ten_min_need },
                    )
                })
                .collect();
            let tally = Tally::of(&parameters);
            PeriodReport {
                index: i,
                start_s: weeks.start_s(i),
                end_s: weeks.start_s(i + 1),
                complete: weeks.complete(i),
                verdict: tally.verdict(),
                reason: tally.reason("parameters"),
                parameters,
                dips: ClassTable::new(
                    &tables::DIP_ROW_LABELS,
                    &tables::DIP_COLUMN_LABELS,
                    &tables::DIP_CELL_NAMES,
                ),
                swells: ClassTable::new(
                    &tables::SWELL_ROW_LABELS,
                    &tables::SWELL_COLUMN_LABELS,
                    &tables::SWELL_CELL_NAMES,
                ),
                short_interruptions: 0,
                long_interruptions: 0,
                rvc: 0,
            }
        })
        .collect();

    for e in events {
        let p = &mut periods[weeks.index(e.start_s)];
        match e.kind {
            EventKind::Dip => match tables::dip_cell(e.extreme_pct, e.duration_s) {
                Some((r, c)) => p.dips.counts[r][c] += 1,
                None => p.dips.unclassified += 1,
            },
            EventKind::Swell => match tables::swell_cell(e.extreme_pct, e.duration_s) {
                Some((r, c)) => p.swells.counts[r][c] += 1,
                None => p.swells.unclassified += 1,
            },
            EventKind::Interruption => {
                if interruption_is_short(e.duration_s) {
                    p.short_interruptions += 1;
                } else {
                    p.long_interruptions += 1;
                }
            }
            EventKind::Rvc => p.rvc += 1,
        }
    }

    let (verdict, reason) = overall(&periods, &frequency_periods);
    Ok(En50160Report { config: cfg.clone(), periods, frequency_periods, verdict, reason })
}

/// Counts of parameter verdicts.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    total: usize,
    fail: usize,
    not_evaluated: usize,
}

impl Tally {
    fn of<'a>(verdicts: impl IntoIterator<Item = &'a ParameterVerdict>) -> Self {
        Self::of_verdicts(verdicts.into_iter().map(|v| v.verdict))
    }

    /// As [`Verdict::combine`].
    fn verdict(self) -> Verdict {
        if self.fail > 0 {
            Verdict::Fail
        } else if self.not_evaluated > 0 || self.total == 0 {
            Verdict::NotEvaluated
        } else {
            Verdict::Pass
        }
    }

    /// Of verdicts that are themselves [`Verdict`]s (periods).
    fn of_verdicts(verdicts: impl IntoIterator<Item = Verdict>) -> Self {
        let mut t = Self::default();
        for v in verdicts {
            t.total += 1;
            t.fail += usize::from(v == Verdict::Fail);
            t.not_evaluated += usize::from(v == Verdict::NotEvaluated);
        }
        t
    }

    /// E.g. "2 of 80 parameters fail, 3 not evaluated"; `None` on pass.
    fn reason(self, what: &str) -> Option<String> {
        match (self.fail, self.not_evaluated) {
            (0, 0) if self.total > 0 => None,
            (0, 0) => Some(format!("no {what}")),
            (0, ne) => Some(format!("{ne} of {} {what} not evaluated", self.total)),
            (f, 0) => Some(format!("{f} of {} {what} fail", self.total)),
            (f, ne) => Some(format!("{f} of {} {what} fail, {ne} not evaluated", self.total)),
        }
    }
}

/// The report's verdict and reason from its periods and frequency periods.
fn overall(
    periods: &[PeriodReport],
    frequency_periods: &[FrequencyPeriodReport],
) -> (Verdict, Option<String>) {
    let parameters = Tally::of(
        periods
            .iter()
            .flat_map(|p| &p.parameters)
            .chain(frequency_periods.iter().map(|f| &f.verdict)),
    );
    let verdict = parameters.verdict();
    if verdict == Verdict::Pass {
        return (verdict, None);
    }
    let mut parts = vec![Tally::of_verdicts(periods.iter().map(|p| p.verdict)).reason("periods")];
    if !frequency_periods.is_empty() {
        let f = Tally::of_verdicts(frequency_periods.iter().map(|f| f.verdict.verdict));
        parts.push(f.reason("frequency periods"));
    }
    parts.push(parameters.reason("parameter verdicts"));
    let parts: Vec<String> = parts.into_iter().flatten().collect();
    (verdict, Some(parts.join("; ")))
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
/// use percycle_analysis::en50160::{
///     evaluate, En50160Config, TenMinuteValue, TenSecondFrequency, Verdict,
/// };
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
/// let freq: Vec<TenSecondFrequency> = (0..360)
///     .map(|i| TenSecondFrequency {
///         start_s: 10.0 * i as f64,
///         frequency_hz: 50.0,
///         flagged: false,
///     })
///     .collect();
/// let report = evaluate(&cfg, &freq, &ten_min, &[]);
/// assert_eq!(report.periods.len(), 1);
/// assert!(report.periods[0].complete);
/// assert_eq!(report.verdict, Verdict::Pass);
///
/// // Without the frequency values the period is not evaluated: it does not pass by default.
/// let report = evaluate(&cfg, &[], &ten_min, &[]);
/// assert_eq!(report.verdict, Verdict::NotEvaluated);
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

/// `PASS`, `FAIL`, or `NOT EVALUATED (reason)`.
fn verdict_text(verdict: Verdict, reason: Option<&str>) -> String {
    match (verdict, reason) {
        (Verdict::Pass, _) | (_, None) => verdict.text().to_string(),
        (_, Some(r)) => format!("{} ({r})", verdict.text()),
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
                v.verdict.text().to_string(),
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
    // Parameters that were not evaluated, grouped by reason in order of first appearance.
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for v in verdicts.iter().filter(|v| v.verdict == Verdict::NotEvaluated) {
        let reason = v.reason.as_deref().unwrap_or("too few valid values");
        match groups.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, names)) => names.push(&v.parameter),
            None => groups.push((reason, vec![&v.parameter])),
        }
    }
    for (reason, names) in groups {
        let _ = writeln!(out, "not evaluated ({reason}): {}", names.join(", "));
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

/// A plain-text report for people: the overall verdict, then per period the parameter table
/// (parameter, N, N1, N2, N1/N %, limit, PASS/FAIL/NOT EVALUATED) with a line
/// `not evaluated (reason): parameters` per distinct reason, the dip and swell tables and the
/// interruption and RVC counts, then the frequency periods when frequency has its own
/// observation period. Period and overall verdicts other than PASS are followed by their reason.
///
/// # Examples
///
/// ```
/// use percycle_analysis::en50160::{evaluate, verdict_table, En50160Config};
/// let text = verdict_table(&evaluate(&En50160Config::default(), &[], &[], &[]));
/// assert!(text.contains("overall: NOT EVALUATED (no input values)"));
/// ```
pub fn verdict_table(report: &En50160Report) -> String {
    let mut out = String::new();
    let cfg = &report.config;
    let _ = writeln!(
        out,
        "EN 50160 evaluation: Un = {} V, fn = {} Hz, {} system, observation period {} s, \
         parameters evaluated with at least {} % of their expected values valid",
        cfg.declared_voltage,
        cfg.nominal_hz,
        if cfg.interconnected { "interconnected" } else { "islanded" },
        cfg.observation_s,
        cfg.min_valid_pct
    );
    let _ = writeln!(out, "overall: {}", verdict_text(report.verdict, report.reason.as_deref()));
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
            verdict_text(p.verdict, p.reason.as_deref())
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
                "\nfrequency period {} of {}: {} s .. {} s, {}: {}",
                f.index + 1,
                report.frequency_periods.len(),
                f.start_s,
                f.end_s,
                if f.complete { "complete" } else { "partial" },
                f.verdict.verdict.text()
            );
            write_verdicts(&mut out, &[&f.verdict]);
        }
    }
    out
}
