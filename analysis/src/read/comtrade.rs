//! COMTRADE recordings (IEEE C37.111-1991, -1999 and its 2001 reprint, and -2013), streamed.
//!
//! # Files
//!
//! A recording is a `.cfg` configuration with its `.dat` data beside it (same stem, `.dat` in
//! any case), or a single `.cff` file (2013) whose sections start with lines
//! `--- file type: CFG ---`, `--- file type: INF ---`, `--- file type: HDR ---` and
//! `--- file type: DAT ASCII ---` or `--- file type: DAT BINARY: n ---` (`n` bytes of data
//! follow that line). The configuration is text in UTF-8 or, when it is not valid UTF-8, in a
//! legacy code page: cp1251 when its high bytes read as Cyrillic words, else Latin-1 (names only
//! matter for messages and for `--channels`).
//!
//! # Configuration
//!
//! Line by line: `station_name,rec_dev_id[,rev_year]` (no year: 1991; 1991, 1999, 2001 and 2013
//! are read); `TT,##A,##D` (TT must be A + D); one line per analog channel
//! `An,ch_id,ph,ccbm,uu,a,b,skew,min,max[,primary,secondary,PS]` (1991 has no
//! primary, secondary, PS); one line per status channel; the line frequency; `nrates` and
//! `nrates` lines `samp,endsamp` (or, when `nrates` is 0, an optional `0,endsamp`); the start
//! and trigger times (kept as text in a note, never refused); the file type `ASCII`, `BINARY`,
//! `BINARY32` or `FLOAT32`; `timemult` (1999 and later, 1 when absent); the 2013 lines
//! `time_code,local_code` and `tmq_code,leapsec` are tolerated and not used. A field that must
//! be a number and is not is refused naming the line and the field.
//!
//! # Values
//!
//! A code `x` becomes `a·x + b` in the channel's unit. Units `V`, `kV`, `mV`, `A`, `kA`, `mA`
//! (any case) are read and converted to V and A; a channel in another unit (`Hz`, `°`, `W`, …)
//! is neither a voltage nor a current: it is never chosen automatically and `--channels` may not
//! take it. **Values are primary**: a channel whose `PS` field is `S` records secondary values
//! and is multiplied by its `primary/secondary` ratio; `P` (and 1991, which has no such field)
//! is primary already. A channel's full scale is `max(|a·min + b|, |a·max + b|)` in primary V
//! or A when `min < max`, none otherwise.
//!
//! Missing samples become NaN: the code `0x8000` (−32768) of a 16-bit `BINARY` file, the code
//! `0x80000000` of a `BINARY32` file, a NaN of a `FLOAT32` file, and in an `ASCII` file an empty
//! field or, before 2013, the value 99999.
//!
//! # Data
//!
//! An `ASCII` row is `n,timestamp,A1,…,Ak,D1,…,Dm`. A binary row is a `u32` sample number, a
//! `u32` timestamp, then per analog channel an `i16` (`BINARY`), an `i32` (`BINARY32`) or an
//! `f32` (`FLOAT32`), then ⌈m/16⌉ `u16` words of status bits; little-endian. The number of rows
//! is the `endsamp` of the last rate. The size this needs is checked against the data before
//! anything is allocated (a truncated file is refused naming the row and the byte; bytes
//! beyond are noted); rows are then read one at a time into the caller's block.
//!
//! # Sample rate
//!
//! One rate (`nrates` = 1, or several lines with the same `samp`) is the sample rate. With
//! `nrates` = 0 or `samp` = 0 the rate comes from the timestamp column (× `timemult`, µs): the
//! data are read once when the file is opened, every step must be within 1 % of the median step
//! of the first [`COMTRADE_RATE_LOOK_AHEAD_ROWS`] plus two timestamp units, and the rate is
//! `(rows − 1)/(t_last − t_first)`. Several different rates are refused, naming them.
//!
//! # Channels
//!
//! The engine's inputs are chosen among the analog channels by [`select::choose`] from their
//! `ch_id`, `ph` and `ccbm` fields and their unit: with `--channels` as given, otherwise
//! automatically when exactly one circuit gives a complete set. A recording without an analog
//! voltage channel is refused (nothing to measure). The line frequency is the nominal frequency
//! when it is 50 or 60 Hz.

use crate::read::select::{self, RawChannel};
use crate::read::Reader;
use crate::source::{ChannelInfo, Source, SourceInfo, Unit};
use percycle_vectors::FormatError;
use std::fs::File;
use std::io::{BufRead, Read, Seek, SeekFrom, Take};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest `.cfg` file, or CFG section of a `.cff` file, read, bytes (16 MiB).
pub const COMTRADE_MAX_CFG_BYTES: u64 = 16 << 20;

/// Rows whose timestamps give the median step when the sample rate comes from the timestamps.
pub const COMTRADE_RATE_LOOK_AHEAD_ROWS: usize = 65_536;

/// Largest deviation of a timestamp step from the median step, relative (plus two units).
const TIME_STEP_TOLERANCE: f64 = 0.01;

/// Longest line of an ASCII data file or of a `.cff` section accepted, bytes.
const MAX_LINE_BYTES: u64 = 1 << 20;

/// Buffer of the data reader, bytes.
const BUFFER_BYTES: usize = 1 << 16;

/// Frames reserved at a time in the caller's block.
const RESERVE_FRAMES: usize = 1 << 16;

/// Revision years read.
const REVISIONS: [u32; 4] = [1991, 1999, 2001, 2013];

// ---------------------------------------------------------------------------------------------
// Text of the configuration

/// cp1251 characters of the bytes 0x80..=0xBF (0xC0..=0xFF are А..я in order).
#[rustfmt::skip]
const CP1251_80_BF: [char; 64] = [
    'Ђ', 'Ѓ', '‚', 'ѓ', '„', '…', '†', '‡',
    '€', '‰', 'Љ', '‹', 'Њ', 'Ќ', 'Ћ', 'Џ',
    'ђ', '‘', '’', '“', '”', '•', '–', '—',
    '\u{fffd}', '™', 'љ', '›', 'њ', 'ќ', 'ћ', 'џ',
    '\u{a0}', 'Ў', 'ў', 'Ј', '¤', 'Ґ', '¦', '§',
    'Ё', '©', 'Є', '«', '¬', '\u{ad}', '®', 'Ї',
    '°', '±', 'І', 'і', 'ґ', 'µ', '¶', '·',
    'ё', '№', 'є', '»', 'ј', 'Ѕ', 'ѕ', 'ї',
];

fn cp1251(b: u8) -> char {
    match b {
        0..=0x7F => char::from(b),
        0x80..=0xBF => CP1251_80_BF[usize::from(b - 0x80)],
        _ => char::from_u32(0x410 + u32::from(b - 0xC0)).unwrap_or('\u{fffd}'),
    }
}

/// Whether non-UTF-8 text reads as Cyrillic in cp1251: its letters (0xC0..=0xFF, Ё, ё) come in
/// words (a run of three or more somewhere, and most high bytes in runs of two or more), where
/// Latin-1 text has accented letters between ASCII ones.
fn looks_cyrillic(bytes: &[u8]) -> bool {
    let letter = |b: u8| b >= 0xC0 || b == 0xA8 || b == 0xB8;
    let high = bytes.iter().filter(|&&b| b >= 0x80).count();
    let (mut in_runs, mut longest, mut run) = (0usize, 0usize, 0usize);
    for &b in bytes.iter().chain(std::iter::once(&b' ')) {
        if letter(b) {
            run += 1;
        } else {
            if run >= 2 {
                in_runs += run;
            }
            longest = longest.max(run);
            run = 0;
        }
    }
    longest >= 3 && 2 * in_runs >= high
}

/// The configuration's text, and the code page it was read in when not UTF-8.
fn decode(bytes: &[u8]) -> (String, Option<&'static str>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(_) if looks_cyrillic(bytes) => {
            (bytes.iter().map(|&b| cp1251(b)).collect(), Some("cp1251"))
        }
        Err(_) => (bytes.iter().map(|&b| char::from(b)).collect(), Some("Latin-1")),
    }
}

/// A line of the configuration and its number in the file.
struct Line {
    number: usize,
    text: String,
}

/// The lines of `text`, numbered from `first`, without line ends and trailing blank lines.
fn lines_of(text: &str, first: usize) -> Vec<Line> {
    let mut lines: Vec<Line> = text
        .split('\n')
        .enumerate()
        .map(|(k, l)| Line { number: first + k, text: l.trim_end_matches('\r').to_string() })
        .collect();
    while lines.last().is_some_and(|l| l.text.trim().is_empty()) {
        lines.pop();
    }
    lines
}

fn fields(text: &str) -> Vec<&str> {
    text.split(',').map(str::trim).collect()
}

/// The configuration's lines, taken in order.
struct Cursor<'a> {
    path: &'a Path,
    lines: &'a [Line],
    next: usize,
    /// Number of the line after the last (for a file that ends too soon).
    end: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&'a Line> {
        self.lines.get(self.next).filter(|l| !l.text.trim().is_empty())
    }

    fn take(&mut self, what: &str) -> Result<&'a Line, FormatError> {
        match self.lines.get(self.next) {
            Some(l) => {
                self.next += 1;
                Ok(l)
            }
            None => Err(FormatError::invalid(
                self.path,
                format!("line {}: the configuration ends where {what} was expected", self.end),
            )),
        }
    }
}

/// Field `k` of a line as a finite number.
fn number(path: &Path, line: &Line, f: &[&str], k: usize, name: &str) -> Result<f64, FormatError> {
    let text = f.get(k).copied().unwrap_or("");
    text.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
        FormatError::invalid(
            path,
            format!("line {}, field {} ({name}): {text:?} is not a number", line.number, k + 1),
        )
    })
}

/// Field `k` of a line as a count (a whole number ≥ 0).
fn count(path: &Path, line: &Line, f: &[&str], k: usize, name: &str) -> Result<u64, FormatError> {
    let text = f.get(k).copied().unwrap_or("");
    text.parse::<u64>().map_err(|_| {
        FormatError::invalid(
            path,
            format!(
                "line {}, field {} ({name}): {text:?} is not a whole number",
                line.number,
                k + 1
            ),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// Encoding of the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileType {
    Ascii,
    Binary,
    Binary32,
    Float32,
}

impl FileType {
    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ASCII" => Some(FileType::Ascii),
            "BINARY" => Some(FileType::Binary),
            "BINARY32" => Some(FileType::Binary32),
            "FLOAT32" => Some(FileType::Float32),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FileType::Ascii => "ASCII",
            FileType::Binary => "BINARY",
            FileType::Binary32 => "BINARY32",
            FileType::Float32 => "FLOAT32",
        }
    }

    /// Bytes of an analog value in a binary row.
    fn width(self) -> usize {
        match self {
            FileType::Ascii => 0,
            FileType::Binary => 2,
            FileType::Binary32 | FileType::Float32 => 4,
        }
    }
}

/// An analog channel as the configuration describes it.
struct Analog {
    name: String,
    phase: Option<String>,
    group: Option<String>,
    /// The `uu` field as written.
    unit_text: String,
    unit: Option<Unit>,
    a: f64,
    b: f64,
    /// Unit prefix times the primary/secondary ratio of an `S` channel.
    scale: f64,
    skew: f64,
    min: f64,
    max: f64,
    line: usize,
}

impl Analog {
    /// Largest magnitude of the declared code range, primary V or A.
    fn full_scale(&self) -> Option<f64> {
        if self.min >= self.max {
            return None;
        }
        let at = |x: f64| (self.a * x + self.b).abs();
        let fs = at(self.min).max(at(self.max)) * self.scale.abs();
        (fs.is_finite() && fs > 0.0).then_some(fs)
    }
}

/// The kind and multiplier of a unit the engine reads.
fn unit_of(uu: &str) -> Option<(Unit, f64)> {
    match uu.trim().to_ascii_lowercase().as_str() {
        "v" => Some((Unit::Volt, 1.0)),
        "kv" => Some((Unit::Volt, 1e3)),
        "mv" => Some((Unit::Volt, 1e-3)),
        "a" => Some((Unit::Ampere, 1.0)),
        "ka" => Some((Unit::Ampere, 1e3)),
        "ma" => Some((Unit::Ampere, 1e-3)),
        _ => None,
    }
}

/// What a configuration states.
struct Cfg {
    station: String,
    device: String,
    rev: u32,
    analogs: Vec<Analog>,
    digitals: usize,
    line_hz: f64,
    /// `(samp, endsamp)` per rate.
    rates: Vec<(f64, u64)>,
    /// Rows of the data, when stated.
    endsamp: Option<u64>,
    start: String,
    trigger: String,
    file_type: FileType,
    timemult: f64,
    notes: Vec<String>,
}

fn parse_analog(path: &Path, l: &Line, rev: u32, short: &mut usize) -> Result<Analog, FormatError> {
    let mut f = fields(&l.text);
    if f.len() == 11 && f[10].is_empty() {
        f.pop();
    }
    if f.len() < 10 || f.len() == 11 || f.len() == 12 {
        return Err(FormatError::invalid(
            path,
            format!(
                "line {}: an analog channel line has 13 fields (10 in 1991), this one has {}",
                l.number,
                f.len()
            ),
        ));
    }
    count(path, l, &f, 0, "An")?;
    let name = f[1].to_string();
    let phase = Some(f[2].to_ascii_uppercase()).filter(|p| !p.is_empty());
    let group = Some(f[3].to_string()).filter(|g| !g.is_empty());
    let unit_text = f[4].to_string();
    let a = number(path, l, &f, 5, "a")?;
    let b = number(path, l, &f, 6, "b")?;
    let skew = if f[7].is_empty() { 0.0 } else { number(path, l, &f, 7, "skew")? };
    let min = number(path, l, &f, 8, "min")?;
    let max = number(path, l, &f, 9, "max")?;
    let mut ratio = 1.0;
    if f.len() >= 13 {
        let primary = number(path, l, &f, 10, "primary")?;
        let secondary = number(path, l, &f, 11, "secondary")?;
        match f[12].to_ascii_uppercase().as_str() {
            "P" => {}
            "S" => {
                for (k, name, v) in [(10, "primary", primary), (11, "secondary", secondary)] {
                    if v <= 0.0 {
                        return Err(FormatError::invalid(
                            path,
                            format!(
                                "line {}, field {} ({name}): {v} for a channel of secondary \
                                 values (PS = S): the ratio must be > 0",
                                l.number,
                                k + 1
                            ),
                        ));
                    }
                }
                ratio = primary / secondary;
            }
            other => {
                return Err(FormatError::invalid(
                    path,
                    format!("line {}, field 13 (PS): {other:?} is neither P nor S", l.number),
                ))
            }
        }
    } else if rev > 1991 {
        *short += 1;
    }
    let (unit, prefix) = match unit_of(&unit_text) {
        Some((u, m)) => (Some(u), m),
        None => (None, 1.0),
    };
    Ok(Analog {
        name,
        phase,
        group,
        unit_text,
        unit,
        a,
        b,
        scale: prefix * ratio,
        skew,
        min,
        max,
        line: l.number,
    })
}

/// Whether a date and time read as `dd/mm/yyyy,hh:mm:ss[.ffffff]` (or with the day and month
/// the other way round, or a two-digit year).
fn plain_time(text: &str) -> bool {
    let Some((date, time)) = text.split_once(',') else { return false };
    let date: Vec<&str> = date.trim().split('/').collect();
    let time: Vec<&str> = time.trim().split(':').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    date.len() == 3
        && date.iter().all(|d| digits(d))
        && time.len() == 3
        && digits(time[0])
        && digits(time[1])
        && time[2].parse::<f64>().is_ok_and(|s| (0.0..61.0).contains(&s))
}

fn parse_cfg(path: &Path, lines: &[Line], end: usize) -> Result<Cfg, FormatError> {
    let mut cur = Cursor { path, lines, next: 0, end };
    let bad = |line: &Line, message: String| {
        FormatError::invalid(path, format!("line {}: {message}", line.number))
    };
    let mut notes = Vec::new();

    let l = cur.take("the station line (station_name,rec_dev_id,rev_year)")?;
    let f = fields(&l.text);
    let station = f[0].to_string();
    let device = f.get(1).map_or(String::new(), |d| d.to_string());
    let rev = match f.get(2).filter(|y| !y.is_empty()) {
        None => {
            notes.push("the configuration states no revision year: read as C37.111-1991".into());
            1991
        }
        Some(_) => {
            let y = count(path, l, &f, 2, "rev_year")?;
            match u32::try_from(y).ok().filter(|y| REVISIONS.contains(y)) {
                Some(y) => y,
                None => {
                    return Err(bad(
                        l,
                        format!(
                            "revision year {y} is not one of 1991, 1999, 2001, 2013 (the \
                             revisions of C37.111 read)"
                        ),
                    ))
                }
            }
        }
    };

    let l = cur.take("the channel counts (TT,##A,##D)")?;
    let f = fields(&l.text);
    if f.len() < 3 {
        return Err(bad(
            l,
            format!("expected the channel counts TT,##A,##D (e.g. 12,8A,4D), found {:?}", l.text),
        ));
    }
    let total = count(path, l, &f, 0, "TT")?;
    let suffixed = |k: usize, suffix: char, name: &str| {
        let t = f[k];
        t.strip_suffix(suffix)
            .or_else(|| t.strip_suffix(suffix.to_ascii_lowercase()))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                FormatError::invalid(
                    path,
                    format!(
                        "line {}, field {} ({name}): {t:?} is not a count followed by {suffix}",
                        l.number,
                        k + 1
                    ),
                )
            })
    };
    let na = suffixed(1, 'A', "##A")?;
    let nd = suffixed(2, 'D', "##D")?;
    if na.checked_add(nd) != Some(total) {
        return Err(bad(
            l,
            format!(
                "TT = {total} channels, but {na} analog + {nd} status = {}",
                na.saturating_add(nd)
            ),
        ));
    }

    let mut analogs = Vec::new();
    let mut short = 0;
    for k in 0..na {
        let l = cur.take(&format!("analog channel line {} of {na}", k + 1))?;
        analogs.push(parse_analog(path, l, rev, &mut short)?);
    }
    if short > 0 {
        notes.push(format!(
            "{short} analog channel lines have no primary, secondary, PS fields: their values are \
             taken as primary"
        ));
    }
    for k in 0..nd {
        let l = cur.take(&format!("status channel line {} of {nd}", k + 1))?;
        let f = fields(&l.text);
        if f.len() >= 10 {
            return Err(bad(
                l,
                format!(
                    "status channel line {} of {nd} has the {} fields of an analog channel: line \
                     {} counts {na} analog channels",
                    k + 1,
                    f.len(),
                    lines[1].number
                ),
            ));
        }
        count(path, l, &f, 0, "Dn")?;
    }
    let digitals = usize::try_from(nd).unwrap_or(usize::MAX);

    let l = cur.take("the line frequency")?;
    let line_hz = number(path, l, &fields(&l.text), 0, "lf")?;

    let l = cur.take("the number of sample rates (nrates)")?;
    let nrates = count(path, l, &fields(&l.text), 0, "nrates")?;
    let mut rates = Vec::new();
    let mut endsamp = None;
    if nrates == 0 {
        // An optional `0,endsamp` line (1999 and later).
        if let Some(l) = cur.peek() {
            let f = fields(&l.text);
            if f.len() == 2 && f.iter().all(|x| x.parse::<f64>().is_ok()) {
                cur.take("")?;
                endsamp = Some(count(path, l, &f, 1, "endsamp")?);
            }
        }
    } else {
        for k in 0..nrates {
            let l = cur.take(&format!("sample rate line {} of {nrates} (samp,endsamp)", k + 1))?;
            let f = fields(&l.text);
            let samp = number(path, l, &f, 0, "samp")?;
            if samp < 0.0 {
                return Err(bad(l, format!("field 1 (samp): sample rate {samp} is negative")));
            }
            let e = count(path, l, &f, 1, "endsamp")?;
            rates.push((samp, e));
            endsamp = Some(e);
        }
    }

    let start = cur.take("the start time (dd/mm/yyyy,hh:mm:ss.ssssss)")?.text.trim().to_string();
    let trigger =
        cur.take("the trigger time (dd/mm/yyyy,hh:mm:ss.ssssss)")?.text.trim().to_string();
    for (what, t) in [("start", &start), ("trigger", &trigger)] {
        if !plain_time(t) {
            notes.push(format!(
                "the {what} time {t:?} is not of the form dd/mm/yyyy,hh:mm:ss.ssssss (kept as \
                 written)"
            ));
        }
    }

    let l = cur.take("the file type (ASCII, BINARY, BINARY32 or FLOAT32)")?;
    let ft_text = fields(&l.text)[0];
    let file_type = FileType::parse(ft_text).ok_or_else(|| {
        bad(l, format!("file type {ft_text:?} is not ASCII, BINARY, BINARY32 or FLOAT32"))
    })?;

    let mut timemult = 1.0;
    if rev > 1991 {
        if let Some(l) = cur.peek() {
            cur.take("")?;
            timemult = number(path, l, &fields(&l.text), 0, "timemult")?;
            if timemult <= 0.0 {
                return Err(bad(l, format!("field 1 (timemult): {timemult} is not > 0")));
            }
        }
    }
    // 2013: time_code,local_code and tmq_code,leapsec follow; they do not change the samples.

    Ok(Cfg {
        station,
        device,
        rev,
        analogs,
        digitals,
        line_hz,
        rates,
        endsamp,
        start,
        trigger,
        file_type,
        timemult,
        notes,
    })
}

/// Where the sample rate comes from.
enum Rate {
    Fixed(f64),
    FromTimestamps,
}

fn rate_of(path: &Path, cfg: &Cfg) -> Result<Rate, FormatError> {
    let Some(&(first, _)) = cfg.rates.first() else { return Ok(Rate::FromTimestamps) };
    if cfg.rates.iter().all(|r| r.0 == first) {
        return Ok(if first > 0.0 { Rate::Fixed(first) } else { Rate::FromTimestamps });
    }
    let mut from = 1;
    let mut parts = Vec::new();
    for &(samp, end) in &cfg.rates {
        let rate =
            if samp > 0.0 { format!("{samp} Hz") } else { "a rate from the timestamps".into() };
        let which = if parts.is_empty() { "samples " } else { "" };
        parts.push(format!("{rate} for {which}{from}-{end}"));
        from = end + 1;
    }
    Err(FormatError::invalid(
        path,
        format!("several sample rates: {}; not supported", parts.join(", ")),
    ))
}

// ---------------------------------------------------------------------------------------------
// Files

/// A `.cfg` file's lines.
fn read_cfg(path: &Path) -> Result<(Vec<Line>, Option<&'static str>), FormatError> {
    let file = File::open(path).map_err(FormatError::io(path))?;
    let size = file.metadata().map_err(FormatError::io(path))?.len();
    if size > COMTRADE_MAX_CFG_BYTES {
        return Err(FormatError::invalid(
            path,
            format!(
                "{size} bytes: larger than the {COMTRADE_MAX_CFG_BYTES} bytes a configuration may \
                 have"
            ),
        ));
    }
    let mut bytes = Vec::new();
    file.take(COMTRADE_MAX_CFG_BYTES).read_to_end(&mut bytes).map_err(FormatError::io(path))?;
    let (text, encoding) = decode(&bytes);
    Ok((lines_of(&text, 1), encoding))
}

/// The `.dat` file of a `.cfg`: the same stem with `.dat` in any case (the stem's case too when
/// no file matches it exactly).
fn dat_of(cfg: &Path) -> Result<PathBuf, FormatError> {
    let stem = cfg.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = match cfg.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    for ext in ["dat", "DAT", "Dat"] {
        let p = dir.join(format!("{stem}.{ext}"));
        if p.is_file() {
            return Ok(p);
        }
    }
    let mut found: Vec<(bool, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some((s, ext)) = name.rsplit_once('.') {
                if ext.eq_ignore_ascii_case("dat") && s.eq_ignore_ascii_case(&stem) {
                    found.push((s != stem, e.path()));
                }
            }
        }
    }
    found.sort();
    found.into_iter().map(|f| f.1).find(|p| p.is_file()).ok_or_else(|| {
        FormatError::invalid(
            cfg,
            format!("no data file {stem}.dat beside the configuration (in {})", dir.display()),
        )
    })
}

/// Where the rows are.
struct Place {
    /// The `.dat` or `.cff` file.
    path: PathBuf,
    /// Its bytes, when it is held in memory rather than read from `path`.
    memory: Option<Arc<[u8]>>,
    /// Offset of the first row in the file.
    start: u64,
    /// Bytes of data from `start`.
    len: u64,
    /// Size of the file.
    size: u64,
    /// Number of the line before the first row (ASCII messages).
    line: usize,
    /// What a `.cff` DAT section header says of the encoding (`ASCII`, `BINARY`, …).
    declared: Option<String>,
}

/// Reads a line of at most [`MAX_LINE_BYTES`] into `buf` (the rest of a longer line is
/// skipped); returns the bytes consumed, 0 at the end.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<u64> {
    buf.clear();
    let mut consumed = 0;
    loop {
        let (done, used) = {
            let avail = reader.fill_buf()?;
            if avail.is_empty() {
                return Ok(consumed);
            }
            let (done, used) = match avail.iter().position(|&b| b == b'\n') {
                Some(k) => (true, k + 1),
                None => (false, avail.len()),
            };
            let room = (MAX_LINE_BYTES as usize).saturating_sub(buf.len());
            buf.extend_from_slice(&avail[..used.min(room)]);
            (done, used)
        };
        reader.consume(used);
        consumed += used as u64;
        if done {
            return Ok(consumed);
        }
    }
}

/// The section type a `.cff` line introduces (`["DAT", "BINARY", "1234"]`), if it is a header.
fn section_header(line: &[u8]) -> Option<Vec<String>> {
    let text = std::str::from_utf8(line).ok()?.trim();
    let inner = text.strip_prefix("---")?.strip_suffix("---")?.trim();
    let lower = inner.to_ascii_lowercase();
    let rest = lower.strip_prefix("file type")?.trim_start().strip_prefix(':')?;
    let rest = &inner[inner.len() - rest.len()..];
    let words: Vec<String> = rest
        .split(|c: char| c.is_whitespace() || c == ':')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase())
        .collect();
    (!words.is_empty()).then_some(words)
}

/// A `.cff` file's CFG lines and where its DAT section is.
/// The configuration's lines, the number of the line after them, the code page they were read
/// in when not UTF-8, and where the rows are.
struct Opened {
    lines: Vec<Line>,
    end: usize,
    encoding: Option<&'static str>,
    place: Place,
}

/// Reads a `.cff` file from `reader` (`size` bytes in all; `memory`: the same bytes when they
/// are held in memory).
fn read_cff(
    path: &Path,
    mut reader: Reader,
    size: u64,
    memory: Option<Arc<[u8]>>,
) -> Result<Opened, FormatError> {
    let mut buf = Vec::new();
    let (mut pos, mut line) = (0u64, 0usize);
    let mut cfg: Option<(usize, Vec<u8>)> = None;
    let mut cfg_end = 0;
    let mut dat: Option<Place> = None;
    // Which section the lines read belong to.
    #[derive(PartialEq)]
    enum In {
        Nothing,
        Cfg,
        DatAscii,
    }
    let mut section = In::Nothing;
    loop {
        let n = read_line(&mut reader, &mut buf).map_err(FormatError::io(path))?;
        if n == 0 {
            break;
        }
        let line_start = pos;
        pos += n;
        line += 1;
        let Some(words) = section_header(&buf) else {
            if section == In::Cfg {
                let (_, bytes) = cfg.as_mut().expect("a CFG section is open");
                bytes.extend_from_slice(&buf);
                if bytes.len() as u64 > COMTRADE_MAX_CFG_BYTES {
                    return Err(FormatError::invalid(
                        path,
                        format!(
                            "line {line}: the CFG section is longer than the \
                             {COMTRADE_MAX_CFG_BYTES} bytes a configuration may have"
                        ),
                    ));
                }
                cfg_end = line + 1;
            }
            continue;
        };
        if section == In::DatAscii {
            if let Some(d) = dat.as_mut() {
                d.len = line_start - d.start;
            }
        }
        section = In::Nothing;
        match words[0].as_str() {
            "CFG" => {
                if cfg.is_some() {
                    return Err(FormatError::invalid(
                        path,
                        format!("line {line}: a second CFG section"),
                    ));
                }
                cfg = Some((line + 1, Vec::new()));
                cfg_end = line + 1;
                section = In::Cfg;
            }
            "DAT" => {
                if dat.is_some() {
                    return Err(FormatError::invalid(
                        path,
                        format!("line {line}: a second DAT section"),
                    ));
                }
                let declared = words.get(1).cloned();
                let bytes = match words.get(2) {
                    Some(n) => Some(n.parse::<u64>().map_err(|_| {
                        FormatError::invalid(
                            path,
                            format!(
                                "line {line}: the DAT section's byte count {n:?} is not a whole \
                                 number"
                            ),
                        )
                    })?),
                    None => None,
                };
                let ascii = declared.as_deref() == Some("ASCII");
                let place = |len| Place {
                    path: path.to_path_buf(),
                    memory: memory.clone(),
                    start: pos,
                    len,
                    size,
                    line,
                    declared: declared.clone(),
                };
                match bytes {
                    Some(n) if !ascii => {
                        dat = Some(place(n));
                        // Skip the data: the next section header follows them.
                        reader
                            .seek(SeekFrom::Start(pos.saturating_add(n)))
                            .map_err(FormatError::io(path))?;
                        pos = pos.saturating_add(n);
                    }
                    None if !ascii => {
                        // No byte count: the data run to the end of the file.
                        dat = Some(place(size.saturating_sub(pos)));
                        break;
                    }
                    _ => {
                        dat = Some(place(size.saturating_sub(pos)));
                        section = In::DatAscii;
                    }
                }
            }
            _ => {}
        }
    }
    let Some((first, bytes)) = cfg else {
        return Err(FormatError::invalid(
            path,
            "no CFG section (a line `--- file type: CFG ---`): not a COMTRADE .cff file",
        ));
    };
    let Some(dat) = dat else {
        return Err(FormatError::invalid(
            path,
            "no DAT section (a line `--- file type: DAT ASCII ---` or `--- file type: DAT BINARY: \
             n ---`)",
        ));
    };
    let (text, encoding) = decode(&bytes);
    Ok(Opened { lines: lines_of(&text, first), end: cfg_end, encoding, place: dat })
}

// ---------------------------------------------------------------------------------------------
// Rows

/// The rows of the data, read one at a time.
struct Rows {
    path: PathBuf,
    reader: Take<Reader>,
    file_type: FileType,
    /// Analog channel names (ASCII messages).
    names: Vec<String>,
    digitals: usize,
    /// ASCII: 99999 marks a missing sample (before 2013).
    missing_99999: bool,
    row_bytes: usize,
    /// Rows to read; `None`: an ASCII file read to its end.
    total: Option<u64>,
    /// Rows read.
    rows: u64,
    /// Bytes read from the start of the data.
    consumed: u64,
    start: u64,
    /// ASCII: number of the last line read.
    line: usize,
    buf: Vec<u8>,
}

impl Rows {
    fn open(place: &Place, cfg: &Cfg, total: Option<u64>) -> Result<Self, FormatError> {
        let path = &place.path;
        let mut input = match &place.memory {
            Some(bytes) => Reader::memory(Arc::clone(bytes)),
            None => Reader::file(File::open(path).map_err(FormatError::io(path))?, BUFFER_BYTES),
        };
        input.seek(SeekFrom::Start(place.start)).map_err(FormatError::io(path))?;
        let row_bytes = row_bytes(cfg);
        Ok(Rows {
            path: path.clone(),
            reader: input.take(place.len),
            file_type: cfg.file_type,
            names: cfg.analogs.iter().map(|a| a.name.clone()).collect(),
            digitals: cfg.digitals,
            missing_99999: cfg.rev < 2013,
            row_bytes: usize::try_from(row_bytes).unwrap_or(usize::MAX),
            total,
            rows: 0,
            consumed: 0,
            start: place.start,
            line: place.line,
            buf: Vec::new(),
        })
    }

    /// Where the last row read is, for messages.
    fn at(&self) -> String {
        match self.file_type {
            FileType::Ascii => format!("line {} (row {})", self.line, self.rows),
            _ => format!(
                "row {} (byte {})",
                self.rows,
                (self.start + self.consumed).saturating_sub(self.row_bytes as u64)
            ),
        }
    }

    /// The next row: its analog codes into `raw` (NaN for a missing sample), and its timestamp
    /// (`None` when missing); `None` after the last row.
    fn next(&mut self, raw: &mut [f64]) -> Result<Option<Option<f64>>, FormatError> {
        if self.total == Some(self.rows) {
            return Ok(None);
        }
        match self.file_type {
            FileType::Ascii => self.next_ascii(raw),
            _ => self.next_binary(raw).map(Some),
        }
    }

    fn next_binary(&mut self, raw: &mut [f64]) -> Result<Option<f64>, FormatError> {
        let n = self.row_bytes;
        self.buf.resize(n, 0);
        let mut got = 0;
        while got < n {
            match self.reader.read(&mut self.buf[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FormatError::io(&self.path)(e)),
            }
        }
        self.consumed += got as u64;
        if got < n {
            return Err(FormatError::invalid(
                &self.path,
                format!(
                    "the data end at byte {}, inside row {} of {}: the file is truncated",
                    self.start + self.consumed,
                    self.rows + 1,
                    self.total.map_or("?".into(), |t| t.to_string())
                ),
            ));
        }
        self.rows += 1;
        let b = &self.buf;
        let ts = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        let data = &b[8..];
        match self.file_type {
            FileType::Binary => {
                for (x, c) in raw.iter_mut().zip(data.chunks_exact(2)) {
                    let v = i16::from_le_bytes([c[0], c[1]]);
                    *x = if v == i16::MIN { f64::NAN } else { f64::from(v) };
                }
            }
            FileType::Binary32 => {
                for (x, c) in raw.iter_mut().zip(data.chunks_exact(4)) {
                    let v = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                    *x = if v == i32::MIN { f64::NAN } else { f64::from(v) };
                }
            }
            FileType::Float32 => {
                for (x, c) in raw.iter_mut().zip(data.chunks_exact(4)) {
                    *x = f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                }
            }
            FileType::Ascii => unreachable!("binary rows only"),
        }
        Ok((ts != u32::MAX).then_some(f64::from(ts)))
    }

    /// The next line that is not blank, `None` at the end of the data.
    fn next_line(&mut self) -> Result<Option<()>, FormatError> {
        loop {
            let n =
                read_line(&mut self.reader, &mut self.buf).map_err(FormatError::io(&self.path))?;
            if n == 0 {
                return Ok(None);
            }
            self.consumed += n;
            self.line += 1;
            if n > MAX_LINE_BYTES {
                return Err(FormatError::invalid(
                    &self.path,
                    format!(
                        "line {} is longer than {MAX_LINE_BYTES} bytes: not a row of samples",
                        self.line
                    ),
                ));
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(()));
            }
        }
    }

    fn next_ascii(&mut self, raw: &mut [f64]) -> Result<Option<Option<f64>>, FormatError> {
        if self.next_line()?.is_none() {
            return match self.total {
                Some(t) => Err(FormatError::invalid(
                    &self.path,
                    format!(
                        "the data end after line {} with {} rows, but the configuration's endsamp \
                         says {t}: the file is truncated",
                        self.line, self.rows
                    ),
                )),
                None => Ok(None),
            };
        }
        let line = self.line;
        let path = &self.path;
        let text = std::str::from_utf8(&self.buf).map_err(|_| {
            FormatError::invalid(path, format!("line {line}: not text (a row of numbers)"))
        })?;
        let mut f: Vec<&str> = text.trim().split(',').map(str::trim).collect();
        let want = 2 + raw.len() + self.digitals;
        if f.len() == want + 1 && f[want].is_empty() {
            f.pop();
        }
        if f.len() != want {
            return Err(FormatError::invalid(
                path,
                format!(
                    "line {line}: {} fields, a row has {want} (n, timestamp, {} analog, {} status)",
                    f.len(),
                    raw.len(),
                    self.digitals
                ),
            ));
        }
        let value = |k: usize, name: &str| -> Result<Option<f64>, FormatError> {
            if f[k].is_empty() {
                return Ok(None);
            }
            f[k].parse::<f64>().map(Some).map_err(|_| {
                FormatError::invalid(
                    path,
                    format!("line {line}, field {} ({name}): {:?} is not a number", k + 1, f[k]),
                )
            })
        };
        let ts = value(1, "timestamp")?;
        for (k, x) in raw.iter_mut().enumerate() {
            *x = match value(2 + k, &self.names[k])? {
                Some(v) if self.missing_99999 && v == 99999.0 => f64::NAN,
                Some(v) => v,
                None => f64::NAN,
            };
        }
        self.rows += 1;
        Ok(Some(ts))
    }

    /// ASCII: the line of a row after the last one read, if there is one.
    fn more(&mut self) -> Result<Option<usize>, FormatError> {
        Ok(self.next_line()?.map(|()| self.line))
    }
}

/// Bytes of a binary row.
fn row_bytes(cfg: &Cfg) -> u64 {
    let words = cfg.digitals.div_ceil(16) as u64;
    8 + cfg.analogs.len() as u64 * cfg.file_type.width() as u64 + 2 * words
}

/// Where row `row` (from 1) is, for messages: its line in an ASCII file, its byte in a binary one.
fn row_at(place: &Place, cfg: &Cfg, row: u64, line: usize) -> String {
    match cfg.file_type {
        FileType::Ascii => format!("line {line} (row {row})"),
        _ => format!("row {row} (byte {})", place.start + (row - 1) * row_bytes(cfg)),
    }
}

/// The sample rate from the timestamp column, and the rows: the data read once.
fn rate_from_timestamps(
    place: &Place,
    cfg: &Cfg,
    total: Option<u64>,
) -> Result<(f64, u64), FormatError> {
    let mut rows = Rows::open(place, cfg, total)?;
    let mut raw = vec![0.0; cfg.analogs.len()];
    // Timestamps of the look-ahead rows, with their row and line numbers.
    let mut ahead: Vec<(f64, u64, usize)> = Vec::new();
    let (mut first, mut last) = (0.0, 0.0);
    let mut median = None;
    let check = |t: f64, previous: f64, row: u64, line: usize, median: f64| {
        let step = t - previous;
        if step > 0.0 && (step - median).abs() <= TIME_STEP_TOLERANCE * median + 2.0 {
            return Ok(());
        }
        Err(FormatError::invalid(
            &place.path,
            format!(
                "{}: timestamp step {} µs differs from the median step {} µs by more than 1 % \
                 plus two timestamp units: the sampling is not uniform and the configuration \
                 gives no sample rate",
                row_at(place, cfg, row, line),
                step * cfg.timemult,
                median * cfg.timemult
            ),
        ))
    };
    let median_of = |ahead: &[(f64, u64, usize)]| -> Result<f64, FormatError> {
        let mut steps: Vec<f64> = ahead.windows(2).map(|w| w[1].0 - w[0].0).collect();
        let mid = steps.len() / 2;
        let median = *steps.select_nth_unstable_by(mid, f64::total_cmp).1;
        if median.is_nan() || median <= 0.0 {
            return Err(FormatError::invalid(
                &place.path,
                format!("the median timestamp step is {median}: the timestamps do not increase"),
            ));
        }
        for w in ahead.windows(2) {
            check(w[1].0, w[0].0, w[1].1, w[1].2, median)?;
        }
        Ok(median)
    };
    while let Some(ts) = rows.next(&mut raw)? {
        let Some(t) = ts else {
            return Err(FormatError::invalid(
                &place.path,
                format!(
                    "{}: no timestamp, and the configuration gives no sample rate (samp = 0)",
                    rows.at()
                ),
            ));
        };
        if rows.rows == 1 {
            first = t;
        }
        match median {
            None => {
                ahead.push((t, rows.rows, rows.line));
                if ahead.len() > COMTRADE_RATE_LOOK_AHEAD_ROWS {
                    median = Some(median_of(&ahead)?);
                    ahead = Vec::new();
                }
            }
            Some(m) => check(t, last, rows.rows, rows.line, m)?,
        }
        last = t;
    }
    let n = rows.rows;
    if median.is_none() {
        if ahead.len() < 2 {
            return Err(FormatError::invalid(
                &place.path,
                "the configuration gives no sample rate (samp = 0) and the data have fewer than \
                 two rows to derive it from",
            ));
        }
        median_of(&ahead)?;
    }
    Ok(((n - 1) as f64 / ((last - first) * cfg.timemult * 1e-6), n))
}

// ---------------------------------------------------------------------------------------------
// Source

/// An engine input: an analog channel and its conversion to V or A.
struct Input {
    analog: usize,
    a: f64,
    b: f64,
    /// Unit prefix × primary/secondary ratio × sign.
    scale: f64,
}

/// A COMTRADE recording read in blocks (see the module docs).
pub struct ComtradeSource {
    info: SourceInfo,
    rows: Rows,
    inputs: Vec<Input>,
    raw: Vec<f64>,
    notes: Vec<String>,
    size: u64,
    /// `.cfg` with `.dat`: the data start at byte 0 of the `.dat`; `.cff`: later.
    missing: u64,
    done: bool,
    failed: bool,
}

impl ComtradeSource {
    /// Opens a COMTRADE recording: a `.cfg` (with its `.dat`) or a `.cff`, and chooses the
    /// engine's inputs among its analog channels: by `channels` (the `--channels` syntax of
    /// [`select::choose`]: `U1=VA_G1,…`, a name or a 1-based index, `-NAME` for the opposite
    /// sign) or automatically.
    ///
    /// # Errors
    /// [`FormatError`] naming the file and the line and field, or the row and byte: a
    /// configuration that cannot be read (a field that is not a number, counts that disagree,
    /// an unknown revision year or file type), several sample rates, no analog voltage
    /// channel, data shorter than the configuration declares, a channel choice that cannot be
    /// made or that takes a channel of another unit, timestamps that do not give a uniform rate
    /// when the configuration gives none.
    pub fn open(path: impl AsRef<Path>, channels: Option<&str>) -> Result<Self, FormatError> {
        let path = path.as_ref();
        let cff = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("cff"));
        let opened = if cff {
            let file = File::open(path).map_err(FormatError::io(path))?;
            let size = file.metadata().map_err(FormatError::io(path))?.len();
            read_cff(path, Reader::file(file, BUFFER_BYTES), size, None)?
        } else {
            let (lines, encoding) = read_cfg(path)?;
            let dat = dat_of(path)?;
            let size = std::fs::metadata(&dat).map_err(FormatError::io(&dat))?.len();
            let end = lines.last().map_or(1, |l| l.number + 1);
            let place = Place {
                path: dat,
                memory: None,
                start: 0,
                len: size,
                size,
                line: 0,
                declared: None,
            };
            Opened { lines, end, encoding, place }
        };
        Self::start(path, opened, channels)
    }

    /// A single-file COMTRADE recording (`.cff`, C37.111-2013) held in memory, read as
    /// [`ComtradeSource::open`] reads a `.cff` file; `name` stands for the file in messages.
    ///
    /// # Errors
    /// As [`ComtradeSource::open`], naming `name`.
    pub fn from_cff_bytes(
        name: &str,
        bytes: impl Into<Vec<u8>>,
        channels: Option<&str>,
    ) -> Result<Self, FormatError> {
        let path = Path::new(name);
        let bytes: Vec<u8> = bytes.into();
        let bytes: Arc<[u8]> = bytes.into();
        let size = bytes.len() as u64;
        let opened = read_cff(path, Reader::memory(Arc::clone(&bytes)), size, Some(bytes))?;
        Self::start(path, opened, channels)
    }

    /// Parses the configuration, checks the data against it and chooses the inputs.
    fn start(path: &Path, opened: Opened, channels: Option<&str>) -> Result<Self, FormatError> {
        let Opened { lines, end, encoding, place } = opened;
        let cfg = parse_cfg(path, &lines, end)?;
        let mut notes = Vec::new();
        if let Some(e) = encoding {
            notes.push(format!("{}: the configuration is not UTF-8: read as {e}", path.display()));
        }
        notes.extend(cfg.notes.iter().cloned());

        if let Some(d) = &place.declared {
            let ascii = d == "ASCII";
            if ascii != (cfg.file_type == FileType::Ascii) {
                return Err(FormatError::invalid(
                    path,
                    format!(
                        "line {}: the DAT section is {d} but the configuration's file type is {}",
                        place.line,
                        cfg.file_type.name()
                    ),
                ));
            }
        }

        // Something to measure.
        if !cfg.analogs.iter().any(|a| a.unit == Some(Unit::Volt)) {
            let analogs = if cfg.analogs.is_empty() {
                "no analog channel".to_string()
            } else {
                format!(
                    "analog channels {}",
                    cfg.analogs
                        .iter()
                        .map(|a| format!("{} ({})", a.name, a.unit_text))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(FormatError::invalid(
                path,
                format!(
                    "the recording has no analog voltage channel ({analogs}, {} status \
                     channels): nothing to measure",
                    cfg.digitals
                ),
            ));
        }

        let rate = rate_of(path, &cfg)?;

        // The data's size against the configuration, before anything is allocated.
        let dat_path = place.path.clone();
        let data_err = |m: String| FormatError::invalid(&dat_path, m);
        if place.start.saturating_add(place.len) > place.size {
            return Err(data_err(format!(
                "line {}: the DAT section declares {} bytes but the file ends {} bytes after it \
                 starts (byte {}): the file is truncated",
                place.line,
                place.len,
                place.size - place.start.min(place.size),
                place.size
            )));
        }
        let mut total = cfg.endsamp;
        if cfg.file_type == FileType::Ascii {
            if let Some(e) = total {
                let fields = 2 + cfg.analogs.len() as u64 + cfg.digitals as u64;
                let least = e.saturating_mul(fields).saturating_sub(1);
                if least > place.len {
                    return Err(data_err(format!(
                        "the configuration's endsamp says {e} rows of {fields} fields, at least \
                         {least} bytes, but the data hold {} bytes: the file is truncated",
                        place.len
                    )));
                }
            }
        } else {
            let row = row_bytes(&cfg);
            match total {
                Some(e) => {
                    let need = e.saturating_mul(row);
                    if need > place.len {
                        let whole = place.len / row;
                        return Err(data_err(format!(
                            "the configuration's endsamp says {e} rows of {row} bytes ({need} \
                             bytes), but the data hold {} bytes: the file is truncated in row {} \
                             (at byte {})",
                            place.len,
                            whole + 1,
                            place.start + place.len
                        )));
                    }
                    if place.len > need {
                        notes.push(format!(
                            "{}: {} bytes after the last of the {e} rows the configuration \
                             declares: ignored",
                            dat_path.display(),
                            place.len - need
                        ));
                    }
                }
                None => {
                    if place.len % row != 0 {
                        return Err(data_err(format!(
                            "the data hold {} bytes, not a whole number of {row}-byte rows: row \
                             {} is truncated at byte {}",
                            place.len,
                            place.len / row + 1,
                            place.start + place.len
                        )));
                    }
                    total = Some(place.len / row);
                }
            }
        }

        // The engine's inputs.
        let raw: Vec<RawChannel> = cfg
            .analogs
            .iter()
            .map(|a| RawChannel {
                name: a.name.clone(),
                phase: a.phase.clone(),
                unit: a.unit,
                group: a.group.clone(),
            })
            .collect();
        let (chosen, note) = select::choose(path, &raw, channels)?;
        notes.extend(note);
        let mut inputs = Vec::new();
        let mut infos = Vec::new();
        for c in &chosen {
            let an = &cfg.analogs[c.index];
            let want = Unit::of_name(&c.name);
            if an.unit != want {
                let kind = match want {
                    Some(Unit::Volt) => "a voltage (V, kV or mV)",
                    _ => "a current (A, kA or mA)",
                };
                return Err(FormatError::invalid(
                    path,
                    format!(
                        "option --channels: {}={} takes a channel in {:?} (line {}) for {kind}",
                        c.name, an.name, an.unit_text, an.line
                    ),
                ));
            }
            if an.skew != 0.0 {
                notes.push(format!(
                    "{} ({}) has a time skew of {} µs in the configuration: not corrected",
                    c.name, an.name, an.skew
                ));
            }
            let sign = if c.negate { -1.0 } else { 1.0 };
            inputs.push(Input { analog: c.index, a: an.a, b: an.b, scale: an.scale * sign });
            infos.push(ChannelInfo {
                name: c.name.clone(),
                unit: want,
                full_scale: an.full_scale(),
            });
        }

        let (sample_rate_hz, frames) = match rate {
            Rate::Fixed(r) => (r, total),
            Rate::FromTimestamps => {
                let (r, n) = rate_from_timestamps(&place, &cfg, total)?;
                notes.push(format!(
                    "sample rate {r} Hz from the timestamps × timemult {} (the configuration \
                     gives none)",
                    cfg.timemult
                ));
                (r, Some(n))
            }
        };
        let nominal_hz = [50.0, 60.0].into_iter().find(|&f| cfg.line_hz == f);
        if nominal_hz.is_none() {
            notes.push(format!(
                "the line frequency in the configuration is {} Hz, neither 50 nor 60: not taken as \
                 the nominal frequency",
                cfg.line_hz
            ));
        }
        notes.push(format!(
            "COMTRADE {} {} from station {:?}, device {:?}: starts {}, trigger {}",
            cfg.rev,
            cfg.file_type.name(),
            cfg.station,
            cfg.device,
            cfg.start,
            cfg.trigger
        ));

        let rows = Rows::open(&place, &cfg, total)?;
        let info = SourceInfo {
            path: path.to_path_buf(),
            sample_rate_hz,
            channels: infos,
            frames,
            nominal_hz,
        };
        Ok(ComtradeSource {
            info,
            rows,
            inputs,
            raw: vec![0.0; cfg.analogs.len()],
            notes,
            size: place.size,
            missing: 0,
            done: false,
            failed: false,
        })
    }

    fn fill(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        out.reserve(max_frames.min(RESERVE_FRAMES) * self.inputs.len());
        let mut n = 0;
        while n < max_frames {
            if self.rows.next(&mut self.raw)?.is_none() {
                self.done = true;
                if self.rows.file_type == FileType::Ascii && self.rows.total.is_some() {
                    if let Some(line) = self.rows.more()? {
                        self.notes.push(format!(
                            "{}: rows from line {line} on are beyond the configuration's endsamp: \
                             ignored",
                            self.rows.path.display()
                        ));
                    }
                }
                break;
            }
            for t in &self.inputs {
                let x = self.raw[t.analog];
                if x.is_nan() {
                    self.missing += 1;
                }
                out.push(t.scale * (t.a * x + t.b));
            }
            n += 1;
        }
        Ok(n)
    }
}

impl Source for ComtradeSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        out.clear();
        if self.failed || self.done || max_frames == 0 {
            return Ok(0);
        }
        self.fill(out, max_frames).inspect_err(|_| {
            self.failed = true;
            out.clear();
        })
    }

    fn position(&self) -> (u64, u64) {
        let at = self.rows.start + self.rows.consumed;
        (at, self.size.max(at))
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        if self.missing > 0 {
            notes.push(format!(
                "{}: {} samples of the chosen channels are marked missing (read as NaN)",
                self.info.path.display(),
                self.missing
            ));
        }
        notes
    }
}
