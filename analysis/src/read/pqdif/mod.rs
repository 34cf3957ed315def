//! PQDIF files (IEEE 1159.3): the waveforms of one observation.
//!
//! # Format read
//!
//! *Physical layer* ([`physical`]): a chain of records, each a 64-byte header (signature GUID,
//! record-type GUID, header size, body size, link to the next record, Adler-32 checksum,
//! reserved) and a body. The first record is the container; its compression style and
//! algorithm say whether the later bodies are zlib streams (record-level zlib is read; no
//! compression too; whole-file compression and PKZIP are refused). Bodies are checked to lie in
//! the file, and are at most [`PQDIF_MAX_RECORD_BYTES`] stored and inflated. A checksum that
//! does not match is noted, not refused.
//!
//! *Logical layer* ([`element`]): each body is a tree of collections, scalars and vectors
//! tagged by GUIDs ([`tags`]); every physical type is read (booleans, integers of 1 to 4 bytes,
//! real4, real8, complex, timestamps, GUIDs, char1 and char2 text); unknown tags are skipped, an
//! unknown physical type is skipped and refused only where its value is needed.
//!
//! The reader uses the data source (channel definitions: name, phase, quantity type and
//! measured, and series definitions: value type, units, storage method), the monitor settings
//! (nominal frequency) and the observations (name, start time, channel instances and their
//! series instances: values, scale, offset, shared channel and series indices). An observation
//! uses the last data source and settings records before it.
//!
//! # Series
//!
//! A series stored by increments (`[n, count₁, increment₁, …]`) becomes values from 0; a scaled
//! series is value × scale + offset; a series without values that names a shared series
//! (channel instance, series) takes that series' values — the waveforms of a capture usually
//! share the first channel's time series. The sample rate of a waveform channel comes from its
//! time series, which must be in seconds and uniform within [`PQDIF_TIME_STEP_TOLERANCE`] of
//! the mean step (beyond the rounding of real4 times), else the observation and the channel are
//! named in the refusal. A time series stored in real4 holds its increment to 24 bits
//! (1/15 360 s reads back as 15 359.9992 Hz): a rate within that rounding of a whole number of
//! hertz is taken as that number.
//!
//! # Channels
//!
//! An observation's *waveform channels* are those of quantity type waveform whose values are
//! in volts or amperes (the val series' units, else the quantity measured), with a time
//! series. They are named as the data source names them, less a leading `Waveform ` when the
//! names stay distinct ("Waveform VAB" is `VAB`). The engine inputs are chosen among them with
//! [`select::choose`](super::select::choose): `--channels U12=VAB,…` by name or index, or
//! automatically from the phase IDs (`ID_PHASE_AB` is `AB`, …), so that line voltages AB and BC
//! with currents A and C give `U12=VAB,U32=-VBC,I1=IA,I3=IC`. Values are in V and A as the file
//! states them (PQDIF has no kV). A channel whose values are stored as integers states its
//! converter range by that storage: the largest magnitude of the integer type after scale and
//! offset (int2 × 1.58 V: ±51.9 kV) is its full scale ([`ChannelInfo::full_scale`]); values
//! stored as reals state none, and `--full-scale` does not apply.
//!
//! # Different rates
//!
//! Instruments often sample currents slower than voltages (the IEEE example file: voltages at
//! 15 360 Hz, currents at 7 680 Hz). The source delivers every channel at the highest rate of
//! the chosen channels; a slower channel is interpolated by an integer factor with a
//! Kaiser-windowed sinc of [`PQDIF_INTERPOLATION_TAPS`] taps (β = 10), symmetric, its samples
//! kept where they fall ([`resample`]). Measured on a 60 Hz + 5th-harmonic current sampled at
//! 7 680 Hz and brought to 15 360 Hz, the interpolated values are within 1e-6 of the peak of the
//! analytic signal (tested at 1e-4); the kernel's gain is flat within 1e-5 up to 0.39 of the
//! slow rate (the 50th harmonic of 60 Hz at 7 680 Hz). Where the kernel does not fit — the
//! first 15 and the last 16 samples of the slow channel, i.e. 30 and 32 frames at a ratio of 2
//! — the interpolated channel is NaN (missing), and said so in the notes. Only integer ratios
//! are interpolated; others are refused naming the rates. The channels must start at the same
//! time.
//!
//! # Memory
//!
//! The observation's record is read whole (within [`PQDIF_MAX_RECORD_BYTES`]) and the chosen
//! channels are held as `f64` at the common rate, at most [`PQDIF_MAX_SAMPLES`] samples, then
//! handed out in blocks.

pub mod element;
pub mod logical;
pub mod physical;
pub mod resample;
pub mod tags;

use self::element::ElemError;
use self::logical::{DataSource, Observation};
use self::physical::{Chain, RecordHeader};
use super::select::{self, RawChannel};
use crate::source::{ChannelInfo, Source, SourceInfo, Unit};
use percycle_vectors::FormatError;
use std::path::Path;

/// Largest record body read, stored or inflated, bytes (64 MiB).
pub const PQDIF_MAX_RECORD_BYTES: u64 = 64 << 20;

/// Most samples held by a source (all channels at the common rate, as `f64`: 256 MiB), and the
/// most samples a series may expand to.
pub const PQDIF_MAX_SAMPLES: usize = 32 << 20;

/// Largest relative deviation of a time step from the mean step of a waveform's time series.
pub const PQDIF_TIME_STEP_TOLERANCE: f64 = 1e-6;

/// Taps of the interpolator that brings a slower channel to the common rate.
pub const PQDIF_INTERPOLATION_TAPS: usize = 2 * resample::HALF_WIDTH;

/// One channel of an observation.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservationChannel {
    /// Name as `--channels` takes it (`VAB`).
    pub name: String,
    /// Name in the data source (`Waveform VAB`).
    pub file_name: String,
    /// Quantity type (`waveform`, `phasor`, `value log`, or its GUID).
    pub quantity: String,
    /// Phase as the channel choice reads it (`AB`, `A`, …).
    pub phase: Option<String>,
    /// Volts or amperes, when the channel's values are.
    pub unit: Option<Unit>,
    /// A waveform of volts or amperes, which [`PqdifSource`] can deliver.
    pub waveform: bool,
    /// Samples of a waveform channel.
    pub samples: usize,
    /// Sample rate of a waveform channel, Hz, from its time series.
    pub rate_hz: Option<f64>,
    /// Why a waveform channel cannot be read (e.g. a time series that is not uniform).
    pub problem: Option<String>,
}

/// One observation of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct ObservationInfo {
    /// Index among the file's observations, from 0 (what [`PqdifSource::open`] takes).
    pub index: usize,
    /// Index of its record in the chain, from 0.
    pub record: usize,
    /// Offset of its record in the file.
    pub byte: u64,
    /// Name (`Obs`, `RMS Variation`).
    pub name: String,
    /// Start time, `YYYY-MM-DD hh:mm:ss.ffffff` (PQDIF timestamps carry no time zone).
    pub start: Option<String>,
    /// Whether it holds waveforms of volts or amperes.
    pub has_waveforms: bool,
    /// Its channels in the order of the record.
    pub channels: Vec<ObservationChannel>,
}

impl ObservationInfo {
    /// `observation 3 ("Obs", 1999-06-01 13:24:12.000000)` for messages.
    pub fn describe(&self) -> String {
        match &self.start {
            Some(s) => format!("observation {} ({:?}, {s})", self.index, self.name),
            None => format!("observation {} ({:?})", self.index, self.name),
        }
    }
}

/// A chosen channel at its own rate.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeChannel {
    /// Engine name (`U32`).
    pub name: String,
    /// The observation's channel it is taken from (`VBC`).
    pub source: String,
    /// Taken with the opposite sign.
    pub negate: bool,
    /// Its own sample rate, Hz.
    pub rate_hz: f64,
    /// Its samples at that rate, in V or A, with the sign the source delivers.
    pub samples: Vec<f64>,
}

/// A record's element error as a file error naming the record and the byte.
fn elem_error(
    path: &Path,
    rec: &RecordHeader,
    inflated: bool,
    what: &str,
    e: ElemError,
) -> FormatError {
    let place = rec.place();
    let msg = if inflated {
        format!("{what}{place}, byte {} of the inflated body: {}", e.at, e.msg)
    } else {
        format!(
            "{what}{place}, body byte {} (file byte {}): {}",
            e.at,
            rec.pos + rec.header_size + e.at as u64,
            e.msg
        )
    };
    FormatError::invalid(path, msg)
}

/// `days` since 1899-12-30 (PQDIF's day 0, as OLE dates; the example file's monitor was
/// installed on day 29 952 = 1982-01-01 and removed on day 43 831 = 2020-01-01) and seconds as
/// text.
fn timestamp_text((days, seconds): (u32, f64)) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return format!("day {days} + {seconds} s");
    }
    let micros = (seconds * 1e6).round() as i64;
    let day_us = 86_400_000_000i64;
    let z = i64::from(days) - 25_569 + micros / day_us + 719_468;
    let rest = micros % day_us;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, rem) = (rest / 3_600_000_000, rest % 3_600_000_000);
    let (mi, rem) = (rem / 60_000_000, rem % 60_000_000);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{:02}.{:06}", rem / 1_000_000, rem % 1_000_000)
}

/// The record chain with the data source and settings in force.
struct Walk {
    chain: Chain,
    ds: Option<(DataSource, usize)>,
    nominal_hz: Option<f64>,
    observations: usize,
}

impl Walk {
    /// Opens the file and reads its container.
    fn open(path: &Path) -> Result<Self, FormatError> {
        let mut chain = Chain::open(path)?;
        let Some(first) = chain.next()? else { unreachable!("a chain has a first record") };
        if first.tag != tags::REC_CONTAINER {
            return Err(FormatError::invalid(
                path,
                format!(
                    "{}: the first record is not a container (record type {{{}}})",
                    first.place(),
                    first.tag
                ),
            ));
        }
        let body = chain.body(&first)?;
        let top = element::parse(&body).map_err(|e| elem_error(path, &first, false, "", e))?;
        let get = |tag| -> Result<Option<u32>, FormatError> {
            element::find(&top, tag)
                .map(|e| e.index())
                .transpose()
                .map_err(|e| elem_error(path, &first, false, "", e))
        };
        let style = get(tags::COMPRESSION_STYLE)?.unwrap_or(tags::STYLE_NONE);
        let algorithm = get(tags::COMPRESSION_ALGORITHM)?.unwrap_or(tags::ALGORITHM_NONE);
        chain.compressed =
            match (style, algorithm) {
                (tags::STYLE_NONE, _) | (_, tags::ALGORITHM_NONE) => false,
                (tags::STYLE_RECORD_LEVEL, tags::ALGORITHM_ZLIB) => true,
                (tags::STYLE_TOTAL_FILE, _) => return Err(FormatError::invalid(
                    path,
                    "the container states whole-file compression (style 1), which is not read; \
                     record-level zlib is",
                )),
                (s, a) => {
                    return Err(FormatError::invalid(
                        path,
                        format!(
                            "the container states compression style {s}, algorithm {a}: only zlib \
                         (algorithm 1) at record level (style 2) is read"
                        ),
                    ))
                }
            };
        Ok(Walk { chain, ds: None, nominal_hz: None, observations: 0 })
    }

    /// The next observation record (its index and header), reading the data source and
    /// settings records on the way.
    fn next_observation(
        &mut self,
        path: &Path,
    ) -> Result<Option<(usize, RecordHeader)>, FormatError> {
        while let Some(rec) = self.chain.next()? {
            let inflated = self.chain.compressed;
            if rec.tag == tags::REC_DATA_SOURCE {
                let body = self.chain.body(&rec)?;
                let top =
                    element::parse(&body).map_err(|e| elem_error(path, &rec, inflated, "", e))?;
                let ds = logical::data_source(&top)
                    .map_err(|e| elem_error(path, &rec, inflated, "data source, ", e))?;
                self.ds = Some((ds, rec.index));
            } else if rec.tag == tags::REC_MONITOR_SETTINGS {
                let body = self.chain.body(&rec)?;
                let top =
                    element::parse(&body).map_err(|e| elem_error(path, &rec, inflated, "", e))?;
                self.nominal_hz = logical::nominal_hz(&top)
                    .map_err(|e| elem_error(path, &rec, inflated, "monitor settings, ", e))?;
            } else if rec.tag == tags::REC_OBSERVATION {
                let k = self.observations;
                self.observations += 1;
                return Ok(Some((k, rec)));
            }
        }
        Ok(None)
    }
}

/// Names of an observation's channels: the data source's, less a leading `Waveform ` on the
/// waveform channels when all names stay distinct and non-empty.
fn short_names(obs: &Observation<'_>, ds: &DataSource) -> Vec<String> {
    let full: Vec<String> = obs.channels.iter().map(|c| ds.channels[c.defn].name.clone()).collect();
    let short: Vec<String> = obs
        .channels
        .iter()
        .zip(&full)
        .map(|(c, name)| {
            let wave = ds.channels[c.defn].quantity_type == Some(tags::QT_WAVEFORM);
            let lower = name.to_ascii_lowercase();
            match lower.strip_prefix("waveform") {
                Some(rest) if wave && rest.starts_with([' ', '_', '-', ':']) => name
                    [name.len() - rest.len()..]
                    .trim_start_matches([' ', '_', '-', ':'])
                    .to_string(),
                _ => name.clone(),
            }
        })
        .collect();
    let distinct = short
        .iter()
        .enumerate()
        .all(|(k, s)| !s.is_empty() && short.iter().enumerate().all(|(j, t)| j == k || t != s));
    if distinct {
        short
    } else {
        full
    }
}

/// What an observation holds; waveform channels' series decoded for their rates and lengths.
fn describe_observation(
    index: usize,
    rec: &RecordHeader,
    obs: &Observation<'_>,
    ds: &DataSource,
) -> ObservationInfo {
    let names = short_names(obs, ds);
    let mut channels = Vec::new();
    for (c, inst) in obs.channels.iter().enumerate() {
        let def = &ds.channels[inst.defn];
        let unit = def.unit();
        let mut ch = ObservationChannel {
            name: names[c].clone(),
            file_name: def.name.clone(),
            quantity: tags::quantity_text(def.quantity_type),
            phase: def.phase.and_then(|p| tags::phase_text(p, unit == Some(Unit::Volt))),
            unit,
            waveform: def.is_waveform(),
            samples: 0,
            rate_hz: None,
            problem: None,
        };
        if ch.waveform {
            match waveform_series(obs, ds, c) {
                Ok(w) => {
                    ch.samples = w.values.len();
                    ch.rate_hz = Some(w.rate);
                }
                Err(problem) => ch.problem = Some(problem),
            }
        }
        channels.push(ch);
    }
    ObservationInfo {
        index,
        record: rec.index,
        byte: rec.pos,
        name: obs.name.clone(),
        start: obs.start.map(timestamp_text),
        has_waveforms: channels.iter().any(|c| c.waveform),
        channels,
    }
}

/// A waveform channel: its values (V or A), rate, first time and range.
struct Wave {
    values: Vec<f64>,
    rate: f64,
    t0: f64,
    range: Option<f64>,
}

/// A waveform channel's values, rate, first time and range, or why not.
fn waveform_series(obs: &Observation<'_>, ds: &DataSource, c: usize) -> Result<Wave, String> {
    let def = &ds.channels[obs.channels[c].defn];
    let (Some(ts), Some(vs)) =
        (def.series_of(tags::VALUE_TYPE_TIME), def.series_of(tags::VALUE_TYPE_VAL))
    else {
        return Err("no time or no val series".into());
    };
    if let Some(u) = def.series[ts].units.filter(|&u| u != tags::UNITS_SECONDS) {
        return Err(format!("its time series is in {}, not seconds", tags::units_text(u)));
    }
    let at = |e: ElemError| format!("byte {} of the record body: {}", e.at, e.msg);
    let time = logical::series(obs, ds, c, ts).map_err(at)?;
    let val = logical::series(obs, ds, c, vs).map_err(at)?;
    let values = val.values;
    if time.values.len() != values.len() {
        return Err(format!("{} times for {} values", time.values.len(), values.len()));
    }
    let rate = logical::rate(&time.values, time.real4)?;
    Ok(Wave { values, rate, t0: time.values[0], range: val.range })
}

/// Every observation of a PQDIF file, in order, with its waveform channels' rates.
///
/// # Errors
/// [`FormatError::Io`] when the file cannot be read; [`FormatError::Invalid`], naming the
/// record and the byte, for a broken chain, a body beyond the file or the limit, corrupt zlib,
/// a truncated element, or an observation before any data source.
pub fn observations(path: impl AsRef<Path>) -> Result<Vec<ObservationInfo>, FormatError> {
    let path = path.as_ref();
    let mut walk = Walk::open(path)?;
    let mut out = Vec::new();
    while let Some((k, rec)) = walk.next_observation(path)? {
        out.push(read_observation(path, &mut walk, k, &rec, |info, _, _| Ok(info))?);
    }
    Ok(out)
}

/// Parses observation `k` in record `rec` and hands its description, tree and data source to
/// `then`.
fn read_observation<T>(
    path: &Path,
    walk: &mut Walk,
    k: usize,
    rec: &RecordHeader,
    then: impl FnOnce(ObservationInfo, &Observation<'_>, &DataSource) -> Result<T, FormatError>,
) -> Result<T, FormatError> {
    let inflated = walk.chain.compressed;
    let Some((ds, _)) = &walk.ds else {
        return Err(FormatError::invalid(
            path,
            format!("observation {k} ({}): no data source record precedes it", rec.place()),
        ));
    };
    let body = walk.chain.body(rec)?;
    let what = format!("observation {k}, ");
    let top = element::parse(&body).map_err(|e| elem_error(path, rec, inflated, &what, e))?;
    let obs =
        logical::observation(&top, ds).map_err(|e| elem_error(path, rec, inflated, &what, e))?;
    let info = describe_observation(k, rec, &obs, ds);
    then(info, &obs, ds)
}

/// The waveforms of one observation of a PQDIF file, at one rate, in V and A (see the module
/// docs).
pub struct PqdifSource {
    info: SourceInfo,
    observation: ObservationInfo,
    native: Vec<NativeChannel>,
    samples: Vec<Vec<f64>>,
    frames: usize,
    next: usize,
    record_end: u64,
    size: u64,
    notes: Vec<String>,
}

impl PqdifSource {
    /// Reads observation `observation` (from 0, as [`observations`] lists them) and chooses its
    /// channels: by `channels` (`U12=VAB,U32=-VBC,I1=IA,I3=IC`, by name or 1-based index among
    /// the waveform channels), or automatically from their phases and units.
    ///
    /// # Errors
    /// Those of [`observations`]; an index out of range (the count is given); an observation
    /// without waveforms of volts or amperes (named); the channel choice's errors; a chosen
    /// channel whose series cannot be read or whose time series is not uniform (observation
    /// and channel named); rates whose ratio is not an integer, or different start times
    /// (named); more than [`PQDIF_MAX_SAMPLES`] samples.
    pub fn open(
        path: impl AsRef<Path>,
        observation: usize,
        channels: Option<&str>,
    ) -> Result<Self, FormatError> {
        let path = path.as_ref();
        let mut walk = Walk::open(path)?;
        let mut found = None;
        while let Some((k, rec)) = walk.next_observation(path)? {
            if k == observation {
                found = Some(rec);
                break;
            }
        }
        let Some(rec) = found else {
            while walk.next_observation(path)?.is_some() {}
            let n = walk.observations;
            let range = if n == 0 { String::new() } else { format!(" (0 to {})", n - 1) };
            return Err(FormatError::invalid(
                path,
                format!("observation {observation} is out of range: the file holds {n} observations{range}"),
            ));
        };
        let nominal_hz = walk.nominal_hz;
        let (observation, chosen, native, note) =
            read_observation(path, &mut walk, observation, &rec, |info, obs, ds| {
                choose(path, info, obs, ds, channels)
            })?;
        // Count the observations after this one, for the notes.
        while walk.next_observation(path)?.is_some() {}
        let total = walk.observations;
        let mut notes = Vec::new();
        notes.push(format!(
            "{}: {} of {total} read ({}); its channels {}",
            path.display(),
            observation.describe(),
            rec.place(),
            native
                .iter()
                .map(|n| format!("{} at {} Hz", n.source, n.rate_hz))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        notes.extend(note);
        let rate = native.iter().map(|n| n.rate_hz).fold(0.0, f64::max);
        let mut frames = 0;
        let mut ratios = Vec::new();
        for n in &native {
            let ratio = rate / n.rate_hz;
            let l = ratio.round();
            if l < 1.0 || (ratio - l).abs() > 1e-6 * ratio {
                return Err(FormatError::invalid(
                    path,
                    format!(
                        "{}: channels at {} ({} Hz) and {} ({} Hz): only integer rate ratios are \
                         interpolated to one rate",
                        observation.describe(),
                        native.iter().find(|m| m.rate_hz == rate).map_or("?", |m| &m.source),
                        rate,
                        n.source,
                        n.rate_hz
                    ),
                ));
            }
            ratios.push(l as usize);
            frames = frames.max(n.samples.len() * l as usize);
        }
        if frames.saturating_mul(native.len()) > PQDIF_MAX_SAMPLES {
            return Err(FormatError::invalid(
                path,
                format!(
                    "{}: {} channels of {frames} samples at {rate} Hz, more than the \
                     {PQDIF_MAX_SAMPLES} samples a PQDIF observation is read into",
                    observation.describe(),
                    native.len()
                ),
            ));
        }
        let mut samples = Vec::new();
        let mut slow = Vec::new();
        for (n, &l) in native.iter().zip(&ratios) {
            samples.push(resample::upsample(&n.samples, l, frames));
            if l > 1 {
                let (a, b) = resample::edge_frames(l);
                slow.push(format!(
                    "{} ({}, {} Hz, ×{l}: first {a} and last {b} frames NaN)",
                    n.name, n.source, n.rate_hz
                ));
            }
        }
        if !slow.is_empty() {
            notes.push(format!(
                "{}: interpolated to {rate} Hz with a {PQDIF_INTERPOLATION_TAPS}-tap \
                 Kaiser-windowed sinc: {}",
                path.display(),
                slow.join("; ")
            ));
        }
        notes.extend(walk.chain.notes.iter().cloned());
        let info = SourceInfo {
            path: path.to_path_buf(),
            sample_rate_hz: rate,
            channels: chosen,
            frames: Some(frames as u64),
            nominal_hz,
        };
        Ok(PqdifSource {
            info,
            observation,
            native,
            samples,
            frames,
            next: 0,
            record_end: rec.end(),
            size: walk.chain.size(),
            notes,
        })
    }

    /// Reads the first observation that holds waveforms (what [`open`](super::open) does for a
    /// `.pqd` file); a note says how many others there are.
    ///
    /// # Errors
    /// Those of [`observations`] and [`PqdifSource::open`]; a file without waveforms.
    pub fn open_first(path: impl AsRef<Path>, channels: Option<&str>) -> Result<Self, FormatError> {
        let path = path.as_ref();
        let all = observations(path)?;
        let wave: Vec<usize> = all.iter().filter(|o| o.has_waveforms).map(|o| o.index).collect();
        let Some(&first) = wave.first() else {
            return Err(FormatError::invalid(
                path,
                format!(
                    "none of the file's {} observations holds waveforms of volts or amperes",
                    all.len()
                ),
            ));
        };
        let mut src = Self::open(path, first, channels)?;
        if wave.len() > 1 {
            let list: Vec<String> = wave.iter().map(usize::to_string).collect();
            src.notes.push(format!(
                "{}: {} observations hold waveforms (indices {}); the first is read",
                path.display(),
                wave.len(),
                list.join(", ")
            ));
        }
        Ok(src)
    }

    /// The observation read.
    pub fn observation(&self) -> &ObservationInfo {
        &self.observation
    }

    /// The chosen channels at their own rates, before interpolation, in the order of the
    /// source's channels.
    pub fn native_channels(&self) -> &[NativeChannel] {
        &self.native
    }
}

type Chosen = (ObservationInfo, Vec<ChannelInfo>, Vec<NativeChannel>, Option<String>);

/// Chooses the engine inputs among the observation's waveform channels and decodes them.
fn choose(
    path: &Path,
    info: ObservationInfo,
    obs: &Observation<'_>,
    ds: &DataSource,
    spec: Option<&str>,
) -> Result<Chosen, FormatError> {
    let wave: Vec<usize> =
        (0..info.channels.len()).filter(|&c| info.channels[c].waveform).collect();
    if wave.is_empty() {
        return Err(FormatError::invalid(
            path,
            format!(
                "{} holds no waveforms of volts or amperes (its channels: {})",
                info.describe(),
                info.channels
                    .iter()
                    .map(|c| format!("{} ({})", c.file_name, c.quantity))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let raw: Vec<RawChannel> = wave
        .iter()
        .map(|&c| {
            let ch = &info.channels[c];
            RawChannel {
                name: ch.name.clone(),
                phase: ch.phase.clone(),
                unit: ch.unit,
                group: None,
            }
        })
        .collect();
    let (chosen, note) = select::choose(path, &raw, spec)?;
    let mut infos = Vec::new();
    let mut native = Vec::new();
    let mut first: Option<(f64, &str)> = None;
    for pick in &chosen {
        let c = wave[pick.index];
        let ch = &info.channels[c];
        let want = Unit::of_name(&pick.name);
        if want.is_some() && want != ch.unit {
            return Err(FormatError::invalid(
                path,
                format!(
                    "{}: {} is taken from {}, which is in {}",
                    info.describe(),
                    pick.name,
                    ch.name,
                    ch.unit.map_or("unknown units", Unit::symbol)
                ),
            ));
        }
        let Wave { mut values, rate, t0, range } = waveform_series(obs, ds, c).map_err(|m| {
            FormatError::invalid(path, format!("{}, channel {}: {m}", info.describe(), ch.name))
        })?;
        let period = 1.0 / rate;
        match first {
            None => first = Some((t0, &ch.name)),
            Some((t, name)) if (t0 - t).abs() > 1e-3 * period => {
                return Err(FormatError::invalid(
                    path,
                    format!(
                        "{}: channel {} starts at {t0} s, channel {name} at {t} s: channels of \
                         different start times are not aligned",
                        info.describe(),
                        ch.name
                    ),
                ))
            }
            _ => {}
        }
        if pick.negate {
            for x in &mut values {
                *x = -*x;
            }
        }
        let full_scale = range.filter(|r| r.is_finite() && *r > 0.0);
        infos.push(ChannelInfo { name: pick.name.clone(), unit: ch.unit, full_scale });
        native.push(NativeChannel {
            name: pick.name.clone(),
            source: ch.name.clone(),
            negate: pick.negate,
            rate_hz: rate,
            samples: values,
        });
    }
    Ok((info, infos, native, note))
}

impl Source for PqdifSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        out.clear();
        let end = self.next.saturating_add(max_frames).min(self.frames);
        out.reserve((end - self.next) * self.samples.len());
        for k in self.next..end {
            out.extend(self.samples.iter().map(|ch| ch[k]));
        }
        let n = end - self.next;
        self.next = end;
        Ok(n)
    }

    /// The records consumed: those before the observation's end, in the share of its frames
    /// handed out; of the file's size.
    fn position(&self) -> (u64, u64) {
        let done = u128::from(self.record_end) * self.next as u128 / self.frames.max(1) as u128;
        (done as u64, self.size)
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}
