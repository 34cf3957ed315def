//! [`PqdifSource`]: one observation's waveforms at one rate.

use super::logical::{DataSource, Observation};
use super::resample;
use super::select::{self, RawChannel};
use super::walk::{read_observation, waveform_series, Walk, Wave, Where};
use super::{
    observations, NativeChannel, ObservationInfo, PQDIF_INTERPOLATION_TAPS, PQDIF_MAX_SAMPLES,
};
use crate::source::{ChannelInfo, Source, SourceInfo, Unit};
use percycle_vectors::FormatError;
use std::path::Path;

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
        Self::over(path, Walk::open(path)?, observation, channels)
    }

    /// As [`PqdifSource::open`], of a PQDIF file held in memory (`name` names it in messages).
    ///
    /// # Errors
    /// As [`PqdifSource::open`].
    pub fn from_bytes(
        name: &str,
        bytes: Vec<u8>,
        observation: usize,
        channels: Option<&str>,
    ) -> Result<Self, FormatError> {
        let path = Path::new(name);
        let chain = super::physical::Chain::from_bytes(path, bytes);
        Self::over(path, Walk::over(path, chain)?, observation, channels)
    }

    fn over(
        path: &Path,
        mut walk: Walk,
        observation: usize,
        channels: Option<&str>,
    ) -> Result<Self, FormatError> {
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
            let range = match n {
                0 => " observations".to_string(),
                1 => " observation (index 0)".to_string(),
                n => format!(" observations (0 to {})", n - 1),
            };
            return Err(FormatError::invalid(
                path,
                format!("observation {observation} is out of range: the file holds {n}{range}"),
            ));
        };
        let nominal_hz = walk.nominal_hz;
        let (observation, chosen, native, note) =
            read_observation(path, &mut walk, observation, &rec, |info, obs, ds, at| {
                choose(path, info, obs, ds, at, channels)
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
                        "{}: channel {} at {} Hz and channel {} at {} Hz: only integer rate \
                         ratios are interpolated to one rate",
                        observation.describe(),
                        native.iter().find(|m| m.rate_hz == rate).map_or("?", |m| &m.source),
                        rate,
                        n.source,
                        n.rate_hz
                    ),
                ));
            }
            ratios.push(l as usize);
            frames = frames.max(n.samples.len().saturating_mul(l as usize));
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

    /// Reads the first observation that holds waveforms (what [`open`](crate::read::open) does
    /// for a `.pqd` file); a note says how many others there are.
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
    at: &Where,
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
        let Wave { mut values, rate, t0, range } =
            waveform_series(obs, ds, c, at).map_err(|m| {
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
