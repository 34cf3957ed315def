//! The records the reader uses, from their element trees: the data source's channel and
//! series definitions, the monitor settings' nominal frequency, an observation's channel and
//! series instances; series decoded (increment storage, scale and offset, shared series) and
//! the sample rate of a time series.

use super::element::{all, find, ElemError, Element, Phys};
use super::tags::{self, Guid};
use super::{PQDIF_MAX_SAMPLES, PQDIF_TIME_STEP_TOLERANCE};
use crate::source::Unit;

type Parsed<T> = Result<T, ElemError>;

fn fail<T>(at: usize, msg: impl Into<String>) -> Parsed<T> {
    Err(ElemError { at, msg: msg.into() })
}

/// One series definition of a channel.
#[derive(Clone, Debug)]
pub struct SeriesDef {
    /// Value type (time, val, min, …).
    pub value_type: Option<Guid>,
    /// Quantity units ID.
    pub units: Option<u32>,
    /// Storage method bits (values when unstated).
    pub storage: u32,
}

/// One channel definition of the data source.
#[derive(Clone, Debug)]
pub struct ChannelDef {
    /// Name.
    pub name: String,
    /// Phase ID.
    pub phase: Option<u32>,
    /// Quantity type.
    pub quantity_type: Option<Guid>,
    /// Quantity measured ID.
    pub measured: Option<u32>,
    /// Series definitions.
    pub series: Vec<SeriesDef>,
}

impl ChannelDef {
    /// Index of the first series of value type `vt`.
    pub fn series_of(&self, vt: Guid) -> Option<usize> {
        self.series.iter().position(|s| s.value_type == Some(vt))
    }

    /// The unit of the channel's values (the val series' units, else the quantity measured),
    /// when volts or amperes.
    pub fn unit(&self) -> Option<Unit> {
        let units = self.series_of(tags::VALUE_TYPE_VAL).and_then(|k| self.series[k].units);
        match (units, self.measured) {
            (Some(tags::UNITS_VOLTS), _) => Some(Unit::Volt),
            (Some(tags::UNITS_AMPS), _) => Some(Unit::Ampere),
            (None, Some(tags::MEASURED_VOLTAGE)) => Some(Unit::Volt),
            (None, Some(tags::MEASURED_CURRENT)) => Some(Unit::Ampere),
            _ => None,
        }
    }

    /// Whether it is a waveform of volts or amperes with a time and a val series.
    pub fn is_waveform(&self) -> bool {
        self.quantity_type == Some(tags::QT_WAVEFORM)
            && self.unit().is_some()
            && self.series_of(tags::VALUE_TYPE_VAL).is_some()
            && self.series_of(tags::VALUE_TYPE_TIME).is_some()
    }
}

/// The channel definitions of a data source record.
#[derive(Clone, Debug, Default)]
pub struct DataSource {
    /// Channel definitions in order (observations refer to them by index).
    pub channels: Vec<ChannelDef>,
}

fn opt<'e, T>(
    items: &'e [Element<'e>],
    tag: Guid,
    get: impl Fn(&'e Element<'e>) -> Parsed<T>,
) -> Parsed<Option<T>> {
    find(items, tag).map(get).transpose()
}

/// Reads a data source record.
pub fn data_source(top: &[Element<'_>]) -> Parsed<DataSource> {
    let mut channels = Vec::new();
    if let Some(defns) = find(top, tags::CHANNEL_DEFNS) {
        for one in all(defns.items()?, tags::ONE_CHANNEL_DEFN) {
            let items = one.items()?;
            let mut series = Vec::new();
            if let Some(sd) = find(items, tags::SERIES_DEFNS) {
                for s in all(sd.items()?, tags::ONE_SERIES_DEFN) {
                    let si = s.items()?;
                    series.push(SeriesDef {
                        value_type: opt(si, tags::VALUE_TYPE_ID, Element::guid)?,
                        units: opt(si, tags::QUANTITY_UNITS_ID, Element::index)?,
                        storage: opt(si, tags::STORAGE_METHOD_ID, Element::index)?
                            .unwrap_or(tags::STORAGE_VALUES),
                    });
                }
            }
            channels.push(ChannelDef {
                name: opt(items, tags::CHANNEL_NAME, Element::text)?
                    .unwrap_or_else(|| format!("channel {}", channels.len())),
                phase: opt(items, tags::PHASE_ID, Element::index)?,
                quantity_type: opt(items, tags::QUANTITY_TYPE_ID, Element::guid)?,
                measured: opt(items, tags::QUANTITY_MEASURED_ID, Element::index)?,
                series,
            });
        }
    }
    Ok(DataSource { channels })
}

/// The nominal frequency a monitor settings record states, Hz.
pub fn nominal_hz(top: &[Element<'_>]) -> Parsed<Option<f64>> {
    let f = opt(top, tags::NOMINAL_FREQUENCY, Element::number)?;
    Ok(f.filter(|f| f.is_finite() && *f > 0.0))
}

/// One series instance.
pub struct SeriesInst<'e> {
    /// Offset of its element, for messages.
    pub at: usize,
    values: Option<&'e Element<'e>>,
    scale: Option<f64>,
    offset: Option<f64>,
    share: Option<(u32, u32)>,
}

/// One channel instance.
pub struct ChannelInst<'e> {
    /// Offset of its element, for messages.
    pub at: usize,
    /// Index of its channel definition.
    pub defn: usize,
    /// Its series, in the order of the definition's series.
    pub series: Vec<SeriesInst<'e>>,
}

/// An observation record.
pub struct Observation<'e> {
    /// Name.
    pub name: String,
    /// Start time (days, seconds).
    pub start: Option<(u32, f64)>,
    /// Channel instances.
    pub channels: Vec<ChannelInst<'e>>,
}

/// Reads an observation record; channel definition indices are checked against `ds`.
pub fn observation<'e>(top: &'e [Element<'e>], ds: &DataSource) -> Parsed<Observation<'e>> {
    let name = opt(top, tags::OBSERVATION_NAME, Element::text)?.unwrap_or_default();
    let start = opt(top, tags::TIME_START, Element::timestamp)?;
    let mut channels = Vec::new();
    if let Some(ci) = find(top, tags::CHANNEL_INSTANCES) {
        for one in all(ci.items()?, tags::ONE_CHANNEL_INST) {
            let items = one.items()?;
            let Some(idx) = find(items, tags::CHANNEL_DEFN_IDX) else {
                return fail(one.at, "a channel instance without its channel definition index");
            };
            let defn = idx.index()? as usize;
            if defn >= ds.channels.len() {
                return fail(
                    idx.at,
                    format!(
                        "channel definition index {defn}: the data source defines {} channels",
                        ds.channels.len()
                    ),
                );
            }
            let mut series = Vec::new();
            if let Some(si) = find(items, tags::SERIES_INSTANCES) {
                for s in all(si.items()?, tags::ONE_SERIES_INSTANCE) {
                    let it = s.items()?;
                    let sc = opt(it, tags::SERIES_SHARE_CHANNEL_IDX, Element::index)?;
                    let ss = opt(it, tags::SERIES_SHARE_SERIES_IDX, Element::index)?;
                    series.push(SeriesInst {
                        at: s.at,
                        values: find(it, tags::SERIES_VALUES),
                        scale: opt(it, tags::SERIES_SCALE, Element::number)?,
                        offset: opt(it, tags::SERIES_OFFSET, Element::number)?,
                        share: sc.map(|c| (c, ss.unwrap_or(0))),
                    });
                }
            }
            channels.push(ChannelInst { at: one.at, defn, series });
        }
    }
    Ok(Observation { name, start, channels })
}

/// A series' values, whether they were stored as real4 (for the precision of times), and the
/// range their storage can hold.
pub struct Decoded {
    /// Values after storage method and scaling.
    pub values: Vec<f64>,
    /// Stored as real4.
    pub real4: bool,
    /// For values stored as integers (not by increments): the largest magnitude the integer
    /// type gives after scaling — the converter's range as the file states it.
    pub range: Option<f64>,
}

/// The values of series `s` of channel instance `c`: increment storage expanded (times from 0),
/// then × scale + offset when the definition's storage method says scaled; a series that
/// holds no values and names a shared series (channel instance, series) takes that series'
/// values.
pub fn series(obs: &Observation<'_>, ds: &DataSource, c: usize, s: usize) -> Parsed<Decoded> {
    series_at(obs, ds, c, s, 0)
}

fn series_at(
    obs: &Observation<'_>,
    ds: &DataSource,
    c: usize,
    s: usize,
    depth: usize,
) -> Parsed<Decoded> {
    let ch = &obs.channels[c];
    let def = &ds.channels[ch.defn];
    let Some(inst) = ch.series.get(s) else {
        return fail(
            ch.at,
            format!(
                "channel instance {c} ({}) has {} series, series {s} is wanted",
                def.name,
                ch.series.len()
            ),
        );
    };
    let Some(values) = inst.values else {
        let Some((sc, ss)) = inst.share else {
            return fail(
                inst.at,
                format!("series {s} of channel {c} ({}) holds no values", def.name),
            );
        };
        let (sc, ss) = (sc as usize, ss as usize);
        if depth >= 8 {
            return fail(
                inst.at,
                format!("series {s} of channel {c} ({}): shared series form a loop", def.name),
            );
        }
        if sc >= obs.channels.len() || ss >= obs.channels[sc].series.len() {
            return fail(
                inst.at,
                format!(
                    "series {s} of channel {c} ({}) shares series {ss} of channel instance {sc}, \
                     which the observation does not have ({} channel instances)",
                    def.name,
                    obs.channels.len()
                ),
            );
        }
        return series_at(obs, ds, sc, ss, depth + 1);
    };
    let storage = def.series.get(s).map_or(tags::STORAGE_VALUES, |d| d.storage);
    let (mut v, phys) = values.numbers()?;
    let mut bounds = phys.integer_bounds();
    if storage & tags::STORAGE_INCREMENT != 0 {
        bounds = None;
        v = increments(&v).map_err(|msg| ElemError {
            at: values.at,
            msg: format!("series {s} of channel {c} ({}): {msg}", def.name),
        })?;
    }
    let (a, b) = if storage & tags::STORAGE_SCALED != 0 {
        (inst.scale.unwrap_or(1.0), inst.offset.unwrap_or(0.0))
    } else {
        (1.0, 0.0)
    };
    if (a, b) != (1.0, 0.0) {
        for x in &mut v {
            *x = *x * a + b;
        }
    }
    let range = bounds.map(|(lo, hi)| (lo * a + b).abs().max((hi * a + b).abs()));
    Ok(Decoded { values: v, real4: phys == Phys::Real4, range })
}

/// `[n, count₁, increment₁, …]` as values from 0.
fn increments(v: &[f64]) -> Result<Vec<f64>, String> {
    let whole = |x: f64| x >= 0.0 && x.fract() == 0.0 && x <= PQDIF_MAX_SAMPLES as f64;
    let Some(&n) = v.first() else { return Err("an empty increment series".into()) };
    if !whole(n) || 1 + 2 * n as usize > v.len() {
        return Err(format!(
            "increment storage states {n} (count, increment) pairs, the series holds {} values",
            v.len()
        ));
    }
    let pairs = &v[1..1 + 2 * n as usize];
    let mut total = 0f64;
    for p in pairs.chunks_exact(2) {
        if !whole(p[0]) {
            return Err(format!("increment storage: a count of {} samples", p[0]));
        }
        total += p[0];
    }
    if total > PQDIF_MAX_SAMPLES as f64 {
        return Err(format!(
            "increment storage states {total} samples, more than {PQDIF_MAX_SAMPLES}"
        ));
    }
    let mut out = Vec::with_capacity(total as usize);
    let mut t = 0.0;
    for p in pairs.chunks_exact(2) {
        for _ in 0..p[0] as usize {
            out.push(t);
            t += p[1];
        }
    }
    Ok(out)
}

/// The sample rate of a time series in seconds: uniform within [`PQDIF_TIME_STEP_TOLERANCE`]
/// of the mean step, beyond the rounding of the stored values (real4 times carry 24 bits); a
/// rate within that rounding of a whole number of hertz is that number.
pub fn rate(times: &[f64], real4: bool) -> Result<f64, String> {
    let n = times.len();
    if n < 2 {
        return Err(format!("a time series of {n} value(s) gives no sample rate"));
    }
    if let Some(k) = times.iter().position(|t| !t.is_finite()) {
        return Err(format!("time {k} is not finite"));
    }
    let span = times[n - 1] - times[0];
    let mean = span / (n - 1) as f64;
    if mean.is_nan() || mean <= 0.0 {
        return Err(format!("the times do not increase ({} s to {} s)", times[0], times[n - 1]));
    }
    let eps = if real4 { f64::from(f32::EPSILON) } else { f64::EPSILON };
    let big = times[0].abs().max(times[n - 1].abs());
    let tol = PQDIF_TIME_STEP_TOLERANCE * mean + 2.0 * eps * big;
    for (k, w) in times.windows(2).enumerate() {
        let step = w[1] - w[0];
        if (step - mean).abs() > tol {
            return Err(format!(
                "the time series is not uniform: step {k} (at {} s) is {step} s, the mean step \
                 is {mean} s (tolerance {:e} relative)",
                w[0], PQDIF_TIME_STEP_TOLERANCE
            ));
        }
    }
    let r = 1.0 / mean;
    let whole = r.round();
    let snap = if real4 { f64::from(f32::EPSILON) } else { 1e-12 };
    Ok(if whole >= 1.0 && (r - whole).abs() <= snap * whole { whole } else { r })
}
