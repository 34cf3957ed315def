//! Walking the record chain to an observation: the container's compression, the data source
//! and settings in force, and what an observation holds.

use super::element::{self, ElemError};
use super::logical::{self, DataSource, Observation};
use super::physical::{Chain, RecordHeader};
use super::tags;
use super::{ObservationChannel, ObservationInfo};
use crate::source::Unit;
use percycle_vectors::FormatError;
use std::path::Path;

/// Where a record's body lies, to name the byte of an element.
pub(super) struct Where {
    place: String,
    body_pos: u64,
    inflated: bool,
}

impl Where {
    pub(super) fn of(rec: &RecordHeader, inflated: bool) -> Self {
        Where { place: rec.place(), body_pos: rec.pos + rec.header_size, inflated }
    }

    /// `record 3 at byte 754, byte 240 of the inflated body: …`, or for a body stored as it
    /// is, `…, body byte 240 (file byte 3504): …`.
    pub(super) fn text(&self, e: &ElemError) -> String {
        if self.inflated {
            format!("{}, byte {} of the inflated body: {}", self.place, e.at, e.msg)
        } else {
            format!(
                "{}, body byte {} (file byte {}): {}",
                self.place,
                e.at,
                self.body_pos + e.at as u64,
                e.msg
            )
        }
    }
}

/// A record's element error as a file error naming the record and the byte.
fn elem_error(path: &Path, at: &Where, what: &str, e: ElemError) -> FormatError {
    FormatError::invalid(path, format!("{what}{}", at.text(&e)))
}

/// `days` since 1899-12-30 (PQDIF's day 0, as OLE dates; the example file's monitor was
/// installed on day 29 952 = 1982-01-01 and removed on day 43 831 = 2020-01-01) and seconds as
/// text.
pub(super) fn timestamp_text((days, seconds): (u32, f64)) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return format!("day {days} + {seconds} s");
    }
    let micros = (seconds * 1e6).round() as i64;
    let day_us = 86_400_000_000i64;
    let (y, m, d) = crate::calendar::civil_from_days(i64::from(days) - 25_569 + micros / day_us);
    let rest = micros % day_us;
    let (h, rem) = (rest / 3_600_000_000, rest % 3_600_000_000);
    let (mi, rem) = (rem / 60_000_000, rem % 60_000_000);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{:02}.{:06}", rem / 1_000_000, rem % 1_000_000)
}

/// The record chain with the data source and settings in force.
pub(super) struct Walk {
    pub(super) chain: Chain,
    ds: Option<(DataSource, usize)>,
    pub(super) nominal_hz: Option<f64>,
    pub(super) observations: usize,
}

impl Walk {
    /// Opens the file and reads its container.
    pub(super) fn open(path: &Path) -> Result<Self, FormatError> {
        Self::over(path, Chain::open(path)?)
    }

    /// Reads the container of a chain (a file's, or one held in memory).
    pub(super) fn over(path: &Path, mut chain: Chain) -> Result<Self, FormatError> {
        let Some(first) = chain.next_record()? else {
            return Err(FormatError::invalid(path, "no container record"));
        };
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
        let top = element::parse(&body)
            .map_err(|e| elem_error(path, &Where::of(&first, false), "", e))?;
        let get = |tag| -> Result<Option<u32>, FormatError> {
            element::find(&top, tag)
                .map(|e| e.index())
                .transpose()
                .map_err(|e| elem_error(path, &Where::of(&first, false), "", e))
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
    pub(super) fn next_observation(
        &mut self,
        path: &Path,
    ) -> Result<Option<(usize, RecordHeader)>, FormatError> {
        while let Some(rec) = self.chain.next_record()? {
            let inflated = self.chain.compressed;
            if rec.tag == tags::REC_DATA_SOURCE {
                let body = self.chain.body(&rec)?;
                let top = element::parse(&body)
                    .map_err(|e| elem_error(path, &Where::of(&rec, inflated), "", e))?;
                let ds = logical::data_source(&top).map_err(|e| {
                    elem_error(path, &Where::of(&rec, inflated), "data source, ", e)
                })?;
                self.ds = Some((ds, rec.index));
            } else if rec.tag == tags::REC_MONITOR_SETTINGS {
                let body = self.chain.body(&rec)?;
                let top = element::parse(&body)
                    .map_err(|e| elem_error(path, &Where::of(&rec, inflated), "", e))?;
                self.nominal_hz = logical::nominal_hz(&top).map_err(|e| {
                    elem_error(path, &Where::of(&rec, inflated), "monitor settings, ", e)
                })?;
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
    at: &Where,
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
            match waveform_series(obs, ds, c, at) {
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
pub(super) struct Wave {
    /// Values, V or A.
    pub values: Vec<f64>,
    /// Sample rate, Hz.
    pub rate: f64,
    /// First time, s.
    pub t0: f64,
    /// Range its storage states.
    pub range: Option<f64>,
}

/// A waveform channel's values, rate, first time and range, or why not.
pub(super) fn waveform_series(
    obs: &Observation<'_>,
    ds: &DataSource,
    c: usize,
    at: &Where,
) -> Result<Wave, String> {
    let def = &ds.channels[obs.channels[c].defn];
    let (Some(ts), Some(vs)) =
        (def.series_of(tags::VALUE_TYPE_TIME), def.series_of(tags::VALUE_TYPE_VAL))
    else {
        return Err("no time or no val series".into());
    };
    if let Some(u) = def.series[ts].units.filter(|&u| u != tags::UNITS_SECONDS) {
        return Err(format!("its time series is in {}, not seconds", tags::units_text(u)));
    }
    let time = logical::series(obs, ds, c, ts).map_err(|e| at.text(&e))?;
    let val = logical::series(obs, ds, c, vs).map_err(|e| at.text(&e))?;
    let values = val.values;
    if time.values.len() != values.len() {
        return Err(format!("{} times for {} values", time.values.len(), values.len()));
    }
    let rate = logical::rate(&time.values, time.real4)?;
    Ok(Wave { values, rate, t0: time.values[0], range: val.range })
}

/// Parses observation `k` in record `rec` and hands its description, tree, data source and
/// place to `then`.
pub(super) fn read_observation<T>(
    path: &Path,
    walk: &mut Walk,
    k: usize,
    rec: &RecordHeader,
    then: impl FnOnce(ObservationInfo, &Observation<'_>, &DataSource, &Where) -> Result<T, FormatError>,
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
    let at = Where::of(rec, inflated);
    let top = element::parse(&body).map_err(|e| elem_error(path, &at, &what, e))?;
    let obs = logical::observation(&top, ds).map_err(|e| elem_error(path, &at, &what, e))?;
    let info = describe_observation(k, rec, &obs, ds, &at);
    then(info, &obs, ds, &at)
}
