//! CSV recordings, streamed.
//!
//! The format is the one `percycle_vectors::write_csv` writes (see `percycle_vectors::formats`):
//! one header line of column names, then one row per sample, comma-separated. A column
//! named `t` holds the time in seconds; the other columns are channels in V or A, `NaN` for a
//! missing sample. Blank lines and lines starting with `#` are skipped, spaces around fields are
//! trimmed, `\r\n` line ends and a UTF-8 byte-order mark are accepted. Quoted fields are not
//! supported.
//!
//! # Sample rate from the `t` column
//!
//! The rate must be known before the first block is handed out, so the reader looks ahead over
//! the first [`CSV_LOOK_AHEAD_ROWS`] data rows (the only rows it holds): their median step is
//! the reference step, and every step of the file, those and all later ones as they stream,
//! must be positive and within [`CSV_TIME_STEP_TOLERANCE`] of the median plus two units of the
//! finest decimal place printed in the column so far (so times printed to a fixed number of
//! decimals pass). The rate is `(rows − 1) / (t_last − t_first)` over the look-ahead rows,
//! which averages out the rounding of printed timestamps. When the whole file gives a rate that
//! differs by more than a millionth, [`Source::notes`] says so at the end, with both rates.
//!
//! A row that cannot be read (a field that is not a number, a ragged row, time that does not
//! increase or is not uniform) is reported by the [`Source::read`] call whose block holds it,
//! naming the line; the rows before it are handed out first.

use super::Reader;
use crate::source::{ChannelInfo, Source, SourceInfo, Unit};
use percycle_vectors::formats::CSV_TIME_STEP_TOLERANCE;
use percycle_vectors::FormatError;
use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// Data rows read ahead to derive the sample rate of a CSV file with a `t` column.
pub const CSV_LOOK_AHEAD_ROWS: usize = 65_536;

/// Longest line accepted, bytes (a longer one is not a CSV row of samples).
const MAX_LINE_BYTES: u64 = 1 << 20;

/// Largest relative difference between the whole-file rate and the rate used before a note.
const RATE_NOTE_TOLERANCE: f64 = 1e-6;

/// Content lines of a CSV file (neither blank nor comments), with their line numbers and the
/// bytes consumed.
struct Lines {
    path: PathBuf,
    /// The file, or the bytes of a recording in memory.
    reader: Reader,
    /// The last line read.
    text: String,
    /// Number of the last line read, from 1.
    line: usize,
    /// Bytes read from the file.
    bytes: u64,
}

impl Lines {
    /// The next content line, trimmed, and its number; `None` at the end of the file.
    fn next(&mut self) -> Result<Option<(usize, &str)>, FormatError> {
        loop {
            let mut buf = std::mem::take(&mut self.text).into_bytes();
            buf.clear();
            let n = (&mut self.reader)
                .take(MAX_LINE_BYTES + 1)
                .read_until(b'\n', &mut buf)
                .map_err(FormatError::io(&self.path))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            self.bytes += n as u64;
            if n as u64 > MAX_LINE_BYTES {
                return Err(FormatError::invalid(
                    &self.path,
                    format!(
                        "line {} is longer than {MAX_LINE_BYTES} bytes: not a CSV row of samples",
                        self.line
                    ),
                ));
            }
            if self.line == 1 && buf.starts_with("\u{feff}".as_bytes()) {
                buf.drain(.."\u{feff}".len());
            }
            self.text = String::from_utf8(buf).map_err(|e| {
                FormatError::invalid(
                    &self.path,
                    format!(
                        "line {}, byte {} of the line: not UTF-8 text",
                        self.line,
                        e.utf8_error().valid_up_to() + 1
                    ),
                )
            })?;
            let text = self.text.trim();
            if !text.is_empty() && !text.starts_with('#') {
                break;
            }
        }
        Ok(Some((self.line, self.text.trim())))
    }
}

/// Decimal places a number is printed to: `0.000098` → 6, `9.8e-5` → 6, `12` → 0.
fn printed_decimals(text: &str) -> i32 {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(k) => (&text[..k], text[k + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let decimals = mantissa.find('.').map_or(0, |k| mantissa.len() - k - 1);
    (decimals as i32).saturating_sub(exponent).max(0)
}

/// The columns of a CSV file.
struct Columns {
    names: Vec<String>,
    t_col: Option<usize>,
}

impl Columns {
    /// Appends the channel values of the row `text` (line `line`) to `out`; returns the time
    /// and the decimal places it is printed to when there is a `t` column. On error `out` is
    /// left as it was.
    fn parse(
        &self,
        path: &Path,
        text: &str,
        line: usize,
        out: &mut Vec<f64>,
    ) -> Result<Option<(f64, i32)>, FormatError> {
        let start = out.len();
        let result = self.parse_into(path, text, line, out);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn parse_into(
        &self,
        path: &Path,
        text: &str,
        line: usize,
        out: &mut Vec<f64>,
    ) -> Result<Option<(f64, i32)>, FormatError> {
        let mut time = None;
        let mut found = 0;
        for (col, field) in text.split(',').enumerate() {
            found += 1;
            if col >= self.names.len() {
                continue;
            }
            let field = field.trim();
            let number = |value: Option<f64>| {
                value.ok_or_else(|| FormatError::Number {
                    path: path.to_path_buf(),
                    line,
                    column: col + 1,
                    name: self.names[col].clone(),
                    text: field.to_string(),
                })
            };
            let value = number(field.parse::<f64>().ok())?;
            if Some(col) == self.t_col {
                let t = number(value.is_finite().then_some(value))?;
                time = Some((t, printed_decimals(field)));
            } else {
                out.push(value);
            }
        }
        if found != self.names.len() {
            return Err(FormatError::Ragged {
                path: path.to_path_buf(),
                line,
                expected: self.names.len(),
                found,
            });
        }
        Ok(time)
    }
}

/// The time column as it streams.
struct Timing {
    /// Median step of the look-ahead rows, s (0 until known).
    median: f64,
    /// Finest decimal place printed in the column so far.
    decimals: i32,
    /// Time of the first row, s.
    first: f64,
    /// Time of the last row read, s.
    last: f64,
    /// Rows read.
    rows: u64,
}

impl Timing {
    /// Checks the time `t` (printed to `decimals` places) of line `line` after the last row.
    fn step(
        &mut self,
        path: &Path,
        line: usize,
        t: f64,
        decimals: i32,
        check_uniform: bool,
    ) -> Result<(), FormatError> {
        if self.rows > 0 {
            if t <= self.last {
                return Err(FormatError::TimeNotMonotonic {
                    path: path.to_path_buf(),
                    line,
                    t,
                    previous: self.last,
                });
            }
        } else {
            self.first = t;
        }
        self.decimals = self.decimals.max(decimals);
        if check_uniform && self.rows > 0 {
            let step = t - self.last;
            if (step - self.median).abs() > self.allowed() {
                return Err(FormatError::TimeNotUniform {
                    path: path.to_path_buf(),
                    line,
                    step,
                    median: self.median,
                });
            }
        }
        self.last = t;
        self.rows += 1;
        Ok(())
    }

    /// Largest deviation of a step from the median.
    fn allowed(&self) -> f64 {
        CSV_TIME_STEP_TOLERANCE * self.median + 2.0 * 10f64.powi(-self.decimals)
    }

    /// `(rows − 1) / (t_last − t_first)` over the rows read.
    fn rate(&self) -> f64 {
        (self.rows - 1) as f64 / (self.last - self.first)
    }
}

/// A sample rate given by the user: finite and > 0.
fn check_rate(path: &Path, sample_rate_hz: Option<f64>) -> Result<(), FormatError> {
    match sample_rate_hz {
        Some(rate) if !(rate.is_finite() && rate > 0.0) => {
            Err(FormatError::invalid(path, format!("sample rate must be > 0 (got {rate})")))
        }
        _ => Ok(()),
    }
}

/// A CSV recording read in blocks (see the module docs); memory does not grow with the file.
pub struct CsvSource {
    info: SourceInfo,
    lines: Lines,
    columns: Columns,
    /// Look-ahead rows not handed out yet: values interleaved, and the bytes consumed up to the
    /// end of each row.
    ahead: Vec<f64>,
    ahead_ends: Vec<u64>,
    /// Next look-ahead row to hand out.
    ahead_next: usize,
    /// An error met in the look-ahead, reported after its rows.
    pending: Option<FormatError>,
    timing: Option<Timing>,
    /// Rows read before the rate was fixed (the look-ahead).
    rate_rows: usize,
    /// Bytes up to the end of the last row handed out.
    handed: u64,
    size: u64,
    /// Every row was handed out.
    finished: bool,
    /// An error was reported: nothing more is read.
    failed: bool,
}

impl CsvSource {
    /// Opens a CSV recording and reads its header and the look-ahead rows.
    ///
    /// `sample_rate_hz` is required when there is no `t` column; with one, a given rate must
    /// agree with the rate the look-ahead rows give to 0.1 %, and it is used when the file has a
    /// single data row.
    ///
    /// # Errors
    /// [`FormatError`] naming the file, and the line (and column) where relevant: the file
    /// cannot be opened, it is empty, it has a header only or a bad header, the sample rate is
    /// missing, not > 0 or disagrees with the `t` column, a single row with a `t` column and no
    /// rate; a row error in the look-ahead when no row before it could be handed out or no rate
    /// derived (otherwise it is reported by [`Source::read`]).
    pub fn open(path: impl AsRef<Path>, sample_rate_hz: Option<f64>) -> Result<Self, FormatError> {
        let path = path.as_ref();
        check_rate(path, sample_rate_hz)?;
        let file = File::open(path).map_err(FormatError::io(path))?;
        let size = file.metadata().map_err(FormatError::io(path))?.len();
        Self::start(path, Reader::file(file, 1 << 16), size, sample_rate_hz)
    }

    /// A CSV recording held in memory (received, generated, or taken out of an archive), read
    /// as [`CsvSource::open`] reads a file; `name` stands for the file in messages.
    ///
    /// # Errors
    /// As [`CsvSource::open`], naming `name`.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_analysis::read::CsvSource;
    /// use percycle_analysis::source::Source;
    ///
    /// let text = "t,U1\n0,1.5\n0.0001,-2\n0.0002,0.25\n";
    /// let mut src = CsvSource::from_bytes("(memory)", text, None)?;
    /// assert_eq!(src.info().sample_rate_hz, 10_000.0);
    /// let mut block = Vec::new();
    /// assert_eq!(src.read(&mut block, 16)?, 3);
    /// assert_eq!(block, [1.5, -2.0, 0.25]);
    /// # Ok::<(), percycle_vectors::FormatError>(())
    /// ```
    pub fn from_bytes(
        name: &str,
        bytes: impl Into<Vec<u8>>,
        sample_rate_hz: Option<f64>,
    ) -> Result<Self, FormatError> {
        let path = Path::new(name);
        check_rate(path, sample_rate_hz)?;
        let bytes: Vec<u8> = bytes.into();
        let size = bytes.len() as u64;
        Self::start(path, Reader::memory(bytes.into()), size, sample_rate_hz)
    }

    /// Reads the header and the look-ahead rows from `reader` (`size` bytes in all).
    fn start(
        path: &Path,
        reader: Reader,
        size: u64,
        sample_rate_hz: Option<f64>,
    ) -> Result<Self, FormatError> {
        let mut lines =
            Lines { path: path.to_path_buf(), reader, text: String::new(), line: 0, bytes: 0 };
        let p = || path.to_path_buf();

        let Some((header_line, header)) = lines.next()? else {
            return Err(FormatError::Empty { path: p() });
        };
        let names: Vec<String> = header.split(',').map(|s| s.trim().to_string()).collect();
        for (k, n) in names.iter().enumerate() {
            let bad =
                |message: String| FormatError::Header { path: p(), line: header_line, message };
            if n.is_empty() {
                return Err(bad(format!("column {} has no name", k + 1)));
            }
            if names[..k].contains(n) {
                return Err(bad(format!("column {n:?} appears twice")));
            }
        }
        let t_col = names.iter().position(|n| n == "t");
        let channels: Vec<ChannelInfo> = names
            .iter()
            .filter(|n| *n != "t")
            .map(|n| ChannelInfo { name: n.clone(), unit: Unit::of_name(n), full_scale: None })
            .collect();
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
        let columns = Columns { names, t_col };

        // Look ahead: the rows that give the rate (or one row, to know the file has data).
        let want = if t_col.is_some() { CSV_LOOK_AHEAD_ROWS } else { 1 };
        let mut ahead = Vec::new();
        let mut ahead_ends = Vec::new();
        let mut times = Vec::new();
        let mut lines_of = Vec::new();
        let mut timing = Timing { median: 0.0, decimals: 0, first: 0.0, last: 0.0, rows: 0 };
        let mut pending = None;
        while ahead_ends.len() < want {
            let (line, text) = match lines.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => {
                    pending = Some(e);
                    break;
                }
            };
            let row = columns.parse(path, text, line, &mut ahead).and_then(|time| match time {
                Some((t, decimals)) => {
                    let before = ahead.len() - (columns.names.len() - 1);
                    timing.step(path, line, t, decimals, false).inspect_err(|_| {
                        ahead.truncate(before);
                    })?;
                    times.push(t);
                    lines_of.push(line);
                    Ok(())
                }
                None => Ok(()),
            });
            if let Err(e) = row {
                pending = Some(e);
                break;
            }
            ahead_ends.push(lines.bytes);
        }
        if ahead_ends.is_empty() {
            return Err(pending.unwrap_or(FormatError::NoData { path: p(), line: header_line }));
        }

        let nch = channels.len();
        let rate = match t_col {
            None => sample_rate_hz.expect("checked after the header"),
            Some(_) => {
                if times.len() >= 2 {
                    let mut steps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
                    let mid = steps.len() / 2;
                    timing.median = *steps.select_nth_unstable_by(mid, f64::total_cmp).1;
                    let allowed = timing.allowed();
                    let bad = times
                        .windows(2)
                        .position(|w| (w[1] - w[0] - timing.median).abs() > allowed);
                    if let Some(k) = bad {
                        // Rows 0..=k are good; the step ending on row k + 1 is not.
                        pending = Some(FormatError::TimeNotUniform {
                            path: p(),
                            line: lines_of[k + 1],
                            step: times[k + 1] - times[k],
                            median: timing.median,
                        });
                        times.truncate(k + 1);
                        ahead.truncate((k + 1) * nch);
                        ahead_ends.truncate(k + 1);
                        timing.rows = (k + 1) as u64;
                        timing.last = times[k];
                    }
                }
                if times.len() >= 2 {
                    let derived = (times.len() - 1) as f64 / (times[times.len() - 1] - times[0]);
                    if let Some(given) = sample_rate_hz {
                        if (given - derived).abs() > 1e-3 * given {
                            return Err(FormatError::SampleRateMismatch {
                                path: p(),
                                given,
                                derived,
                            });
                        }
                    }
                    derived
                } else if let Some(given) = sample_rate_hz {
                    given
                } else if let Some(e) = pending {
                    return Err(e);
                } else {
                    return Err(FormatError::invalid(
                        path,
                        format!(
                            "a single data row (line {}) cannot give a sample rate; pass one",
                            lines_of[0]
                        ),
                    ));
                }
            }
        };
        let rate_rows = ahead_ends.len();
        let info = SourceInfo {
            path: p(),
            sample_rate_hz: rate,
            channels,
            frames: None,
            nominal_hz: None,
        };
        Ok(CsvSource {
            info,
            lines,
            columns,
            ahead,
            ahead_ends,
            ahead_next: 0,
            pending,
            timing: t_col.map(|_| timing),
            rate_rows,
            handed: 0,
            size,
            finished: false,
            failed: false,
        })
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

    /// Reads the next row from the file into `out`; `false` at the end of the file.
    fn stream_row(&mut self, out: &mut Vec<f64>) -> Result<bool, FormatError> {
        let Some((line, text)) = self.lines.next()? else { return Ok(false) };
        let path = &self.info.path;
        let start = out.len();
        if let Some((t, decimals)) = self.columns.parse(path, text, line, out)? {
            let timing = self.timing.as_mut().expect("a time column has its timing");
            if let Err(e) = timing.step(path, line, t, decimals, true) {
                out.truncate(start);
                return Err(e);
            }
        }
        self.handed = self.lines.bytes;
        Ok(true)
    }

    fn fill(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        let nch = self.info.channels.len();
        let mut n = 0;
        let rows_ahead = self.ahead_ends.len();
        if self.ahead_next < rows_ahead {
            let take = max_frames.min(rows_ahead - self.ahead_next);
            let from = self.ahead_next * nch;
            out.extend_from_slice(&self.ahead[from..from + take * nch]);
            self.ahead_next += take;
            self.handed = self.ahead_ends[self.ahead_next - 1];
            n = take;
            if self.ahead_next == rows_ahead {
                self.ahead = Vec::new();
                self.ahead_ends = Vec::new();
                self.ahead_next = 0;
            }
        }
        if n < max_frames {
            if let Some(e) = self.pending.take() {
                return Err(e);
            }
        }
        while n < max_frames {
            if !self.stream_row(out)? {
                self.finished = true;
                self.handed = self.lines.bytes;
                break;
            }
            n += 1;
        }
        Ok(n)
    }
}

impl Source for CsvSource {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        out.clear();
        if self.failed || self.finished || max_frames == 0 {
            return Ok(0);
        }
        let n = self.fill(out, max_frames).inspect_err(|_| {
            self.failed = true;
            out.clear();
        })?;
        Ok(n)
    }

    fn position(&self) -> (u64, u64) {
        (self.handed, self.size.max(self.handed))
    }

    fn notes(&self) -> Vec<String> {
        let Some(timing) = &self.timing else { return Vec::new() };
        if !self.finished || timing.rows < 2 {
            return Vec::new();
        }
        let used = self.info.sample_rate_hz;
        let whole = timing.rate();
        if ((whole - used) / used).abs() <= RATE_NOTE_TOLERANCE {
            return Vec::new();
        }
        vec![format!(
            "{}: the `t` column gives {whole} Hz over the whole file ({} rows) but {used} Hz over \
             the first {} rows, the rate used (relative difference {:.2e})",
            self.info.path.display(),
            timing.rows,
            self.rate_rows,
            (whole - used) / used
        )]
    }
}
