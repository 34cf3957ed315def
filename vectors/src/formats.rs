//! Waveform and truth files: the writers of WAV with a JSON sidecar and of CSV, the format they
//! write, and JSON truth and recipes (written and read here).
//!
//! The readers of recorded waveforms, WAV and CSV as written here and MATLAB MAT-files, are in
//! `percycle-analysis` (`percycle_analysis::read`: `WavSource`, `CsvSource`, `MatSource`), which
//! stream them. The rules below are the format: what the writers here write and what those
//! readers read.
//!
//! # WAV
//!
//! Channels are interleaved in [`Waveform::channels`] order. Integer formats store
//! `round(x / full_scale · (2^(b−1) − 1))` clamped to the rails `±(2^(b−1) − 1)` (the rule of
//! [`crate::quantise`]), read back as `code · full_scale / (2^(b−1) − 1)` ([`crate::dequantise`]);
//! `F32` stores `x / full_scale`. The sidecar `<file>.json` (the WAV path with its extension
//! replaced, [`sidecar_path`]) holds what the WAV header cannot: channel names, per-channel full
//! scale, the exact sample rate and the units; see [`WavSidecar`]. A WAV file without a sidecar
//! is read with a [`WavChannelMap`] (channel names and full scales) and the header's rate.
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
//! Rust's shortest round-trip formatting, so reading gives back the same `f64`. Blank lines and
//! lines starting with `#` are skipped, spaces around fields are trimmed, `\r\n` line ends and a
//! UTF-8 byte-order mark are accepted. Quoted fields are not supported.
//!
//! With a `t` column, the time must be uniform: every step positive and within
//! [`CSV_TIME_STEP_TOLERANCE`] of the median step plus two units of the finest decimal place
//! printed in the column (so times printed to a fixed number of decimals pass). The sample rate
//! is then `(rows − 1) / (t_last − t_first)`, which equals `1 / median` for exactly uniform time
//! and averages out the rounding of printed timestamps; a rate given as well must agree with it.
//! Without a `t` column the rate must be given. The start time is not kept. (The streaming
//! reader takes the median and the rate over the rows it looks ahead at; see
//! `percycle_analysis::read::csv`.)

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::synth::{quantise, ChannelKind, Recipe, Waveform, MISSING_CODE};
use crate::truth::Truth;

/// Largest relative deviation of a CSV time step from the median step (see the module docs; the
/// CSV reader of `percycle_analysis::read` applies it).
pub const CSV_TIME_STEP_TOLERANCE: f64 = 0.01;

/// A file that could not be read or written, by the writers and JSON readers here or by the
/// readers of `percycle_analysis::read`; every variant names the file.
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

impl FormatError {
    /// The error of an operating-system call on `path`, for `map_err`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |cause| FormatError::Io { path: path.to_path_buf(), cause }
    }

    /// The error of the WAV codec on `path`, for `map_err`.
    pub fn wav(path: &Path) -> impl FnOnce(hound::Error) -> Self + '_ {
        move |cause| FormatError::Wav { path: path.to_path_buf(), cause }
    }

    /// What is wrong with `path`.
    pub fn invalid(path: &Path, message: impl Into<String>) -> Self {
        FormatError::Invalid { path: path.to_path_buf(), message: message.into() }
    }
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
        return Err(FormatError::invalid(
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
        return Err(FormatError::invalid(
            path,
            format!("sample rate must be > 0 (got {})", w.sample_rate_hz),
        ));
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
        return Err(FormatError::invalid(path, format!("full scale must be > 0 (got {bad})")));
    }
    let rate = waveform.sample_rate_hz;
    if rate.fract() != 0.0 || rate > f64::from(u32::MAX) {
        return Err(FormatError::invalid(
            path,
            format!("WAV needs a whole sample rate in Hz (got {rate})"),
        ));
    }
    let channels = u16::try_from(nch).map_err(|_| {
        FormatError::invalid(path, format!("{nch} channels do not fit in a WAV file"))
    })?;
    if matches!(format, WavFormat::I16 | WavFormat::I24) {
        if let Some((ch, k)) = first_missing(waveform) {
            return Err(FormatError::invalid(path, missing_message(waveform, ch, k, format)));
        }
    }
    let spec = format.spec(channels, rate as u32);
    let mut writer = hound::WavWriter::create(path, spec).map_err(FormatError::wav(path))?;
    let bits = u32::from(format.bits());
    for k in 0..waveform.len() {
        for (ch, &fs) in waveform.samples.iter().zip(full_scale) {
            let x = ch[k];
            match format {
                WavFormat::F32 => writer.write_sample((x / fs) as f32),
                WavFormat::I16 => writer.write_sample(quantise(x, fs, bits) as i16),
                WavFormat::I24 | WavFormat::I32 => writer.write_sample(quantise(x, fs, bits)),
            }
            .map_err(FormatError::wav(path))?;
        }
    }
    writer.finalize().map_err(FormatError::wav(path))?;
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
        return Err(FormatError::invalid(path, format!("{bad:?} cannot be a CSV column name")));
    }
    let file = File::create(path).map_err(FormatError::io(path))?;
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
    write().map_err(FormatError::io(path))
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), FormatError> {
    let file = File::create(path).map_err(FormatError::io(path))?;
    let mut w = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, value)
        .map_err(|cause| FormatError::Json { path: path.to_path_buf(), cause })?;
    writeln!(w).and_then(|_| w.flush()).map_err(FormatError::io(path))
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, FormatError> {
    let file = File::open(path).map_err(FormatError::io(path))?;
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
    //! The writers, checked on the bytes they write. Reading these files back is tested where
    //! the readers are, in `percycle-analysis` (`tests/read.rs`, `tests/vectors_files.rs`).

    use super::*;
    use crate::synth::{synthesize, Recipe, Topology};
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
    fn wav_stores_the_quantised_code_or_the_scaled_float_and_a_sidecar_in_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let w = noisy_3p4w();
        let fs = [400.0, 400.0, 400.0, 10.0, 10.0, 10.0, 10.0];
        for format in [WavFormat::I16, WavFormat::I24, WavFormat::I32, WavFormat::F32] {
            let path = dir.path().join(format!("rt_{format}.wav"));
            write_wav(&path, &w, format, &fs).unwrap();
            let sc: WavSidecar = read_json(&sidecar_path(&path)).unwrap();
            assert_eq!(sc.format, format);
            assert_eq!(sc.units, ["V", "V", "V", "A", "A", "A", "A"]);
            assert_eq!(sc.channels, w.channels);
            assert_eq!(sc.full_scale, fs);
            assert_eq!(sc.sample_rate_hz, w.sample_rate_hz);

            let reader = hound::WavReader::open(&path).unwrap();
            assert_eq!(reader.spec(), format.spec(7, w.sample_rate_hz as u32), "{format}");
            assert_eq!(reader.len() as usize, 7 * w.len(), "{format}");
            let bits = u32::from(format.bits());
            match format {
                WavFormat::F32 => {
                    for (j, x) in reader.into_samples::<f32>().enumerate() {
                        let (k, ch) = (j / 7, j % 7);
                        let want = (w.samples[ch][k] / fs[ch]) as f32;
                        assert_eq!(x.unwrap().to_bits(), want.to_bits(), "f32 ch{ch} sample {k}");
                    }
                }
                _ => {
                    for (j, code) in reader.into_samples::<i32>().enumerate() {
                        let (k, ch) = (j / 7, j % 7);
                        let want = quantise(w.samples[ch][k], fs[ch], bits);
                        assert_eq!(code.unwrap(), want, "{format} ch{ch} sample {k}");
                    }
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
        let raw: Vec<i16> = hound::WavReader::open(&path)
            .unwrap()
            .into_samples::<i16>()
            .collect::<Result<_, _>>()
            .unwrap();
        // Symmetric rails: ±32767, never -32768.
        assert_eq!(raw, [i16::MAX, -i16::MAX, 16_384]);
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

        let path = dir.path().join("gap_f32.wav");
        write_wav(&path, &w, WavFormat::F32, &fs).unwrap();
        let raw: Vec<f32> = hound::WavReader::open(&path)
            .unwrap()
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(raw[2].is_nan() && raw[3].is_nan() && raw[5].is_nan() && !raw[4].is_nan());

        let path = dir.path().join("gap.csv");
        write_csv(&path, &w).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().nth(2), Some("0.000125,NaN,NaN"));

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
    fn csv_writes_the_header_the_time_and_values_that_parse_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let w = noisy_3p4w();
        let path = dir.path().join("rt.csv");
        write_csv(&path, &w).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("t,U1,U2,U3,I1,I2,I3,IN"));
        let mut rows = 0;
        for (k, line) in lines.enumerate() {
            let fields: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
            assert_eq!(fields.len(), 8, "row {k}");
            assert_eq!(fields[0], k as f64 / w.sample_rate_hz, "row {k}");
            for (ch, x) in fields[1..].iter().enumerate() {
                assert_eq!(x.to_bits(), w.samples[ch][k].to_bits(), "row {k} ch{ch}");
            }
            rows += 1;
        }
        assert_eq!(rows, w.len());
        let bad = Waveform {
            sample_rate_hz: w.sample_rate_hz,
            channels: vec!["U,1".into()],
            samples: vec![w.samples[0].clone()],
        };
        let e = write_csv(dir.path().join("bad.csv"), &bad).unwrap_err().to_string();
        assert!(e.contains("bad.csv") && e.contains("cannot be a CSV column name"), "{e}");
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
