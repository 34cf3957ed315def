//! Seed inputs of the targets, made at run time: small files written by the project's own
//! writers (`percycle-vectors` for WAV and CSV, the wire crate's encoder for frames), MAT-files
//! and COMTRADE `.cff` files put together here, and cut-down copies of the shared recordings
//! (`shared/vectors/recorded/<target>-*/`), none of which is committed.
//!
//! A target's binary writes its seeds when started with `PERCYCLE_FUZZ_SEEDS=DIR` (and
//! `PERCYCLE_FUZZ_RECORDED=DIR` for the recordings), then exits: see [`write_if_asked`]. A
//! target without its own seeds here gets the first [`RECORDED_BYTES`] bytes of each file of
//! the recordings whose folder starts with its name.

use percycle_analysis::read::{MatSource, WavSource};
use percycle_analysis::source::{collect, Source};
use percycle_engine::{ChannelCal, Config, EnergyRegisters, Meter, Output, Topology};
use percycle_vectors::{write_csv, write_wav, WavChannelMap, WavFormat, Waveform};
use percycle_wire::{
    encode_message, pack_delta, pack_samples, Body, CostCounters, Envelope, ErrorCode, Identity,
    RecordKind, Records, SampleEncoding, WireConfig, WireCycle, WireEnergy, MAX_ENCODED_FRAME,
    MAX_FRAME, MAX_SAMPLE_DATA,
};
use std::f64::consts::TAU;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Bytes kept of a recording copied as it is (the start of the file).
pub const RECORDED_BYTES: usize = 4096;

/// One seed: a file name and its bytes.
pub type Seed = (String, Vec<u8>);

/// When `PERCYCLE_FUZZ_SEEDS` names a folder, writes the seeds of `target` there (from the
/// recordings in `PERCYCLE_FUZZ_RECORDED`, when set and present) and exits the process;
/// otherwise returns. Called from the targets' `init`, so that the seeds need no build of
/// their own.
pub fn write_if_asked(target: &str) {
    let Some(dir) = std::env::var_os("PERCYCLE_FUZZ_SEEDS") else { return };
    let recorded = std::env::var_os("PERCYCLE_FUZZ_RECORDED").map(PathBuf::from);
    let dir = PathBuf::from(dir);
    let written = seeds(target, recorded.as_deref().filter(|d| d.is_dir())).and_then(|seeds| {
        fs::create_dir_all(&dir)?;
        for (name, bytes) in &seeds {
            fs::write(dir.join(name), bytes)?;
        }
        Ok(seeds.len())
    });
    match written {
        Ok(n) => {
            eprintln!("{target}: {n} seeds in {}", dir.display());
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("{target}: writing the seeds into {}: {e}", dir.display());
            std::process::exit(1);
        }
    }
}

/// The seeds of `target`, with the recordings under `recorded` when given.
///
/// # Errors
/// A recording or a temporary file that cannot be read or written.
pub fn seeds(target: &str, recorded: Option<&Path>) -> io::Result<Vec<Seed>> {
    let files = |prefix: &str| recordings(recorded, prefix);
    let mut seeds = match target {
        "wav" => wav(&files("wav-")?)?,
        "csv" => csv(&files("wav-")?, &files("mat-")?)?,
        "mat" => mat(&files("mat-")?)?,
        "comtrade" => comtrade(&files("comtrade-")?)?,
        "pqdif" => pqdif(&files("pqdif-")?)?,
        "wire" => wire(),
        _ => Vec::new(),
    };
    if seeds.is_empty() {
        for path in files(&format!("{target}-"))? {
            let mut bytes = fs::read(&path)?;
            bytes.truncate(RECORDED_BYTES);
            seeds.push((format!("recorded-{}", file_name(&path)), bytes));
        }
    }
    for (name, _) in &mut seeds {
        *name = format!("seed-{name}");
    }
    Ok(seeds)
}

/// The recordings (not their notes: `.md`, `.txt`) in the folders of `recorded` whose name
/// starts with `prefix`, in order.
fn recordings(recorded: Option<&Path>, prefix: &str) -> io::Result<Vec<PathBuf>> {
    let Some(root) = recorded else { return Ok(Vec::new()) };
    let mut found = Vec::new();
    for dir in fs::read_dir(root)? {
        let dir = dir?.path();
        if !(dir.is_dir() && file_name(&dir).starts_with(prefix)) {
            continue;
        }
        for f in fs::read_dir(&dir)? {
            let f = f?.path();
            let ext = f.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
            if f.is_file() && !matches!(ext.as_deref(), Some("md" | "txt")) {
                found.push(f);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}

/// A folder for the writers' files, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("percycle-fuzz-seeds-{}", std::process::id()));
        fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `frames` frames at `rate` Hz of 50 Hz sines on `names` (U 325 V peak, I 7 A), NaN at every
/// `gap`-th sample when given.
fn sines(names: &[&str], rate: f64, frames: usize, gap: Option<usize>) -> Waveform {
    let samples = names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let amp = if name.starts_with('U') { 325.0 } else { 7.0 };
            (0..frames)
                .map(|k| match gap {
                    Some(g) if k % g == g - 1 => f64::NAN,
                    _ => amp * (TAU * 50.0 * k as f64 / rate - c as f64 * 2.1).sin(),
                })
                .collect()
        })
        .collect();
    Waveform {
        sample_rate_hz: rate,
        channels: names.iter().map(|s| s.to_string()).collect(),
        samples,
    }
}

/// The first `frames` frames of `w`.
fn head(w: &Waveform, frames: usize) -> Waveform {
    let samples = w.samples.iter().map(|s| s[..frames.min(s.len())].to_vec()).collect();
    Waveform { sample_rate_hz: w.sample_rate_hz, channels: w.channels.clone(), samples }
}

/// The first frames of a recorded WAV file (mono, as the shared ones are, else skipped) as U1.
fn recorded_wav(path: &Path, frames: usize) -> Option<Waveform> {
    let map = WavChannelMap { channels: vec!["U1".into()], full_scale: vec![1.0] };
    let mut src = WavSource::open(path, Some(map)).ok()?;
    let mut w = Waveform {
        sample_rate_hz: src.info().sample_rate_hz,
        channels: vec!["U1".into()],
        samples: vec![Vec::new()],
    };
    src.read(&mut w.samples[0], frames).ok()?;
    Some(w)
}

/// The first frames of a recorded MAT-file (U1, I1).
fn recorded_mat(path: &Path, frames: usize) -> Option<Waveform> {
    let mut src = MatSource::open(path).ok()?;
    collect(&mut src).ok().map(|w| head(&w, frames))
}

// ---------------------------------------------------------------------------------------------
// WAV

/// The first [`RECORDED_BYTES`] of a WAV file with its RIFF and data chunk sizes made to fit
/// (whole frames), so that the cut file reads.
fn cut_wav(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.truncate(RECORDED_BYTES);
    let u32_at =
        |b: &[u8], k: usize| b.get(k..k + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    let mut align = 4;
    let mut at = 12;
    while let (Some(id), Some(len)) = (bytes.get(at..at + 4), u32_at(&bytes, at + 4)) {
        if id == b"fmt " {
            align = bytes
                .get(at + 20..at + 22)
                .map_or(4, |b| usize::from(u16::from_le_bytes([b[0], b[1]])).max(1));
        }
        if id == b"data" {
            let data = (bytes.len() - (at + 8)) / align * align;
            bytes.truncate(at + 8 + data);
            bytes[at + 4..at + 8].copy_from_slice(&(data as u32).to_le_bytes());
            let riff = bytes.len() as u32 - 8;
            bytes[4..8].copy_from_slice(&riff.to_le_bytes());
            break;
        }
        at += 8 + len as usize + len as usize % 2;
    }
    bytes
}

fn wav(recorded: &[PathBuf]) -> io::Result<Vec<Seed>> {
    let scratch = Scratch::new()?;
    let mut seeds = Vec::new();
    let seven = ["U1", "U2", "U3", "I1", "I2", "I3", "IN"];
    let cases: [(&str, WavFormat, &[&str], Option<usize>); 5] = [
        ("i16-u1", WavFormat::I16, &["U1"], None),
        ("i24-u1-i1", WavFormat::I24, &["U1", "I1"], None),
        ("i32-3p4w-gaps", WavFormat::I32, &seven, Some(37)),
        ("f32-u1-i1-gaps", WavFormat::F32, &["U1", "I1"], Some(53)),
        ("f32-3p4w", WavFormat::F32, &seven[..6], None),
    ];
    for (name, format, names, gap) in cases {
        let bytes_per_frame = names.len() * usize::from(format.bits()) / 8;
        let w = sines(names, 10_240.0, (6000 / bytes_per_frame).min(600), gap);
        let full_scale: Vec<f64> =
            names.iter().map(|n| if n.starts_with('U') { 400.0 } else { 10.0 }).collect();
        let path = scratch.0.join(format!("{name}.wav"));
        write_wav(&path, &w, format, &full_scale).map_err(invalid)?;
        seeds.push((format!("{name}.wav"), fs::read(&path)?));
    }
    for path in recorded {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav")) {
            seeds.push((format!("recorded-{}", file_name(path)), cut_wav(fs::read(path)?)));
        }
    }
    Ok(seeds)
}

// ---------------------------------------------------------------------------------------------
// CSV

fn csv(wavs: &[PathBuf], mats: &[PathBuf]) -> io::Result<Vec<Seed>> {
    let scratch = Scratch::new()?;
    let mut written = Vec::new();
    let mut write = |name: String, w: &Waveform| -> io::Result<()> {
        let path = scratch.0.join(&name);
        write_csv(&path, w).map_err(invalid)?;
        written.push((name, fs::read_to_string(&path)?));
        Ok(())
    };
    write("u1.csv".into(), &sines(&["U1"], 10_240.0, 120, None))?;
    write("u1-i1-gaps.csv".into(), &sines(&["U1", "I1"], 12_800.0, 80, Some(29)))?;
    write(
        "3p4w.csv".into(),
        &sines(&["U1", "U2", "U3", "I1", "I2", "I3", "IN"], 10_240.0, 30, None),
    )?;
    for path in wavs {
        if let Some(w) = recorded_wav(path, 100) {
            write(format!("recorded-{}.csv", file_name(path)), &w)?;
        }
    }
    for path in mats {
        if let Some(w) = recorded_mat(path, 60) {
            write(format!("recorded-{}.csv", file_name(path)), &w)?;
        }
    }
    let mut seeds: Vec<Seed> = Vec::new();
    for (name, text) in &written {
        seeds.push((name.clone(), text.clone().into_bytes()));
    }
    // The same text as people write it: no `t` column (the rate given), CRLF, a byte-order
    // mark, comments, blank lines, spaces, the time column elsewhere.
    let (_, base) = &written[1];
    let no_t: String = base
        .lines()
        .map(|l| l.split_once(',').map_or(l, |(_, rest)| rest).to_string() + "\n")
        .collect();
    seeds.push(("u1-i1-no-t.csv".into(), no_t.into_bytes()));
    let mut dressed = String::from("\u{feff}# recorded by hand\r\n");
    for (k, l) in base.lines().enumerate() {
        dressed += &l.replace(',', " , ");
        dressed += if k % 7 == 3 { "\r\n\r\n# note\r\n" } else { "\r\n" };
    }
    seeds.push(("u1-i1-dressed.csv".into(), dressed.into_bytes()));
    let moved: String = base
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},{},{}\n", f[1], f[0], f[2])
        })
        .collect();
    seeds.push(("u1-i1-t-second.csv".into(), moved.into_bytes()));
    Ok(seeds)
}

// ---------------------------------------------------------------------------------------------
// MAT

/// Numeric storage of a MAT variable's values.
#[derive(Clone, Copy)]
enum Store {
    F64,
    F32,
    I16,
}

/// A level-5 MAT-file being put together: header, then elements, in one byte order.
struct Mat {
    big: bool,
    bytes: Vec<u8>,
}

impl Mat {
    fn new(big: bool) -> Self {
        let mut bytes =
            format!("MATLAB 5.0 MAT-file, percycle fuzz seed, {}", if big { "MI" } else { "IM" })
                .into_bytes();
        bytes.resize(116, b' ');
        bytes.extend([0u8; 8]);
        bytes.extend(if big { [1, 0] } else { [0, 1] });
        bytes.extend(if big { b"MI" } else { b"IM" });
        Mat { big, bytes }
    }

    fn u32(&self, x: u32) -> [u8; 4] {
        if self.big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }

    /// An element: the small form for up to 4 bytes when `small`, else tag, data and padding.
    fn element(&self, kind: u32, data: &[u8], small: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if small && data.len() <= 4 {
            out.extend(self.u32((data.len() as u32) << 16 | kind));
            out.extend(data);
            out.resize(8, 0);
            return out;
        }
        out.extend(self.u32(kind));
        out.extend(self.u32(data.len() as u32));
        out.extend(data);
        out.resize(out.len().div_ceil(8) * 8, 0);
        out
    }

    /// A real column vector of doubles named `name`, its values stored as `store`.
    fn matrix(&self, name: &str, values: &[f64], store: Store) -> Vec<u8> {
        let flags: Vec<u8> = [self.u32(6), self.u32(0)].concat();
        let dims: Vec<u8> = [self.u32(values.len() as u32), self.u32(1)].concat();
        let (kind, data): (u32, Vec<u8>) = match store {
            Store::F64 => (9, values.iter().flat_map(|&v| self.bytes_of(v.to_bits())).collect()),
            Store::F32 => {
                (7, values.iter().flat_map(|&v| self.u32((v as f32).to_bits())).collect())
            }
            Store::I16 => (
                3,
                values
                    .iter()
                    .flat_map(|&v| {
                        let v = v.round() as i16;
                        if self.big {
                            v.to_be_bytes()
                        } else {
                            v.to_le_bytes()
                        }
                    })
                    .collect(),
            ),
        };
        let mut body = self.element(6, &flags, false);
        body.extend(self.element(5, &dims, false));
        body.extend(self.element(1, name.as_bytes(), true));
        body.extend(self.element(kind, &data, false));
        let mut out = Vec::new();
        out.extend(self.u32(14));
        out.extend(self.u32(body.len() as u32));
        out.extend(body);
        out
    }

    fn bytes_of(&self, bits: u64) -> [u8; 8] {
        if self.big {
            bits.to_be_bytes()
        } else {
            bits.to_le_bytes()
        }
    }

    /// Appends variable `name`, zlib-compressed (an `miCOMPRESSED` element) when `compress`.
    fn push(&mut self, name: &str, values: &[f64], store: Store, compress: bool) {
        let m = self.matrix(name, values, store);
        if !compress {
            self.bytes.extend(m);
            return;
        }
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&m).expect("writing to memory");
        let packed = z.finish().expect("writing to memory");
        self.bytes.extend(self.u32(15));
        self.bytes.extend(self.u32(packed.len() as u32));
        self.bytes.extend(packed);
    }
}

/// A MAT-file of `w` (U1 as `voltage` or `u`, I1 as `current` or `i`) with its time.
fn mat_of(w: &Waveform, big: bool, compress: bool, store: Store, short: bool) -> Vec<u8> {
    let n = w.samples.first().map_or(0, Vec::len);
    let time: Vec<f64> = (0..n).map(|k| k as f64 / w.sample_rate_hz).collect();
    let mut m = Mat::new(big);
    m.push(if short { "t" } else { "time" }, &time, Store::F64, compress);
    for (name, values) in w.channels.iter().zip(&w.samples) {
        let var = match (name.as_str(), short) {
            ("U1", false) => "voltage",
            ("U1", true) => "u",
            ("I1", false) => "current",
            ("I1", true) => "i",
            _ => continue,
        };
        m.push(var, values, store, compress);
    }
    m.bytes
}

fn mat(recorded: &[PathBuf]) -> io::Result<Vec<Seed>> {
    let mut seeds = Vec::new();
    let w = sines(&["U1", "I1"], 20_000.0, 200, None);
    let cases = [
        ("le-f64", false, false, Store::F64, false),
        ("be-f64-zlib", true, true, Store::F64, false),
        ("le-f32-zlib-short", false, true, Store::F32, true),
        ("be-i16-short", true, false, Store::I16, true),
    ];
    for (name, big, compress, store, short) in cases {
        seeds.push((format!("{name}.mat"), mat_of(&w, big, compress, store, short)));
    }
    for path in recorded {
        if let Some(w) = recorded_mat(path, 256) {
            let name = file_name(path);
            seeds.push((format!("recorded-{name}"), mat_of(&w, false, false, Store::F64, false)));
            seeds.push((
                format!("recorded-zlib-{name}"),
                mat_of(&w, false, true, Store::F64, false),
            ));
        }
        let mut bytes = fs::read(path)?;
        bytes.truncate(RECORDED_BYTES);
        seeds.push((format!("recorded-cut-{}", file_name(path)), bytes));
    }
    Ok(seeds)
}

// ---------------------------------------------------------------------------------------------
// COMTRADE

/// A COMTRADE recording: its configuration's lines and its rows of codes.
struct Comtrade {
    /// Configuration lines up to the rates (station, counts, channels, line frequency).
    head: Vec<String>,
    /// `samp` of the (single) rate; 0 for a rate from the timestamps.
    samp: String,
    /// Lines after the file type: `timemult` and the 2013 lines, as the recording has them.
    tail: Vec<String>,
    /// Start and trigger times.
    times: [String; 2],
    analogs: usize,
    digitals: usize,
    rows: Vec<(u32, Vec<i32>, Vec<u16>)>,
}

impl Comtrade {
    /// A configuration and BINARY data from a recording: its first `rows` rows, and only the
    /// analog channels of the first channel's circuit (`ccbm`), so that the engine inputs are
    /// chosen without `--channels`.
    fn parse(cfg: &str, dat: &[u8], rows: usize) -> Option<Self> {
        let lines: Vec<String> = cfg.lines().map(|l| l.trim_end().to_string()).collect();
        let counts: Vec<&str> = lines.get(1)?.split(',').map(str::trim).collect();
        let analogs: usize = counts.get(1)?.trim_end_matches(['A', 'a']).parse().ok()?;
        let digitals: usize = counts.get(2)?.trim_end_matches(['D', 'd']).parse().ok()?;
        let lf = 2 + analogs + digitals;
        let nrates: usize = lines.get(lf + 1)?.trim().parse().ok()?;
        let samp = lines.get(lf + 2)?.split(',').next()?.trim().to_string();
        let after = lf + 2 + nrates.max(1);
        if !lines.get(after + 2)?.trim().eq_ignore_ascii_case("BINARY") {
            return None;
        }
        let width = 8 + 2 * analogs + 2 * digitals.div_ceil(16);
        let ccbm = |l: &str| l.split(',').nth(3).map(|f| f.trim().to_string());
        let circuit = ccbm(&lines[2]);
        let kept: Vec<usize> = (0..analogs).filter(|&k| ccbm(&lines[2 + k]) == circuit).collect();
        let mut head = vec![
            lines[0].clone(),
            format!("{},{}A,{digitals}D", kept.len() + digitals, kept.len()),
        ];
        for (n, &k) in kept.iter().enumerate() {
            let line = &lines[2 + k];
            head.push(format!("{}{}", n + 1, &line[line.find(',')?..]));
        }
        head.extend(lines[2 + analogs..=lf].iter().cloned());
        let rows = dat
            .chunks_exact(width)
            .take(rows)
            .map(|r| {
                let ts = u32::from_le_bytes([r[4], r[5], r[6], r[7]]);
                let codes = kept
                    .iter()
                    .map(|&k| i32::from(i16::from_le_bytes([r[8 + 2 * k], r[9 + 2 * k]])))
                    .collect();
                let words = r[8 + 2 * analogs..]
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                (ts, codes, words)
            })
            .collect();
        Some(Comtrade {
            head,
            samp,
            times: [lines[after].clone(), lines[after + 1].clone()],
            tail: lines[after + 3..].iter().filter(|l| !l.trim().is_empty()).cloned().collect(),
            analogs: kept.len(),
            digitals,
            rows,
        })
    }

    /// Three phase voltages (kV) and currents (A), made here: 1999 or 2013 per `rev`.
    fn made(rev: &str, samp: &str, rows: usize) -> Self {
        let old = rev == "1991";
        let mut head = vec![
            if old { "SUB Ж,REL 7".to_string() } else { format!("SUB 7,REL 7,{rev}") },
            "9,6A,3D".to_string(),
        ];
        for (k, (name, ph, unit, a)) in [
            ("VA", "A", "kV", 0.01),
            ("VB", "B", "kV", 0.01),
            ("VC", "C", "kV", 0.01),
            ("IA", "A", "A", 0.5),
            ("IB", "B", "A", 0.5),
            ("IC", "C", "A", 0.5),
        ]
        .iter()
        .enumerate()
        {
            let mut l = format!("{},{name},{ph},LINE 1,{unit},{a},0,0,-32767,32767", k + 1);
            if !old {
                l += if *unit == "kV" { ",110,0.1,S" } else { ",600,5,P" };
            }
            head.push(l);
        }
        for d in 1..=3 {
            head.push(if old {
                format!("{d},TRIP {d},0")
            } else {
                format!("{d},TRIP {d},,LINE 1,0")
            });
        }
        head.push("50".into());
        let tail = match rev {
            "1991" => vec![],
            "2013" => vec!["1".into(), "+1h,+1h".into(), "F,0".into()],
            _ => vec!["1".into()],
        };
        let rate = 4000.0;
        let rows = (0..rows)
            .map(|k| {
                let t = k as f64 / rate;
                let codes = (0..6)
                    .map(|c| {
                        let amp = if c < 3 { 9000.0 } else { 400.0 };
                        (amp * (TAU * 50.0 * t - (c % 3) as f64 * TAU / 3.0).sin()).round() as i32
                    })
                    .collect();
                ((k as f64 * 1e6 / rate).round() as u32, codes, vec![(k / 7 % 8) as u16])
            })
            .collect();
        Comtrade {
            head,
            samp: samp.into(),
            tail,
            times: ["25/06/2007,19:13:57.789757".into(), "25/06/2007,19:13:58.089757".into()],
            analogs: 6,
            digitals: 3,
            rows,
        }
    }

    /// A `.cff` file of the recording in `file_type` (`ASCII`, `BINARY`, `BINARY32`, `FLOAT32`).
    fn cff(&self, file_type: &str) -> Vec<u8> {
        let mut cfg = self.head.clone();
        cfg.push("1".into());
        cfg.push(format!("{},{}", self.samp, self.rows.len()));
        cfg.extend(self.times.iter().cloned());
        cfg.push(file_type.into());
        cfg.extend(self.tail.iter().cloned());
        let mut out = b"--- file type: CFG ---\r\n".to_vec();
        out.extend(cfg.join("\r\n").bytes());
        out.extend(
            b"\r\n--- file type: INF ---\r\n[Public Record_Information]\r\nSource=percycle\r\n",
        );
        let mut dat = Vec::new();
        for (k, (ts, codes, words)) in self.rows.iter().enumerate() {
            let n = k as u32 + 1;
            if file_type == "ASCII" {
                let mut f = vec![n.to_string(), ts.to_string()];
                f.extend(codes.iter().map(i32::to_string));
                f.extend((0..self.digitals).map(|d| ((words[d / 16] >> (d % 16)) & 1).to_string()));
                dat.extend(f.join(",").bytes());
                dat.extend(b"\r\n");
                continue;
            }
            dat.extend(n.to_le_bytes());
            dat.extend(ts.to_le_bytes());
            for &c in codes.iter().take(self.analogs) {
                match file_type {
                    "BINARY" => dat.extend((c as i16).to_le_bytes()),
                    "BINARY32" => dat.extend((c * 3).to_le_bytes()),
                    _ => dat.extend((c as f32 * 0.5).to_le_bytes()),
                }
            }
            for w in words {
                dat.extend(w.to_le_bytes());
            }
        }
        if file_type == "ASCII" {
            out.extend(b"--- file type: DAT ASCII ---\r\n");
        } else {
            out.extend(format!("--- file type: DAT {file_type}: {} ---\r\n", dat.len()).bytes());
        }
        out.extend(dat);
        out
    }
}

/// The first records of each PQDIF recording, through its first observation that holds
/// waveforms (the container, data source and settings before it), the chain ended there:
/// a whole small file for the fuzzer to mutate.
fn pqdif(recorded: &[PathBuf]) -> io::Result<Vec<Seed>> {
    let mut seeds = Vec::new();
    for path in recorded {
        let bytes = fs::read(path)?;
        let link = |pos: usize| -> Option<(usize, usize)> {
            let int = |at: usize| {
                bytes
                    .get(pos + at..pos + at + 4)
                    .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            };
            Some((usize::try_from(int(32)? + int(36)?).ok()?, usize::try_from(int(40)?).ok()?))
        };
        // Records 0..=4 of the IEEE example: container, data source, settings, a trend
        // observation, a waveform observation.
        let (mut pos, mut kept) = (0usize, 0);
        while kept < 5 {
            let Some((len, next)) = link(pos) else { break };
            kept += 1;
            if kept == 5 || next == 0 || next <= pos {
                let mut seed = bytes[..(pos + len).min(bytes.len())].to_vec();
                if let Some(b) = seed.get_mut(pos + 40..pos + 44) {
                    b.copy_from_slice(&0i32.to_le_bytes());
                }
                seeds.push((format!("recorded-{}-first-records", file_name(path)), seed));
                break;
            }
            pos = next;
        }
        let mut head = bytes;
        head.truncate(RECORDED_BYTES);
        seeds.push((format!("recorded-{}", file_name(path)), head));
    }
    Ok(seeds)
}

fn comtrade(recorded: &[PathBuf]) -> io::Result<Vec<Seed>> {
    let mut seeds = Vec::new();
    let types = ["ASCII", "BINARY", "BINARY32", "FLOAT32"];
    for (rev, samp) in [("2013", "4000"), ("1999", "0"), ("1991", "4000")] {
        let c = Comtrade::made(rev, samp, 120);
        for ft in types {
            seeds.push((format!("made-{rev}-{ft}.cff"), c.cff(ft)));
        }
    }
    for cfg in recorded {
        if !cfg.extension().is_some_and(|e| e.eq_ignore_ascii_case("cfg")) {
            continue;
        }
        let text = String::from_utf8_lossy(&fs::read(cfg)?).into_owned();
        let dat = fs::read(cfg.with_extension("dat"))?;
        let Some(c) = Comtrade::parse(&text, &dat, 100) else { continue };
        for ft in types {
            seeds.push((format!("recorded-{}-{ft}.cff", file_name(cfg)), c.cff(ft)));
        }
    }
    Ok(seeds)
}

// ---------------------------------------------------------------------------------------------
// Wire

/// The frame of one message.
fn frame(seq: u16, body: Body<'_>) -> Vec<u8> {
    let (mut scratch, mut out) = ([0u8; MAX_FRAME], [0u8; MAX_ENCODED_FRAME]);
    let n =
        encode_message(&Envelope { seq, body }, &mut scratch, &mut out).expect("a valid message");
    out[..n].to_vec()
}

/// Codes of a single-phase stream (U, I) of `frames` frames at 10.24 kHz for full scales of
/// 400 V and 10 A, from frame `first`.
fn codes(first: usize, frames: usize) -> Vec<i32> {
    (first..first + frames)
        .flat_map(|k| {
            let phase = TAU * 50.0 * k as f64 / 10_240.0;
            let u = 325.0 * phase.sin() / f64::from(ChannelCal::for_full_scale(400.0).gain);
            let i = 7.0 * (phase - 0.5).sin() / f64::from(ChannelCal::for_full_scale(10.0).gain);
            [u.round() as i32, i.round() as i32]
        })
        .collect()
}

/// A configuration of the single-phase stream of [`codes`].
fn config() -> Config {
    let mut cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
    cfg.calibration[0] = ChannelCal::for_full_scale(400.0);
    cfg.calibration[1] = ChannelCal::for_full_scale(10.0);
    cfg
}

/// A `Samples` message of `codes` (frames from `first`) in `encoding`.
fn samples(seq: u16, first: usize, codes: &[i32], encoding: SampleEncoding) -> Vec<u8> {
    let mut data = [0u8; MAX_SAMPLE_DATA];
    let n = match encoding {
        SampleEncoding::Delta => pack_delta(codes, 2, &mut data),
        // 16-bit codes: the top bits of the 24-bit range.
        SampleEncoding::I16 => {
            let short: Vec<i32> = codes.iter().map(|c| c >> 8).collect();
            pack_samples(&short, SampleEncoding::I16, &mut data)
        }
        e => pack_samples(codes, e, &mut data),
    }
    .unwrap_or_else(|e| panic!("{} codes in {encoding:?}: {e}", codes.len()));
    frame(seq, Body::Samples { first_frame: first as u64, channels: 2, encoding, data: &data[..n] })
}

fn wire() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = Vec::new();
    // Engine outputs of a few cycles, for the board's replies.
    let mut meter = Meter::<1024, 2048>::new(config()).expect("a valid configuration");
    let mut cycles = Vec::new();
    let mut records = Records::<4096, 16>::new();
    meter.process_block_with(&codes(0, 2048), |o| {
        if let Output::Cycle(r, _) = o {
            cycles.push(*r);
        }
    });
    let energy: EnergyRegisters = *meter.energy();
    if let Some(r) = cycles.first() {
        let _ = records.push(RecordKind::Cycle, r);
    }
    let _ = records.push(RecordKind::Energy, &energy);
    let _ = records.push_pair(RecordKind::Counters, meter.counters(), &0u32);

    let wire_config = WireConfig::from_config(&config());
    let identity = Identity {
        protocol: percycle_wire::PROTOCOL_VERSION,
        version: [0, 1, 0],
        build_id: 7,
        code_crc32: 0x1234_5678,
        config_crc32: wire_config.crc32(),
        board: *b"mps2-an386\0\0\0\0\0\0",
        ring: 1024,
        window: 2048,
    };
    let costs = CostCounters {
        cycles: 10,
        core_ticks_total: 123_456,
        core_ticks_max_block: 999,
        core_clock_hz: 25_000_000,
        stack_bytes: 4096,
    };
    let mut one: Vec<(&str, Vec<u8>)> = vec![
        ("ping", frame(1, Body::Ping { nonce: 0x5EED_0001 })),
        ("identify", frame(2, Body::Identify)),
        ("configure", frame(3, Body::Configure(wire_config))),
        ("finish", frame(5, Body::Finish)),
        ("reset", frame(6, Body::Reset)),
        ("counters", frame(7, Body::Counters)),
        ("pong", frame(1, Body::Pong { nonce: 0x5EED_0001 })),
        ("identity", frame(2, Body::Identity(identity))),
        ("ack", frame(3, Body::Ack { seq: 3 })),
        ("energy", frame(5, Body::Energy(WireEnergy::from(&energy)))),
        ("counter-values", frame(7, Body::CounterValues(costs))),
        ("error", frame(0, Body::Error { seq: 0, code: ErrorCode::Malformed })),
        ("done", frame(4, Body::Done { seq: 4, cycles: 2, records: 3 })),
    ];
    if let Some(r) = cycles.first() {
        one.push(("cycle", frame(4, Body::Cycle(WireCycle::from(r)))));
    }
    for (k, part) in records.parts().enumerate() {
        let mut scratch = [0u8; MAX_FRAME];
        let mut out = [0u8; MAX_ENCODED_FRAME];
        let n = encode_message(&Envelope { seq: 4, body: part }, &mut scratch, &mut out)
            .expect("a record part fits a frame");
        seeds.push((format!("record-{k}"), out[..n].to_vec()));
    }
    for enc in
        [SampleEncoding::I16, SampleEncoding::I24, SampleEncoding::I32, SampleEncoding::Delta]
    {
        seeds.push((format!("samples-{enc:?}"), samples(4, 0, &codes(0, 100), enc)));
    }
    for (name, bytes) in one {
        seeds.push((name.into(), bytes));
    }

    // Sessions as the bench runs them: ping, configure, blocks of samples (a retransmission
    // among them), finish; and a line with noise, a damaged frame and a lone delimiter.
    for enc in [SampleEncoding::I16, SampleEncoding::Delta] {
        let per = if enc == SampleEncoding::Delta { 150 } else { 250 };
        let mut s = frame(1, Body::Ping { nonce: 9 });
        s.extend(frame(2, Body::Configure(wire_config)));
        let mut seq = 3;
        for b in 0..5 {
            let block = samples(seq, b * per, &codes(b * per, per), enc);
            s.extend(&block);
            if b == 2 {
                s.extend(&block);
            }
            seq += 1;
        }
        s.extend(frame(seq, Body::Finish));
        s.extend(frame(seq + 1, Body::Counters));
        seeds.push((format!("session-{enc:?}"), s));
    }
    let mut noisy = vec![0x13, 0x37, 0x00, 0x00];
    let mut damaged = frame(2, Body::Configure(wire_config));
    damaged[5] ^= 0x20;
    noisy.extend(damaged);
    noisy.extend(&frame(2, Body::Configure(wire_config))[..10]);
    noisy.push(0);
    noisy.extend(frame(2, Body::Configure(wire_config)));
    noisy.extend(samples(3, 0, &codes(0, 100), SampleEncoding::I24));
    seeds.push(("noisy-line".into(), noisy));
    seeds
}
