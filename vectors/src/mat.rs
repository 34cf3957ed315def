//! MATLAB level-5 MAT-file reader for voltage and current recordings.
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
//! vector; other variables are skipped whatever their class. The waveform has channel `U1`
//! (voltage) and/or `I1` (current), in that order; at least one of them and `time` must be
//! present, all of the same length. The sample rate is `(n − 1)/(t_last − t_first)`, and every
//! time step must be within [`MAT_TIME_STEP_TOLERANCE`] of the mean step.

use std::io::Read;
use std::path::Path;

use crate::formats::FormatError;
use crate::synth::Waveform;

/// Largest relative deviation of a time step from the mean step.
pub const MAT_TIME_STEP_TOLERANCE: f64 = 1e-3;

const HEADER_LEN: usize = 128;
const MI_INT8: u32 = 1;
const MI_UINT32: u32 = 6;
const MI_INT32: u32 = 5;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;

/// Reads `time`, `voltage` and `current` from a MAT-file (level 5) into a [`Waveform`] with
/// channels `U1` and `I1` (see the module docs).
///
/// # Errors
///
/// [`FormatError::Io`] when the file cannot be read, and [`FormatError::Invalid`], naming the
/// file, when it is not a level-5 MAT-file, an element is truncated or corrupt, a wanted variable
/// has an unsupported class or shape, a variable is missing, lengths differ, or the time is not
/// uniformly spaced.
///
/// # Examples
///
/// ```no_run
/// let w = percycle_vectors::read_mat("recording.mat")?;
/// println!("{} Hz, channels {:?}", w.sample_rate_hz, w.channels);
/// # Ok::<(), percycle_vectors::FormatError>(())
/// ```
pub fn read_mat(path: impl AsRef<Path>) -> Result<Waveform, FormatError> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|cause| FormatError::Io { path: path.to_path_buf(), cause })?;
    parse(&bytes).map_err(|message| FormatError::Invalid { path: path.to_path_buf(), message })
}

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

/// One data element: its type and data bytes.
struct Element<'a> {
    kind: u32,
    data: &'a [u8],
}

/// Reads the element at `pos` of `buf`; returns it and the position after it (padded to 8
/// bytes, except for compressed elements). `base` is the offset of `buf` in the file or in the
/// decompressed stream, for messages.
fn element<'a>(
    buf: &'a [u8],
    pos: usize,
    e: Endian,
    base: &str,
) -> Result<(Element<'a>, usize), String> {
    let rest = buf.len() - pos;
    if rest < 8 {
        return Err(format!(
            "truncated element tag at byte {pos}{base}: {rest} bytes left, a tag needs 8"
        ));
    }
    let first = e.u32(&buf[pos..]);
    let small_len = (first >> 16) as usize;
    if small_len != 0 {
        if small_len > 4 {
            return Err(format!(
                "corrupt small element at byte {pos}{base}: {small_len} data bytes, at most 4"
            ));
        }
        let kind = first & 0xFFFF;
        return Ok((Element { kind, data: &buf[pos + 4..pos + 4 + small_len] }, pos + 8));
    }
    let len = e.u32(&buf[pos + 4..]) as usize;
    let start = pos + 8;
    if len > buf.len() - start {
        return Err(format!(
            "truncated element at byte {pos}{base}: its tag announces {len} data bytes, only {} \
             follow",
            buf.len() - start
        ));
    }
    let end = start + len;
    let next = if first == MI_COMPRESSED { end } else { end.div_ceil(8) * 8 };
    Ok((Element { kind: first, data: &buf[start..end] }, next.min(buf.len())))
}

/// Which waveform channel a variable name feeds, and whether the name is the full one.
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

fn parse(bytes: &[u8]) -> Result<Waveform, String> {
    if bytes.len() < HEADER_LEN {
        return Err(format!(
            "not a MAT v5 file: {} bytes, shorter than the 128-byte header",
            bytes.len()
        ));
    }
    let e = match &bytes[126..128] {
        b"IM" => Endian::Little,
        b"MI" => Endian::Big,
        other => {
            return Err(format!(
                "not a MAT v5 file: no endian indicator `IM` or `MI` at bytes 126–127 (found \
                 {:#04x} {:#04x})",
                other[0], other[1]
            ))
        }
    };
    let version = e.u16(&bytes[124..126]);
    if version != 0x0100 {
        let what = if version == 0x0200 {
            "MAT v7.3 (HDF5) files are not supported".to_string()
        } else {
            format!("version {version:#06x}, expected 0x0100")
        };
        return Err(format!("not a MAT v5 file: {what}"));
    }
    // time, voltage, current: (values, name was the full one, variable name)
    let mut found: [Option<(Vec<f64>, bool, String)>; 3] = [None, None, None];
    let mut pos = HEADER_LEN;
    while pos < bytes.len() {
        let (el, next) = element(bytes, pos, e, "")?;
        let at = pos;
        pos = next;
        let inflated;
        let (matrix, where_) = match el.kind {
            MI_MATRIX => (el.data, format!(" (element at byte {at})")),
            MI_COMPRESSED => {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(el.data).read_to_end(&mut out).map_err(|err| {
                    format!("corrupt compressed element at byte {at}: zlib: {err}")
                })?;
                inflated = out;
                let context = format!(" of the stream inflated from the element at byte {at}");
                let (inner, _) = element(&inflated, 0, e, &context)?;
                if inner.kind != MI_MATRIX {
                    continue;
                }
                (inner.data, format!(" (compressed element at byte {at})"))
            }
            _ => continue,
        };
        if let Some((name, values)) = matrix_variable(matrix, e, &where_)? {
            let (slot, full) = role(&name).expect("matrix_variable returns wanted names only");
            let better = match &found[slot] {
                None => true,
                Some((_, was_full, _)) => full && !was_full,
            };
            if better {
                found[slot] = Some((values, full, name));
            }
        }
    }
    let [time, voltage, current] = found;
    let Some((time, _, time_name)) = time else {
        return Err("missing variable `time` (or `t`)".to_string());
    };
    let mut channels = Vec::new();
    let mut samples = Vec::new();
    for (var, channel) in [(voltage, "U1"), (current, "I1")] {
        if let Some((values, _, name)) = var {
            if values.len() != time.len() {
                return Err(format!(
                    "variable `{name}` has {} elements but `{time_name}` has {}",
                    values.len(),
                    time.len()
                ));
            }
            channels.push(channel.to_string());
            samples.push(values);
        }
    }
    if channels.is_empty() {
        return Err("missing variables `voltage` (or `u`) and `current` (or `i`)".to_string());
    }
    let sample_rate_hz = sample_rate(&time, &time_name)?;
    Ok(Waveform { sample_rate_hz, channels, samples })
}

/// Parses an `miMATRIX` body; returns the variable when its name is one we want.
fn matrix_variable(
    body: &[u8],
    e: Endian,
    where_: &str,
) -> Result<Option<(String, Vec<f64>)>, String> {
    let (flags, pos) = element(body, 0, e, where_)?;
    if flags.kind != MI_UINT32 || flags.data.len() < 8 {
        return Err(format!("corrupt matrix{where_}: array flags are not 8 bytes of miUINT32"));
    }
    let word = e.u32(flags.data);
    let class = word & 0xFF;
    let complex = word & 0x0800 != 0;
    let (dims, pos) = element(body, pos, e, where_)?;
    if dims.kind != MI_INT32 || dims.data.len() < 8 || dims.data.len() % 4 != 0 {
        return Err(format!(
            "corrupt matrix{where_}: dimensions are not miINT32 with at least 2 entries"
        ));
    }
    let dims: Vec<usize> =
        dims.data.chunks_exact(4).map(|c| e.u32(c) as i32).map(|d| d.max(0) as usize).collect();
    let (name_el, pos) = element(body, pos, e, where_)?;
    if name_el.kind != MI_INT8 {
        return Err(format!("corrupt matrix{where_}: the name is not miINT8"));
    }
    let name = String::from_utf8_lossy(name_el.data).into_owned();
    if role(&name).is_none() {
        return Ok(None);
    }
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
            return Err(format!(
                "variable `{name}`{where_}: unsupported class {other} ({what}), expected a \
                 numeric array such as double"
            ));
        }
    };
    if complex {
        return Err(format!(
            "variable `{name}`{where_}: complex {class_name} is not supported, expected real values"
        ));
    }
    let count: usize = dims.iter().product();
    if dims.iter().filter(|&&d| d > 1).count() > 1 {
        let shape: Vec<String> = dims.iter().map(usize::to_string).collect();
        return Err(format!(
            "variable `{name}`{where_} is a {} array, expected a row or column vector",
            shape.join("×")
        ));
    }
    let (real, _) = element(body, pos, e, where_)?;
    let values = numbers(real.kind, real.data, e).ok_or_else(|| {
        format!(
            "variable `{name}`{where_}: unsupported storage type {} for class {class_name}",
            real.kind
        )
    })?;
    if values.len() != count {
        return Err(format!(
            "variable `{name}`{where_}: {} values stored, its dimensions give {count}",
            values.len()
        ));
    }
    Ok(Some((name, values)))
}

/// Converts numeric data of MAT type `kind` to `f64`; `None` for a non-numeric type or a byte
/// count that is not a multiple of the element size.
fn numbers(kind: u32, data: &[u8], e: Endian) -> Option<Vec<f64>> {
    fn conv<const N: usize>(data: &[u8], f: impl Fn([u8; N]) -> f64) -> Option<Vec<f64>> {
        (data.len() % N == 0).then(|| {
            data.chunks_exact(N).map(|c| f(c.try_into().expect("chunk of N bytes"))).collect()
        })
    }
    let big = matches!(e, Endian::Big);
    macro_rules! num {
        ($t:ty) => {
            conv(data, |b| {
                f64::from(if big { <$t>::from_be_bytes(b) } else { <$t>::from_le_bytes(b) })
            })
        };
    }
    macro_rules! wide {
        ($t:ty) => {
            conv(data, |b| {
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
        _ => None,
    }
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
