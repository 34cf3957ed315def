//! The COMTRADE reader: hand-made recordings of every encoding, revision and layout written
//! here from known codes and read back to the known values; malformed configurations and data
//! refused naming the line, field, row or byte; block sizes; the two shared recordings (when
//! present) against an independent Python reading of the same files.

use percycle_analysis::read::{self, ComtradeSource, ReadOptions};
use percycle_analysis::source::{collect, Source, Unit};
use percycle_vectors::Waveform;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Writing recordings

const RATE: f64 = 4000.0;
const ROWS: usize = 200;

#[derive(Clone)]
struct Chan {
    name: String,
    ph: &'static str,
    ccbm: &'static str,
    unit: &'static str,
    a: f64,
    b: f64,
    min: f64,
    max: f64,
    primary: f64,
    secondary: f64,
    ps: &'static str,
}

fn chan(name: &str, ph: &'static str, ccbm: &'static str, unit: &'static str, a: f64) -> Chan {
    Chan {
        name: name.into(),
        ph,
        ccbm,
        unit,
        a,
        b: 0.0,
        min: -32767.0,
        max: 32767.0,
        primary: 1.0,
        secondary: 1.0,
        ps: "P",
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Enc {
    Utf8,
    Latin1,
    Cp1251,
}

/// A recording to write: its configuration and its codes.
#[derive(Clone)]
struct Rec {
    /// Revision year as written on line 1 ("" for none: 1991).
    rev: &'static str,
    file_type: &'static str,
    station: String,
    encoding: Enc,
    chans: Vec<Chan>,
    digitals: usize,
    lf: &'static str,
    /// The `nrates` line and the `samp,endsamp` lines.
    rate_lines: Vec<String>,
    timemult: Option<&'static str>,
    /// Per row, per channel; NaN is written as the missing-data marker.
    codes: Vec<Vec<f64>>,
    /// Per row; `None` is written as a missing timestamp.
    timestamps: Vec<Option<u32>>,
    /// ASCII: a missing sample written as 99999 rather than an empty field.
    missing_as_99999: bool,
}

impl Rec {
    fn is_1991(&self) -> bool {
        self.rev.is_empty() || self.rev == "1991"
    }
}

/// Currents first, then voltages, then a frequency channel (not V or A), one circuit.
fn base_channels() -> Vec<Chan> {
    vec![
        chan("IA", "A", "LINE 1", "A", 0.001),
        chan("IB", "B", "LINE 1", "A", 0.001),
        chan("IC", "C", "LINE 1", "A", 0.001),
        chan("VA", "A", "LINE 1", "V", 0.0125),
        chan("VB", "B", "LINE 1", "V", 0.0125),
        chan("VC", "C", "LINE 1", "V", 0.0125),
        chan("FREQ", "", "LINE 1", "Hz", 0.001),
    ]
}

/// The engine names the automatic choice gives the base channels, with their raw names.
const BASE_MAP: [(&str, &str); 6] =
    [("U1", "VA"), ("U2", "VB"), ("U3", "VC"), ("I1", "IA"), ("I2", "IB"), ("I3", "IC")];

/// Sine codes for `nch` channels: integers for the integer encodings (beyond 16 bits for
/// BINARY32), f32 values for FLOAT32; missing (NaN) at rows `k % 37 == c + 1` when `gaps`.
fn sine_codes(file_type: &str, nch: usize, rows: usize, gaps: bool) -> Vec<Vec<f64>> {
    let amp = match file_type {
        "BINARY32" => 3_000_000.0,
        "FLOAT32" => 325.123,
        _ => 30_000.0,
    };
    (0..rows)
        .map(|k| {
            (0..nch)
                .map(|c| {
                    if gaps && k % 37 == c + 1 {
                        return f64::NAN;
                    }
                    let phase = std::f64::consts::TAU * (50.0 * k as f64 / RATE - c as f64 / 3.0);
                    let x = amp * phase.sin() + 7.0 * c as f64;
                    if file_type == "FLOAT32" {
                        f64::from(x as f32)
                    } else {
                        x.round()
                    }
                })
                .collect()
        })
        .collect()
}

fn rec(file_type: &'static str, rev: &'static str) -> Rec {
    let chans = base_channels();
    let codes = sine_codes(file_type, chans.len(), ROWS, true);
    Rec {
        rev,
        file_type,
        station: "SUB 7".into(),
        encoding: Enc::Utf8,
        digitals: 3,
        lf: "50",
        rate_lines: vec!["1".into(), format!("{RATE},{ROWS}")],
        timemult: None,
        timestamps: (0..ROWS).map(|k| Some((k as f64 * 1e6 / RATE).round() as u32)).collect(),
        missing_as_99999: false,
        chans,
        codes,
    }
}

fn encode(text: &str, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => text.as_bytes().to_vec(),
        Enc::Latin1 => text.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect(),
        Enc::Cp1251 => text
            .chars()
            .map(|c| match c {
                'А'..='я' => 0xC0 + (u32::from(c) - 0x410) as u8,
                'Ё' => 0xA8,
                'ё' => 0xB8,
                _ => u8::try_from(u32::from(c)).ok().filter(u8::is_ascii).unwrap(),
            })
            .collect(),
    }
}

fn cfg_bytes(r: &Rec) -> Vec<u8> {
    let old = r.is_1991();
    let mut lines = Vec::new();
    lines.push(match r.rev {
        "" => format!("{},DEV 1", r.station),
        rev => format!("{},DEV 1,{rev}", r.station),
    });
    let (na, nd) = (r.chans.len(), r.digitals);
    lines.push(format!("{},{na}A,{nd}D", na + nd));
    for (k, c) in r.chans.iter().enumerate() {
        let mut l = format!(
            "{},{},{},{},{},{},{},0,{},{}",
            k + 1,
            c.name,
            c.ph,
            c.ccbm,
            c.unit,
            c.a,
            c.b,
            c.min,
            c.max
        );
        if !old {
            l += &format!(",{},{},{}", c.primary, c.secondary, c.ps);
        }
        lines.push(l);
    }
    for d in 0..nd {
        lines.push(if old {
            format!("{},ST{},0", d + 1, d + 1)
        } else {
            format!("{},ST{},,LINE 1,0", d + 1, d + 1)
        });
    }
    lines.push(r.lf.into());
    lines.extend(r.rate_lines.iter().cloned());
    if old {
        lines.push("06/25/07,19:13:57.789757".into());
        lines.push("06/25/07,19:13:58.089757".into());
    } else {
        lines.push("25/06/2007,19:13:57.789757".into());
        lines.push("25/06/2007,19:13:58.089757".into());
    }
    lines.push(r.file_type.into());
    if !old {
        lines.push(r.timemult.unwrap_or("1").into());
    }
    if r.rev == "2013" {
        lines.push("+1h,+1h".into());
        lines.push("F,0".into());
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    encode(&text, r.encoding)
}

fn dat_bytes(r: &Rec) -> Vec<u8> {
    let mut out = Vec::new();
    let words = r.digitals.div_ceil(16);
    for (k, (row, ts)) in r.codes.iter().zip(&r.timestamps).enumerate() {
        let n = k as u32 + 1;
        if r.file_type == "ASCII" {
            let mut f = vec![n.to_string(), ts.map_or(String::new(), |t| t.to_string())];
            for &x in row {
                f.push(match (x.is_nan(), r.missing_as_99999) {
                    (true, true) => "99999".into(),
                    (true, false) => String::new(),
                    _ => format!("{}", x as i64),
                });
            }
            f.extend((0..r.digitals).map(|d| ((k + d) % 2).to_string()));
            out.extend(f.join(",").bytes());
            out.extend(b"\r\n");
            continue;
        }
        out.extend(n.to_le_bytes());
        out.extend(ts.unwrap_or(u32::MAX).to_le_bytes());
        for &x in row {
            match r.file_type {
                "BINARY" => out.extend(if x.is_nan() { i16::MIN } else { x as i16 }.to_le_bytes()),
                "BINARY32" => {
                    out.extend(if x.is_nan() { i32::MIN } else { x as i32 }.to_le_bytes())
                }
                "FLOAT32" => out.extend((x as f32).to_le_bytes()),
                other => panic!("file type {other}"),
            }
        }
        for w in 0..words {
            out.extend(((k * 31 + w) as u16 & 0x5A5A).to_le_bytes());
        }
    }
    out
}

fn write(dir: &Path, stem: &str, r: &Rec) -> PathBuf {
    let cfg = dir.join(format!("{stem}.cfg"));
    fs::write(&cfg, cfg_bytes(r)).unwrap();
    fs::write(dir.join(format!("{stem}.dat")), dat_bytes(r)).unwrap();
    cfg
}

/// A `.cff` file: CFG, INF, HDR and DAT sections, or CFG, DAT, INF, HDR when not `dat_last`.
fn write_cff(dir: &Path, stem: &str, r: &Rec, dat_last: bool) -> PathBuf {
    let path = dir.join(format!("{stem}.cff"));
    let dat = dat_bytes(r);
    let mut cfg = b"--- file type: CFG ---\r\n".to_vec();
    cfg.extend(cfg_bytes(r));
    let other = b"--- file type: INF ---\r\n[Public Record_Information]\r\nFault=0\r\n\
                  --- file type: HDR ---\r\nA header of free text, 3 lines\r\nline 2\r\n"
        .to_vec();
    let mut data = if r.file_type == "ASCII" {
        b"--- file type: DAT ASCII ---\r\n".to_vec()
    } else {
        format!("--- file type: DAT BINARY: {} ---\r\n", dat.len()).into_bytes()
    };
    data.extend(&dat);
    let mut out = cfg;
    if dat_last {
        out.extend(other);
        out.extend(data);
    } else {
        out.extend(data);
        out.extend(other);
    }
    fs::write(&path, out).unwrap();
    path
}

/// The values the reader must give for raw channel `c` of `r`, in V or A (primary).
fn expected(r: &Rec, c: usize) -> Vec<f64> {
    let ch = &r.chans[c];
    let prefix = match ch.unit.to_ascii_lowercase().as_str() {
        "kv" | "ka" => 1000.0,
        "mv" | "ma" => 0.001,
        _ => 1.0,
    };
    let ratio = if ch.ps == "S" && !r.is_1991() { ch.primary / ch.secondary } else { 1.0 };
    r.codes.iter().map(|row| prefix * ratio * (ch.a * row[c] + ch.b)).collect()
}

fn index(r: &Rec, name: &str) -> usize {
    r.chans.iter().position(|c| c.name == name).unwrap()
}

fn column<'a>(w: &'a Waveform, name: &str) -> &'a [f64] {
    &w.samples[w.channels.iter().position(|c| c == name).unwrap()]
}

/// Equal values, NaN where NaN, within a relative 1e-12.
fn assert_same(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() { g.is_nan() } else { (g - w).abs() <= 1e-12 * w.abs().max(1e-9) };
        assert!(ok, "{what}, sample {k}: got {g}, want {w}");
    }
}

/// The recording read whole, checked against the known values of `map` (engine name, raw name).
fn check_values(path: &Path, spec: Option<&str>, r: &Rec, map: &[(&str, &str)]) -> Waveform {
    let mut src = ComtradeSource::open(path, spec).unwrap_or_else(|e| panic!("{e}"));
    let w = collect(&mut src).unwrap();
    let names: Vec<&str> = map.iter().map(|m| m.0).collect();
    assert_eq!(w.channels, names, "{}", path.display());
    for (engine, raw) in map {
        assert_same(column(&w, engine), &expected(r, index(r, raw)), &format!("{engine}={raw}"));
    }
    w
}

fn err(path: &Path, spec: Option<&str>) -> String {
    match ComtradeSource::open(path, spec) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e.to_string(),
    }
}

fn assert_has(text: &str, fragments: &[&str]) {
    for f in fragments {
        assert!(text.contains(f), "{f:?} in {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Encodings, layouts, revisions

#[test]
fn every_file_type_gives_the_known_values_with_missing_samples_as_nan() {
    let dir = tempfile::tempdir().unwrap();
    for ft in ["ASCII", "BINARY", "BINARY32", "FLOAT32"] {
        let r = rec(ft, "1999");
        let path = write(dir.path(), &format!("rec_{ft}"), &r);
        let mut src = ComtradeSource::open(&path, None).unwrap();
        let info = src.info().clone();
        assert_eq!(info.sample_rate_hz, RATE, "{ft}");
        assert_eq!(info.frames, Some(ROWS as u64), "{ft}");
        assert_eq!(info.nominal_hz, Some(50.0), "{ft}");
        assert_eq!(info.names(), ["U1", "U2", "U3", "I1", "I2", "I3"], "{ft}");
        let units: Vec<_> = info.channels.iter().map(|c| c.unit).collect();
        assert_eq!(
            units,
            [Some(Unit::Volt); 3].into_iter().chain([Some(Unit::Ampere); 3]).collect::<Vec<_>>()
        );
        // Full scale: max(|a·min + b|, |a·max + b|).
        assert_eq!(info.channels[0].full_scale, Some(0.0125 * 32767.0), "{ft}");
        assert_eq!(info.channels[3].full_scale, Some(0.001 * 32767.0), "{ft}");

        let w = collect(&mut src).unwrap();
        for (engine, raw) in BASE_MAP {
            assert_same(
                column(&w, engine),
                &expected(&r, index(&r, raw)),
                &format!("{ft} {engine}"),
            );
        }
        // The gaps are where they were written: VA (raw 3) at rows 4, 41, …
        let u1 = column(&w, "U1");
        assert!(u1[4].is_nan() && u1[41].is_nan() && !u1[5].is_nan(), "{ft}");
        let nans = u1.iter().filter(|x| x.is_nan()).count();
        assert_eq!(nans, (0..ROWS).filter(|k| k % 37 == 4).count(), "{ft}");

        let notes = src.notes().join("\n");
        assert_has(
            &notes,
            &["channels chosen from the phase and unit fields: U1=VA", "marked missing"],
        );
        let dat = fs::metadata(dir.path().join(format!("rec_{ft}.dat"))).unwrap().len();
        assert_eq!(src.position(), (dat, dat), "{ft}: the whole .dat consumed");
    }
}

#[test]
fn ascii_99999_is_missing_before_2013_and_a_value_from_2013() {
    let dir = tempfile::tempdir().unwrap();
    for rev in ["1991", "1999", "2001"] {
        let mut r = rec("ASCII", rev);
        r.missing_as_99999 = true;
        let path = write(dir.path(), &format!("m{rev}"), &r);
        check_values(&path, None, &r, &BASE_MAP);
    }
    let mut r = rec("ASCII", "2013");
    r.missing_as_99999 = true;
    let path = write(dir.path(), "m2013", &r);
    let w = collect(&mut ComtradeSource::open(&path, None).unwrap()).unwrap();
    assert_eq!(column(&w, "U1")[4], 0.0125 * 99999.0);
}

#[test]
fn a_cff_file_gives_the_samples_of_its_cfg_and_dat() {
    let dir = tempfile::tempdir().unwrap();
    for ft in ["ASCII", "BINARY", "BINARY32", "FLOAT32"] {
        let r = rec(ft, "2013");
        let separate = write(dir.path(), &format!("s_{ft}"), &r);
        let want = check_values(&separate, None, &r, &BASE_MAP);
        for dat_last in [true, false] {
            let path = write_cff(dir.path(), &format!("c_{ft}_{dat_last}"), &r, dat_last);
            let mut src = ComtradeSource::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(src.info().frames, Some(ROWS as u64));
            let w = collect(&mut src).unwrap();
            assert_eq!(w.channels, want.channels);
            for (g, x) in w.samples.iter().zip(&want.samples) {
                assert_same(g, x, &format!("{ft} cff, DAT last {dat_last}"));
            }
            let (at, size) = src.position();
            assert_eq!(size, fs::metadata(&path).unwrap().len());
            assert!(at <= size && at > size / 2, "{ft}: {at} of {size}");
            if dat_last {
                assert_eq!(at, size, "{ft}");
            }
        }
    }
    // Case of the extension does not matter, through `open` too.
    let r = rec("BINARY", "2013");
    let path = write_cff(dir.path(), "UPPER", &r, true);
    let upper = dir.path().join("UPPER.CFF");
    fs::rename(&path, &upper).unwrap();
    let mut src = read::open(&upper, &ReadOptions::default()).unwrap();
    let w = collect(&mut *src).unwrap();
    assert_same(column(&w, "I3"), &expected(&r, 2), "UPPER.CFF");
}

#[test]
fn a_cff_held_in_memory_reads_as_the_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut timed = rec("BINARY32", "2013");
    timed.rate_lines = vec!["0".into(), format!("0,{ROWS}")];
    let cases = ["ASCII", "BINARY", "BINARY32", "FLOAT32"].map(|ft| rec(ft, "2013"));
    for (k, r) in cases.iter().chain([&timed]).enumerate() {
        for dat_last in [true, false] {
            let path = write_cff(dir.path(), &format!("m{k}_{dat_last}"), r, dat_last);
            let mut file = ComtradeSource::open(&path, None).unwrap();
            let bytes = fs::read(&path).unwrap();
            let mut memory = ComtradeSource::from_cff_bytes("(memory)", bytes, None).unwrap();
            assert_eq!(memory.info().path, Path::new("(memory)"));
            assert_eq!(memory.info().sample_rate_hz, file.info().sample_rate_hz);
            assert_eq!(memory.info().channels, file.info().channels);
            assert_eq!(memory.info().frames, file.info().frames);
            let (a, b) = (collect(&mut file).unwrap(), collect(&mut memory).unwrap());
            for (x, y) in a.samples.iter().zip(&b.samples) {
                assert_same(y, x, &format!("{} in memory, DAT last {dat_last}", r.file_type));
            }
            assert_eq!(memory.position(), file.position());
        }
    }
    // Errors name the name given.
    let bytes = b"--- file type: CFG ---\r\nS,D,2013\r\n".to_vec();
    let e = ComtradeSource::from_cff_bytes("upload.cff", bytes, None).err().unwrap().to_string();
    assert_has(&e, &["upload.cff", "no DAT section"]);
}

#[test]
fn revisions_1991_1999_2001_2013_are_read() {
    let dir = tempfile::tempdir().unwrap();
    for rev in ["", "1991", "1999", "2001", "2013"] {
        for ft in ["ASCII", "BINARY"] {
            let mut r = rec(ft, rev);
            // S channels in 1991 are primary: there are no primary/secondary fields.
            r.chans[3].ps = "S";
            r.chans[3].primary = 400.0;
            r.chans[3].secondary = 100.0;
            let path = write(dir.path(), &format!("r{rev}_{ft}"), &r);
            let mut src =
                ComtradeSource::open(&path, None).unwrap_or_else(|e| panic!("{rev}: {e}"));
            let notes = src.notes().join("\n");
            let year = if rev.is_empty() { "1991" } else { rev };
            assert_has(&notes, &[&format!("COMTRADE {year} {ft} from station \"SUB 7\"")]);
            if rev.is_empty() {
                assert_has(&notes, &["no revision year", "1991"]);
            }
            // The dates of 1991 (mm/dd/yy) and later are read as written, without a note.
            assert!(!notes.contains("not of the form"), "{notes}");
            let w = collect(&mut src).unwrap();
            for (engine, raw) in BASE_MAP {
                assert_same(
                    column(&w, engine),
                    &expected(&r, index(&r, raw)),
                    &format!("{rev} {ft}"),
                );
            }
            if !r.is_1991() {
                assert_eq!(column(&w, "U1")[10], expected(&r, 3)[10]);
                assert_eq!(column(&w, "U1")[10], 4.0 * 0.0125 * r.codes[10][3]);
            }
        }
    }
}

#[test]
fn latin1_and_cp1251_configurations_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = rec("BINARY", "1999");
    r.encoding = Enc::Latin1;
    r.station = "Usine é Größe".into();
    r.chans[3].name = "Tension é A".into();
    let path = write(dir.path(), "latin", &r);
    let bytes = fs::read(&path).unwrap();
    assert!(bytes.contains(&0xE9) && std::str::from_utf8(&bytes).is_err());
    let spec = "U1=Tension é A,I1=IA";
    let mut src = ComtradeSource::open(&path, Some(spec)).unwrap_or_else(|e| panic!("{e}"));
    assert_has(&src.notes().join("\n"), &["read as Latin-1", "station \"Usine é Größe\""]);
    let w = collect(&mut src).unwrap();
    assert_same(column(&w, "U1"), &expected(&r, 3), "Latin-1 U1");

    let mut r = rec("ASCII", "1999");
    r.encoding = Enc::Cp1251;
    r.station = "Подстанция Южная".into();
    let names = ["Ток А", "Ток В", "Ток С", "Напряжение А", "Напряжение В", "Напряжение С"];
    for (c, name) in r.chans.iter_mut().zip(names) {
        c.name = name.into();
    }
    let path = write(dir.path(), "cyr", &r);
    let mut src = ComtradeSource::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
    let notes = src.notes().join("\n");
    assert_has(&notes, &["read as cp1251", "Подстанция Южная", "U1=Напряжение А"]);
    let w = collect(&mut src).unwrap();
    assert_same(column(&w, "I3"), &expected(&r, 2), "cp1251 I3");
    let src = ComtradeSource::open(&path, Some("U1=Напряжение В")).unwrap();
    assert_eq!(src.info().names(), ["U1"]);
}

#[test]
fn secondary_values_are_made_primary_and_prefixes_applied() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = rec("BINARY", "1999");
    // VT 20 kV / 100 V on VA (secondary values), CT 2500/5 on IA (secondary values), VB in kV,
    // IB in kA, VC in mV with an offset, IC in mA; all primary except the two S channels.
    r.chans[3].ps = "S";
    r.chans[3].primary = 20_000.0;
    r.chans[3].secondary = 100.0;
    r.chans[0].ps = "S";
    r.chans[0].primary = 2500.0;
    r.chans[0].secondary = 5.0;
    r.chans[4].unit = "kV";
    r.chans[4].a = 0.0007;
    r.chans[4].primary = 6.0;
    r.chans[4].secondary = 0.1;
    r.chans[1].unit = "KA";
    r.chans[1].a = 0.0001;
    r.chans[5].unit = "mV";
    r.chans[5].b = 3.0;
    r.chans[2].unit = "mA";
    let path = write(dir.path(), "ps", &r);
    let w = check_values(&path, None, &r, &BASE_MAP);
    // Spot values by hand.
    let x = r.codes[10][3];
    assert!((column(&w, "U1")[10] - 0.0125 * x * 200.0).abs() < 1e-9);
    let x = r.codes[10][4];
    assert!((column(&w, "U2")[10] - 0.0007 * x * 1000.0).abs() < 1e-9);
    let x = r.codes[10][0];
    assert!((column(&w, "I1")[10] - 0.001 * x * 500.0).abs() < 1e-12);

    let info = ComtradeSource::open(&path, None).unwrap().info().clone();
    let fs: Vec<f64> = info.channels.iter().map(|c| c.full_scale.unwrap()).collect();
    let want = [
        0.0125 * 32767.0 * 200.0,
        0.0007 * 32767.0 * 1000.0,
        (0.0125 * 32767.0 + 3.0) * 0.001,
        0.001 * 32767.0 * 500.0,
        0.0001 * 32767.0 * 1000.0,
        0.001 * 32767.0 * 0.001,
    ];
    for (g, w) in fs.iter().zip(want) {
        assert!((g - w).abs() <= 1e-9 * w, "full scale {g}, want {w}");
    }

    // The independent script agrees on the same file.
    if let Some(theirs) = script(&path, &["VA", "VB", "VC", "IA", "IB", "IC"]) {
        for (engine, raw) in BASE_MAP {
            let ours = rms(column(&w, engine));
            let t = theirs.1.iter().find(|(n, _)| n == raw).unwrap().1;
            assert!((ours - t).abs() <= 1e-9 * t, "{engine}={raw}: {ours} vs script {t}");
        }
    }
}

#[test]
fn the_rate_comes_from_the_timestamps_times_timemult_when_the_cfg_gives_none() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<String>, &str); 4] = [
        ("BINARY", vec!["0".into(), format!("0,{ROWS}")], "0.5"),
        ("ASCII", vec!["0".into()], "2"),
        ("BINARY32", vec!["1".into(), format!("0,{ROWS}")], "1"),
        ("ASCII", vec!["1".into(), format!("0,{ROWS}")], "0.25"),
    ];
    for (ft, rate_lines, timemult) in cases {
        let mut r = rec(ft, "1999");
        let tm: f64 = timemult.parse().unwrap();
        r.rate_lines = rate_lines;
        r.timemult = Some(timemult);
        // 4 kHz: 250 µs a step, in units of timemult µs, offset.
        r.timestamps = (0..ROWS).map(|k| Some((1000.0 + k as f64 * 250.0 / tm) as u32)).collect();
        let path = write(dir.path(), &format!("ts_{ft}_{timemult}"), &r);
        let src = ComtradeSource::open(&path, None).unwrap_or_else(|e| panic!("{e}"));
        let rate = src.info().sample_rate_hz;
        assert!((rate - RATE).abs() < 1e-9 * RATE, "{ft} timemult {timemult}: {rate}");
        assert_eq!(src.info().frames, Some(ROWS as u64));
        assert_has(&src.notes().join("\n"), &["from the timestamps", &format!("timemult {tm}")]);
        check_values(&path, None, &r, &BASE_MAP);
    }

    // Timestamps rounded to the microsecond at 5760 Hz: the rate over the record.
    let mut r = rec("BINARY", "1999");
    r.rate_lines = vec!["0".into(), format!("0,{ROWS}")];
    r.timestamps = (0..ROWS).map(|k| Some((k as f64 * 1e6 / 5760.0).round() as u32)).collect();
    let path = write(dir.path(), "ts5760", &r);
    let rate = ComtradeSource::open(&path, None).unwrap().info().sample_rate_hz;
    assert!((rate - 5760.0).abs() < 0.1, "{rate}");

    // A gap in the timestamps: refused, naming the row.
    r.timestamps[120] = Some(r.timestamps[120].unwrap() + 500);
    let path = write(dir.path(), "gap", &r);
    assert_has(&err(&path, None), &["row 121 (byte ", "not uniform"]);
    let mut a = r.clone();
    a.file_type = "ASCII";
    a.codes = sine_codes("ASCII", a.chans.len(), ROWS, false);
    let path = write(dir.path(), "gap_ascii", &a);
    assert_has(&err(&path, None), &["line 121 (row 121)", "not uniform"]);
    // A missing timestamp.
    r.timestamps[120] = None;
    let path = write(dir.path(), "nots", &r);
    assert_has(&err(&path, None), &["row 121", "no timestamp"]);
}

#[test]
fn blocks_of_1_7_and_65536_frames_give_identical_samples() {
    let dir = tempfile::tempdir().unwrap();
    for ft in ["ASCII", "BINARY", "FLOAT32"] {
        let r = rec(ft, "1999");
        let path = write(dir.path(), &format!("b_{ft}"), &r);
        let mut all: Vec<Vec<u64>> = Vec::new();
        for block in [1, 7, 65_536] {
            let mut src = ComtradeSource::open(&path, None).unwrap();
            let mut got = Vec::new();
            let mut buf = Vec::new();
            loop {
                let n = src.read(&mut buf, block).unwrap();
                if n == 0 {
                    break;
                }
                assert!(n <= block);
                assert_eq!(buf.len(), n * 6);
                got.extend(buf.iter().map(|x| x.to_bits()));
            }
            assert_eq!(got.len(), ROWS * 6);
            all.push(got);
        }
        assert!(all[0] == all[1] && all[1] == all[2], "{ft}");
    }
}

#[test]
fn line_frequency_channels_files_and_extra_data() {
    let dir = tempfile::tempdir().unwrap();
    // A line frequency other than 50 or 60: no nominal, a note.
    let mut r = rec("BINARY", "1999");
    r.lf = "55.5";
    let path = write(dir.path(), "lf", &r);
    let src = ComtradeSource::open(&path, None).unwrap();
    assert_eq!(src.info().nominal_hz, None);
    assert_has(&src.notes().join("\n"), &["55.5 Hz, neither 50 nor 60"]);
    r.lf = "60.000";
    let path = write(dir.path(), "lf60", &r);
    assert_eq!(ComtradeSource::open(&path, None).unwrap().info().nominal_hz, Some(60.0));

    // An upper-case .DAT beside the cfg, and an odd date noted, not refused.
    let r = rec("BINARY", "1999");
    let cfg = write(dir.path(), "upper", &r);
    fs::rename(dir.path().join("upper.dat"), dir.path().join("upper.DAT")).unwrap();
    let text = fs::read_to_string(&cfg).unwrap().replace("25/06/2007,19:13:57.789757", "sometime");
    fs::write(&cfg, text).unwrap();
    let src = ComtradeSource::open(&cfg, None).unwrap();
    assert_has(&src.notes().join("\n"), &["\"sometime\" is not of the form"]);

    // Extra bytes after the declared rows are noted; so are extra ASCII rows.
    let r = rec("BINARY", "1999");
    let cfg = write(dir.path(), "extra", &r);
    let mut dat = dat_bytes(&r);
    dat.extend([0u8; 13]);
    fs::write(dir.path().join("extra.dat"), dat).unwrap();
    let mut src = ComtradeSource::open(&cfg, None).unwrap();
    assert_has(&src.notes().join("\n"), &["13 bytes after the last of the 200 rows"]);
    assert_eq!(collect(&mut src).unwrap().samples[0].len(), ROWS);
    let mut r = rec("ASCII", "1999");
    r.rate_lines = vec!["1".into(), format!("{RATE},150")];
    let cfg = write(dir.path(), "extra_ascii", &r);
    let mut src = ComtradeSource::open(&cfg, None).unwrap();
    let w = collect(&mut src).unwrap();
    assert_eq!(w.samples[0].len(), 150);
    assert_has(
        &src.notes().join("\n"),
        &["from line 151 on are beyond the configuration's endsamp"],
    );

    // Signs and indices in --channels; the 3P3W names.
    let r = rec("BINARY", "1999");
    let cfg = write(dir.path(), "map", &r);
    let mut src = ComtradeSource::open(&cfg, Some("U12=-VA,U32=5,I1=IA,I3=-3")).unwrap();
    assert_eq!(src.info().names(), ["U12", "U32", "I1", "I3"]);
    let w = collect(&mut src).unwrap();
    let neg = |v: Vec<f64>| v.into_iter().map(|x| -x).collect::<Vec<_>>();
    assert_same(column(&w, "U12"), &neg(expected(&r, 3)), "U12=-VA");
    assert_same(column(&w, "U32"), &expected(&r, 4), "U32=5");
    assert_same(column(&w, "I3"), &neg(expected(&r, 2)), "I3=-3");
}

// ---------------------------------------------------------------------------------------------
// Refused

#[test]
fn malformed_configurations_are_refused_naming_the_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let r = rec("BINARY", "1999");
    let good = String::from_utf8(cfg_bytes(&r)).unwrap();
    const VA: &str = "VA,A,LINE 1,V,0.0125,0,0,-32767,32767,1,1,P";
    let edits: [(&str, &str, &[&str]); 13] = [
        ("SUB 7,DEV 1,1999", "SUB 7,DEV 1,2005", &["line 1:", "2005", "1991, 1999, 2001, 2013"]),
        ("SUB 7,DEV 1,1999", "SUB 7,DEV 1,19x9", &["line 1, field 3 (rev_year)", "\"19x9\""]),
        ("10,7A,3D", "11,7A,3D", &["line 2:", "TT = 11", "7 analog + 3 status"]),
        ("10,7A,3D", "10,7,3D", &["line 2, field 2 (##A)"]),
        (VA, "VA,A,LINE 1,V,abc,0,0,-32767,32767,1,1,P", &["line 6, field 6 (a)", "not a number"]),
        (VA, "VA,A,LINE 1,V,0.0125,0,0,-32767,,1,1,P", &["line 6, field 10 (max)"]),
        (VA, "VA,A,LINE 1,V,0.0125,0,0,-32767,32767,1,1,Q", &["line 6, field 13 (PS)", "\"Q\""]),
        (VA, "VA,A,LINE 1,V,0.0125,0,0,-32767,32767,1,0,S", &["line 6, field 12 (secondary)"]),
        (VA, "VA,A,LINE 1,V,0.0125", &["line 6:", "13 fields", "has 6"]),
        ("\r\nBINARY\r\n", "\r\nHEX\r\n", &["line 18:", "\"HEX\" is not ASCII, BINARY"]),
        ("\r\n50\r\n", "\r\nfifty\r\n", &["line 13, field 1 (lf)"]),
        ("\r\n4000,200", "\r\n4000,many", &["line 15, field 2 (endsamp)"]),
        (
            "\r\n1\r\n4000,200",
            "\r\n2\r\n4000,100\r\n1200,200",
            &[
                "several sample rates: 4000 Hz for samples 1-100, 1200 Hz for 101-200;",
                "not supported",
            ],
        ),
    ];
    let mut cases: Vec<(String, &[&str])> =
        edits.iter().map(|(from, to, want)| (good.replace(from, to), *want)).collect();
    let cut = good.lines().take(16).collect::<Vec<_>>().join("\r\n");
    cases.push((cut, &["line 17:", "ends where the trigger time"]));
    for (k, (text, fragments)) in cases.iter().enumerate() {
        assert_ne!(text, &good, "case {k} changes the file");
        let cfg = dir.path().join(format!("bad{k}.cfg"));
        fs::write(&cfg, text).unwrap();
        fs::write(dir.path().join(format!("bad{k}.dat")), dat_bytes(&r)).unwrap();
        let e = err(&cfg, None);
        assert!(e.contains(&format!("bad{k}.cfg")), "{e}");
        assert_has(&e, fragments);
    }
    // Several rates with the same samp are one rate.
    let text = good.replace("\r\n1\r\n4000,200", "\r\n2\r\n4000,100\r\n4000,200");
    let cfg = dir.path().join("same.cfg");
    fs::write(&cfg, text).unwrap();
    fs::write(dir.path().join("same.dat"), dat_bytes(&r)).unwrap();
    check_values(&cfg, None, &r, &BASE_MAP);
}

#[test]
fn recordings_with_nothing_to_measure_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = rec("BINARY", "1999");
    r.chans.clear();
    r.codes = vec![Vec::new(); ROWS];
    r.digitals = 20;
    let path = write(dir.path(), "status", &r);
    assert_has(
        &err(&path, None),
        &["no analog voltage channel", "no analog channel", "20 status", "nothing to measure"],
    );
    let mut r = rec("ASCII", "1999");
    r.chans = vec![chan("IA", "A", "X", "A", 0.1), chan("F", "", "X", "Hz", 0.1)];
    r.codes = sine_codes("ASCII", 2, ROWS, false);
    let path = write(dir.path(), "amps", &r);
    assert_has(
        &err(&path, None),
        &["no analog voltage channel", "IA (A), F (Hz)", "nothing to measure"],
    );
}

#[test]
fn channel_choices_that_do_not_fit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = rec("BINARY", "1999");
    let mut second = base_channels();
    for c in &mut second {
        c.name += "_2";
        c.ccbm = "LINE 2";
    }
    r.chans.extend(second);
    r.codes = sine_codes("BINARY", r.chans.len(), ROWS, false);
    let path = write(dir.path(), "two", &r);
    assert_has(&err(&path, None), &["2 circuits", "U1=VA,", "U1=VA_2", "--channels"]);
    check_values(&path, Some("U1=VA_2,I1=IA_2"), &r, &[("U1", "VA_2"), ("I1", "IA_2")]);
    assert_has(&err(&path, Some("U1=FREQ")), &["U1=FREQ", "\"Hz\"", "a voltage"]);
    assert_has(&err(&path, Some("U1=IA")), &["U1=IA", "\"A\"", "a voltage"]);
    assert_has(&err(&path, Some("I1=VA")), &["a current"]);
    assert_has(&err(&path, Some("U1=NOPE")), &["option --channels", "no channel \"NOPE\""]);
}

#[test]
fn short_data_are_refused_naming_the_row_or_byte_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    // Binary: 10 bytes short of 200 rows of 8 + 7·2 + 2 = 24 bytes.
    let r = rec("BINARY", "1999");
    let cfg = write(dir.path(), "short", &r);
    let dat = dat_bytes(&r);
    assert_eq!(dat.len(), ROWS * 24);
    fs::write(dir.path().join("short.dat"), &dat[..dat.len() - 10]).unwrap();
    assert_has(
        &err(&cfg, None),
        &["short.dat", "4800 bytes", "4790 bytes", "truncated in row 200", "byte 4790"],
    );

    // ASCII: rows missing at the end, found when reading; the rows before are handed out.
    let r = rec("ASCII", "1999");
    let cfg = write(dir.path(), "short_ascii", &r);
    let text = String::from_utf8(dat_bytes(&r)).unwrap();
    let kept: Vec<&str> = text.lines().take(150).collect();
    fs::write(dir.path().join("short_ascii.dat"), kept.join("\n")).unwrap();
    let mut src = ComtradeSource::open(&cfg, None).unwrap();
    let mut buf = Vec::new();
    assert_eq!(src.read(&mut buf, 100).unwrap(), 100);
    let e = src.read(&mut buf, 100).unwrap_err().to_string();
    assert_has(
        &e,
        &["short_ascii.dat", "after line 150 with 150 rows", "endsamp says 200", "truncated"],
    );
    assert_eq!(src.read(&mut buf, 100).unwrap(), 0, "nothing after an error");
    // A ragged ASCII row names its line.
    let bad = text.replacen("\r\n3,", "\r\n3,,", 1);
    fs::write(dir.path().join("short_ascii.dat"), bad).unwrap();
    let mut src = ComtradeSource::open(&cfg, None).unwrap();
    assert_has(
        &collect(&mut src).unwrap_err().to_string(),
        &["line 3:", "13 fields, a row has 12"],
    );

    // A configuration claiming 10^9 rows beside a tiny .dat: refused at once.
    for ft in ["BINARY", "ASCII", "FLOAT32"] {
        let mut r = rec(ft, "1999");
        r.rate_lines = vec!["1".into(), format!("{RATE},1000000000")];
        let cfg = write(dir.path(), &format!("huge_{ft}"), &r);
        let t = Instant::now();
        let e = err(&cfg, None);
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        assert_has(&e, &["1000000000 rows", "truncated"]);
    }

    // A .cff whose DAT section declares more bytes than the file holds.
    let r = rec("BINARY", "2013");
    let path = write_cff(dir.path(), "cut", &r, true);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 30]).unwrap();
    assert_has(&err(&path, None), &["cut.cff", "DAT section declares 4800 bytes", "truncated"]);
    // A .cff without a DAT section, or with one of the other kind.
    let cfg_only: Vec<u8> =
        bytes[..bytes.windows(18).position(|w| w == b"--- file type: DAT").unwrap()].to_vec();
    fs::write(&path, cfg_only).unwrap();
    assert_has(&err(&path, None), &["no DAT section"]);
    let path = write_cff(dir.path(), "kind", &rec("ASCII", "2013"), true);
    let text = fs::read_to_string(&path).unwrap().replace("\r\nASCII\r\n", "\r\nBINARY\r\n");
    fs::write(&path, text).unwrap();
    assert_has(&err(&path, None), &["DAT section is ASCII", "file type is BINARY"]);

    // No .dat at all.
    let r = rec("BINARY", "1999");
    let cfg = dir.path().join("alone.cfg");
    fs::write(&cfg, cfg_bytes(&r)).unwrap();
    assert_has(&err(&cfg, None), &["no data file alone.dat"]);
}

#[test]
fn options_apply_to_comtrade_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let r = rec("BINARY", "1999");
    let cfg = write(dir.path(), "opts", &r);
    let opts = |channels: Option<&str>, full_scale: Option<&str>, rate: Option<f64>| ReadOptions {
        channels: channels.map(String::from),
        full_scale: full_scale.map(String::from),
        sample_rate_hz: rate,
    };
    let e = read::check_options(&cfg, &opts(None, None, Some(4000.0))).unwrap_err().to_string();
    assert_has(&e, &["opts.cfg", "--sample-rate does not apply to a COMTRADE file"]);
    let e = read::open(&cfg, &opts(None, Some("U=400"), None)).err().unwrap().to_string();
    assert_has(&e, &["opts.cfg", "--full-scale does not apply to a COMTRADE file"]);
    read::check_options(&cfg, &opts(Some("U1=VA"), None, None)).unwrap();
    let mut src = read::open(&cfg, &opts(Some("U1=VB,I1=IB"), None, None)).unwrap();
    assert_eq!(src.info().names(), ["U1", "I1"]);
    let w = collect(&mut *src).unwrap();
    assert_same(column(&w, "U1"), &expected(&r, 4), "U1=VB through open");
    let upper = dir.path().join("OPTS.CFG");
    fs::rename(&cfg, &upper).unwrap();
    let src = read::open(&upper, &ReadOptions::default()).unwrap();
    assert_eq!(src.info().names().len(), 6);
}

// ---------------------------------------------------------------------------------------------
// The shared recordings against the independent script

fn rms(x: &[f64]) -> f64 {
    let v: Vec<f64> = x.iter().copied().filter(|x| !x.is_nan()).collect();
    (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt()
}

/// The script's sample rate and `(name, rms)` per channel, or `None` (printed) without Python.
fn script(cfg: &Path, names: &[&str]) -> Option<(f64, Vec<(String, f64)>)> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/comtrade_rms.py");
    let out = match Command::new("python3").arg(&py).arg(cfg).args(names).output() {
        Ok(o) => o,
        Err(e) => {
            println!("skipped the script check: python3 cannot be run ({e})");
            return None;
        }
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rate = f64::NAN;
    let mut values = Vec::new();
    for line in text.lines() {
        if let Some(r) = line.strip_prefix("# sample_rate_hz ") {
            rate = r.trim().parse().unwrap();
        } else {
            let (n, v) = line.rsplit_once(' ').unwrap();
            values.push((n.to_string(), v.parse().unwrap()));
        }
    }
    Some((rate, values))
}

fn shared(rel: &str) -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/recorded").join(rel);
    if path.exists() {
        Some(path)
    } else {
        println!(
            "skipped: {} is absent (the shared recordings are not beside this checkout)",
            path.display()
        );
        None
    }
}

#[test]
fn shared_recordings_agree_with_the_independent_script() {
    let cases = [
        (
            "comtrade-gen-trip-50hz/test3.cfg",
            ["VA_G1", "VB_G1", "VC_G1", "IA_G1", "IB_G1", "IC_G1"],
            50.0,
            24_768,
            "4 circuits",
        ),
        (
            "comtrade-hydro-fault-60hz/test2.cfg",
            ["VA_GC1", "VB_GC1", "VC_GC1", "IA_GC1", "IB_GC1", "IC_GC1"],
            60.0,
            13_248,
            "2 circuits",
        ),
    ];
    for (rel, raw, nominal, frames, circuits) in cases {
        let Some(path) = shared(rel) else { continue };
        // Several complete circuits: the automatic choice refuses and lists them.
        let e = err(&path, None);
        assert_has(&e, &[circuits, &format!("U1={}", raw[0]), "--channels"]);

        let engine = ["U1", "U2", "U3", "I1", "I2", "I3"];
        let spec: Vec<String> = engine.iter().zip(raw).map(|(e, r)| format!("{e}={r}")).collect();
        let mut src = ComtradeSource::open(&path, Some(&spec.join(","))).unwrap();
        let info = src.info().clone();
        assert_eq!(info.sample_rate_hz, 5760.0);
        assert_eq!(info.nominal_hz, Some(nominal));
        assert_eq!(info.frames, Some(frames));
        assert_eq!(info.names(), engine);
        for c in &info.channels {
            let fs = c.full_scale.unwrap();
            let plausible = if c.unit == Some(Unit::Volt) { 1e4..1e5 } else { 1e3..1e6 };
            assert!(plausible.contains(&fs), "{}: full scale {fs}", c.name);
        }
        let w = collect(&mut src).unwrap();
        assert_eq!(w.samples[0].len() as u64, frames);
        let dat = path.with_extension("dat");
        let size = fs::metadata(dat).unwrap().len();
        assert_eq!(src.position(), (size, size));

        let Some((rate, theirs)) = script(&path, &raw) else { continue };
        assert_eq!(rate, 5760.0);
        for (k, (name, t)) in theirs.iter().enumerate() {
            assert_eq!(name, raw[k]);
            let ours = rms(&w.samples[k]);
            println!("{rel} {}={name}: rms {ours:.6} (reader) vs {t:.6} (script)", engine[k]);
            assert!((ours - t).abs() <= 1e-4 * t, "{name}: {ours} vs {t}");
        }
    }
}
