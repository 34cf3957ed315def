//! Readers of recorded waveforms that stream: WAV (with a JSON sidecar or a channel map), CSV,
//! MATLAB level-5 MAT-files, COMTRADE (`.cfg` with `.dat`, or `.cff`) and PQDIF files
//! (IEEE 1159.3), one observation at a time.
//!
//! [`open`] picks the reader by the file's extension and applies the command-line options that
//! fit the format ([`ReadOptions`]); an option that does not apply is refused by name, never
//! ignored. WAV, CSV and COMTRADE are read in blocks, in memory that does not grow with the
//! recording; a MAT-file's variables are read whole (within [`MAT_MAX_BYTES`]) and handed out
//! in blocks, and so is a PQDIF observation (within [`PQDIF_MAX_RECORD_BYTES`] a record).
//!
//! A recording held in memory (received, generated, unpacked from an archive) is read by the
//! same readers without a file: [`WavSource::from_bytes`] (with a channel map, as there is no
//! sidecar), [`CsvSource::from_bytes`], [`MatSource::from_bytes`],
//! [`ComtradeSource::from_cff_bytes`] (the single-file `.cff` form) and
//! [`PqdifSource::from_bytes`]. A name given with the bytes stands for the file in messages.

pub mod comtrade;
pub mod csv;
pub mod mat;
pub mod pqdif;
pub mod select;
pub mod wav;

pub use self::comtrade::{ComtradeSource, COMTRADE_MAX_CFG_BYTES, COMTRADE_RATE_LOOK_AHEAD_ROWS};
pub use self::csv::{CsvSource, CSV_LOOK_AHEAD_ROWS};
pub use self::mat::{MatSource, MAT_MAX_BYTES, MAT_TIME_STEP_TOLERANCE};
pub use self::pqdif::{
    observations as pqdif_observations, NativeChannel, ObservationChannel, ObservationInfo,
    PqdifSource, PQDIF_MAX_RECORD_BYTES, PQDIF_MAX_SAMPLES,
};
pub use self::wav::WavSource;

use crate::source::{Source, SourceInfo};
use percycle_vectors::formats::sidecar_path;
use percycle_vectors::{ChannelKind, FormatError, WavChannelMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

/// What a reader reads: a file through a buffer, or bytes in memory (the `from_bytes`
/// constructors), shared so that a reader can go over them twice.
pub(crate) enum Reader {
    File(BufReader<File>),
    Memory(Cursor<Arc<[u8]>>),
}

impl Reader {
    /// A file read through a buffer of `capacity` bytes.
    pub(crate) fn file(file: File, capacity: usize) -> Self {
        Reader::File(BufReader::with_capacity(capacity, file))
    }

    /// Bytes in memory, from their start.
    pub(crate) fn memory(bytes: Arc<[u8]>) -> Self {
        Reader::Memory(Cursor::new(bytes))
    }
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Reader::File(r) => r.read(buf),
            Reader::Memory(r) => r.read(buf),
        }
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        match self {
            Reader::File(r) => r.read_exact(buf),
            Reader::Memory(r) => r.read_exact(buf),
        }
    }
}

impl BufRead for Reader {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        match self {
            Reader::File(r) => r.fill_buf(),
            Reader::Memory(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            Reader::File(r) => r.consume(amount),
            Reader::Memory(r) => r.consume(amount),
        }
    }
}

impl Seek for Reader {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        match self {
            Reader::File(r) => r.seek(pos),
            Reader::Memory(r) => r.seek(pos),
        }
    }
}

/// Highest sample rate `--sample-rate` accepts, Hz.
pub const MAX_SAMPLE_RATE_HZ: f64 = 1e6;

/// What the command line states about a recording beyond the file itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadOptions {
    /// `--channels U1,U2,I1`: channel names of a WAV file without a sidecar; for COMTRADE the
    /// engine inputs among the file's channels (`U1=VA_G1,...`, see [`select::choose`]).
    pub channels: Option<String>,
    /// `--full-scale U=325,I=10`: the value of a sample at the converter's rail per channel
    /// kind (`U`, `I`) or per channel name (`I1=20`, which wins over its kind).
    pub full_scale: Option<String>,
    /// `--sample-rate`: the sample rate of a CSV file, Hz (required without a `t` column).
    pub sample_rate_hz: Option<f64>,
}

/// The formats [`open`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Wav,
    Csv,
    Mat,
    Comtrade,
    Pqdif,
}

/// A channel-map error as an error naming the file (`option` prefixes the message when the
/// message does not name it).
fn named(path: &Path, option: &str, e: FormatError) -> FormatError {
    match e {
        FormatError::ChannelMap { message } if option.is_empty() => {
            FormatError::invalid(path, message)
        }
        FormatError::ChannelMap { message } => {
            FormatError::invalid(path, format!("{option}: {message}"))
        }
        e => e,
    }
}

fn format_of(path: &Path) -> Result<Format, FormatError> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("wav") => Ok(Format::Wav),
        Some("csv") => Ok(Format::Csv),
        Some("mat") => Ok(Format::Mat),
        Some("cfg" | "cff") => Ok(Format::Comtrade),
        Some("pqd") => Ok(Format::Pqdif),
        _ => Err(FormatError::invalid(
            path,
            "unknown input format (expected .wav, .csv, .mat, COMTRADE .cfg or .cff, or PQDIF .pqd)",
        )),
    }
}

/// Checks, before anything is read, that the file's extension is known and that every option
/// given applies to the format and is in range:
///
/// - `--sample-rate` (finite, > 0, at most [`MAX_SAMPLE_RATE_HZ`]) applies to CSV only: a WAV
///   header, a MAT `time` variable, a COMTRADE configuration and PQDIF time series give the rate;
/// - `--channels` applies to WAV, together with `--full-scale`, and only without a sidecar
///   (the sidecar states channels and full scales), and to COMTRADE and PQDIF (the engine
///   inputs among their named channels, [`select::choose`], e.g. `U12=VAB,U32=-VBC`); a CSV
///   header and MAT variables name their channels;
/// - `--full-scale` applies to WAV (with `--channels`), CSV and MAT, not to COMTRADE (its
///   configuration states each channel's range) nor to PQDIF (whose series are scaled to V and
///   A by the file); its syntax is checked here, its keys against the channels when the file is
///   opened.
///
/// # Errors
/// [`FormatError::Invalid`] naming the file and the option.
pub fn check_options(path: &Path, opts: &ReadOptions) -> Result<(), FormatError> {
    let format = format_of(path)?;
    if let Some(rate) = opts.sample_rate_hz {
        match format {
            Format::Wav => {
                return Err(FormatError::invalid(
                    path,
                    "--sample-rate does not apply to a WAV file: its header (or sidecar) gives \
                     the sample rate",
                ))
            }
            Format::Mat => {
                return Err(FormatError::invalid(
                    path,
                    "--sample-rate does not apply to a MAT-file: its `time` variable gives the \
                     sample rate",
                ))
            }
            Format::Comtrade => {
                return Err(FormatError::invalid(
                    path,
                    "--sample-rate does not apply to a COMTRADE file: its configuration gives \
                     the sample rate",
                ))
            }
            Format::Pqdif => {
                return Err(FormatError::invalid(
                    path,
                    "--sample-rate does not apply to a PQDIF file: its time series give the \
                     sample rates",
                ))
            }
            Format::Csv => {}
        }
        if !(rate.is_finite() && rate > 0.0 && rate <= MAX_SAMPLE_RATE_HZ) {
            return Err(FormatError::invalid(
                path,
                format!(
                    "--sample-rate must be finite, > 0 and at most {MAX_SAMPLE_RATE_HZ} Hz \
                     (got {rate})"
                ),
            ));
        }
    }
    if opts.channels.is_some() {
        match format {
            Format::Csv => {
                return Err(FormatError::invalid(
                    path,
                    "--channels does not apply to a CSV file: its header names the channels",
                ))
            }
            Format::Mat => {
                return Err(FormatError::invalid(
                    path,
                    "--channels does not apply to a MAT-file: its variables (`voltage`, \
                     `current`) name the channels",
                ))
            }
            Format::Wav | Format::Comtrade | Format::Pqdif => {}
        }
    }
    if format == Format::Comtrade && opts.full_scale.is_some() {
        return Err(FormatError::invalid(
            path,
            "--full-scale does not apply to a COMTRADE file: its configuration states the range \
             (min, max, scaling) of every channel",
        ));
    }
    if format == Format::Pqdif && opts.full_scale.is_some() {
        return Err(FormatError::invalid(
            path,
            "--full-scale does not apply to a PQDIF file: its series are scaled to V and A by \
             the file, which states no converter range",
        ));
    }
    if format == Format::Wav && (opts.channels.is_some() || opts.full_scale.is_some()) {
        let sidecar = sidecar_path(path);
        if sidecar.exists() {
            let given = match (&opts.channels, &opts.full_scale) {
                (Some(_), Some(_)) => "--channels and --full-scale do",
                (Some(_), None) => "--channels does",
                _ => "--full-scale does",
            };
            return Err(FormatError::invalid(
                path,
                format!(
                    "{given} not apply: the sidecar {} states channels and full scales",
                    sidecar.display()
                ),
            ));
        }
        if opts.channels.is_none() || opts.full_scale.is_none() {
            let (given, missing) = match opts.channels {
                Some(_) => ("--channels", "--full-scale"),
                None => ("--full-scale", "--channels"),
            };
            return Err(FormatError::invalid(
                path,
                format!(
                    "{given} needs {missing}: a WAV file without a sidecar takes both \
                     (--channels U1,I1 --full-scale U=325,I=10)"
                ),
            ));
        }
    }
    if let Some(spec) = &opts.full_scale {
        parse_full_scale(spec).map_err(|message| FormatError::invalid(path, message))?;
    }
    Ok(())
}

/// Opens a recording by its extension (`.wav`, `.csv`, `.mat`, `.cfg`, `.cff`, `.pqd`, any
/// case) with the options that apply to it (see [`check_options`]): a WAV file with its sidecar
/// or with `--channels` and `--full-scale`; a CSV file with `--sample-rate` when it has no `t`
/// column; CSV and MAT with `--full-scale` for the converter range of their channels
/// ([`full_scale_for`]); a COMTRADE recording with `--channels` choosing the engine inputs; a
/// PQDIF file's first observation that holds waveforms ([`PqdifSource::open_first`]), its
/// channels chosen by `--channels` or automatically.
///
/// # Errors
/// An unknown extension, an option that does not apply or is out of range (named), and the
/// reader's errors, which name the file and the line or byte.
pub fn open(path: &Path, opts: &ReadOptions) -> Result<Box<dyn Source>, FormatError> {
    check_options(path, opts)?;
    Ok(match format_of(path)? {
        Format::Wav => {
            let map = match (&opts.channels, &opts.full_scale) {
                (Some(c), Some(f)) => Some(
                    WavChannelMap::from_cli(c, f)
                        .map_err(|e| named(path, "--channels/--full-scale", e))?,
                ),
                _ => None,
            };
            Box::new(WavSource::open(path, map)?)
        }
        Format::Csv => {
            let mut src = CsvSource::open(path, opts.sample_rate_hz)?;
            if let Some(spec) = &opts.full_scale {
                let fs =
                    full_scale_for(spec, &src.info().names()).map_err(|e| named(path, "", e))?;
                src = src.with_full_scale(&fs)?;
            }
            Box::new(src)
        }
        Format::Mat => {
            let mut src = MatSource::open(path)?;
            if let Some(spec) = &opts.full_scale {
                let fs =
                    full_scale_for(spec, &src.info().names()).map_err(|e| named(path, "", e))?;
                src = src.with_full_scale(&fs)?;
            }
            Box::new(src)
        }
        Format::Comtrade => Box::new(ComtradeSource::open(path, opts.channels.as_deref())?),
        Format::Pqdif => Box::new(PqdifSource::open_first(path, opts.channels.as_deref())?),
    })
}

/// `KEY=VALUE` pairs of a `--full-scale` specification, values finite and > 0.
fn parse_full_scale(spec: &str) -> Result<Vec<(String, f64)>, String> {
    let mut scales = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| format!("--full-scale: {item:?} is not KEY=VALUE (e.g. U=325)"))?;
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(format!("--full-scale: {item:?} has no key (U, I or a channel name)"));
        }
        let value: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("--full-scale: {value:?} for {key} is not a number"))?;
        if !(value.is_finite() && value > 0.0) {
            return Err(format!(
                "--full-scale: the full scale for {key} must be finite and > 0 (got {value})"
            ));
        }
        scales.push((key, value));
    }
    if scales.is_empty() {
        return Err("--full-scale: empty (give e.g. U=325,I=10)".to_string());
    }
    Ok(scales)
}

/// The full scale of each channel `names` from a `--full-scale` specification, with the
/// syntax of [`WavChannelMap::from_cli`]: `U=325,I=10` gives every voltage (`U…`) and every
/// current (`I…`, `IN` included) its kind's value; a key naming a channel exactly (`I1=20`)
/// wins over its kind; a later key wins over an earlier one. Values must be finite and > 0.
///
/// # Errors
/// [`FormatError::ChannelMap`] for a malformed item, a value that is not a finite number > 0,
/// a key that is neither `U`, `I` nor a channel name, or a channel left without a full scale.
///
/// # Examples
///
/// ```
/// use percycle_analysis::read::full_scale_for;
/// let names = ["U1".to_string(), "I1".to_string(), "IN".to_string()];
/// assert_eq!(full_scale_for("U=325,I=10,IN=5", &names)?, [325.0, 10.0, 5.0]);
/// # Ok::<(), percycle_vectors::FormatError>(())
/// ```
pub fn full_scale_for(spec: &str, names: &[String]) -> Result<Vec<f64>, FormatError> {
    let bad = |message: String| FormatError::ChannelMap { message };
    let scales = parse_full_scale(spec).map_err(bad)?;
    for (key, _) in &scales {
        if key != "U" && key != "I" && !names.contains(key) {
            return Err(bad(format!(
                "--full-scale: {key} is neither U, I nor a channel of the file ({})",
                names.join(", ")
            )));
        }
    }
    let lookup = |key: &str| scales.iter().rev().find(|(k, _)| k == key).map(|s| s.1);
    names
        .iter()
        .map(|n| {
            let kind = match ChannelKind::of(n) {
                Some(ChannelKind::Voltage) => Some("U"),
                Some(ChannelKind::Current) => Some("I"),
                None => None,
            };
            lookup(n).or_else(|| kind.and_then(lookup)).ok_or_else(|| {
                bad(match kind {
                    Some(k) => format!("--full-scale: no full scale for {n} (give {k}=… or {n}=…)"),
                    None => format!("--full-scale: no full scale for {n} (give {n}=…)"),
                })
            })
        })
        .collect()
}

/// Sets the full scale of every channel of `info`, one per channel, each finite and > 0.
pub(crate) fn set_full_scale(info: &mut SourceInfo, full_scale: &[f64]) -> Result<(), FormatError> {
    if full_scale.len() != info.channels.len() {
        return Err(FormatError::ChannelCount {
            path: info.path.clone(),
            what: "full scales",
            file: info.channels.len(),
            given: full_scale.len(),
        });
    }
    for (k, (ch, &fs)) in info.channels.iter().zip(full_scale).enumerate() {
        if !(fs.is_finite() && fs > 0.0) {
            return Err(FormatError::invalid(
                &info.path,
                format!(
                    "full scale {k} ({}) is {fs}: a full scale must be finite and greater than \
                     zero",
                    ch.name
                ),
            ));
        }
    }
    for (ch, &fs) in info.channels.iter_mut().zip(full_scale) {
        ch.full_scale = Some(fs);
    }
    Ok(())
}
