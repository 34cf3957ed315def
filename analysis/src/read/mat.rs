//! MATLAB level-5 MAT-files of voltage and current recordings.
//!
//! # Format read
//!
//! A level-5 MAT-file is a 128-byte header (116 bytes of text, an 8-byte subsystem offset, the
//! version `0x0100` and the endian indicator `IM`, which reads `MI` when the file was written
//! big-endian) followed by tagged data elements. A tag is `(type: u32, bytes: u32)`, data padded
//! to 8 bytes, or the small-element form `(bytes << 16 | type: u32)` with up to 4 data bytes
//! in the same 8 bytes. `miCOMPRESSED` elements (type 15, not padded) hold a zlib stream of one
//! further element. A variable is an `miMATRIX` element (type 14) of sub-elements: array flags
//! (class in the low byte, complex flag `0x0800`), dimensions, name, and the real part in any
//! numeric storage type (MATLAB stores doubles as small integers when they fit), which is
//! converted to `f64`. Both byte orders are read. MAT v7.3 files (HDF5) are not.
//!
//! # Variables
//!
//! Names are matched case-insensitively: `time` (or `t`), `voltage` (or `u`) and `current` (or
//! `i`); a full name wins over its one-letter alias. Each must be a real numeric row or column
//! vector; other variables are skipped whatever their class, without being read. The source has
//! channel `U1` (voltage) and/or `I1` (current), in that order; at least one of them and `time`
//! must be present, all of the same length. The sample rate is `(n − 1)/(t_last − t_first)`,
//! and every time step must be within [`MAT_TIME_STEP_TOLERANCE`] of the mean step.
//!
//! # Memory
//!
//! The variables are read whole, then handed out in blocks, so what is held is bounded: every
//! element's declared size is checked against the bytes that remain before anything is
//! allocated, a compressed element is inflated as a stream of at most [`MAT_MAX_BYTES`] + 8
//! bytes, and the variables kept, as `f64`, may not exceed [`MAT_MAX_BYTES`] together. A
//! recording beyond that is refused with a message that says so; converted to WAV or CSV it is
//! analysed streaming.

use super::Reader;
use crate::source::{ChannelInfo, Source, SourceInfo, Unit};
use percycle_vectors::FormatError;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Largest relative deviation of a time step from the mean step.
pub const MAT_TIME_STEP_TOLERANCE: f64 = 1e-3;

/// Largest inflated compressed element, and largest sum of the variables kept (as `f64`), of a
/// MAT-file, bytes (256 MiB).
pub const MAT_MAX_BYTES: u64 = 256 << 20;

const HEADER_LEN: u64 = 128;
const MI_INT8: u32 = 1;
const MI_UINT32: u32 = 6;
const MI_INT32: u32 = 5;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// Largest dimensions or name sub-element read, bytes.
const MAX_SMALL_ELEMENT: u64 = 4096;

/// Bytes of numeric data converted at a time (a multiple of every element size).
const CHUNK: usize = 1 << 16;

/// What to do about a MAT-file that holds too much.
const CONVERT: &str = "convert the recording to WAV or CSV to analyse it streaming";

/// Why parsing stopped: a message about the file, or the operating system.
enum Fail {
    Msg(String),
    Io(std::io::Error),
}

type Parsed<T> = Result<T, Fail>;

/// Byte order of the file.
#[derive(Clone, Copy)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u32(self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        match self {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
        }
    }

    fn u16(self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        match self {
            Endian::Little => u16::from_le_bytes(a),
            Endian::Big => u16::from_be_bytes(a),
        }
    }
}

/// An element's tag.
struct Tag {
    kind: u32,
    /// Data bytes.
    len: u64,
    /// The data of a small element.
    small: Option<[u8; 4]>,
    /// Offset of the tag.
    at: u64,
}

/// Elements read in sequence from the file or from an inflated stream, with their offsets.
struct Elements<'a> {
    r: &'a mut dyn Read,
    e: Endian,
    /// Offset of the next byte, in the file or in the inflated stream.
    pos: u64,
    /// Offset after the last byte that may be read (the end of the file or of the enclosing
    /// element); `u64::MAX` when unknown (an inflated stream).
    end: u64,
    /// Where the offsets count from, for messages (empty for the file).
    base: String,
    /// Offset of the compressed element the stream is inflated from.
    zlib_at: Option<u64>,
}

impl Elements<'_> {
    fn fail(&self, err: std::io::Error) -> Fail {
        match self.zlib_at {
            None => Fail::Io(err),
            Some(_) if err.kind() == std::io::ErrorKind::UnexpectedEof => Fail::Msg(format!(
                "truncated element{}: the stream ends before byte {}, which its tags announce",
                self.base, self.pos
            )),
            Some(at) => Fail::Msg(format!("corrupt compressed element at byte {at}: zlib: {err}")),
        }
    }

    fn exact(&mut self, buf: &mut [u8]) -> Parsed<()> {
        match self.r.read_exact(buf) {
            Ok(()) => {
                self.pos += buf.len() as u64;
                Ok(())
            }
            Err(err) => Err(self.fail(err)),
        }
    }

    fn skip(&mut self, n: u64) -> Parsed<()> {
        let copied = std::io::copy(&mut (&mut *self.r).take(n), &mut std::io::sink());
        let copied = copied.map_err(|err| self.fail(err))?;
        self.pos += copied;
        if copied < n {
            return Err(self.fail(std::io::ErrorKind::UnexpectedEof.into()));
        }
        Ok(())
    }

    /// Reads a tag and checks that its data fit in what remains.
    fn tag(&mut self) -> Parsed<Tag> {
        let at = self.pos;
        let rest = self.end - at;
        if rest < 8 {
            return Err(Fail::Msg(format!(
                "truncated element tag at byte {at}{}: {rest} bytes left, a tag needs 8",
                self.base
            )));
        }
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        let first = self.e.u32(&b);
        let small_len = first >> 16;
        if small_len != 0 {
            if small_len > 4 {
                return Err(Fail::Msg(format!(
                    "corrupt small element at byte {at}{}: {small_len} data bytes, at most 4",
                    self.base
                )));
            }
            let small = [b[4], b[5], b[6], b[7]];
            return Ok(Tag {
                kind: first & 0xFFFF,
                len: u64::from(small_len),
                small: Some(small),
                at,
            });
        }
        let len = u64::from(self.e.u32(&b[4..]));
        if len > self.end - self.pos {
            return Err(Fail::Msg(format!(
                "truncated element at byte {at}{}: its tag announces {len} data bytes, only {} \
                 follow",
                self.base,
                self.end - self.pos
            )));
        }
        Ok(Tag { kind: first, len, small: None, at })
    }

    /// Skips the padding after the data of `tag` (to 8 bytes, within what remains).
    fn pad(&mut self, tag: &Tag) -> Parsed<()> {
        if tag.small.is_some() {
            return Ok(());
        }
        let pad = (tag.len.div_ceil(8) * 8 - tag.len).min(self.end - self.pos);
        self.skip(pad)
    }

    /// The data of a sub-element of at most `cap` bytes, then its padding.
    fn data(&mut self, tag: &Tag, cap: u64, what: impl FnOnce() -> String) -> Parsed<Vec<u8>> {
        if let Some(small) = tag.small {
            return Ok(small[..tag.len as usize].to_vec());
        }
        if tag.len > cap {
            return Err(Fail::Msg(what()));
        }
        let mut data = vec![0u8; tag.len as usize];
        self.exact(&mut data)?;
        self.pad(tag)?;
        Ok(data)
    }
}

/// Which source channel a variable name feeds (0 time, 1 voltage, 2 current), and whether the
/// name is the full one.
fn role(name: &str) -> Option<(usize, bool)> {
    match name.to_ascii_lowercase().as_str() {
        "time" => Some((0, true)),
        "t" => Some((0, false)),
        "voltage" => Some((1, true)),
        "u" => Some((1, false)),
        "current" => Some((2, true)),
        "i" => Some((2, false)),
        _ => None,
    }
}

/// Bytes per value of a numeric storage type.
fn storage_size(kind: u32) -> Option<usize> {
    match kind {
        1 | 2 => Some(1),
        3 | 4 => Some(2),
        5..=7 => Some(4),
        9 | 12 | 13 => Some(8),
        _ => None,
    }
}

/// Appends the values of `data` (whole values of storage type `kind`) to `out` as `f64`.
fn convert(kind: u32, data: &[u8], e: Endian, out: &mut Vec<f64>) {
    fn conv<const N: usize>(data: &[u8], out: &mut Vec<f64>, f: impl Fn([u8; N]) -> f64) {
        out.extend(data.chunks_exact(N).map(|c| f(c.try_into().expect("chunk of N bytes"))));
    }
    let big = matches!(e, Endian::Big);
    macro_rules! num {
        ($t:ty) => {
            conv(data, out, |b| {
                f64::from(if big { <$t>::from_be_bytes(b) } else { <$t>::from_le_bytes(b) })
            })
        };
    }
    macro_rules! wide {
        ($t:ty) => {
            conv(data, out, |b| {
                (if big { <$t>::from_be_bytes(b) } else { <$t>::from_le_bytes(b) }) as f64
            })
        };
    }
    match kind {
        1 => num!(i8),
        2 => num!(u8),
        3 => num!(i16),
        4 => num!(u16),
        5 => num!(i32),
        6 => num!(u32),
        7 => num!(f32),
        9 => num!(f64),
        12 => wide!(i64),
        13 => wide!(u64),
        _ => unreachable!("storage_size accepts numeric types only"),
    }
}

/// A variable kept: its values, whether its name was the full one, and the name.
struct Kept {
    values: Vec<f64>,
    full: bool,
    name: String,
}

/// The variables found so far.
struct Variables {
    slots: [Option<Kept>; 3],
}

impl Variables {
    /// Bytes held by the variables other than slot `except`.
    fn held_except(&self, except: usize) -> u64 {
        self.slots
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != except)
            .filter_map(|(_, s)| s.as_ref())
            .map(|s| 8 * s.values.len() as u64)
            .sum()
    }

    /// Parses an `miMATRIX` body (the tag read, `r.end` at its end); keeps the variable when its
    /// name is a wanted one and it beats what the slot holds. Returns whether it was kept.
    fn matrix(&mut self, r: &mut Elements<'_>, where_: &str) -> Parsed<bool> {
        let e = r.e;
        let msg = |m: String| Fail::Msg(m);
        let flags = r.tag()?;
        if flags.kind != MI_UINT32 || flags.len < 8 {
            return Err(msg(format!(
                "corrupt matrix{where_}: array flags are not 8 bytes of miUINT32"
            )));
        }
        let flag_bytes = r.data(&flags, 64, || {
            format!("corrupt matrix{where_}: array flags of {} bytes", flags.len)
        })?;
        let word = e.u32(&flag_bytes);
        let class = word & 0xFF;
        let complex = word & 0x0800 != 0;
        let dims = r.tag()?;
        if dims.kind != MI_INT32 || dims.len < 8 || dims.len % 4 != 0 {
            return Err(msg(format!(
                "corrupt matrix{where_}: dimensions are not miINT32 with at least 2 entries"
            )));
        }
        let dims = r.data(&dims, MAX_SMALL_ELEMENT, || {
            format!("corrupt matrix{where_}: {} bytes of dimensions", dims.len)
        })?;
        let dims: Vec<u64> =
            dims.chunks_exact(4).map(|c| e.u32(c) as i32).map(|d| d.max(0) as u64).collect();
        let name_tag = r.tag()?;
        if name_tag.kind != MI_INT8 {
            return Err(msg(format!("corrupt matrix{where_}: the name is not miINT8")));
        }
        let name = r.data(&name_tag, MAX_SMALL_ELEMENT, || {
            format!("corrupt matrix{where_}: a name of {} bytes", name_tag.len)
        })?;
        let name = String::from_utf8_lossy(&name).into_owned();
        let Some((slot, full)) = role(&name) else { return Ok(false) };
        let class_name = match class {
            6 => "double",
            7 => "single",
            8 => "int8",
            9 => "uint8",
            10 => "int16",
            11 => "uint16",
            12 => "int32",
            13 => "uint32",
            14 => "int64",
            15 => "uint64",
            other => {
                let what = match other {
                    1 => "cell",
                    2 => "struct",
                    3 => "object",
                    4 => "char",
                    5 => "sparse",
                    _ => "unknown",
                };
                return Err(msg(format!(
                    "variable `{name}`{where_}: unsupported class {other} ({what}), expected a \
                     numeric array such as double"
                )));
            }
        };
        if complex {
            return Err(msg(format!(
                "variable `{name}`{where_}: complex {class_name} is not supported, expected real \
                 values"
            )));
        }
        if dims.iter().filter(|&&d| d > 1).count() > 1 {
            let shape: Vec<String> = dims.iter().map(u64::to_string).collect();
            return Err(msg(format!(
                "variable `{name}`{where_} is a {} array, expected a row or column vector",
                shape.join("×")
            )));
        }
        let better = match &self.slots[slot] {
            None => true,
            Some(kept) => full && !kept.full,
        };
        if !better {
            return Ok(false);
        }
        let count = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d)).unwrap_or(u64::MAX);
        let real = r.tag()?;
        let unsupported = || {
            msg(format!(
                "variable `{name}`{where_}: unsupported storage type {} for class {class_name}",
                real.kind
            ))
        };
        let size = storage_size(real.kind).ok_or_else(unsupported)?;
        if real.len % size as u64 != 0 {
            return Err(unsupported());
        }
        let stored = real.len / size as u64;
        if stored != count {
            return Err(msg(format!(
                "variable `{name}`{where_}: {stored} values stored, its dimensions give {count}"
            )));
        }
        let held = self.held_except(slot);
        let need = 8 * stored;
        if need > MAT_MAX_BYTES.saturating_sub(held) {
            let others = if held > 0 {
                format!(", with {held} bytes of other variables already kept")
            } else {
                String::new()
            };
            return Err(msg(format!(
                "variable `{name}`{where_} holds {stored} values, {need} bytes as f64{others}: \
                 more than the {MAT_MAX_BYTES} bytes (256 MiB) of variables a MAT-file is read \
                 into; {CONVERT}"
            )));
        }
        let mut values = Vec::with_capacity(stored as usize);
        match real.small {
            Some(small) => convert(real.kind, &small[..real.len as usize], e, &mut values),
            None => {
                let mut buf = vec![0u8; CHUNK.min(real.len as usize)];
                let mut left = real.len as usize;
                while left > 0 {
                    let n = left.min(CHUNK);
                    r.exact(&mut buf[..n])?;
                    convert(real.kind, &buf[..n], e, &mut values);
                    left -= n;
                }
                r.pad(&real)?;
            }
        }
        self.slots[slot] = Some(Kept { values, full, name });
        Ok(true)
    }
}

/// Reads the wanted variables of a MAT-file.
fn parse(reader: &mut Reader, size: u64) -> Parsed<Variables> {
    if size < HEADER_LEN {
        return Err(Fail::Msg(format!(
            "not a MAT v5 file: {size} bytes, shorter than the 128-byte header"
        )));
    }
    let mut header = [0u8; HEADER_LEN as usize];
    reader.read_exact(&mut header).map_err(Fail::Io)?;
    let e = match &header[126..128] {
        b"IM" => Endian::Little,
        b"MI" => Endian::Big,
        other => {
            return Err(Fail::Msg(format!(
                "not a MAT v5 file: no endian indicator `IM` or `MI` at bytes 126–127 (found \
                 {:#04x} {:#04x})",
                other[0], other[1]
            )))
        }
    };
    let version = e.u16(&header[124..126]);
    if version != 0x0100 {
        let what = if version == 0x0200 {
            "MAT v7.3 (HDF5) files are not supported".to_string()
        } else {
            format!("version {version:#06x}, expected 0x0100")
        };
        return Err(Fail::Msg(format!("not a MAT v5 file: {what}")));
    }
    let mut vars = Variables { slots: [None, None, None] };
    let mut pos = HEADER_LEN;
    while pos < size {
        let mut file =
            Elements { r: &mut *reader, e, pos, end: size, base: String::new(), zlib_at: None };
        let tag = file.tag()?;
        let at = tag.at;
        let start = at + 8;
        let next = match (tag.small, tag.kind) {
            (Some(_), _) => start,
            (None, MI_COMPRESSED) => start + tag.len,
            (None, _) => ((start + tag.len).div_ceil(8) * 8).min(size),
        };
        match (tag.small, tag.kind) {
            (None, MI_MATRIX) => {
                file.end = start + tag.len;
                vars.matrix(&mut file, &format!(" (element at byte {at})"))?;
            }
            (None, MI_COMPRESSED) => {
                let packed = (&mut *reader).take(tag.len);
                let mut z = flate2::read::ZlibDecoder::new(packed);
                let mut limited = (&mut z).take(MAT_MAX_BYTES + 8);
                let mut inflated = Elements {
                    r: &mut limited,
                    e,
                    pos: 0,
                    end: u64::MAX,
                    base: format!(" of the stream inflated from the element at byte {at}"),
                    zlib_at: Some(at),
                };
                let inner = inflated.tag()?;
                if inner.small.is_none() && inner.kind == MI_MATRIX {
                    inflated.end = 8 + inner.len;
                    let kept =
                        vars.matrix(&mut inflated, &format!(" (compressed element at byte {at})"))?;
                    if kept {
                        // Read the rest of the stream: its checksum, and its size.
                        let rest = std::io::copy(&mut limited, &mut std::io::sink());
                        let fail = |err: std::io::Error| {
                            Fail::Msg(format!(
                                "corrupt compressed element at byte {at}: zlib: {err}"
                            ))
                        };
                        rest.map_err(fail)?;
                        if limited.limit() == 0 && z.read(&mut [0u8; 1]).map_err(fail)? > 0 {
                            return Err(Fail::Msg(format!(
                                "compressed element at byte {at} inflates to more than {} \
                                 bytes, the limit of a MAT-file element (MAT-files are read \
                                 whole); {CONVERT}",
                                MAT_MAX_BYTES + 8
                            )));
                        }
                    }
                }
            }
            _ => {}
        }
        reader.seek(SeekFrom::Start(next)).map_err(Fail::Io)?;
        pos = next;
    }
    Ok(vars)
}

/// Sample rate from a uniformly spaced time vector.
fn sample_rate(time: &[f64], name: &str) -> Result<f64, String> {
    let n = time.len();
    if n < 2 {
        return Err(format!(
            "variable `{name}` has {n} element(s), need at least 2 to give a sample rate"
        ));
    }
    if let Some(k) = time.iter().position(|t| !t.is_finite()) {
        return Err(format!("variable `{name}`: element {k} is not finite"));
    }
    let span = time[n - 1] - time[0];
    let mean = span / (n - 1) as f64;
    if mean.is_nan() || mean <= 0.0 {
        return Err(format!(
            "variable `{name}` does not increase ({} s to {} s)",
            time[0],
            time[n - 1]
        ));
    }
    for (k, pair) in time.windows(2).enumerate() {
        let step = pair[1] - pair[0];
        if (step - mean).abs() > MAT_TIME_STEP_TOLERANCE * mean {
            return Err(format!(
                "variable `{name}` is not uniformly spaced: step {k} (at {} s) is {step} s, the \
                 mean step is {mean} s",
                pair[0]
            ));
        }
    }
    Ok((n - 1) as f64 / span)
}

/// A MAT-file recording: its variables read whole at [`MatSource::open`] (within
/// [`MAT_MAX_BYTES`]), handed out in blocks (see the module docs).
pub struct MatSource {
    info: SourceInfo,
    /// Samples per channel.
    samples: Vec<Vec<f64>>,
    next: usize,
    size: u64,
}

impl MatSource {
    /// Reads `time`, `voltage` and `current` from a MAT-file (level 5): channels `U1` and `I1`.
    ///
    /// # Errors
    /// [`FormatError::Io`] when the file cannot be read, and [`FormatError::Invalid`], naming
    /// the file and the byte of the element, when it is not a level-5 MAT-file, an element is
    /// truncated or corrupt, a wanted variable has an unsupported class or shape, a variable is
    /// missing, lengths differ, the time is not uniformly spaced, or the variables or a
    /// compressed element exceed [`MAT_MAX_BYTES`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, FormatError> {
        let path = path.as_ref();
        let io = |cause| FormatError::Io { path: path.to_path_buf(), cause };
        let file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        Self::start(path, Reader::file(file, 1 << 16), size)
    }

    /// A MAT-file held in memory, read as [`MatSource::open`] reads a file; `name` stands for
    /// the file in messages.
    ///
    /// # Errors
    /// As [`MatSource::open`], naming `name`.
    pub fn from_bytes(name: &str, bytes: impl Into<Vec<u8>>) -> Result<Self, FormatError> {
        let bytes: Vec<u8> = bytes.into();
        let size = bytes.len() as u64;
        Self::start(Path::new(name), Reader::memory(bytes.into()), size)
    }

    /// Reads the variables from `reader` (`size` bytes in all).
    fn start(path: &Path, mut reader: Reader, size: u64) -> Result<Self, FormatError> {
        let io = |cause| FormatError::Io { path: path.to_path_buf(), cause };
        let invalid = |message| FormatError::Invalid { path: path.to_path_buf(), message };
        let vars = parse(&mut reader, size).map_err(|f| match f {
            Fail::Msg(m) => invalid(m),
            Fail::Io(cause) => io(cause),
        })?;
        let [time, voltage, current] = vars.slots;
        let Some(Kept { values: time, name: time_name, .. }) = time else {
            return Err(invalid("missing variable `time` (or `t`)".to_string()));
        };
        let mut channels = Vec::new();
        let mut samples = Vec::new();
        for (var, channel) in [(voltage, "U1"), (current, "I1")] {
            if let Some(Kept { values, name, .. }) = var {
                if values.len() != time.len() {
                    return Err(invalid(format!(
                        "variable `{name}` has {} elements but `{time_name}` has {}",
                        values.len(),
                        time.len()
                    )));
                }
                channels.push(ChannelInfo {
                    name: channel.to_string(),
                    unit: Unit::of_name(channel),
                    full_scale: None,
                });
                samples.push(values);
            }
        }
        if channels.is_empty() {
            return Err(invalid(
                "missing variables `voltage` (or `u`) and `current` (or `i`)".to_string(),
            ));
        }
        let sample_rate_hz = sample_rate(&time, &time_name).map_err(invalid)?;
        let info = SourceInfo {
            path: path.to_path_buf(),
            sample_rate_hz,
            channels,
            frames: Some(time.len() as u64),
            nominal_hz: None,
        };
        Ok(MatSource { info, samples, next: 0, size })
    }

    /// The same source with the full scale of each channel stated (e.g. from `--full-scale`),
    /// in channel order.
    ///
    /// # Errors
    /// A count other than the channels', or a full scale that is not finite and > 0.
    pub fn with_full_scale(mut self, full_scale: &[f64]) -> Result<Self, FormatError> {
        super::set_full_scale(&mut self.info, full_scale)?;
        Ok(self)
    }
}

impl Source for MatSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        out.clear();
        let len = self.samples[0].len();
        let end = self.next.saturating_add(max_frames).min(len);
        out.reserve((end - self.next) * self.samples.len());
        for k in self.next..end {
            out.extend(self.samples.iter().map(|ch| ch[k]));
        }
        let n = end - self.next;
        self.next = end;
        Ok(n)
    }

    /// The file is read whole when opened; the position is the share of the frames handed out.
    fn position(&self) -> (u64, u64) {
        let len = self.samples[0].len().max(1) as u128;
        let done = u128::from(self.size) * self.next as u128 / len;
        (done as u64, self.size)
    }
}
