//! The MAT-file reader against files written here, and on the real recording when present.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::ZlibEncoder;
use flate2::Compression;
use percycle_vectors::{read_mat, FormatError};

const MI_INT8: u32 = 1;
const MI_INT16: u32 = 3;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_DOUBLE: u32 = 9;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const DOUBLE_CLASS: u32 = 6;
const CHAR_CLASS: u32 = 4;

/// A minimal level-5 MAT-file writer for the tests.
struct Writer {
    big: bool,
    bytes: Vec<u8>,
}

/// Numeric storage of a variable's real part.
enum Storage {
    F64(Vec<f64>),
    I16(Vec<i16>),
}

impl Writer {
    fn new(big: bool) -> Self {
        let mut bytes = b"MATLAB 5.0 MAT-file, written by the percycle tests".to_vec();
        bytes.resize(116, b' ');
        bytes.extend([0u8; 8]);
        let (version, endian) = if big { ([0x01, 0x00], *b"MI") } else { ([0x00, 0x01], *b"IM") };
        bytes.extend(version);
        bytes.extend(endian);
        Writer { big, bytes }
    }

    fn u32(&self, x: u32) -> [u8; 4] {
        if self.big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        }
    }

    /// A data element with its tag, padded to 8 bytes; small-element form for ≤ 4 bytes.
    fn element(&self, kind: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        if data.len() <= 4 && !data.is_empty() {
            out.extend(self.u32(((data.len() as u32) << 16) | kind));
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

    /// A whole `miMATRIX` element.
    fn matrix(&self, name: &str, class: u32, flags: u32, dims: &[u32], real: &Storage) -> Vec<u8> {
        let mut body = Vec::new();
        let mut flag_bytes = self.u32(class | flags).to_vec();
        flag_bytes.extend([0u8; 4]);
        body.extend(self.element(MI_UINT32, &flag_bytes));
        let dim_bytes: Vec<u8> = dims.iter().flat_map(|&d| self.u32(d)).collect();
        body.extend(self.element(MI_INT32, &dim_bytes));
        body.extend(self.element(MI_INT8, name.as_bytes()));
        let (kind, data): (u32, Vec<u8>) = match real {
            Storage::F64(v) => (
                MI_DOUBLE,
                v.iter()
                    .flat_map(|x| if self.big { x.to_be_bytes() } else { x.to_le_bytes() })
                    .collect(),
            ),
            Storage::I16(v) => (
                MI_INT16,
                v.iter()
                    .flat_map(|x| if self.big { x.to_be_bytes() } else { x.to_le_bytes() })
                    .collect(),
            ),
        };
        body.extend(self.element(kind, &data));
        self.element(MI_MATRIX, &body)
    }

    /// Appends a real double-class vector, as a column (`n×1`) or a row (`1×n`).
    fn vector(&mut self, name: &str, real: Storage, column: bool, compress: bool) {
        let n = match &real {
            Storage::F64(v) => v.len(),
            Storage::I16(v) => v.len(),
        } as u32;
        let dims = if column { [n, 1] } else { [1, n] };
        let m = self.matrix(name, DOUBLE_CLASS, 0, &dims, &real);
        self.push(m, compress);
    }

    fn push(&mut self, element: Vec<u8>, compress: bool) {
        if compress {
            let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
            z.write_all(&element).unwrap();
            let packed = z.finish().unwrap();
            // Compressed elements are not padded.
            self.bytes.extend(self.u32(MI_COMPRESSED));
            self.bytes.extend(self.u32(packed.len() as u32));
            self.bytes.extend(packed);
        } else {
            self.bytes.extend(element);
        }
    }
}

const FS: f64 = 20_000.0;
const N: usize = 1000;

fn time() -> Vec<f64> {
    (0..N).map(|k| k as f64 / FS).collect()
}

fn voltage() -> Vec<f64> {
    (0..N).map(|k| 325.0 * (std::f64::consts::TAU * 50.0 * k as f64 / FS).sin()).collect()
}

fn current() -> Vec<f64> {
    (0..N).map(|k| 7.0 * (std::f64::consts::TAU * 50.0 * k as f64 / FS - 0.5).sin()).collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn standard_file(big: bool, compress: bool) -> Vec<u8> {
    let mut w = Writer::new(big);
    w.vector("time", Storage::F64(time()), true, compress);
    // An unrelated char variable is skipped.
    let notes = w.matrix("notes", CHAR_CLASS, 0, &[1, 2], &Storage::I16(vec![104, 105]));
    w.push(notes, compress);
    w.vector("voltage", Storage::F64(voltage()), false, compress);
    w.vector("current", Storage::F64(current()), true, compress);
    w.bytes
}

fn assert_standard(path: &Path) {
    let w = read_mat(path).unwrap();
    assert!((w.sample_rate_hz - FS).abs() < 1e-6, "{}", w.sample_rate_hz);
    assert_eq!(w.channels, ["U1", "I1"]);
    assert_eq!(w.samples[0], voltage());
    assert_eq!(w.samples[1], current());
}

#[test]
fn uncompressed_file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    assert_standard(&write(dir.path(), "plain.mat", &standard_file(false, false)));
}

#[test]
fn compressed_file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    assert_standard(&write(dir.path(), "zlib.mat", &standard_file(false, true)));
}

#[test]
fn big_endian_file_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    assert_standard(&write(dir.path(), "big.mat", &standard_file(true, false)));
    assert_standard(&write(dir.path(), "bigz.mat", &standard_file(true, true)));
}

#[test]
fn short_names_any_case_and_integer_storage_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::new(false);
    let codes: Vec<i16> = (0..N as i16).map(|k| k % 200 - 100).collect();
    w.vector("T", Storage::F64(time()), false, true);
    w.vector("u", Storage::I16(codes.clone()), true, true);
    w.vector("I", Storage::F64(current()), true, false);
    let m = read_mat(write(dir.path(), "short.mat", &w.bytes)).unwrap();
    assert_eq!(m.channels, ["U1", "I1"]);
    let want: Vec<f64> = codes.iter().map(|&c| f64::from(c)).collect();
    assert_eq!(m.samples[0], want);
    assert_eq!(m.samples[1], current());
}

#[test]
fn full_name_wins_over_alias_and_voltage_alone_is_enough() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::new(false);
    w.vector("time", Storage::F64(time()), true, false);
    w.vector("u", Storage::F64(vec![0.0; N]), true, false);
    w.vector("Voltage", Storage::F64(voltage()), true, false);
    let m = read_mat(write(dir.path(), "alias.mat", &w.bytes)).unwrap();
    assert_eq!(m.channels, ["U1"]);
    assert_eq!(m.samples[0], voltage());
}

/// The error for `bytes`, checked to name the file and to contain `fragment`.
fn error_of(bytes: &[u8], fragment: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bad.mat", bytes);
    let err = read_mat(&path).unwrap_err();
    assert!(matches!(err, FormatError::Invalid { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains(fragment), "{text}");
    text
}

#[test]
fn garbage_and_truncated_files_are_rejected_naming_the_file() {
    error_of(b"hello", "not a MAT v5 file");
    let noise: Vec<u8> = (0..400u32).map(|k| (k * 7919 % 251) as u8).collect();
    error_of(&noise, "not a MAT v5 file");
    let mut v73 = Writer::new(false).bytes;
    v73[124..126].copy_from_slice(&[0x00, 0x02]);
    error_of(&v73, "v7.3");
    let whole = standard_file(false, false);
    error_of(&whole[..whole.len() - 100], "truncated element");
    error_of(&whole[..128 + 5], "truncated element tag");
    let zipped = standard_file(false, true);
    error_of(&zipped[..zipped.len() - 10], "truncated element");
    let mut corrupt = zipped.clone();
    for b in &mut corrupt[140..160] {
        *b ^= 0x5A;
    }
    error_of(&corrupt, "corrupt compressed element");
}

#[test]
fn missing_or_unusable_variables_are_rejected() {
    let mut w = Writer::new(false);
    w.vector("voltage", Storage::F64(voltage()), true, false);
    error_of(&w.bytes, "missing variable `time`");

    let mut w = Writer::new(false);
    w.vector("time", Storage::F64(time()), true, false);
    error_of(&w.bytes, "missing variables `voltage`");

    let mut w = Writer::new(false);
    w.vector("time", Storage::F64(time()), true, false);
    let text = w.matrix("voltage", CHAR_CLASS, 0, &[1, 2], &Storage::I16(vec![104, 105]));
    w.push(text, false);
    error_of(&w.bytes, "unsupported class 4 (char)");

    let mut w = Writer::new(false);
    w.vector("time", Storage::F64(time()), true, false);
    let complex =
        w.matrix("voltage", DOUBLE_CLASS, 0x0800, &[N as u32, 1], &Storage::F64(voltage()));
    w.push(complex, false);
    error_of(&w.bytes, "complex");

    let mut w = Writer::new(false);
    w.vector("time", Storage::F64(time()), true, false);
    let matrix = w.matrix("voltage", DOUBLE_CLASS, 0, &[2, N as u32 / 2], &Storage::F64(voltage()));
    w.push(matrix, false);
    error_of(&w.bytes, "row or column vector");

    let mut w = Writer::new(false);
    w.vector("time", Storage::F64(time()), true, false);
    w.vector("voltage", Storage::F64(voltage()[..N - 1].to_vec()), true, false);
    error_of(&w.bytes, "999 elements but `time` has 1000");
}

#[test]
fn non_uniform_time_is_rejected() {
    let mut t = time();
    t[500] += 0.2 / FS;
    let mut w = Writer::new(false);
    w.vector("time", Storage::F64(t), true, false);
    w.vector("voltage", Storage::F64(voltage()), true, false);
    error_of(&w.bytes, "not uniformly spaced: step 499");
}

#[test]
fn real_recording_reads_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../shared/vectors/recorded/mat-fr-appliances-230v-50hz/\
         data_pcPortable_1_20KHz_mesure1.mat",
    );
    if !path.exists() {
        println!("skipped: {} is absent", path.display());
        return;
    }
    let w = read_mat(&path).unwrap();
    assert!((w.sample_rate_hz - 20_000.0).abs() < 1e-6, "{}", w.sample_rate_hz);
    assert_eq!(w.channels, ["U1", "I1"]);
    let first_second = &w.samples[0][..20_000];
    let rms = (first_second.iter().map(|u| u * u).sum::<f64>() / 20_000.0).sqrt();
    assert!((220.0..240.0).contains(&rms), "{rms}");
    assert!(w.samples[1].iter().all(|i| i.is_finite()));
    println!(
        "{}: {} samples at {} Hz, U1 rms over the first second {rms:.2} V",
        path.display(),
        w.len(),
        w.sample_rate_hz
    );
}
