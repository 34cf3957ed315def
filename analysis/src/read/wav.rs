//! WAV recordings, streamed.
//!
//! The format is the one `percycle_vectors::write_wav` writes: integer PCM of 16, 24 or 32 bits
//! or 32-bit float, channels interleaved, with a JSON sidecar (`<file>.json`) stating the channel
//! names, the full scale and the unit of each channel, the encoding and the exact sample rate.
//! Without a sidecar a [`WavChannelMap`] (`--channels`, `--full-scale`) names the channels and
//! the header gives the rate. An integer code becomes `code · full_scale / (2^(b−1) − 1)`
//! ([`dequantise`]), the code [`percycle_vectors::MISSING_CODE`] of a 32-bit file NaN; a float
//! sample `x` becomes `x · full_scale`, NaN staying NaN.
//!
//! Before anything is allocated the header's data size is checked against the file, so a
//! truncated file or a corrupt header is refused at once; the samples are then decoded block by
//! block.

use super::Reader;
use crate::source::{ChannelInfo, Source, SourceInfo, Unit};
use percycle_vectors::formats::{sidecar_path, WavSidecar};
use percycle_vectors::{dequantise, ChannelKind, FormatError, WavChannelMap, WavFormat};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A reader that counts the bytes read through it (the decoder owns it; the count is shared).
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn format_of(spec: &hound::WavSpec) -> Option<WavFormat> {
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => Some(WavFormat::I16),
        (hound::SampleFormat::Int, 24) => Some(WavFormat::I24),
        (hound::SampleFormat::Int, 32) => Some(WavFormat::I32),
        (hound::SampleFormat::Float, 32) => Some(WavFormat::F32),
        _ => None,
    }
}

/// What a sidecar or a channel map states about the channels, and the sample rate.
struct Described {
    names: Vec<String>,
    full_scale: Vec<f64>,
    units: Vec<Option<Unit>>,
    rate: f64,
}

/// Channel names, full scales, units and rate a sidecar states, checked against the header.
fn from_sidecar(
    path: &Path,
    sidecar: &Path,
    format: WavFormat,
    spec: &hound::WavSpec,
) -> Result<Described, FormatError> {
    let file = File::open(sidecar).map_err(FormatError::io(sidecar))?;
    let sc: WavSidecar = serde_json::from_reader(BufReader::new(file))
        .map_err(|cause| FormatError::Json { path: sidecar.to_path_buf(), cause })?;
    let sd = sidecar.display();
    if sc.format != format {
        return Err(FormatError::invalid(
            path,
            format!("sidecar {sd} says {} but the file is {format}", sc.format),
        ));
    }
    let header_rate = f64::from(spec.sample_rate);
    let off = (sc.sample_rate_hz - header_rate).abs();
    if off.is_nan() || off > 0.5 {
        return Err(FormatError::invalid(
            path,
            format!(
                "sidecar {sd} says {} Hz but the header says {} Hz",
                sc.sample_rate_hz, spec.sample_rate
            ),
        ));
    }
    let nch = usize::from(spec.channels);
    for (field, given) in [
        ("channels", sc.channels.len()),
        ("full_scale", sc.full_scale.len()),
        ("units", sc.units.len()),
    ] {
        if given != nch {
            return Err(FormatError::invalid(
                path,
                format!(
                    "sidecar {sd}: `{field}` has {given} entries but the file has {nch} channels"
                ),
            ));
        }
    }
    let name = |k: usize| sc.channels[k].as_str();
    if let Some((k, v)) =
        sc.full_scale.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0))
    {
        return Err(FormatError::invalid(
            path,
            format!(
                "sidecar {sd}: full_scale[{k}] ({}) is {v}: a full scale must be finite and \
                 greater than zero",
                name(k)
            ),
        ));
    }
    let mut units = Vec::with_capacity(nch);
    for (k, u) in sc.units.iter().enumerate() {
        let unit = match u.as_str() {
            "V" => Unit::Volt,
            "A" => Unit::Ampere,
            _ => {
                return Err(FormatError::invalid(
                    path,
                    format!(
                        "sidecar {sd}: units[{k}] ({}) is {u:?}, expected \"V\" or \"A\"",
                        name(k)
                    ),
                ))
            }
        };
        let wanted = match ChannelKind::of(name(k)) {
            Some(ChannelKind::Voltage) => Some(("a voltage", Unit::Volt)),
            Some(ChannelKind::Current) => Some(("a current", Unit::Ampere)),
            None => None,
        };
        if let Some((kind, want)) = wanted {
            if unit != want {
                return Err(FormatError::invalid(
                    path,
                    format!(
                        "sidecar {sd}: units[{k}] ({}) is {u:?} but {} names {kind}, expected \
                         {:?}",
                        name(k),
                        name(k),
                        want.symbol()
                    ),
                ));
            }
        }
        units.push(Some(unit));
    }
    Ok(Described { names: sc.channels, full_scale: sc.full_scale, units, rate: sc.sample_rate_hz })
}

/// Reads the 4-byte length of the chunk whose header ends at `data_start`: the data chunk's
/// declared size.
fn declared_data_bytes(path: &Path, data_start: u64) -> Result<u64, FormatError> {
    let mut file = File::open(path).map_err(FormatError::io(path))?;
    file.seek(SeekFrom::Start(data_start - 4)).map_err(FormatError::io(path))?;
    let mut len = [0u8; 4];
    file.read_exact(&mut len).map_err(FormatError::io(path))?;
    Ok(u64::from(u32::from_le_bytes(len)))
}

/// A WAV recording read in blocks (see the module docs).
pub struct WavSource {
    info: SourceInfo,
    reader: hound::WavReader<Counted<Reader>>,
    format: WavFormat,
    full_scale: Vec<f64>,
    /// Samples (not frames) not read yet.
    left: u64,
    consumed: Arc<AtomicU64>,
    size: u64,
    failed: bool,
}

impl WavSource {
    /// Opens a WAV recording and checks its header, and its sidecar or `map`.
    ///
    /// With `map` the channel names and full scales are the map's and the sample rate the
    /// header's; without one, the sidecar must exist, agree with the header (encoding, rate to
    /// 0.5 Hz, channel count) and state for every channel a full scale that is finite and > 0 and
    /// a unit `V` or `A` that fits the channel's name (`U…` V, `I…` A); the rate is the
    /// sidecar's.
    ///
    /// # Errors
    /// [`FormatError::MissingChannelMap`] without map or sidecar, [`FormatError::ChannelCount`]
    /// when the map names another number of channels than the file has,
    /// [`FormatError::Invalid`] naming the file (and the sidecar, its field, index and channel)
    /// for an unsupported encoding, a sidecar that disagrees, a header that declares more sample
    /// bytes than the file holds, and codec, JSON or I/O errors naming the file.
    pub fn open(path: impl AsRef<Path>, map: Option<WavChannelMap>) -> Result<Self, FormatError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(FormatError::io(path))?;
        let size = file.metadata().map_err(FormatError::io(path))?.len();
        let declared = |data_start| declared_data_bytes(path, data_start);
        Self::start(path, Reader::file(file, 1 << 13), size, declared, map)
    }

    /// A WAV recording held in memory, read as [`WavSource::open`] reads a file with a channel
    /// map (a recording in memory has no sidecar beside it); `name` stands for the file in
    /// messages.
    ///
    /// # Errors
    /// As [`WavSource::open`] with a map, naming `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_analysis::read::WavSource;
    /// use percycle_analysis::source::Source;
    /// use percycle_vectors::WavChannelMap;
    ///
    /// // A 16-bit mono file of 8 kHz holding the codes 16384 and -32767.
    /// let mut wav = b"RIFF\x28\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0".to_vec();
    /// wav.extend_from_slice(b"\x80\x3e\0\0\x02\0\x10\0data\x04\0\0\0\0\x40\x01\x80");
    /// let map = WavChannelMap::from_cli("U1", "U=325")?;
    /// let mut src = WavSource::from_bytes("(memory)", wav, map)?;
    /// assert_eq!(src.info().sample_rate_hz, 8000.0);
    /// let mut block = Vec::new();
    /// assert_eq!(src.read(&mut block, 16)?, 2);
    /// assert!((block[0] - 162.5).abs() < 0.01 && block[1] == -325.0);
    /// # Ok::<(), percycle_vectors::FormatError>(())
    /// ```
    pub fn from_bytes(
        name: &str,
        bytes: impl Into<Vec<u8>>,
        map: WavChannelMap,
    ) -> Result<Self, FormatError> {
        let path = Path::new(name);
        let bytes: Vec<u8> = bytes.into();
        let bytes: Arc<[u8]> = bytes.into();
        let declared = |data_start: u64| {
            let at = usize::try_from(data_start).ok().and_then(|end| {
                let len = bytes.get(end.checked_sub(4)?..end)?;
                Some(u64::from(u32::from_le_bytes(len.try_into().ok()?)))
            });
            at.ok_or_else(|| FormatError::invalid(path, "no data chunk length before the samples"))
        };
        Self::start(
            path,
            Reader::memory(Arc::clone(&bytes)),
            bytes.len() as u64,
            declared,
            Some(map),
        )
    }

    /// Reads the header from `input` (`size` bytes in all; `declared` gives the data chunk's
    /// declared length from the offset of its first sample), and checks it.
    fn start(
        path: &Path,
        input: Reader,
        size: u64,
        declared: impl FnOnce(u64) -> Result<u64, FormatError>,
        map: Option<WavChannelMap>,
    ) -> Result<Self, FormatError> {
        let consumed = Arc::new(AtomicU64::new(0));
        let counted = Counted { inner: input, count: Arc::clone(&consumed) };
        let reader = hound::WavReader::new(counted).map_err(FormatError::wav(path))?;
        let header = consumed.load(Ordering::Relaxed);
        let spec = reader.spec();
        let declared = declared(header)?;
        let held = size.saturating_sub(header);
        if declared > held {
            return Err(FormatError::invalid(
                path,
                format!(
                    "header declares {declared} bytes of samples but the file holds only {held} \
                     after its {header}-byte header: the file is truncated or its header corrupt"
                ),
            ));
        }
        let format = format_of(&spec).ok_or_else(|| {
            FormatError::invalid(
                path,
                format!(
                    "unsupported WAV encoding: {:?} with {} bits (expected integer PCM of 16, 24 \
                     or 32 bits, or 32-bit float)",
                    spec.sample_format, spec.bits_per_sample
                ),
            )
        })?;
        if spec.channels == 0 {
            return Err(FormatError::invalid(path, "the header gives no channels"));
        }
        if spec.sample_rate == 0 {
            return Err(FormatError::invalid(path, "the header gives a sample rate of 0 Hz"));
        }
        let nch = usize::from(spec.channels);
        let Described { names, full_scale, units, rate } = match map {
            Some(m) => {
                for (what, given) in
                    [("channel names", m.channels.len()), ("full scales", m.full_scale.len())]
                {
                    if given != nch {
                        return Err(FormatError::ChannelCount {
                            path: path.to_path_buf(),
                            what,
                            file: nch,
                            given,
                        });
                    }
                }
                if let Some((k, v)) =
                    m.full_scale.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0))
                {
                    return Err(FormatError::invalid(
                        path,
                        format!(
                            "channel map: full scale {k} ({}) is {v}: a full scale must be finite \
                             and greater than zero",
                            m.channels[k]
                        ),
                    ));
                }
                Described {
                    units: m.channels.iter().map(|n| Unit::of_name(n)).collect(),
                    names: m.channels,
                    full_scale: m.full_scale,
                    rate: f64::from(spec.sample_rate),
                }
            }
            None => {
                let sidecar: PathBuf = sidecar_path(path);
                if !sidecar.exists() {
                    return Err(FormatError::MissingChannelMap {
                        path: path.to_path_buf(),
                        sidecar,
                    });
                }
                from_sidecar(path, &sidecar, format, &spec)?
            }
        };
        let channels = names
            .iter()
            .zip(&full_scale)
            .zip(units)
            .map(|((name, &fs), unit)| ChannelInfo {
                name: name.clone(),
                unit,
                full_scale: Some(fs),
            })
            .collect();
        let samples = u64::from(reader.len());
        let info = SourceInfo {
            path: path.to_path_buf(),
            sample_rate_hz: rate,
            channels,
            frames: Some(samples / nch as u64),
            nominal_hz: None,
        };
        Ok(WavSource {
            info,
            reader,
            format,
            full_scale,
            left: samples,
            consumed,
            size,
            failed: false,
        })
    }

    fn fill(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        let nch = self.full_scale.len();
        let frames = (self.left / nch as u64).min(max_frames as u64) as usize;
        let want = frames * nch;
        out.reserve(want);
        let path = &self.info.path;
        let consumed = &self.consumed;
        let at = |cause: hound::Error| {
            FormatError::invalid(
                path,
                format!(
                    "reading the samples near byte {}: {cause}",
                    consumed.load(Ordering::Relaxed)
                ),
            )
        };
        let fs = &self.full_scale;
        match self.format {
            WavFormat::F32 => {
                for (k, s) in self.reader.samples::<f32>().take(want).enumerate() {
                    out.push(f64::from(s.map_err(at)?) * fs[k % nch]);
                }
            }
            format => {
                let bits = u32::from(format.bits());
                for (k, s) in self.reader.samples::<i32>().take(want).enumerate() {
                    out.push(dequantise(s.map_err(at)?, fs[k % nch], bits));
                }
            }
        }
        self.left -= out.len() as u64;
        if out.len() % nch != 0 {
            return Err(FormatError::invalid(path, "the last frame is incomplete"));
        }
        if out.len() < want {
            return Err(FormatError::invalid(
                path,
                format!(
                    "the samples end at byte {}, before the frames the header declares",
                    consumed.load(Ordering::Relaxed)
                ),
            ));
        }
        Ok(out.len() / nch)
    }
}

impl Source for WavSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        out.clear();
        if self.failed || self.left == 0 || max_frames == 0 {
            return Ok(0);
        }
        self.fill(out, max_frames).inspect_err(|_| {
            self.failed = true;
            out.clear();
        })
    }

    fn position(&self) -> (u64, u64) {
        let consumed = self.consumed.load(Ordering::Relaxed);
        (consumed, self.size.max(consumed))
    }
}
