//! The PQDIF reader: the IEEE example file of the shared recordings against an independent
//! standard-library script (skipped with a printed reason when absent), files written here by a
//! small PQDIF writer of its own (values exact, compressed or not, shared and increment-stored
//! time series, scale and offset), the interpolation of a slower channel against the analytic
//! signal, and malformed files refused with the record and the byte named.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use flate2::write::ZlibEncoder;
use flate2::Compression;
use percycle_analysis::read::pqdif::{observations, PqdifSource, PQDIF_MAX_RECORD_BYTES};
use percycle_analysis::read::{self, check_options, ReadOptions};
use percycle_analysis::source::{collect, Source, Unit};

// ---------------------------------------------------------------------------------------------
// A small PQDIF writer

/// A GUID's 16 bytes as PQDIF stores them, from its text.
fn guid(text: &str) -> [u8; 16] {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let b: Vec<u8> =
        (0..16).map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap()).collect();
    [
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
        b[14], b[15],
    ]
}

const SIGNATURE: &str = "4a111440-e49f-11cf-9900-505144494600";
const CONTAINER: &str = "89738606-f1c3-11cf-9d89-0080c72e70a3";
const DATA_SOURCE: &str = "89738619-f1c3-11cf-9d89-0080c72e70a3";
const OBSERVATION: &str = "8973861a-f1c3-11cf-9d89-0080c72e70a3";
const SETTINGS: &str = "b48d858c-f5f5-11cf-9d89-0080c72e70a3";
const COMP_STYLE: &str = "8973861b-f1c3-11cf-9d89-0080c72e70a3";
const COMP_ALGORITHM: &str = "8973861c-f1c3-11cf-9d89-0080c72e70a3";
const NOMINAL_FREQUENCY: &str = "0fa118c3-cb4a-11d2-b30b-fe25cb9a1760";
const CHANNEL_DEFNS: &str = "b48d858d-f5f5-11cf-9d89-0080c72e70a3";
const ONE_CHANNEL_DEFN: &str = "b48d858e-f5f5-11cf-9d89-0080c72e70a3";
const CHANNEL_NAME: &str = "b48d8590-f5f5-11cf-9d89-0080c72e70a3";
const PHASE_ID: &str = "b48d8591-f5f5-11cf-9d89-0080c72e70a3";
const QUANTITY_TYPE: &str = "b48d8592-f5f5-11cf-9d89-0080c72e70a3";
const QUANTITY_MEASURED: &str = "c690e872-f755-11cf-9d89-0080c72e70a3";
const SERIES_DEFNS: &str = "b48d8598-f5f5-11cf-9d89-0080c72e70a3";
const ONE_SERIES_DEFN: &str = "b48d859a-f5f5-11cf-9d89-0080c72e70a3";
const UNITS: &str = "b48d859b-f5f5-11cf-9d89-0080c72e70a3";
const VALUE_TYPE: &str = "b48d859c-f5f5-11cf-9d89-0080c72e70a3";
const STORAGE: &str = "b48d85a1-f5f5-11cf-9d89-0080c72e70a3";
const QT_WAVEFORM: &str = "67f6af80-f753-11cf-9d89-0080c72e70a3";
const VT_TIME: &str = "c690e862-f755-11cf-9d89-0080c72e70a3";
const VT_VAL: &str = "67f6af97-f753-11cf-9d89-0080c72e70a3";
const OBS_NAME: &str = "3d786f8a-f76e-11cf-9d89-0080c72e70a3";
const TIME_START: &str = "3d786f8c-f76e-11cf-9d89-0080c72e70a3";
const CHANNEL_INSTS: &str = "3d786f91-f76e-11cf-9d89-0080c72e70a3";
const ONE_CHANNEL_INST: &str = "3d786f92-f76e-11cf-9d89-0080c72e70a3";
const CHANNEL_DEFN_IDX: &str = "b48d858f-f5f5-11cf-9d89-0080c72e70a3";
const SERIES_INSTS: &str = "3d786f93-f76e-11cf-9d89-0080c72e70a3";
const ONE_SERIES_INST: &str = "3d786f94-f76e-11cf-9d89-0080c72e70a3";
const SCALE: &str = "3d786f96-f76e-11cf-9d89-0080c72e70a3";
const OFFSET: &str = "3d786f97-f76e-11cf-9d89-0080c72e70a3";
const VALUES: &str = "3d786f99-f76e-11cf-9d89-0080c72e70a3";
const SHARE_CHANNEL: &str = "8973861f-f1c3-11cf-9d89-0080c72e70a3";
const SHARE_SERIES: &str = "89738620-f1c3-11cf-9d89-0080c72e70a3";
const UNKNOWN_TAG: &str = "01234567-89ab-cdef-0123-456789abcdef";

// Physical types.
const CHAR1: u8 = 10;
const INT2: u8 = 21;
const UINT4: u8 = 32;
const REAL4: u8 = 40;
const REAL8: u8 = 41;
const TIMESTAMP: u8 = 50;
const GUID: u8 = 60;

/// An element to write.
enum Node {
    Coll(Vec<(&'static str, Node)>),
    Scalar(u8, Vec<u8>),
    /// Physical type, count written, value bytes (the count may lie).
    Vector(u8, i32, Vec<u8>),
}

fn u4(x: u32) -> Node {
    Node::Scalar(UINT4, x.to_le_bytes().to_vec())
}

fn r8(x: f64) -> Node {
    Node::Scalar(REAL8, x.to_le_bytes().to_vec())
}

fn gid(text: &str) -> Node {
    Node::Scalar(GUID, guid(text).to_vec())
}

fn text(s: &str) -> Node {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    Node::Vector(CHAR1, b.len() as i32, b)
}

fn reals8(v: &[f64]) -> Node {
    Node::Vector(REAL8, v.len() as i32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

fn reals4(v: &[f32]) -> Node {
    Node::Vector(REAL4, v.len() as i32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

fn ints2(v: &[i16]) -> Node {
    Node::Vector(INT2, v.len() as i32, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

/// Writes a collection at the end of `out`; returns its offset.
fn write_coll(items: &[(&'static str, Node)], out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend((items.len() as i32).to_le_bytes());
    out.resize(at + 4 + 28 * items.len(), 0);
    for (k, (tag, node)) in items.iter().enumerate() {
        let h = at + 4 + 28 * k;
        out[h..h + 16].copy_from_slice(&guid(tag));
        let (etype, ptype, embedded, link) = match node {
            Node::Coll(children) => (1u8, 0u8, 0u8, write_coll(children, out)),
            Node::Scalar(p, bytes) if bytes.len() <= 8 => {
                out[h + 20..h + 20 + bytes.len()].copy_from_slice(bytes);
                (2, *p, 1, usize::MAX)
            }
            Node::Scalar(p, bytes) => {
                let link = out.len();
                out.extend(bytes);
                (2, *p, 0, link)
            }
            Node::Vector(p, count, bytes) => {
                let link = out.len();
                out.extend(count.to_le_bytes());
                out.extend(bytes);
                (3, *p, 0, link)
            }
        };
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out[h + 16] = etype;
        out[h + 17] = ptype;
        out[h + 18] = embedded;
        if link != usize::MAX {
            let size = (out.len() - link) as i32;
            out[h + 20..h + 24].copy_from_slice(&(link as i32).to_le_bytes());
            out[h + 24..h + 28].copy_from_slice(&size.to_le_bytes());
        }
    }
    at
}

fn body(items: &[(&'static str, Node)]) -> Vec<u8> {
    let mut out = Vec::new();
    write_coll(items, &mut out);
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u64, 0u64);
    for &x in data {
        a = (a + u64::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    ((b << 16) | a) as u32
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// A file of a container and `records` (tag, body), bodies compressed when `compress`; returns
/// the bytes and each record's offset.
fn file(records: Vec<(&str, Vec<u8>)>, compress: bool) -> (Vec<u8>, Vec<usize>) {
    let (style, algorithm) = if compress { (2, 1) } else { (0, 0) };
    let container = body(&[
        ("89738608-f1c3-11cf-9d89-0080c72e70a3", text("handmade.pqd")),
        (COMP_STYLE, u4(style)),
        (COMP_ALGORITHM, u4(algorithm)),
    ]);
    let mut all = vec![(CONTAINER, container)];
    for (tag, b) in records {
        all.push((tag, if compress { zlib(&b) } else { b }));
    }
    file_of_stored(&all)
}

/// A file of records whose bodies are given as stored.
fn file_of_stored(records: &[(&str, Vec<u8>)]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut at = Vec::new();
    for (k, (tag, stored)) in records.iter().enumerate() {
        at.push(out.len());
        let next = if k + 1 == records.len() { 0 } else { out.len() + 64 + stored.len() };
        out.extend(guid(SIGNATURE));
        out.extend(guid(tag));
        out.extend(64i32.to_le_bytes());
        out.extend((stored.len() as i32).to_le_bytes());
        out.extend((next as i32).to_le_bytes());
        out.extend(adler32(stored).to_le_bytes());
        out.extend([0u8; 16]);
        out.extend(stored);
    }
    (out, at)
}

/// A channel definition with a time series (storage `time_storage`) and a val series.
fn channel_defn(name: &str, phase: u32, volts: bool, time_storage: u32, val_storage: u32) -> Node {
    Node::Coll(vec![
        (CHANNEL_NAME, text(name)),
        (PHASE_ID, u4(phase)),
        (QUANTITY_MEASURED, u4(if volts { 1 } else { 2 })),
        (QUANTITY_TYPE, gid(QT_WAVEFORM)),
        (
            SERIES_DEFNS,
            Node::Coll(vec![
                (
                    ONE_SERIES_DEFN,
                    Node::Coll(vec![
                        (UNITS, u4(2)),
                        (VALUE_TYPE, gid(VT_TIME)),
                        (STORAGE, u4(time_storage)),
                    ]),
                ),
                (
                    ONE_SERIES_DEFN,
                    Node::Coll(vec![
                        (UNITS, u4(if volts { 6 } else { 7 })),
                        (VALUE_TYPE, gid(VT_VAL)),
                        (STORAGE, u4(val_storage)),
                    ]),
                ),
            ]),
        ),
    ])
}

fn data_source(defns: Vec<Node>) -> Vec<u8> {
    body(&[(CHANNEL_DEFNS, Node::Coll(defns.into_iter().map(|d| (ONE_CHANNEL_DEFN, d)).collect()))])
}

fn series(items: Vec<(&'static str, Node)>) -> (&'static str, Node) {
    (ONE_SERIES_INST, Node::Coll(items))
}

fn shared(channel: u32, series_idx: u32) -> (&'static str, Node) {
    series(vec![(SHARE_CHANNEL, u4(channel)), (SHARE_SERIES, u4(series_idx))])
}

fn channel_inst(defn: u32, series: Vec<(&'static str, Node)>) -> (&'static str, Node) {
    (
        ONE_CHANNEL_INST,
        Node::Coll(vec![(CHANNEL_DEFN_IDX, u4(defn)), (SERIES_INSTS, Node::Coll(series))]),
    )
}

fn observation(name: &str, channels: Vec<(&'static str, Node)>) -> Vec<u8> {
    let mut start = 36_312u32.to_le_bytes().to_vec();
    start.extend(48_252.5f64.to_le_bytes());
    body(&[
        (OBS_NAME, text(name)),
        (TIME_START, Node::Scalar(TIMESTAMP, start)),
        (CHANNEL_INSTS, Node::Coll(channels)),
    ])
}

/// Samples per channel of the hand-made three-phase file.
const N: usize = 40;

fn v_codes(phase: usize) -> Vec<i16> {
    (0..N).map(|k| ((k as i32 * 997 + phase as i32 * 3001) % 20_000 - 10_000) as i16).collect()
}

fn i_values(phase: usize) -> Vec<f32> {
    (0..N).map(|k| (k as f32 * 0.37 - 3.1) * (phase as f32 + 1.0)).collect()
}

/// Three voltages (int2 × 0.5 + 1 V; time by increments in two pairs, shared by VB and VC)
/// and three currents (real4; time as real8 values, shared by IB and IC; IB carries a scale its
/// definition does not ask for), 40 samples at 4 kHz, a monitor-settings record of 50 Hz.
fn three_phase_records() -> Vec<(&'static str, Vec<u8>)> {
    let ds = data_source(vec![
        channel_defn("Waveform VA", 1, true, 4, 3),
        channel_defn("Waveform VB", 2, true, 4, 3),
        channel_defn("Waveform VC", 3, true, 4, 3),
        channel_defn("Waveform IA", 1, false, 1, 1),
        channel_defn("Waveform IB", 2, false, 1, 1),
        channel_defn("Waveform IC", 3, false, 1, 1),
    ]);
    let settings = body(&[(NOMINAL_FREQUENCY, r8(50.0))]);
    let val = |codes: Vec<i16>| {
        series(vec![(VALUES, ints2(&codes)), (SCALE, r8(0.5)), (OFFSET, r8(1.0))])
    };
    let times: Vec<f64> = (0..N).map(|k| k as f64 / 4000.0).collect();
    let obs = observation(
        "Capture",
        vec![
            channel_inst(
                0,
                vec![
                    series(vec![(VALUES, reals8(&[2.0, 25.0, 2.5e-4, 15.0, 2.5e-4]))]),
                    val(v_codes(0)),
                ],
            ),
            channel_inst(1, vec![shared(0, 0), val(v_codes(1))]),
            channel_inst(2, vec![shared(0, 0), val(v_codes(2))]),
            channel_inst(
                3,
                vec![
                    series(vec![(VALUES, reals8(&times))]),
                    series(vec![(VALUES, reals4(&i_values(0)))]),
                ],
            ),
            channel_inst(
                4,
                vec![shared(3, 0), series(vec![(VALUES, reals4(&i_values(1))), (SCALE, r8(10.0))])],
            ),
            channel_inst(5, vec![shared(3, 0), series(vec![(VALUES, reals4(&i_values(2)))])]),
        ],
    );
    vec![(DATA_SOURCE, ds), (SETTINGS, settings), (OBSERVATION, obs)]
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn err(r: Result<impl Sized, percycle_vectors::FormatError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn rms(x: &[f64]) -> f64 {
    (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
}

// ---------------------------------------------------------------------------------------------
// Hand-made files

#[test]
fn handmade_values_are_exact_with_and_without_compression() {
    let dir = tempfile::tempdir().unwrap();
    for compress in [false, true] {
        let (bytes, _) = file(three_phase_records(), compress);
        let path = write(dir.path(), &format!("three-{compress}.pqd"), &bytes);

        let list = observations(&path).unwrap();
        assert_eq!(list.len(), 1);
        let o = &list[0];
        assert_eq!((o.index, o.record, o.name.as_str()), (0, 3, "Capture"));
        assert!(o.has_waveforms);
        // Day 36 312 after 1899-12-30, 48 252.5 s.
        assert_eq!(o.start.as_deref(), Some("1999-06-01 13:24:12.500000"));
        let names: Vec<&str> = o.channels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["VA", "VB", "VC", "IA", "IB", "IC"]);
        assert_eq!(o.channels[0].file_name, "Waveform VA");
        assert!(o.channels.iter().all(|c| c.samples == N && c.rate_hz == Some(4000.0)));
        assert_eq!(o.channels[4].phase.as_deref(), Some("B"));
        assert_eq!(o.channels[4].unit, Some(Unit::Ampere));

        let mut src = PqdifSource::open(&path, 0, None).unwrap();
        let info = src.info().clone();
        assert_eq!(info.names(), ["U1", "U2", "U3", "I1", "I2", "I3"]);
        assert_eq!(info.sample_rate_hz, 4000.0);
        assert_eq!(info.frames, Some(N as u64));
        assert_eq!(info.nominal_hz, Some(50.0));
        // int2 × 0.5 + 1 states its range, the larger of |−32768 × 0.5 + 1| and
        // |32767 × 0.5 + 1|; real4 states none.
        assert_eq!(info.channels[0].full_scale, Some(32_767.0 * 0.5 + 1.0));
        assert_eq!(info.channels[3].full_scale, None);
        assert!(src.notes().iter().any(|n| n.contains("U1=VA,U2=VB,U3=VC,I1=IA,I2=IB,I3=IC")));
        let w = collect(&mut src).unwrap();
        for p in 0..3 {
            let want: Vec<f64> = v_codes(p).iter().map(|&c| f64::from(c) * 0.5 + 1.0).collect();
            assert_eq!(w.samples[p], want, "U{} (compressed: {compress})", p + 1);
            // The scale of IB is not applied: its definition stores values only.
            let want: Vec<f64> = i_values(p).iter().map(|&x| f64::from(x)).collect();
            assert_eq!(w.samples[3 + p], want, "I{} (compressed: {compress})", p + 1);
        }
        let (done, size) = src.position();
        assert_eq!(size, bytes.len() as u64);
        assert_eq!(done, size, "the observation is the last record");

        // By name, index and sign, through `open` as the command line does.
        let opts = ReadOptions { channels: Some("U1=VA,U2=-2,I1=IA".into()), ..Default::default() };
        check_options(&path, &opts).unwrap();
        let w = collect(&mut *read::open(&path, &opts).unwrap()).unwrap();
        assert_eq!(w.channels, ["U1", "U2", "I1"]);
        assert_eq!(w.samples[1][7], -(f64::from(v_codes(1)[7]) * 0.5 + 1.0));
    }
}

#[test]
fn options_that_do_not_apply_to_pqdif_are_refused() {
    let p = Path::new("x.pqd");
    let rate = ReadOptions { sample_rate_hz: Some(1000.0), ..Default::default() };
    assert!(err(check_options(p, &rate)).contains("--sample-rate does not apply to a PQDIF"));
    let fs = ReadOptions { full_scale: Some("U=1".into()), ..Default::default() };
    assert!(err(check_options(p, &fs)).contains("--full-scale does not apply to a PQDIF"));
    let ch = ReadOptions { channels: Some("U1=VA".into()), ..Default::default() };
    check_options(p, &ch).unwrap();
}

#[test]
fn a_wrong_checksum_is_noted_and_the_values_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bytes, at) = file(three_phase_records(), true);
    bytes[at[3] + 44] ^= 0xFF;
    let path = write(dir.path(), "sum.pqd", &bytes);
    let src = PqdifSource::open(&path, 0, None).unwrap();
    assert!(src.notes().iter().any(|n| n.contains("record 3") && n.contains("checksum")));
}

/// A file of voltages at `v_rate` and currents at `i_rate`, real8, 0.1 s, of the given
/// signals.
fn two_rate_file(
    v_rate: f64,
    i_rate: f64,
    v: impl Fn(f64) -> f64,
    i: impl Fn(f64) -> f64,
) -> Vec<u8> {
    let ds = data_source(vec![
        channel_defn("Waveform VAB", 5, true, 4, 1),
        channel_defn("Waveform VBC", 6, true, 4, 1),
        channel_defn("Waveform IA", 1, false, 4, 1),
        channel_defn("Waveform IC", 3, false, 4, 1),
    ]);
    let nv = (0.1 * v_rate).round() as usize;
    let ni = (0.1 * i_rate).round() as usize;
    let sig = |n: usize, rate: f64, f: &dyn Fn(f64) -> f64, shift: f64| {
        reals8(&(0..n).map(|k| f(k as f64 / rate + shift)).collect::<Vec<_>>())
    };
    let obs = observation(
        "Two rates",
        vec![
            channel_inst(
                0,
                vec![
                    series(vec![(VALUES, reals8(&[1.0, nv as f64, 1.0 / v_rate]))]),
                    series(vec![(VALUES, sig(nv, v_rate, &v, 0.0))]),
                ],
            ),
            channel_inst(1, vec![shared(0, 0), series(vec![(VALUES, sig(nv, v_rate, &v, 1e-3))])]),
            channel_inst(
                2,
                vec![
                    series(vec![(VALUES, reals8(&[1.0, ni as f64, 1.0 / i_rate]))]),
                    series(vec![(VALUES, sig(ni, i_rate, &i, 0.0))]),
                ],
            ),
            channel_inst(3, vec![shared(2, 0), series(vec![(VALUES, sig(ni, i_rate, &i, 2e-3))])]),
        ],
    );
    file(vec![(DATA_SOURCE, ds), (OBSERVATION, obs)], true).0
}

#[test]
fn a_slower_current_is_interpolated_to_the_voltage_rate_within_1e_4_of_its_peak() {
    use std::f64::consts::TAU;
    let dir = tempfile::tempdir().unwrap();
    let i = |t: f64| 100.0 * (TAU * 60.0 * t).sin() + 20.0 * (TAU * 300.0 * t + 0.3).sin();
    let v = |t: f64| 48_000.0 * (TAU * 60.0 * t).sin();
    let path = write(dir.path(), "rates.pqd", &two_rate_file(15_360.0, 7_680.0, v, i));
    let mut src = PqdifSource::open(&path, 0, None).unwrap();
    assert_eq!(src.info().names(), ["U12", "U32", "I1", "I3"]);
    assert_eq!(src.info().sample_rate_hz, 15_360.0);
    let native = src.native_channels().to_vec();
    assert_eq!(native[2].rate_hz, 7_680.0);
    assert_eq!(native[2].samples.len(), 768);
    assert!(src.notes().iter().any(|n| n.contains("interpolated to 15360 Hz")));
    let w = collect(&mut src).unwrap();
    assert_eq!(w.len(), 1536);
    let ia = &w.samples[2];
    let peak = (0..10_000).map(|k| i(k as f64 / 1e5).abs()).fold(0.0, f64::max);
    // Edges: the kernel of 32 taps does not fit in the first 30 and the last 32 frames.
    assert!(ia[..30].iter().all(|x| x.is_nan()) && ia[1536 - 32..].iter().all(|x| x.is_nan()));
    let inner = 30..1536 - 32;
    assert!(ia[inner.clone()].iter().all(|x| x.is_finite()));
    let mut worst = 0.0f64;
    for j in inner.clone() {
        worst = worst.max((ia[j] - i(j as f64 / 15_360.0)).abs() / peak);
        if j % 2 == 0 {
            assert_eq!(ia[j], native[2].samples[j / 2], "a sample that falls is kept");
        }
    }
    println!("interpolation: worst error {worst:.2e} of the peak over frames {inner:?}");
    assert!(worst < 1e-4, "worst error {worst:e} of the peak");
    // U32 = −VBC, at its own rate, untouched.
    assert_eq!(w.samples[1][100], -v(100.0 / 15_360.0 + 1e-3));
    assert!(w.samples[1].iter().all(|x| x.is_finite()));
}

#[test]
fn rates_of_a_ratio_that_is_not_an_integer_are_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let f = |t: f64| t.sin();
    let path = write(dir.path(), "odd.pqd", &two_rate_file(15_360.0, 7_000.0, f, f));
    let e = err(PqdifSource::open(&path, 0, None));
    println!("{e}");
    assert!(
        e.contains("VAB at 15360 Hz") && e.contains("IA at 7000 Hz") && e.contains("integer"),
        "{e}"
    );
    assert!(e.contains("observation 0") && e.contains("Two rates"), "{e}");
    // Both in the listing, with their rates.
    let o = &observations(&path).unwrap()[0];
    assert_eq!(o.channels[2].rate_hz, Some(7_000.0));
}

#[test]
fn a_time_series_that_is_not_uniform_is_refused_naming_observation_and_channel() {
    let dir = tempfile::tempdir().unwrap();
    let ds = data_source(vec![channel_defn("Waveform VA", 1, true, 1, 1)]);
    let mut times: Vec<f64> = (0..N).map(|k| k as f64 / 4000.0).collect();
    times[20] += 1e-5;
    let obs = observation(
        "Jitter",
        vec![channel_inst(
            0,
            vec![series(vec![(VALUES, reals8(&times))]), series(vec![(VALUES, reals8(&times))])],
        )],
    );
    let path = write(
        dir.path(),
        "jitter.pqd",
        &file(vec![(DATA_SOURCE, ds), (OBSERVATION, obs)], false).0,
    );
    let e = err(PqdifSource::open(&path, 0, None));
    println!("{e}");
    assert!(e.contains("observation 0") && e.contains("Jitter") && e.contains("channel VA"), "{e}");
    assert!(e.contains("not uniform") && e.contains("step 19"), "{e}");
    let o = &observations(&path).unwrap()[0];
    assert!(o.channels[0].problem.as_deref().is_some_and(|p| p.contains("not uniform")));
}

// ---------------------------------------------------------------------------------------------
// Malformed files

#[test]
fn a_link_past_the_end_or_back_is_refused_naming_the_record_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, at) = file(three_phase_records(), true);
    let mut past = bytes.clone();
    let beyond = bytes.len() as i32 + 1000;
    past[at[1] + 40..at[1] + 44].copy_from_slice(&beyond.to_le_bytes());
    let path = write(dir.path(), "past.pqd", &past);
    let e = err(observations(&path));
    println!("{e}");
    assert!(e.contains(&format!("record 1 at byte {}", at[1])), "{e}");
    assert!(e.contains(&format!("byte {beyond}")) && e.contains("outside the file"), "{e}");

    let mut back = bytes.clone();
    back[at[3] + 40..at[3] + 44].copy_from_slice(&(at[1] as i32).to_le_bytes());
    let path = write(dir.path(), "loop.pqd", &back);
    let e = err(PqdifSource::open(&path, 0, None)
        .map(|_| ())
        .and_then(|_| observations(&path).map(|_| ())));
    println!("{e}");
    assert!(e.contains(&format!("record 3 at byte {}", at[3])) && e.contains("loop"), "{e}");
}

#[test]
fn a_body_larger_than_the_file_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bytes, at) = file(three_phase_records(), false);
    bytes[at[2] + 36..at[2] + 40].copy_from_slice(&(i32::MAX).to_le_bytes());
    let path = write(dir.path(), "big.pqd", &bytes);
    let e = err(observations(&path));
    println!("{e}");
    assert!(e.contains(&format!("record 2 at byte {}", at[2])), "{e}");
    assert!(e.contains("runs past the end of the file"), "{e}");
}

#[test]
fn a_zlib_bomb_is_refused_by_the_record_limit_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..((2 * PQDIF_MAX_RECORD_BYTES) >> 20) {
        z.write_all(&zeros).unwrap();
    }
    let bomb = z.finish().unwrap();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let records = three_phase_records();
    let container = body(&[(COMP_STYLE, u4(2)), (COMP_ALGORITHM, u4(1))]);
    let (bytes, at) = file_of_stored(&[
        (CONTAINER, container),
        (DATA_SOURCE, zlib(&records[0].1)),
        (OBSERVATION, bomb),
    ]);
    let path = write(dir.path(), "bomb.pqd", &bytes);
    let t = Instant::now();
    let e = err(observations(&path));
    println!("{e}");
    let took = t.elapsed();
    assert!(e.contains(&format!("record 2 at byte {}", at[2])), "{e}");
    assert!(e.contains(&format!("inflates to more than {PQDIF_MAX_RECORD_BYTES} bytes")), "{e}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_truncated_element_is_refused_naming_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = three_phase_records();
    // A vector that claims 1000 values where there are 3.
    records[2].1 = observation(
        "Short",
        vec![channel_inst(0, vec![series(vec![(VALUES, Node::Vector(REAL8, 1000, vec![0; 24]))])])],
    );
    for compress in [false, true] {
        let (bytes, at) = file(records.clone(), compress);
        let path = write(dir.path(), "short.pqd", &bytes);
        let e = err(observations(&path));
        println!("{e}");
        assert!(e.contains(&format!("record 3 at byte {}", at[3])), "{e}");
        assert!(e.contains("truncated element") && e.contains("1000 values"), "{e}");
        let byte = if compress { "of the inflated body" } else { "file byte" };
        assert!(e.contains(byte), "{e}");
    }
    // A body cut short inside the element headers.
    let mut cut = body(&[(OBS_NAME, text("x")), (CHANNEL_INSTS, Node::Coll(vec![]))]);
    cut.truncate(20);
    records[2].1 = cut;
    let (bytes, _) = file(records, false);
    let path = write(dir.path(), "cut.pqd", &bytes);
    let e = err(observations(&path));
    println!("{e}");
    assert!(e.contains("truncated element") && e.contains("byte 0"), "{e}");
}

#[test]
fn an_unknown_physical_type_is_skipped_unless_its_value_is_needed() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = three_phase_records();
    // Under an unknown tag: skipped.
    let ds = data_source(vec![channel_defn("Waveform VA", 1, true, 4, 1)]);
    let obs = |values: Node| {
        body(&[
            (UNKNOWN_TAG, Node::Vector(99, 3, vec![1, 2, 3])),
            (OBS_NAME, text("Odd")),
            (
                CHANNEL_INSTS,
                Node::Coll(vec![channel_inst(
                    0,
                    vec![
                        series(vec![(VALUES, reals8(&[1.0, 4.0, 0.25]))]),
                        series(vec![(VALUES, values)]),
                    ],
                )]),
            ),
        ])
    };
    records[0].1 = ds;
    records[2].1 = obs(reals8(&[1.0, 2.0, 3.0, 4.0]));
    let path = write(dir.path(), "odd.pqd", &file(records.clone(), true).0);
    let w = collect(&mut PqdifSource::open(&path, 0, Some("U1=VA")).unwrap()).unwrap();
    assert_eq!(w.samples[0], [1.0, 2.0, 3.0, 4.0]);
    assert_eq!(w.sample_rate_hz, 4.0);
    // As the series values: refused clearly.
    records[2].1 = obs(Node::Vector(99, 4, vec![0; 32]));
    let path = write(dir.path(), "odd2.pqd", &file(records, true).0);
    let e = err(PqdifSource::open(&path, 0, Some("U1=VA")));
    println!("{e}");
    assert!(e.contains("unknown physical type 99") && e.contains("channel VA"), "{e}");
    assert!(e.contains("record 3 at byte") && e.contains("of the inflated body"), "{e}");
}

#[test]
fn an_observation_out_of_range_is_refused_with_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "one.pqd", &file(three_phase_records(), true).0);
    let e = err(PqdifSource::open(&path, 3, None));
    println!("{e}");
    assert!(
        e.contains("observation 3 is out of range") && e.contains("holds 1 observation"),
        "{e}"
    );
}

#[test]
fn files_that_are_not_pqdif_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "text.pqd", &[b'x'; 200]);
    assert!(err(observations(&path)).contains("not a PQDIF file"));
    let path = write(dir.path(), "tiny.pqd", b"PQ");
    assert!(err(observations(&path)).contains("truncated record header"));
    // A first record that is not a container.
    let (bytes, _) = file_of_stored(&[(DATA_SOURCE, data_source(vec![]))]);
    let path = write(dir.path(), "nocontainer.pqd", &bytes);
    assert!(err(observations(&path)).contains("not a container"));
}

// ---------------------------------------------------------------------------------------------
// The IEEE example file

fn example() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/recorded/pqdif-ieee-example-60hz/example.pqd");
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

/// `NAME RMS RATE` per channel from the independent script.
fn script(path: &Path, observation: usize, names: &[&str]) -> Vec<(String, f64, f64)> {
    let py = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pqdif_rms.py");
    let out = Command::new("python3")
        .arg(py)
        .arg(path)
        .arg(observation.to_string())
        .args(names)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn example_lists_47_observations_of_which_20_hold_waveforms() {
    let Some(path) = example() else { return };
    let list = observations(&path).unwrap();
    assert_eq!(list.len(), 47);
    let count = |name: &str, wave: bool| {
        list.iter().filter(|o| o.name == name && o.has_waveforms == wave).count()
    };
    assert_eq!(count("Obs", true), 15);
    assert_eq!(count("RMS Variation", true), 5);
    assert_eq!(count("Steady-state trend", false), 27);
    assert_eq!(list.iter().filter(|o| o.has_waveforms).count(), 20);
    let obs = &list[1];
    assert_eq!((obs.record, obs.byte), (4, 8694));
    assert_eq!(obs.start.as_deref(), Some("1999-06-01 13:24:12.000000"));
    let rates: Vec<(&str, Option<f64>, usize)> =
        obs.channels.iter().map(|c| (c.name.as_str(), c.rate_hz, c.samples)).collect();
    assert_eq!(
        rates,
        [
            ("VAB", Some(15_360.0), 1536),
            ("VBC", Some(15_360.0), 1536),
            ("VCA", Some(15_360.0), 1536),
            ("IA", Some(7_680.0), 768),
            ("IB", Some(7_680.0), 768),
            ("IC", Some(7_680.0), 768),
        ]
    );
    // The RMS variation holds phasors besides its 11-cycle waveforms.
    let rms = &list[2];
    assert_eq!(rms.name, "RMS Variation");
    assert!(rms.channels.iter().any(|c| c.quantity == "phasor" && !c.waveform));
    assert!(rms.channels.iter().any(|c| c.name == "VAB" && c.samples == 2816));
    // A trend is refused naming it.
    let e = err(PqdifSource::open(&path, 0, None));
    println!("{e}");
    assert!(e.contains("observation 0") && e.contains("Steady-state trend"), "{e}");
    assert!(e.contains("no waveforms"), "{e}");
    let e = err(PqdifSource::open(&path, 47, None));
    println!("{e}");
    assert!(e.contains("holds 47 observations (0 to 46)"), "{e}");
}

#[test]
fn example_rms_agree_with_the_independent_script() {
    let Some(path) = example() else { return };
    let names = ["VAB", "VBC", "VCA", "IA", "IB", "IC"];
    for observation in [1, 2] {
        let theirs = script(&path, observation, &names);
        assert_eq!(theirs.len(), 6);
        let spec = "U1=VAB,U2=VBC,U3=VCA,I1=IA,I2=IB,I3=IC";
        let mut src = PqdifSource::open(&path, observation, Some(spec)).unwrap();
        let native = src.native_channels().to_vec();
        for (n, (name, rms_py, rate_py)) in native.iter().zip(&theirs) {
            assert_eq!(&n.source, name);
            let ours = rms(&n.samples);
            let rel = (ours - rms_py).abs() / rms_py;
            println!(
                "observation {observation} {name}: rms {ours:.4} (script {rms_py:.4}, {rel:.1e}), \
                 {} Hz (script {rate_py})",
                n.rate_hz
            );
            assert!(rel <= 1e-4, "{name}: {ours} vs {rms_py}");
            assert!(
                (n.rate_hz - rate_py).abs() <= 1e-6 * rate_py,
                "{name}: {} vs {rate_py}",
                n.rate_hz
            );
        }
        assert_eq!(native[0].rate_hz, 15_360.0);
        assert_eq!(native[3].rate_hz, 7_680.0);

        // The currents brought to 15 360 Hz keep their rms over the frames they cover.
        let w = collect(&mut src).unwrap();
        assert_eq!(w.sample_rate_hz, 15_360.0);
        for (k, n) in native.iter().enumerate().skip(3) {
            let up = &w.samples[k];
            let first = up.iter().position(|x| x.is_finite()).unwrap();
            let last = up.iter().rposition(|x| x.is_finite()).unwrap();
            assert!(up[first..=last].iter().all(|x| x.is_finite()));
            let ours = rms(&up[first..=last]);
            let theirs = rms(&n.samples[first.div_ceil(2)..=last / 2]);
            let rel = (ours - theirs).abs() / theirs;
            println!(
                "observation {observation} {}: interpolated rms {ours:.4}, native {theirs:.4} \
                 over frames {first}..={last} ({rel:.1e})",
                n.source
            );
            assert!(rel <= 5e-4, "{}: {ours} vs {theirs}", n.source);
        }
        let (done, size) = src.position();
        assert!(done > 0 && done < size, "{done} of {size}");
    }
}

#[test]
fn example_channels_are_chosen_as_three_wire() {
    let Some(path) = example() else { return };
    let src = PqdifSource::open(&path, 1, None).unwrap();
    assert_eq!(src.info().names(), ["U12", "U32", "I1", "I3"]);
    let pairs: Vec<(String, bool)> =
        src.native_channels().iter().map(|n| (n.source.clone(), n.negate)).collect();
    assert_eq!(
        pairs,
        [("VAB".into(), false), ("VBC".into(), true), ("IA".into(), false), ("IC".into(), false)]
    );
    assert!(src.notes().iter().any(|n| n.contains("U12=VAB,U32=-VBC,I1=IA,I3=IC")));
    assert_eq!(src.info().nominal_hz, None, "the example's settings state no frequency");
    // int2 samples: the range is the type's after scaling.
    let fs = src.info().channels[0].full_scale.unwrap();
    assert!((fs - 32_768.0 * 1.583_576_202_392_578_1).abs() < 1e-6, "{fs}");
    // `open` reads the first observation with waveforms, and says so.
    let via = read::open(&path, &ReadOptions::default()).unwrap();
    assert_eq!(via.info().names(), ["U12", "U32", "I1", "I3"]);
    assert!(via.notes().iter().any(|n| n.contains("20 observations hold waveforms")));
}

#[test]
fn example_held_in_memory_reads_as_the_file() {
    let Some(path) = example() else { return };
    let bytes = fs::read(&path).unwrap();
    let list = percycle_analysis::read::pqdif::observations_in("example.pqd", bytes.clone());
    assert_eq!(list.unwrap().len(), observations(&path).unwrap().len());
    let from_file = collect(&mut PqdifSource::open(&path, 2, None).unwrap()).unwrap();
    let in_memory =
        collect(&mut PqdifSource::from_bytes("example.pqd", bytes, 2, None).unwrap()).unwrap();
    assert_eq!(from_file.channels, in_memory.channels);
    let bits = |w: &percycle_vectors::Waveform| -> Vec<u64> {
        w.samples.iter().flatten().map(|x| x.to_bits()).collect()
    };
    assert_eq!(bits(&from_file), bits(&in_memory));
}
