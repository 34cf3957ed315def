//! Sources of samples: what a recording states about itself ([`SourceInfo`]) and its samples
//! in blocks ([`Source`]), so that a recording of any length is analysed in bounded memory.

use percycle_vectors::{ChannelKind, FormatError, Waveform};
use std::path::{Path, PathBuf};

/// What a channel measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Volts.
    Volt,
    /// Amperes.
    Ampere,
}

impl Unit {
    /// The unit of a channel named `U…` (voltage) or `I…` (current, `IN` included).
    pub fn of_name(name: &str) -> Option<Self> {
        match ChannelKind::of(name.trim())? {
            ChannelKind::Voltage => Some(Unit::Volt),
            ChannelKind::Current => Some(Unit::Ampere),
        }
    }

    /// `V` or `A`.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Volt => "V",
            Unit::Ampere => "A",
        }
    }
}

/// One channel of a source.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelInfo {
    /// Name as the source gives it (`U1`, `I3`, …).
    pub name: String,
    /// What it measures, when the source or the name says.
    pub unit: Option<Unit>,
    /// The value of a sample at the converter's rail, V or A peak, when the source states it
    /// (a WAV sidecar, `--full-scale`). A sample at or beyond it reaches the engine as clipped.
    pub full_scale: Option<f64>,
}

/// What a source states about itself: metadata come from the file or the user, never from the
/// samples.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceInfo {
    /// The file (or a name for a source in memory), for messages.
    pub path: PathBuf,
    /// Sample rate, Hz.
    pub sample_rate_hz: f64,
    /// Channels in the order of a frame.
    pub channels: Vec<ChannelInfo>,
    /// Frames the source holds, when its header says.
    pub frames: Option<u64>,
    /// Nominal mains frequency the source states (a COMTRADE line frequency), Hz; the
    /// analysis uses it unless the user gives one.
    pub nominal_hz: Option<f64>,
}

impl SourceInfo {
    /// Channel names in frame order.
    pub fn names(&self) -> Vec<String> {
        self.channels.iter().map(|c| c.name.clone()).collect()
    }
}

/// Samples in blocks, in physical units.
pub trait Source {
    /// What the source states about itself.
    fn info(&self) -> &SourceInfo;

    /// Replace `out` with up to `max_frames` frames, interleaved in channel order, in V and A;
    /// a missing sample is NaN. Returns the frames read, 0 at the end.
    ///
    /// # Errors
    /// A read or decode error naming the file and, where it has them, the line or byte.
    fn read(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError>;

    /// Bytes of the input consumed so far, and its size in bytes (for progress).
    fn position(&self) -> (u64, u64);

    /// What the reader noticed and the user should know (e.g. a sample rate refined at the end).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A [`Waveform`] in memory as a source (synthesised vectors, tests).
pub struct WaveformSource<'a> {
    wave: &'a Waveform,
    info: SourceInfo,
    next: usize,
}

impl<'a> WaveformSource<'a> {
    /// The waveform's channels with the full scales given (one per channel, or none).
    ///
    /// # Errors
    /// A full-scale list of another length than the channels.
    pub fn new(wave: &'a Waveform, full_scale: Option<&[f64]>) -> Result<Self, FormatError> {
        let path = Path::new("(waveform in memory)");
        if let Some(f) = full_scale {
            if f.len() != wave.channels.len() {
                return Err(FormatError::ChannelCount {
                    path: path.to_path_buf(),
                    what: "full scales",
                    file: wave.channels.len(),
                    given: f.len(),
                });
            }
        }
        let channels = wave
            .channels
            .iter()
            .enumerate()
            .map(|(k, name)| ChannelInfo {
                name: name.clone(),
                unit: Unit::of_name(name),
                full_scale: full_scale.map(|f| f[k]),
            })
            .collect();
        let info = SourceInfo {
            path: path.to_path_buf(),
            sample_rate_hz: wave.sample_rate_hz,
            channels,
            frames: Some(wave.len() as u64),
            nominal_hz: None,
        };
        Ok(Self { wave, info, next: 0 })
    }
}

impl Source for WaveformSource<'_> {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        out.clear();
        let end = (self.next + max_frames).min(self.wave.len());
        for k in self.next..end {
            out.extend(self.wave.samples.iter().map(|ch| ch[k]));
        }
        let n = end - self.next;
        self.next = end;
        Ok(n)
    }

    fn position(&self) -> (u64, u64) {
        let frame = 8 * self.wave.channels.len() as u64;
        (self.next as u64 * frame, self.wave.len() as u64 * frame)
    }
}

/// Every frame of a source as a [`Waveform`] (for small files: the whole recording is held).
///
/// # Errors
/// The source's read errors.
pub fn collect(source: &mut dyn Source) -> Result<Waveform, FormatError> {
    let info = source.info().clone();
    let nch = info.channels.len();
    let mut samples = vec![Vec::new(); nch];
    let mut block = Vec::new();
    while source.read(&mut block, 1 << 16)? > 0 {
        for frame in block.chunks_exact(nch) {
            for (ch, &x) in samples.iter_mut().zip(frame) {
                ch.push(x);
            }
        }
    }
    Ok(Waveform { sample_rate_hz: info.sample_rate_hz, channels: info.names(), samples })
}
