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
//! [`select::choose`]: `--channels U12=VAB,…` by name or index, or
//! automatically from the phase IDs (`ID_PHASE_AB` is `AB`, …), so that line voltages AB and BC
//! with currents A and C give `U12=VAB,U32=-VBC,I1=IA,I3=IC`. Values are in V and A as the file
//! states them (PQDIF has no kV). A channel whose values are stored as integers states its
//! converter range by that storage: the largest magnitude of the integer type after scale and
//! offset (int2 × 1.58 V: ±51.9 kV) is its full scale
//! ([`ChannelInfo::full_scale`](crate::source::ChannelInfo::full_scale)); values stored as reals
//! state none, and `--full-scale` does not apply.
//!
//! # Different rates
//!
//! Instruments often sample currents slower than voltages (the IEEE example file: voltages at
//! 15 360 Hz, currents at 7 680 Hz). The source delivers every channel at the highest rate of
//! the chosen channels; a slower channel is interpolated by an integer factor with a
//! Kaiser-windowed sinc of [`PQDIF_INTERPOLATION_TAPS`] taps (β = 10), symmetric, its samples
//! kept where they fall ([`resample`]). Measured on a 60 Hz + 5th-harmonic current sampled at
//! 7 680 Hz and brought to 15 360 Hz, the interpolated values are within 1.5e-6 of the peak of
//! the analytic signal (tested at 1e-4); the kernel's response at the half-sample phase departs
//! from 1 (magnitude and phase together) by at most 2.1e-5 up to 0.39 of the slow rate (the
//! 50th harmonic of 60 Hz at 7 680 Hz), computed on a sweep. Where the kernel does not fit — the
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
mod source;
pub mod tags;
mod walk;

pub use self::source::PqdifSource;

use self::walk::{read_observation, Walk};
use super::select;
use crate::source::Unit;
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

/// Every observation of a PQDIF file, in order, with its waveform channels' rates.
///
/// # Errors
/// [`FormatError::Io`] when the file cannot be read; [`FormatError::Invalid`], naming the
/// record and the byte, for a broken chain, a body beyond the file or the limit, corrupt zlib,
/// a truncated element, or an observation before any data source.
pub fn observations(path: impl AsRef<Path>) -> Result<Vec<ObservationInfo>, FormatError> {
    let path = path.as_ref();
    observations_of(path, Walk::open(path)?)
}

/// As [`observations`], of a PQDIF file held in memory (`name` names it in messages).
///
/// # Errors
/// As [`observations`].
pub fn observations_in(name: &str, bytes: Vec<u8>) -> Result<Vec<ObservationInfo>, FormatError> {
    let path = Path::new(name);
    observations_of(path, Walk::over(path, physical::Chain::from_bytes(path, bytes))?)
}

fn observations_of(path: &Path, mut walk: Walk) -> Result<Vec<ObservationInfo>, FormatError> {
    let mut out = Vec::new();
    while let Some((k, rec)) = walk.next_observation(path)? {
        out.push(read_observation(path, &mut walk, k, &rec, |info, _, _, _| Ok(info))?);
    }
    Ok(out)
}
