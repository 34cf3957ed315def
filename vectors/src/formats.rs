//! Waveform and truth files: WAV with a JSON sidecar, CSV, and JSON truth and recipes.
//!
//! # WAV
//!
//! Channels are interleaved in [`Waveform::channels`] order. Integer formats store
//! `round(x / full_scale · (2^(b−1) − 1))` clamped to the rails `±(2^(b−1) − 1)` (the rule of
//! [`crate::quantise`]); `F32` stores `x / full_scale`. The sidecar `<file>.json` (the WAV path with
//! its extension replaced) holds what the WAV header cannot: channel names, per-channel full scale,
//! the exact sample rate and the units; see [`WavSidecar`].
//!
//! # Missing samples
//!
//! A missing sample is NaN in a [`Waveform`] (a gap of the recording; never 0 V). Each format
//! carries it its own way, and reading gives NaN back:
//!
//! | format | missing sample |
//! |---|---|
//! | WAV `i32` | the code [`MISSING_CODE`] (`i32::MIN`, below the lower rail) |
//! | WAV `f32` | NaN |
//! | WAV `i16`, `i24` | cannot be stored: writing is refused, naming the file and the format |
//! | CSV | the field `NaN` |
//!
//! # CSV
//!
//! One header line of column names, then one row per sample, comma-separated. A column named `t`
//! holds the time in seconds; the other columns are channels in V or A. Values are written with
//! Rust's shortest round-trip formatting, so reading gives back the same `f64`. The reader skips
//! blank lines and lines starting with `#`, trims spaces around fields, accepts `\r\n` line ends
//! and a UTF-8 byte-order mark, and streams the file. Quoted fields are not supported.
//!
//! With a `t` column, the median step checks uniformity: every step must be positive and within
//! 1 % of the median plus two units of the finest decimal place printed in the column (so times
//! printed to a fixed number of decimals pass). The sample rate is then `(rows − 1) / (t_last − t_first)`, which equals
//! `1 / median` for exactly uniform time and averages out the rounding of printed timestamps.
//! The start time is not kept.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::synth::{dequantise, quantise, ChannelKind, Recipe, Waveform, MISSING_CODE};
use crate::truth::Truth;

/// Largest relative deviation of a CSV time step from the median step.
pub const CSV_TIME_STEP_TOLERANCE: f64 = 0.01;

/// A file that could not be read or written; every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The operating system refused.
    #[error("{}: {cause}", path.display())]
    Io {
        /// File.
        path: PathBuf,
        /// Cause (in the message, so it is printed once).
        cause: std::io::Error,
    },
    /// The WAV codec failed.
    #[error("{}: WAV: {cause}", path.display())]
    Wav {
        /// File.
        path: PathBuf,
        /// Cause (in the message, so it is printed once).
        cause: hound::Error,
    },
    /// JSON could not be parsed or written (the cause names line and column).
    #[error("{}: JSON: {cause}", path.display())]
    Json {
        /// File.
        path: PathBuf,
        /// Cause (in the message, so it is printed once).
        cause: serde_json::Error,
    },
    /// The CSV file has no header line.
    #[error("{}: empty file, expected a header line of column names", path.display())]
    Empty {
        /// File.
        path: PathBuf,
    },
    /// The CSV file has a header but no data rows.
    #[error("{}, line {line}: header only, no data rows", path.display())]
    NoData {
        /// File.
        path: PathBuf,
        /// Line of the header.
        line: usize,
    },
    /// The CSV header is unusable.
    #[error("{}, line {line}: bad header: {message}", path.display())]
    Header {
        /// File.
        path: PathBuf,
        /// Line of the header.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A CSV field is not a number.
    #[error(
        "{}, line {line}, column {column} ({name}): cannot parse {text:?} as a number",
        path.display()
    )]
    Number {
        /// File.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
        /// Column name.
        name: String,
        /// The field.
        text: String,
    },
    /// A CSV row has the wrong number of fields.
    #[error("{}, line {line}: {found} fields, the header has {expected}", path.display())]
    Ragged {
        /// File.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Header field count.
        expected: usize,
        /// Row field count.
        found: usize,
    },
    /// The CSV time does not increase.
    #[error(
        "{}, line {line}: time {t} s does not increase (previous row {previous} s)",
        path.display()
    )]
    TimeNotMonotonic {
        /// File.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Time on this line, s.
        t: f64,
        /// Time on the previous row, s.
        previous: f64,
    },
    /// A CSV time step differs from the median step by more than 1 % plus the printed resolution.
    #[error(
        "{}, line {line}: time step {step} s differs from the median step {median} s by more \
         than 1 % plus the printed resolution (non-uniform sampling)",
        path.display()
    )]
    TimeNotUniform {
        /// File.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Step ending on this line, s.
        step: f64,
        /// Median step, s.
        median: f64,
    },
    /// The sample rate is neither in the file nor given.
    #[error(
        "{}, line {line}: the header has no `t` column, so a sample rate must be given",
        path.display()
    )]
    MissingSampleRate {
        /// File.
        path: PathBuf,
        /// Line of the header.
        line: usize,
    },
    /// A given sample rate disagrees with the file's time column.
    #[error(
        "{}: the `t` column gives {derived} Hz but {given} Hz was given",
        path.display()
    )]
    SampleRateMismatch {
        /// File.
        path: PathBuf,
        /// Rate given by the caller, Hz.
        given: f64,
        /// Rate derived from the file, Hz.
        derived: f64,
    },
    /// A WAV file has no sidecar and no channel map was given.
    #[error(
        "{}: no sidecar {} and no channel map given (pass --channels and --full-scale)",
        path.display(),
        sidecar.display()
    )]
    MissingChannelMap {
        /// WAV file.
        path: PathBuf,
        /// Where the sidecar was looked for.
        sidecar: PathBuf,
    },
    /// Channel counts disagree.
    #[error("{}: {what}: the file has {file} channels but {given} were given", path.display())]
    ChannelCount {
        /// File.
        path: PathBuf,
        /// Which description disagrees with the file.
        what: &'static str,
        /// Channels in the file.
        file: usize,
        /// Channels in the description.
        given: usize,
    },
    /// The data cannot be stored in, or does not fit, the format.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// File.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A `--channels` / `--full-scale` description is malformed.
    #[error("channel map: {message}")]
    ChannelMap {
        /// What is wrong.
        message: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> FormatError + '_ {
    move |cause| FormatError::Io { path: path.to_path_buf(), cause }
}

fn wav_err(path: &Path) -> impl FnOnce(hound::Error) -> FormatError + '_ {
    move |cause| FormatError::Wav { path: path.to_path_buf(), cause }
}

fn invalid(path: &Path, message: impl Into<String>) -> FormatError {
    FormatError::Invalid { path: path.to_path_buf(), message: message.into() }
}

/// Sample encoding of a WAV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WavFormat {
    /// 16-bit integer PCM.
    I16,
    /// 24-bit integer PCM.
    I24,
    /// 32-bit integer PCM.
    I32,
    /// 32-bit IEEE float, `x / full_scale`.
    F32,
}

impl WavFormat {
    /// Bits per sample.
    pub fn bits(&self) -> u16 {
        match self {
            WavFormat::I16 => 16,
            WavFormat::I24 => 24,
            WavFormat::I32 | WavFormat::F32 => 32,
        }
    }

    /// Lower-case name as in the sidecar: `i16`, `i24`, `i32`, `f32`.
    pub fn name(&self) -> &'static str {
        match self {
            WavFormat::I16 => "i16",
            WavFormat::I24 => "i24",
            WavFormat::I32 => "i32",
            WavFormat::F32 => "f32",
        }
    }

    fn spec(&self, channels: u16, sample_rate: u32) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample: self.bits(),
            sample_format: match self {
                WavFormat::F32 => hound::SampleFormat::Float,
                _ => hound::SampleFormat::Int,
            },
        }
    }

    fn from_spec(spec: &hound::WavSpec) -> Option<WavFormat> {
        match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Int, 16) => Some(WavFormat::I16),
            (hound::SampleFormat::Int, 24) => Some(WavFormat::I24),
            (hound::SampleFormat::Int, 32) => Some(WavFormat::I32),
            (hound::SampleFormat::Float, 32) => Some(WavFormat::F32),
            _ => None,
        }
    }
}

impl std::fmt::Display for WavFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WavFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "i16" => Ok(WavFormat::I16),
            "i24" => Ok(WavFormat::I24),
            "i32" => Ok(WavFormat::I32),
            "f32" => Ok(WavFormat::F32),
            _ => Err(format!("unknown WAV format {s:?} (expected i16, i24, i32 or f32)")),
        }
    }
}

/// The JSON written beside a WAV file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WavSidecar {
    /// Exact sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Channel names in file order.
    pub channels: Vec<String>,
    /// Value of a full-scale sample per channel, V or A.
    pub full_scale: Vec<f64>,
    /// Sample encoding.
    pub format: WavFormat,
    /// Unit per channel, `V` or `A`.
    pub units: Vec<String>,
}

/// Sidecar path of a WAV file: the same path with the extension `json`.
pub fn sidecar_path(wav: &Path) -> PathBuf {
    wav.with_extension("json")
}

/// Channel names and full scales of a WAV file that has no sidecar.
#[derive(Clone, Debug, PartialEq)]
pub struct WavChannelMap {
    /// Channel names in file order.
    pub channels: Vec<String>,
    /// Value of a full-scale sample per channel, V or A.
    pub full_scale: Vec<f64>,
}

impl WavChannelMap {
    /// Parses command-line arguments: `channels` like `U1,U2,I1` and `full_scale` like
    /// `U=325,I=14.1`. A channel's kind is its first letter (`U` or `I`; `IN` is a current). A key
    /// naming a channel exactly (`I1=20`) takes precedence over its kind.
    ///
    /// # Errors
    ///
    /// [`FormatError::ChannelMap`] for an empty or duplicate name, a channel that is neither U nor
    /// I, a malformed or non-positive full scale, or a channel left without one.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_vectors::WavChannelMap;
    /// let m = WavChannelMap::from_cli("U1,I1,IN", "U=325,I=14.1,IN=5")?;
    /// assert_eq!(m.full_scale, [325.0, 14.1, 5.0]);
    /// # Ok::<(), percycle_vectors::FormatError>(())
    /// ```
    pub fn from_cli(channels: &str, full_scale: &str) -> Result<Self, FormatError> {
        let bad = |message: String| FormatError::ChannelMap { message };
        let names: Vec<String> = channels.split(',').map(|s| s.trim().to_string()).collect();
        for (k, n) in names.iter().enumerate() {
            if n.is_empty() {
                return Err(bad(format!("empty channel name in {channels:?}")));
            }
            if names[..k].contains(n) {
                return Err(bad(format!("channel {n:?} listed twice")));
            }
            if ChannelKind::of(n).is_none() {
                return Err(bad(format!(
                    "channel {n:?} must start with U (voltage) or I (current)"
                )));
            }
        }
        let mut scales: Vec<(String, f64)> = Vec::new();
        for item in full_scale.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) =
                item.split_once('=').ok_or_else(|| bad(format!("{item:?} is not KEY=VALUE")))?;
            let key = key.trim().to_string();
            let value: f64 = value
                .trim()
                .parse()
                .map_err(|_| bad(format!("full scale {value:?} for {key} is not a number")))?;
            if !(value.is_finite() && value > 0.0) {
                return Err(bad(format!("full scale for {key} must be > 0 (got {value})")));
            }
            scales.push((key, value));
        }
        let lookup = |key: &str| scales.iter().rev().find(|(k, _)| k == key).map(|s| s.1);
        let full_scale = names
            .iter()
            .map(|n| {
                let kind_key = match ChannelKind::of(n) {
                    Some(ChannelKind::Voltage) => "U",
                    _ => "I",
                };
                lookup(n).or_else(|| lookup(kind_key)).ok_or_else(|| {
                    bad(format!("no full scale for {n} (give {kind_key}=… or {n}=…)"))
                })
            })
            .collect::<Result<Vec<f64>, _>>()?;
        Ok(WavChannelMap { channels: names, full_scale })
    }
}

fn check_waveform(path: &Path, w: &Waveform) -> Result<(), FormatError> {
    if w.channels.is_empty() || w.channels.len() != w.samples.len() {
        return Err(FormatError::ChannelCount {
            path: path.to_path_buf(),
            what: "waveform",
            file: w.samples.len(),
            given: w.channels.len(),
        });
    }
    if let Some(ch) = w.samples.iter().position(|s| s.len() != w.len()) {
        return Err(invalid(
            path,
            format!(
                "channel {} has {} samples, channel {} has {}",
                w.channels[ch],
                w.samples[ch].len(),
                w.channels[0],
                w.len()
            ),
        ));
    }
    if !(w.sample_rate_hz.is_finite() && w.sample_rate_hz > 0.0) {
        return Err(invalid(path, format!("sample rate must be > 0 (got {})", w.sample_rate_hz)));
    }
    Ok(())
}

/// Writes a waveform as WAV plus its sidecar JSON.
///
/// `full_scale` gives, per channel, the value stored as the largest code (or as 1.0 for `F32`).
///
/// A missing sample (NaN) is written as [`MISSING_CODE`] in `I32` and as NaN in `F32`.
///
/// # Errors
///
/// [`FormatError`] when the sample rate is not a whole number of Hz, the full scales do not match
/// the channels or are not positive, the waveform has a missing sample and the format is `I16` or
/// `I24` (nothing is written then), or a file cannot be written.
pub fn write_wav(
    path: impl AsRef<Path>,
    waveform: &Waveform,
    format: WavFormat,
    full_scale: &[f64],
) -> Result<(), FormatError> {
    let path = path.as_ref();
    check_waveform(path, waveform)?;
    let nch = waveform.channels.len();
    if full_scale.len() != nch {
        return Err(FormatError::ChannelCount {
            path: path.to_path_buf(),
            what: "full_scale",
            file: nch,
            given: full_scale.len(),
        });
    }
    if let Some(bad) = full_scale.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        return Err(invalid(path, format!("full scale must be > 0 (got {bad})")));
    }
    let rate = waveform.sample_rate_hz;
    if rate.fract() != 0.0 || rate > f64::from(u32::MAX) {
        return Err(invalid(path, format!("WAV needs a whole sample rate in Hz (got {rate})")));
    }
    let channels = u16::try_from(nch)
        .map_err(|_| invalid(path, format!("{nch} channels do not fit in a WAV file")))?;
    if matches!(format, WavFormat::I16 | WavFormat::I24) {
        if let Some((ch, k)) = first_missing(waveform) {
            return Err(invalid(path, missing_message(waveform, ch, k, format)));
        }
    }
    let spec = format.spec(channels, rate as u32);
    let mut writer = hound::WavWriter::create(path, spec).map_err(wav_err(path))?;
    let bits = u32::from(format.bits());
    for k in 0..waveform.len() {
        for (ch, &fs) in waveform.samples.iter().zip(full_scale) {
            let x = ch[k];
            match format {
                WavFormat::F32 => writer.write_sample((x / fs) as f32),
                WavFormat::I16 => writer.write_sample(quantise(x, fs, bits) as i16),
                WavFormat::I24 | WavFormat::I32 => writer.write_sample(quantise(x, fs, bits)),
            }
            .map_err(wav_err(path))?;
        }
    }
    writer.finalize().map_err(wav_err(path))?;
    let sidecar = WavSidecar {
        sample_rate_hz: rate,
        channels: waveform.channels.clone(),
        full_scale: full_scale.to_vec(),
        format,
        units: waveform
            .channels
            .iter()
            .map(|c| ChannelKind::of(c).map_or("", |k| k.unit()).to_string())
            .collect(),
    };
    write_json(&sidecar_path(path), &sidecar)
}

/// Channel and index of the first missing (NaN) sample, in time order.
pub(crate) fn first_missing(w: &Waveform) -> Option<(usize, usize)> {
    (0..w.len()).find_map(|k| w.samples.iter().position(|s| s[k].is_nan()).map(|ch| (ch, k)))
}

/// Why a waveform with a missing sample cannot be written as `format`.
pub(crate) fn missing_message(w: &Waveform, ch: usize, k: usize, format: WavFormat) -> String {
    format!(
        "WAV {format} cannot carry a missing sample (NaN at sample {k} of {}, {} s); missing \
         samples need WAV i32 (code {MISSING_CODE}), WAV f32 (NaN) or CSV (NaN)",
        w.channels[ch],
        k as f64 / w.sample_rate_hz
    )
}

/// Reads a WAV file into volts and amperes.
///
/// The code [`MISSING_CODE`] of an `I32` file and NaN in an `F32` file are read as NaN.
///
/// An explicit `channel_map` is used when given; otherwise the sidecar `<file>.json` must exist.
/// With a map the sample rate comes from the WAV header, with a sidecar from the sidecar.
///
/// # Errors
///
/// [`FormatError::MissingChannelMap`] without map or sidecar, [`FormatError::ChannelCount`] when
/// the map or sidecar names a different number of channels than the file has, and codec, JSON
/// or I/O errors naming the file.
pub fn read_wav(
    path: impl AsRef<Path>,
    channel_map: Option<WavChannelMap>,
) -> Result<Waveform, FormatError> {
    let path = path.as_ref();
    let reader = hound::WavReader::open(path).map_err(wav_err(path))?;
    let spec = reader.spec();
    let format = WavFormat::from_spec(&spec).ok_or_else(|| {
        invalid(
            path,
            format!(
                "unsupported WAV encoding: {:?} with {} bits",
                spec.sample_format, spec.bits_per_sample
            ),
        )
    })?;
    let (channels, full_scale, rate) = match channel_map {
        Some(m) => (m.channels, m.full_scale, f64::from(spec.sample_rate)),
        None => {
            let sidecar = sidecar_path(path);
            if !sidecar.exists() {
                return Err(FormatError::MissingChannelMap { path: path.to_path_buf(), sidecar });
            }
            let sc: WavSidecar = read_json(&sidecar)?;
            if sc.format != format {
                return Err(invalid(
                    path,
                    format!(
                        "sidecar {} says {} but the file is {}",
                        sidecar.display(),
                        sc.format,
                        format
                    ),
                ));
            }
            if (sc.sample_rate_hz - f64::from(spec.sample_rate)).abs() > 0.5 {
                return Err(invalid(
                    path,
                    format!(
                        "sidecar {} says {} Hz but the header says {} Hz",
                        sidecar.display(),
                        sc.sample_rate_hz,
                        spec.sample_rate
                    ),
                ));
            }
            if let Some((k, v)) =
                sc.full_scale.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0))
            {
                return Err(invalid(
                    path,
                    format!(
                        "sidecar {}: full_scale[{k}] ({}) is {v}: a full scale must be finite \
                         and greater than zero",
                        sidecar.display(),
                        sc.channels.get(k).map_or("?", String::as_str)
                    ),
                ));
            }
            (sc.channels, sc.full_scale, sc.sample_rate_hz)
        }
    };
    let nch = usize::from(spec.channels);
    for (what, given) in [("channel names", channels.len()), ("full scales", full_scale.len())] {
        if given != nch {
            return Err(FormatError::ChannelCount {
                path: path.to_path_buf(),
                what,
                file: nch,
                given,
            });
        }
    }
    let frames = reader.len() as usize / nch.max(1);
    let mut samples = vec![Vec::with_capacity(frames); nch];
    match format {
        WavFormat::F32 => {
            for (k, s) in reader.into_samples::<f32>().enumerate() {
                let x = f64::from(s.map_err(wav_err(path))?);
                samples[k % nch].push(x * full_scale[k % nch]);
            }
        }
        _ => {
            let bits = u32::from(spec.bits_per_sample);
            for (k, s) in reader.into_samples::<i32>().enumerate() {
                let code = s.map_err(wav_err(path))?;
                samples[k % nch].push(dequantise(code, full_scale[k % nch], bits));
            }
        }
    }
    if samples.iter().any(|s| s.len() != samples[0].len()) {
        return Err(invalid(path, "the last frame is incomplete"));
    }
    Ok(Waveform { sample_rate_hz: rate, channels, samples })
}

/// Writes a waveform as CSV: header `t,<channels>`, then `n / rate` and the values per row.
///
/// # Errors
///
/// [`FormatError`] when a channel name cannot be a CSV column or the file cannot be written.
pub fn write_csv(path: impl AsRef<Path>, waveform: &Waveform) -> Result<(), FormatError> {
    let path = path.as_ref();
    check_waveform(path, waveform)?;
    if let Some(bad) = waveform.channels.iter().find(|c| {
        c.is_empty() || c.trim() != c.as_str() || c.contains([',', '\n', '\r', '#']) || *c == "t"
    }) {
        return Err(invalid(path, format!("{bad:?} cannot be a CSV column name")));
    }
    let file = File::create(path).map_err(io_err(path))?;
    let mut w = BufWriter::new(file);
    let mut write = || -> std::io::Result<()> {
        write!(w, "t")?;
        for c in &waveform.channels {
            write!(w, ",{c}")?;
        }
        writeln!(w)?;
        for k in 0..waveform.len() {
            write!(w, "{}", k as f64 / waveform.sample_rate_hz)?;
            for ch in &waveform.samples {
                write!(w, ",{}", ch[k])?;
            }
            writeln!(w)?;
        }
        w.flush()
    };
    write().map_err(io_err(path))
}

/// Reads a CSV waveform (see the module docs for the format).
///
/// `sample_rate_hz` is required when there is no `t` column; with one, a given rate must agree
/// with the derived rate to 0.1 %, and it is used when the file has a single row.
///
/// # Errors
///
/// [`FormatError`] naming the file, and the line (and column) where relevant: empty file, header
/// only, bad header, a field that is not a number, ragged rows, time that does not increase or is
/// not uniform, a missing sample rate.
pub fn read_csv(
    path: impl AsRef<Path>,
    sample_rate_hz: Option<f64>,
) -> Result<Waveform, FormatError> {
    let path = path.as_ref();
    let p = || path.to_path_buf();
    if let Some(rate) = sample_rate_hz {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(invalid(path, format!("sample rate must be > 0 (got {rate})")));
        }
    }
    let file = File::open(path).map_err(io_err(path))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut buf = String::new();
    let mut line_no = 0usize;

    // Next content line (not blank, not a comment), trimmed; None at end of file.
    let mut next_line = |buf: &mut String, line_no: &mut usize| -> Result<bool, FormatError> {
        loop {
            buf.clear();
            if reader.read_line(buf).map_err(io_err(path))? == 0 {
                return Ok(false);
            }
            *line_no += 1;
            if *line_no == 1 && buf.starts_with('\u{feff}') {
                buf.drain(..'\u{feff}'.len_utf8());
            }
            let t = buf.trim();
            if !t.is_empty() && !t.starts_with('#') {
                return Ok(true);
            }
        }
    };

    if !next_line(&mut buf, &mut line_no)? {
        return Err(FormatError::Empty { path: p() });
    }
    let header_line = line_no;
    let names: Vec<String> = buf.trim().split(',').map(|s| s.trim().to_string()).collect();
    for (k, n) in names.iter().enumerate() {
        let bad = |message: String| FormatError::Header { path: p(), line: header_line, message };
        if n.is_empty() {
            return Err(bad(format!("column {} has no name", k + 1)));
        }
        if names[..k].contains(n) {
            return Err(bad(format!("column {n:?} appears twice")));
        }
    }
    let t_col = names.iter().position(|n| n == "t");
    let channels: Vec<String> = names.iter().filter(|n| *n != "t").cloned().collect();
    if channels.is_empty() {
        return Err(FormatError::Header {
            path: p(),
            line: header_line,
            message: "no channel columns".into(),
        });
    }
    if t_col.is_none() && sample_rate_hz.is_none() {
        return Err(FormatError::MissingSampleRate { path: p(), line: header_line });
    }

    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); channels.len()];
    let mut times: Vec<f64> = Vec::new();
    let mut lines: Vec<usize> = Vec::new();
    let mut t_decimals = 0i32;
    while next_line(&mut buf, &mut line_no)? {
        let fields = buf.trim().split(',');
        let mut found = 0;
        let mut ch = 0;
        for (col, field) in fields.enumerate() {
            found += 1;
            if col >= names.len() {
                continue;
            }
            let text = field.trim();
            let value: f64 = text.parse().map_err(|_| FormatError::Number {
                path: p(),
                line: line_no,
                column: col + 1,
                name: names[col].clone(),
                text: text.to_string(),
            })?;
            if Some(col) == t_col {
                if !value.is_finite() {
                    return Err(FormatError::Number {
                        path: p(),
                        line: line_no,
                        column: col + 1,
                        name: names[col].clone(),
                        text: text.to_string(),
                    });
                }
                if let Some(&prev) = times.last() {
                    if value <= prev {
                        return Err(FormatError::TimeNotMonotonic {
                            path: p(),
                            line: line_no,
                            t: value,
                            previous: prev,
                        });
                    }
                }
                t_decimals = t_decimals.max(printed_decimals(text));
                times.push(value);
                lines.push(line_no);
            } else {
                samples[ch].push(value);
                ch += 1;
            }
        }
        if found != names.len() {
            return Err(FormatError::Ragged {
                path: p(),
                line: line_no,
                expected: names.len(),
                found,
            });
        }
    }
    let rows = samples[0].len();
    if rows == 0 {
        return Err(FormatError::NoData { path: p(), line: header_line });
    }

    let rate = match (t_col, sample_rate_hz) {
        (Some(_), given) if rows >= 2 => {
            let mut steps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
            let mid = steps.len() / 2;
            let median = *steps.select_nth_unstable_by(mid, f64::total_cmp).1;
            let allowed = CSV_TIME_STEP_TOLERANCE * median + 2.0 * 10f64.powi(-t_decimals);
            for (k, w) in times.windows(2).enumerate() {
                let step = w[1] - w[0];
                if (step - median).abs() > allowed {
                    return Err(FormatError::TimeNotUniform {
                        path: p(),
                        line: lines[k + 1],
                        step,
                        median,
                    });
                }
            }
            let derived = (rows - 1) as f64 / (times[rows - 1] - times[0]);
            if let Some(given) = given {
                if (given - derived).abs() > 1e-3 * given {
                    return Err(FormatError::SampleRateMismatch { path: p(), given, derived });
                }
            }
            derived
        }
        (_, Some(given)) => given,
        (Some(_), None) => {
            return Err(invalid(
                path,
                format!(
                    "a single data row (line {}) cannot give a sample rate; pass one",
                    lines[0]
                ),
            ))
        }
        (None, None) => unreachable!("checked after the header"),
    };
    Ok(Waveform { sample_rate_hz: rate, channels, samples })
}

/// Decimal places a number is printed to: `0.000098` → 6, `9.8e-5` → 6, `12` → 0.
fn printed_decimals(text: &str) -> i32 {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(k) => (&text[..k], text[k + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let decimals = mantissa.find('.').map_or(0, |k| mantissa.len() - k - 1);
    (decimals as i32 - exponent).max(0)
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), FormatError> {
    let file = File::create(path).map_err(io_err(path))?;
    let mut w = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, value)
        .map_err(|cause| FormatError::Json { path: path.to_path_buf(), cause })?;
    writeln!(w).and_then(|_| w.flush()).map_err(io_err(path))
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, FormatError> {
    let file = File::open(path).map_err(io_err(path))?;
    serde_json::from_reader(BufReader::new(file))
        .map_err(|cause| FormatError::Json { path: path.to_path_buf(), cause })
}

/// Writes truth as pretty JSON.
///
/// # Errors
///
/// [`FormatError`] when the file cannot be written.
pub fn write_truth(path: impl AsRef<Path>, truth: &Truth) -> Result<(), FormatError> {
    let path = path.as_ref();
    write_json(path, truth)
}

/// Reads truth JSON.
///
/// # Errors
///
/// [`FormatError`] naming the file, and line and column of a JSON error.
pub fn read_truth(path: impl AsRef<Path>) -> Result<Truth, FormatError> {
    let path = path.as_ref();
    read_json(path)
}

/// Writes a recipe as pretty JSON.
///
/// # Errors
///
/// [`FormatError`] when the file cannot be written.
pub fn write_recipe(path: impl AsRef<Path>, recipe: &Recipe) -> Result<(), FormatError> {
    let path = path.as_ref();
    write_json(path, recipe)
}

/// Reads a recipe from JSON (unknown fields are rejected).
///
/// # Errors
///
/// [`FormatError`] naming the file, and line and column of a JSON error.
pub fn read_recipe(path: impl AsRef<Path>) -> Result<Recipe, FormatError> {
    let path = path.as_ref();
    read_json(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{max_code, synthesize, Recipe, Topology};
    use std::fs;

    fn noisy_3p4w() -> Waveform {
        let r = Recipe::new("rt", Topology::ThreePhase4W)
            .with_duration(0.05)
            .with_load_angle(20.0)
            .with_u_harmonic(5, 5.0, 0.0)
            .with_noise(0.3, 0.002)
            .with_seed(3);
        synthesize(&r).unwrap().waveform
    }

    #[test]
    fn wav_round_trips_within_one_quantisation_step_in_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let w = noisy_3p4w();
        let fs = [400.0, 400.0, 400.0, 10.0, 10.0, 10.0, 10.0];
        for format in [WavFormat::I16, WavFormat::I24, WavFormat::I32, WavFormat::F32] {
            let path = dir.path().join(format!("rt_{format}.wav"));
            write_wav(&path, &w, format, &fs).unwrap();
            let sc: WavSidecar = read_json(&sidecar_path(&path)).unwrap();
            assert_eq!(sc.format, format);
            assert_eq!(sc.units, ["V", "V", "V", "A", "A", "A", "A"]);
            let back = read_wav(&path, None).unwrap();
            assert_eq!(back.channels, w.channels);
            assert_eq!(back.sample_rate_hz, w.sample_rate_hz);
            assert_eq!(back.len(), w.len());
            for (ch, (a, b)) in w.samples.iter().zip(&back.samples).enumerate() {
                // Half a code for integers; f32 rounds to 24 significant bits.
                let step = match format {
                    WavFormat::F32 => fs[ch] * 2f64.powi(-24),
                    _ => 0.5 * fs[ch] / max_code(u32::from(format.bits())),
                };
                let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                assert!(worst <= step * (1.0 + 1e-9), "{format} ch{ch}: {worst} > {step}");
                if format == WavFormat::I16 {
                    assert!(worst > step * 0.5, "the i16 path must really quantise");
                }
            }
        }
    }

    #[test]
    fn wav_integer_formats_clip_at_full_scale() {
        let dir = tempfile::tempdir().unwrap();
        let w = Waveform {
            sample_rate_hz: 8000.0,
            channels: vec!["U1".into()],
            samples: vec![vec![2.0, -2.0, 0.5]],
        };
        let path = dir.path().join("clip.wav");
        write_wav(&path, &w, WavFormat::I16, &[1.0]).unwrap();
        let back = read_wav(&path, None).unwrap();
        assert_eq!(back.samples[0][0], 1.0);
        assert_eq!(back.samples[0][1], -1.0); // symmetric rails
    }

    #[test]
    fn missing_samples_are_the_missing_code_in_i32_nan_in_f32_and_csv_and_refused_in_i16_i24() {
        let dir = tempfile::tempdir().unwrap();
        let w = Waveform {
            sample_rate_hz: 8000.0,
            channels: vec!["U1".into(), "I1".into()],
            samples: vec![vec![1.0, f64::NAN, -3.0, 2.5], vec![0.5, f64::NAN, f64::NAN, 9.0]],
        };
        let fs = [4.0, 10.0];
        let same = |a: &Waveform| {
            for (x, y) in a.samples.iter().flatten().zip(w.samples.iter().flatten()) {
                assert!(x.is_nan() == y.is_nan() && (x.is_nan() || (x - y).abs() < 1e-6));
            }
        };
        let path = dir.path().join("gap_i32.wav");
        write_wav(&path, &w, WavFormat::I32, &fs).unwrap();
        let raw: Vec<i32> = hound::WavReader::open(&path)
            .unwrap()
            .into_samples::<i32>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(raw[2], MISSING_CODE);
        assert_eq!(raw[3], MISSING_CODE);
        assert_eq!(raw[5], MISSING_CODE);
        assert_eq!(raw.iter().filter(|&&c| c == MISSING_CODE).count(), 3);
        same(&read_wav(&path, None).unwrap());

        let path = dir.path().join("gap_f32.wav");
        write_wav(&path, &w, WavFormat::F32, &fs).unwrap();
        let raw: Vec<f32> = hound::WavReader::open(&path)
            .unwrap()
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(raw[2].is_nan() && raw[3].is_nan() && raw[5].is_nan() && !raw[4].is_nan());
        same(&read_wav(&path, None).unwrap());

        let path = dir.path().join("gap.csv");
        write_csv(&path, &w).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().nth(2), Some("0.000125,NaN,NaN"));
        same(&read_csv(&path, None).unwrap());

        for format in [WavFormat::I16, WavFormat::I24] {
            let path = dir.path().join(format!("gap_{format}.wav"));
            let e = write_wav(&path, &w, format, &fs).unwrap_err().to_string();
            assert!(e.contains(&format!("gap_{format}.wav")), "{e}");
            assert!(e.contains(&format!("WAV {format} cannot carry a missing sample")), "{e}");
            assert!(e.contains("sample 1 of U1"), "{e}");
            assert!(!path.exists(), "nothing is written");
        }
    }

    #[test]
    fn wav_without_sidecar_needs_a_channel_map_that_matches() {
        let dir = tempfile::tempdir().unwrap();
        let w = noisy_3p4w();
        let path = dir.path().join("bare.wav");
        let fs = [400.0, 400.0, 400.0, 10.0, 10.0, 10.0, 10.0];
        write_wav(&path, &w, WavFormat::I32, &fs).unwrap();
        fs::remove_file(sidecar_path(&path)).unwrap();
        let e = read_wav(&path, None).unwrap_err();
        assert!(matches!(e, FormatError::MissingChannelMap { .. }));
        assert!(e.to_string().contains("bare.wav"), "{e}");

        let short = WavChannelMap::from_cli("U1,U2,I1", "U=400,I=10").unwrap();
        let e = read_wav(&path, Some(short)).unwrap_err().to_string();
        assert!(e.contains("bare.wav") && e.contains('7') && e.contains('3'), "{e}");

        let map = WavChannelMap::from_cli("U1,U2,U3,I1,I2,I3,IN", "U=400,I=10").unwrap();
        let back = read_wav(&path, Some(map)).unwrap();
        assert_eq!(back.channels, w.channels);
        assert!((back.samples[6][10] - w.samples[6][10]).abs() < 1e-8);
    }

    #[test]
    fn wav_needs_a_whole_sample_rate_and_matching_full_scales() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = noisy_3p4w();
        let path = dir.path().join("x.wav");
        assert!(write_wav(&path, &w, WavFormat::F32, &[1.0; 3]).is_err());
        w.sample_rate_hz = 10_240.5;
        let e = write_wav(&path, &w, WavFormat::F32, &[1.0; 7]).unwrap_err();
        assert!(e.to_string().contains("whole sample rate"), "{e}");
    }

    #[test]
    fn a_sidecar_full_scale_of_zero_or_below_is_refused_by_index_and_channel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wav");
        write_wav(
            &path,
            &noisy_3p4w(),
            WavFormat::I32,
            &[400.0, 400.0, 400.0, 10.0, 10.0, 10.0, 10.0],
        )
        .unwrap();
        let sidecar = sidecar_path(&path);
        let good = std::fs::read_to_string(&sidecar).unwrap();
        for bad in [-10.0, 0.0] {
            let mut json: serde_json::Value = serde_json::from_str(&good).unwrap();
            json["full_scale"][3] = serde_json::json!(bad);
            std::fs::write(&sidecar, json.to_string()).unwrap();
            let e = read_wav(&path, None).unwrap_err().to_string();
            assert!(e.contains("full_scale[3] (I1)") && e.contains("greater than zero"), "{e}");
        }
    }

    #[test]
    fn channel_map_parses_kinds_and_rejects_bad_input() {
        let m = WavChannelMap::from_cli(" U1, U2 ,I1,IN", "U=325, I=14.1").unwrap();
        assert_eq!(m.channels, ["U1", "U2", "I1", "IN"]);
        assert_eq!(m.full_scale, [325.0, 325.0, 14.1, 14.1]);
        for (ch, fs) in [
            ("U1,X1", "U=1,I=1"),
            ("U1,,I1", "U=1,I=1"),
            ("U1,U1", "U=1"),
            ("U1,I1", "U=1"),
            ("U1", "U=abc"),
            ("U1", "U=-3"),
            ("U1", "U325"),
        ] {
            let e = WavChannelMap::from_cli(ch, fs).unwrap_err();
            assert!(matches!(e, FormatError::ChannelMap { .. }), "{ch} {fs}: {e}");
        }
    }

    #[test]
    fn csv_round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let w = noisy_3p4w();
        let path = dir.path().join("rt.csv");
        write_csv(&path, &w).unwrap();
        let back = read_csv(&path, None).unwrap();
        assert_eq!(back.channels, w.channels);
        assert!((back.sample_rate_hz / w.sample_rate_hz - 1.0).abs() < 1e-12);
        for (a, b) in w.samples.iter().zip(&back.samples) {
            for (x, y) in a.iter().zip(b) {
                assert!((x - y).abs() <= 1e-12 * x.abs(), "{x} vs {y}");
            }
        }
        assert_eq!(back.samples, w.samples);
    }

    #[test]
    fn csv_reader_tolerates_crlf_comments_spaces_and_no_time_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loose.csv");
        fs::write(
            &path,
            "\u{feff}# recorded on a bench\r\n U1 , I1 \r\n1.5, -2\r\n\r\n# gap\r\n 2.5 ,3e-3\r\n",
        )
        .unwrap();
        let w = read_csv(&path, Some(4000.0)).unwrap();
        assert_eq!(w.channels, ["U1", "I1"]);
        assert_eq!(w.samples, [vec![1.5, 2.5], vec![-2.0, 0.003]]);
        assert_eq!(w.sample_rate_hz, 4000.0);

        let path = dir.path().join("timed.csv");
        // Timestamps printed to 1 µs at 10.24 kHz: steps of 97 or 98 µs.
        let mut text = String::from("t,U1\n");
        for k in 0..1000 {
            text.push_str(&format!("{:.6},{}\n", 1.0 + k as f64 / 10_240.0, k));
        }
        fs::write(&path, text).unwrap();
        let w = read_csv(&path, None).unwrap();
        assert!((w.sample_rate_hz / 10_240.0 - 1.0).abs() < 1e-4, "{}", w.sample_rate_hz);
        assert_eq!(w.len(), 1000);
        assert_eq!(printed_decimals("0.000098"), 6);
        assert_eq!(printed_decimals("9.8e-5"), 6);
        assert_eq!(printed_decimals("12"), 0);
        assert_eq!(printed_decimals("1.5E2"), 0);
    }

    #[test]
    fn every_malformed_csv_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        // (name, content, rate, expected line, extra text the message must contain)
        type Case = (&'static str, &'static str, Option<f64>, Option<usize>, &'static str);
        let cases: [Case; 10] = [
            ("number.csv", "t,U1,I1\n0,1,2\n0.1,1,x2\n", None, Some(3), "column 3"),
            ("ragged.csv", "t,U1\n0,1\n0.1,1,2\n", None, Some(3), "3 fields"),
            ("short.csv", "U1,I1\n1\n", Some(1e3), Some(2), "1 fields"),
            (
                "nonuni.csv",
                "t,U1\n0,1\n0.1,1\n0.2,1\n0.35,1\n0.45,1\n",
                None,
                Some(5),
                "non-uniform",
            ),
            ("back.csv", "t,U1\n0,1\n0.1,1\n0.1,1\n", None, Some(4), "does not increase"),
            ("norate.csv", "# c\nU1,I1\n1,2\n", None, Some(2), "sample rate"),
            ("header.csv", "t,U1\n# nothing\n", None, Some(1), "no data"),
            ("dup.csv", "U1,U1\n1,2\n", Some(1e3), Some(1), "twice"),
            ("blankname.csv", "U1,,I1\n1,2,3\n", Some(1e3), Some(1), "no name"),
            ("empty.csv", "# only a comment\n\n", None, None, "empty"),
        ];
        for (name, text, rate, line, extra) in cases {
            let path = dir.path().join(name);
            fs::write(&path, text).unwrap();
            let e = read_csv(&path, rate).expect_err(name).to_string();
            assert!(e.contains(name), "{e}");
            if let Some(line) = line {
                assert!(e.contains(&format!("line {line}")), "{e}");
            }
            assert!(e.contains(extra), "{e}");
        }
        let missing = dir.path().join("missing.csv");
        assert!(read_csv(&missing, None).unwrap_err().to_string().contains("missing.csv"));
    }

    #[test]
    fn csv_rate_given_with_a_time_column_must_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rate.csv");
        fs::write(&path, "t,U1\n0,1\n0.001,2\n0.002,3\n").unwrap();
        assert!((read_csv(&path, Some(1000.0)).unwrap().sample_rate_hz - 1000.0).abs() < 1e-9);
        let e = read_csv(&path, Some(2000.0)).unwrap_err();
        assert!(matches!(e, FormatError::SampleRateMismatch { .. }), "{e}");
    }

    #[test]
    fn truth_and_recipe_round_trip_through_json() {
        let dir = tempfile::tempdir().unwrap();
        let r = Recipe::new("json", Topology::ThreePhase4W)
            .with_duration(0.1)
            .with_load_angle(-36.87)
            .with_i_harmonic(3, 20.0, 0.0);
        let v = synthesize(&r).unwrap();
        let path = dir.path().join("t.truth.json");
        write_truth(&path, &v.truth).unwrap();
        assert_eq!(read_truth(&path).unwrap(), v.truth);
        let rp = dir.path().join("t.recipe.json");
        write_recipe(&rp, &r).unwrap();
        assert_eq!(read_recipe(&rp).unwrap(), r);
        fs::write(&rp, "{\n  \"name\": ,\n}").unwrap();
        let e = read_recipe(&rp).unwrap_err().to_string();
        assert!(e.contains("t.recipe.json") && e.contains("line 2"), "{e}");
    }
}
