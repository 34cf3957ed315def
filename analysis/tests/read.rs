//! The streaming readers: round trips through the vector crate's writers, block sizes, the
//! CSV look-ahead, hostile headers and zlib bombs refused in bounded memory, sidecar checks and
//! options that do not apply.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use flate2::write::ZlibEncoder;
use flate2::Compression;
use percycle_analysis::read::{
    self, full_scale_for, CsvSource, MatSource, ReadOptions, WavSource, CSV_LOOK_AHEAD_ROWS,
    MAT_MAX_BYTES,
};
use percycle_analysis::source::{collect, Source, Unit};
use percycle_vectors::formats::sidecar_path;
use percycle_vectors::{
    dequantise, quantise, write_csv, write_wav, FormatError, WavChannelMap, WavFormat, Waveform,
};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Three voltages and four currents at 10.24 kHz with some irrational-looking values, and
/// optionally missing samples.
fn waveform(frames: usize, gaps: bool) -> Waveform {
    let rate = 10_240.0;
    let names = ["U1", "U2", "U3", "I1", "I2", "I3", "IN"];
    let samples = names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let amp = if name.starts_with('U') { 325.0 } else { 7.0 };
            (0..frames)
                .map(|k| {
                    let t = k as f64 / rate;
                    let x = amp * (std::f64::consts::TAU * 50.0 * t - c as f64 * 2.1).sin()
                        + 0.013 * ((k * 7919 + c * 104_729) % 997) as f64 / 997.0;
                    if gaps && (k % 101 == 3 + c || (c == 3 && (40..45).contains(&k))) {
                        f64::NAN
                    } else {
                        x
                    }
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

const FULL_SCALE: [f64; 7] = [400.0, 400.0, 400.0, 10.0, 10.0, 10.0, 10.0];

/// Every frame of `src`, read in blocks of `block` frames, interleaved; checks the block
/// contract on the way.
fn read_blocks(src: &mut dyn Source, block: usize) -> Vec<f64> {
    let nch = src.info().channels.len();
    let mut all = Vec::new();
    let mut buf = vec![1.0; 3];
    loop {
        let n = src.read(&mut buf, block).unwrap();
        assert!(n <= block, "{n} frames for a block of {block}");
        assert_eq!(buf.len(), n * nch);
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf);
    }
    assert_eq!(src.read(&mut buf, block).unwrap(), 0, "the end stays the end");
    all
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Same samples, NaN where NaN, within `tol[channel]` elsewhere.
fn assert_close(a: &Waveform, b: &Waveform, tol: &[f64]) {
    assert_eq!(a.channels, b.channels);
    assert_eq!(a.len(), b.len());
    for (c, (x, y)) in a.samples.iter().zip(&b.samples).enumerate() {
        for (k, (x, y)) in x.iter().zip(y).enumerate() {
            assert_eq!(x.is_nan(), y.is_nan(), "channel {c} sample {k}: {x} vs {y}");
            if !x.is_nan() {
                assert!((x - y).abs() <= tol[c], "channel {c} sample {k}: {x} vs {y}");
            }
        }
    }
}

fn err_text<T>(r: Result<T, FormatError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// Opens with `open` and reads to the end; the first error, as text.
fn open_and_read_error(path: &Path, opts: &ReadOptions) -> String {
    let mut src = match read::open(path, opts) {
        Ok(src) => src,
        Err(e) => return e.to_string(),
    };
    match collect(&mut *src) {
        Ok(_) => panic!("{}: expected an error", path.display()),
        Err(e) => e.to_string(),
    }
}

fn csv_opts(rate: Option<f64>) -> ReadOptions {
    ReadOptions { sample_rate_hz: rate, ..ReadOptions::default() }
}

// ---------------------------------------------------------------------------------------------
// Recordings held in memory

#[test]
fn recordings_held_in_memory_read_as_their_files_do() {
    let dir = tempfile::tempdir().unwrap();
    let w = waveform(3000, false);
    let same = |file: &mut dyn Source, memory: &mut dyn Source, what: &str| {
        assert_eq!(memory.info().path, Path::new("(memory)"), "{what}");
        assert_eq!(memory.info().sample_rate_hz, file.info().sample_rate_hz, "{what}");
        assert_eq!(memory.info().channels, file.info().channels, "{what}");
        assert_eq!(memory.info().frames, file.info().frames, "{what}");
        let (a, b) = (read_blocks(file, 7), read_blocks(memory, 7));
        assert_eq!(bits(&a), bits(&b), "{what}");
        assert_eq!(memory.position(), file.position(), "{what}");
        assert_eq!(memory.notes(), file.notes(), "{what}");
    };

    for format in [WavFormat::I16, WavFormat::I24, WavFormat::I32, WavFormat::F32] {
        let path = dir.path().join(format!("m_{format}.wav"));
        write_wav(&path, &w, format, &FULL_SCALE).unwrap();
        let map = WavChannelMap { channels: w.channels.clone(), full_scale: FULL_SCALE.to_vec() };
        let mut file = WavSource::open(&path, Some(map.clone())).unwrap();
        let bytes = fs::read(&path).unwrap();
        let mut memory = WavSource::from_bytes("(memory)", bytes.as_slice(), map).unwrap();
        same(&mut file, &mut memory, &format!("WAV {format}"));
    }

    let path = dir.path().join("m.csv");
    write_csv(&path, &w).unwrap();
    let mut file = CsvSource::open(&path, None).unwrap();
    let mut memory = CsvSource::from_bytes("(memory)", fs::read(&path).unwrap(), None).unwrap();
    same(&mut file, &mut memory, "CSV");

    for (big, compress) in [(false, false), (true, true)] {
        let bytes = standard_mat(big, compress);
        let path = write_file(dir.path(), "m.mat", &bytes);
        let mut file = MatSource::open(&path).unwrap();
        let mut memory = MatSource::from_bytes("(memory)", bytes).unwrap();
        same(&mut file, &mut memory, &format!("MAT big-endian {big}, compressed {compress}"));
    }

    // Errors name the name given, as they name a file.
    let map = WavChannelMap::from_cli("U1", "U=325").unwrap();
    let wav = err_text(WavSource::from_bytes("upload.wav", &b"RIFF\x04\0\0\0WAVE"[..], map));
    assert!(wav.contains("upload.wav"), "{wav}");
    let csv = err_text(CsvSource::from_bytes("upload.csv", "t,U1\n0,1\n0.5,x\n", None));
    assert!(csv.contains("upload.csv") && csv.contains("line 3"), "{csv}");
    let csv = err_text(CsvSource::from_bytes("upload.csv", "U1\n1\n", Some(0.0)));
    assert!(csv.contains("upload.csv") && csv.contains("sample rate"), "{csv}");
    let mat = err_text(MatSource::from_bytes("upload.mat", vec![0u8; 64]));
    assert!(mat.contains("upload.mat") && mat.contains("128-byte header"), "{mat}");
}

// ---------------------------------------------------------------------------------------------
// WAV

#[test]
fn wav_round_trips_in_every_format_with_missing_samples_where_the_format_carries_them() {
    let dir = tempfile::tempdir().unwrap();
    for format in [WavFormat::I16, WavFormat::I24, WavFormat::I32, WavFormat::F32] {
        let gaps = matches!(format, WavFormat::I32 | WavFormat::F32);
        let w = waveform(2000, gaps);
        let path = dir.path().join(format!("rt_{format}.wav"));
        write_wav(&path, &w, format, &FULL_SCALE).unwrap();
        let mut src = WavSource::open(&path, None).unwrap();
        let info = src.info().clone();
        assert_eq!(info.sample_rate_hz, 10_240.0);
        assert_eq!(info.frames, Some(2000));
        assert_eq!(info.names(), w.channels);
        for (ch, fs) in info.channels.iter().zip(FULL_SCALE) {
            assert_eq!(ch.full_scale, Some(fs));
            let want = if ch.name.starts_with('U') { Unit::Volt } else { Unit::Ampere };
            assert_eq!(ch.unit, Some(want));
        }
        let back = collect(&mut src).unwrap();
        // Half a code for integers; f32 rounds to 24 significant bits.
        let tol: Vec<f64> = FULL_SCALE
            .iter()
            .map(|fs| match format {
                WavFormat::F32 => fs * 2f64.powi(-24),
                f => 0.5 * fs / (2f64.powi(i32::from(f.bits()) - 1) - 1.0) * (1.0 + 1e-9),
            })
            .collect();
        assert_close(&back, &w, &tol);
        if gaps {
            assert!(back.samples[3][40].is_nan() && back.samples[0][3].is_nan());
        }
        // Bit for bit the stored value of what was written: the code, dequantised, or the
        // f32 of `x / full_scale` times the full scale.
        for (c, (got, x)) in back.samples.iter().zip(&w.samples).enumerate() {
            let fs = FULL_SCALE[c];
            let b = u32::from(format.bits());
            let want: Vec<f64> = x
                .iter()
                .map(|&x| match format {
                    WavFormat::F32 => f64::from((x / fs) as f32) * fs,
                    _ => dequantise(quantise(x, fs, b), fs, b),
                })
                .collect();
            assert_eq!(bits(got), bits(&want), "{format} channel {c}");
        }
        let (done, total) = src.position();
        assert_eq!(done, total, "{format}: the whole file is consumed");
        assert_eq!(total, fs::metadata(&path).unwrap().len());
    }
}

#[test]
fn wav_without_sidecar_takes_the_channel_map_and_the_header_rate() {
    let dir = tempfile::tempdir().unwrap();
    let w = waveform(500, true);
    let path = dir.path().join("bare.wav");
    write_wav(&path, &w, WavFormat::I32, &FULL_SCALE).unwrap();
    fs::remove_file(sidecar_path(&path)).unwrap();

    let e = WavSource::open(&path, None).err().unwrap();
    assert!(matches!(e, FormatError::MissingChannelMap { .. }), "{e}");
    assert!(e.to_string().contains("bare.wav"), "{e}");
    let short = WavChannelMap::from_cli("U1,U2,I1", "U=400,I=10").unwrap();
    let e = WavSource::open(&path, Some(short)).err().unwrap();
    assert!(matches!(e, FormatError::ChannelCount { file: 7, given: 3, .. }), "{e}");

    let opts = ReadOptions {
        channels: Some("U1,U2,U3,I1,I2,I3,IN".into()),
        full_scale: Some("U=400,I=10".into()),
        sample_rate_hz: None,
    };
    let mut src = read::open(&path, &opts).unwrap();
    assert_eq!(src.info().channels[6].full_scale, Some(10.0));
    let back = collect(&mut *src).unwrap();
    assert_close(&back, &w, &[1e-6; 7]);
}

/// A WAV file with `frames` frames of 2 channels whose data chunk then claims `claim` bytes.
fn wav_with_claim(dir: &Path, claim: u32) -> PathBuf {
    let w = Waveform {
        sample_rate_hz: 8000.0,
        channels: vec!["U1".into(), "I1".into()],
        samples: vec![vec![1.0; 400], vec![0.5; 400]],
    };
    let path = dir.join("liar.wav");
    write_wav(&path, &w, WavFormat::I16, &[4.0, 1.0]).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    let at = bytes.windows(4).position(|b| b == b"data").unwrap() + 4;
    bytes[at..at + 4].copy_from_slice(&claim.to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    path
}

#[test]
fn a_wav_header_claiming_2_gb_in_a_2_kb_file_is_refused_before_anything_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let path = wav_with_claim(dir.path(), 2_000_000_000);
    let size = fs::metadata(&path).unwrap().len();
    assert!(size < 2048, "{size}");
    let start = Instant::now();
    let e = WavSource::open(&path, None).err().unwrap();
    assert!(start.elapsed() < Duration::from_millis(200), "{:?}", start.elapsed());
    assert!(matches!(e, FormatError::Invalid { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("liar.wav"), "{text}");
    assert!(text.contains("header declares 2000000000 bytes of samples"), "{text}");
    assert!(text.contains(&format!("holds only {}", 1600)), "{text}");

    // The same file telling the truth is read.
    let path = wav_with_claim(dir.path(), 1600);
    let w = collect(&mut WavSource::open(&path, None).unwrap()).unwrap();
    assert_eq!(w.len(), 400);
}

/// Writes a WAV with its sidecar, edits the sidecar JSON with `edit`, returns the error of
/// opening it.
fn sidecar_error(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    write_wav(&path, &waveform(100, false), WavFormat::I32, &FULL_SCALE).unwrap();
    let sidecar = sidecar_path(&path);
    let mut json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sidecar).unwrap()).unwrap();
    edit(&mut json);
    fs::write(&sidecar, json.to_string()).unwrap();
    let e = err_text(WavSource::open(&path, None));
    assert!(e.contains(&sidecar.display().to_string()), "the sidecar is named: {e}");
    (e, sidecar.display().to_string())
}

#[test]
fn sidecar_full_scales_counts_and_units_are_checked_by_field_index_and_channel() {
    for bad in [-10.0, 0.0] {
        let (e, _) = sidecar_error("fs.wav", |j| j["full_scale"][3] = serde_json::json!(bad));
        assert!(e.contains("full_scale[3] (I1)") && e.contains("greater than zero"), "{e}");
    }
    let (e, _) = sidecar_error("count.wav", |j| {
        j["channels"].as_array_mut().unwrap().pop();
    });
    assert!(e.contains("`channels` has 6 entries") && e.contains("7 channels"), "{e}");
    let (e, _) = sidecar_error("fscount.wav", |j| {
        j["full_scale"].as_array_mut().unwrap().push(serde_json::json!(1.0));
    });
    assert!(e.contains("`full_scale` has 8 entries"), "{e}");
    let (e, _) = sidecar_error("ucount.wav", |j| {
        j["units"].as_array_mut().unwrap().truncate(2);
    });
    assert!(e.contains("`units` has 2 entries"), "{e}");
    let (e, _) = sidecar_error("unitx.wav", |j| j["units"][1] = serde_json::json!("X"));
    assert!(e.contains("units[1] (U2)") && e.contains("\"X\"") && e.contains("\"V\" or \"A\""));
    let (e, _) = sidecar_error("unita.wav", |j| j["units"][0] = serde_json::json!("A"));
    assert!(e.contains("units[0] (U1)") && e.contains("voltage") && e.contains("\"V\""), "{e}");
    let (e, _) = sidecar_error("unitv.wav", |j| j["units"][6] = serde_json::json!("V"));
    assert!(e.contains("units[6] (IN)") && e.contains("current"), "{e}");
    let (e, _) = sidecar_error("rate.wav", |j| j["sample_rate_hz"] = serde_json::json!(10_241.0));
    assert!(e.contains("10241 Hz") && e.contains("10240 Hz"), "{e}");
    let (e, _) = sidecar_error("format.wav", |j| j["format"] = serde_json::json!("f32"));
    assert!(e.contains("says f32 but the file is i32"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_round_trips_exactly_with_and_without_a_time_column() {
    let dir = tempfile::tempdir().unwrap();
    let w = waveform(3000, true);
    let path = dir.path().join("rt.csv");
    write_csv(&path, &w).unwrap();
    let mut src = CsvSource::open(&path, None).unwrap();
    assert!((src.info().sample_rate_hz / 10_240.0 - 1.0).abs() < 1e-12);
    assert_eq!(src.info().frames, None);
    assert_eq!(src.info().channels[3].unit, Some(Unit::Ampere));
    assert_eq!(src.info().channels[3].full_scale, None);
    let back = collect(&mut src).unwrap();
    assert_eq!(back.channels, w.channels);
    for (a, b) in back.samples.iter().zip(&w.samples) {
        assert_eq!(bits(a), bits(b));
    }
    assert_eq!(src.position(), (fs::metadata(&path).unwrap().len(), src.position().1));
    assert!(src.notes().is_empty(), "{:?}", src.notes());

    // Without `t`: the rate is the one given.
    let text = fs::read_to_string(&path).unwrap();
    let no_t: String =
        text.lines().map(|l| l.split_once(',').unwrap().1.to_string() + "\n").collect();
    let path = dir.path().join("no_t.csv");
    fs::write(&path, no_t).unwrap();
    assert!(matches!(
        CsvSource::open(&path, None).err().unwrap(),
        FormatError::MissingSampleRate { line: 1, .. }
    ));
    let mut src = CsvSource::open(&path, Some(10_240.0)).unwrap();
    assert_eq!(src.info().sample_rate_hz, 10_240.0);
    let back = collect(&mut src).unwrap();
    for (a, b) in back.samples.iter().zip(&w.samples) {
        assert_eq!(bits(a), bits(b));
    }
}

#[test]
fn csv_tolerates_crlf_comments_spaces_and_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loose.csv");
    fs::write(
        &path,
        "\u{feff}# recorded on a bench\r\n U1 , I1 \r\n1.5, -2\r\n\r\n# gap\r\n 2.5 ,3e-3\r\n",
    )
    .unwrap();
    let w = collect(&mut CsvSource::open(&path, Some(4000.0)).unwrap()).unwrap();
    assert_eq!(w.channels, ["U1", "I1"]);
    assert_eq!(w.samples, [vec![1.5, 2.5], vec![-2.0, 0.003]]);
}

/// A CSV of `rows` rows `t,U1` whose time is `time(k)`.
fn timed_csv(path: &Path, rows: usize, time: impl Fn(usize) -> String) {
    let mut text = String::with_capacity(rows * 24);
    text.push_str("t,U1\n");
    for k in 0..rows {
        text.push_str(&time(k));
        text.push(',');
        text.push_str(&(k % 1000).to_string());
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

#[test]
fn csv_blocks_of_1_7_and_65536_frames_give_the_same_samples_across_the_look_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let rows = CSV_LOOK_AHEAD_ROWS + 4321;
    let w = Waveform {
        sample_rate_hz: 8000.0,
        channels: vec!["U1".into(), "I1".into()],
        samples: vec![
            (0..rows).map(|k| (k as f64 * 0.37).sin() * 300.0).collect(),
            (0..rows).map(|k| if k % 977 == 5 { f64::NAN } else { (k % 13) as f64 }).collect(),
        ],
    };
    let path = dir.path().join("blocks.csv");
    write_csv(&path, &w).unwrap();
    let want: Vec<u64> =
        (0..rows).flat_map(|k| [w.samples[0][k], w.samples[1][k]]).map(f64::to_bits).collect();
    let size = fs::metadata(&path).unwrap().len();
    for block in [1, 7, 65_536] {
        let mut src = CsvSource::open(&path, None).unwrap();
        assert_eq!(src.position(), (0, size));
        let got = read_blocks(&mut src, block);
        assert_eq!(bits(&got), want, "block {block}");
        assert_eq!(src.position(), (size, size), "block {block}");
    }
}

#[test]
fn a_csv_time_jump_after_the_look_ahead_is_refused_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jump.csv");
    let jump_row = CSV_LOOK_AHEAD_ROWS + 2000;
    timed_csv(&path, CSV_LOOK_AHEAD_ROWS + 5000, |k| {
        let t = k as f64 / 1000.0 + if k >= jump_row { 0.5 } else { 0.0 };
        format!("{t}")
    });
    // The look-ahead is uniform: the source opens with its rate, then fails on the jump.
    let mut src = CsvSource::open(&path, None).unwrap();
    assert!((src.info().sample_rate_hz - 1000.0).abs() < 1e-6);
    let mut block = Vec::new();
    let mut frames = 0;
    let e = loop {
        match src.read(&mut block, 1000) {
            Ok(0) => panic!("the jump was not refused"),
            Ok(n) => frames += n,
            Err(e) => break e,
        }
    };
    // The rows of the blocks before the one holding the jump were handed out.
    assert_eq!(frames, jump_row / 1000 * 1000);
    let line = jump_row + 2; // header on line 1, row k on line k + 2
    assert!(matches!(e, FormatError::TimeNotUniform { line: l, .. } if l == line), "{e}");
    let text = e.to_string();
    assert!(text.contains("jump.csv") && text.contains(&format!("line {line}")), "{text}");
    assert_eq!(src.read(&mut block, 1000).unwrap(), 0, "nothing after an error");

    // Time going backwards after the look-ahead.
    let path = dir.path().join("back.csv");
    let back_row = CSV_LOOK_AHEAD_ROWS + 10;
    timed_csv(&path, CSV_LOOK_AHEAD_ROWS + 20, |k| {
        let t = if k == back_row { (k - 2) as f64 } else { k as f64 };
        format!("{}", t / 1000.0)
    });
    let e = open_and_read_error(&path, &csv_opts(None));
    assert!(
        e.contains(&format!("line {}", back_row + 2)) && e.contains("does not increase"),
        "{e}"
    );
}

#[test]
fn csv_times_printed_to_a_microsecond_at_10_24_khz_pass_and_give_the_rate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rounded.csv");
    let rows = CSV_LOOK_AHEAD_ROWS + 30_000;
    // Steps of 97 or 98 µs as printed.
    timed_csv(&path, rows, |k| format!("{:.6}", 1.0 + k as f64 / 10_240.0));
    let mut src = CsvSource::open(&path, None).unwrap();
    let rate = src.info().sample_rate_hz;
    assert!((rate / 10_240.0 - 1.0).abs() < 1e-5, "{rate}");
    let w = collect(&mut src).unwrap();
    assert_eq!(w.len(), rows);
    assert!(src.notes().is_empty(), "{:?}", src.notes());
}

#[test]
fn csv_times_in_exponent_notation_count_the_decimals_the_exponent_gives() {
    let dir = tempfile::tempdir().unwrap();
    // Whole microseconds as `<µs>e-6`: 6 decimals, so steps of 97 or 98 µs at 10.24 kHz pass ...
    let path = dir.path().join("micro.csv");
    timed_csv(&path, 3000, |k| format!("{}e-6", (k as f64 * 1e6 / 10_240.0).round()));
    let w = collect(&mut CsvSource::open(&path, None).unwrap()).unwrap();
    assert!((w.sample_rate_hz / 10_240.0 - 1.0).abs() < 1e-4, "{}", w.sample_rate_hz);
    assert_eq!(w.len(), 3000);
    // ... and a step 50 µs too long is refused (the mantissa alone has no decimals and would
    // allow 2 s).
    let path = dir.path().join("step.csv");
    timed_csv(&path, 10, |k| format!("{}e-6", 100 * k + if k >= 5 { 50 } else { 0 }));
    let e = open_and_read_error(&path, &csv_opts(None));
    assert!(e.contains("line 7") && e.contains("non-uniform"), "{e}");
}

#[test]
fn a_whole_file_rate_that_differs_from_the_look_ahead_rate_is_noted_with_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("drift.csv");
    let n = CSV_LOOK_AHEAD_ROWS;
    // 1 kHz over the look-ahead, then steps 0.5 % longer: uniform within 1 %.
    timed_csv(&path, 2 * n, |k| {
        let t = if k < n {
            k as f64 / 1000.0
        } else {
            (n - 1) as f64 / 1000.0 + (k - n + 1) as f64 * 1.005e-3
        };
        format!("{t}")
    });
    let mut src = CsvSource::open(&path, None).unwrap();
    let used = src.info().sample_rate_hz;
    assert!((used - 1000.0).abs() < 1e-6, "{used}");
    assert!(src.notes().is_empty(), "no note before the end");
    collect(&mut src).unwrap();
    let notes = src.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let whole = (2 * n - 1) as f64 / ((n - 1) as f64 / 1000.0 + n as f64 * 1.005e-3);
    assert!(notes[0].contains(&format!("{used} Hz")), "{}", notes[0]);
    assert!(
        notes[0].contains(&format!("{} Hz", whole)) || notes[0].contains(&format!("{:.3}", whole)),
        "{} vs {whole}",
        notes[0]
    );
    assert!(notes[0].contains("drift.csv"), "{}", notes[0]);
}

#[test]
fn every_malformed_csv_names_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    // (name, content, rate, line, text the message must contain)
    type Case = (&'static str, &'static str, Option<f64>, Option<usize>, &'static str);
    let cases: [Case; 12] = [
        ("number.csv", "t,U1,I1\n0,1,2\n0.1,1,x2\n0.2,1,2\n", None, Some(3), "column 3"),
        ("ragged.csv", "t,U1\n0,1\n0.1,1,2\n0.2,1\n", None, Some(3), "3 fields"),
        ("short.csv", "U1,I1\n1,2\n1\n", Some(1e3), Some(3), "1 fields"),
        ("first.csv", "U1,I1\nx,2\n", Some(1e3), Some(2), "cannot parse"),
        ("nonuni.csv", "t,U1\n0,1\n0.1,1\n0.2,1\n0.35,1\n0.45,1\n", None, Some(5), "non-uniform"),
        ("back.csv", "t,U1\n0,1\n0.1,1\n0.1,1\n", None, Some(4), "does not increase"),
        ("norate.csv", "# c\nU1,I1\n1,2\n", None, Some(2), "sample rate"),
        ("header.csv", "t,U1\n# nothing\n", None, Some(1), "no data"),
        ("dup.csv", "U1,U1\n1,2\n", Some(1e3), Some(1), "twice"),
        ("blankname.csv", "U1,,I1\n1,2,3\n", Some(1e3), Some(1), "no name"),
        ("single.csv", "t,U1\n0,1\n", None, Some(2), "single data row"),
        ("empty.csv", "# only a comment\n\n", None, None, "empty"),
    ];
    for (name, text, rate, line, extra) in cases {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        let e = open_and_read_error(&path, &csv_opts(rate));
        assert!(e.contains(name), "{e}");
        if let Some(line) = line {
            assert!(e.contains(&format!("line {line}")), "{e}");
        }
        assert!(e.contains(extra), "{e}");
    }
    // A single row with a `t` column and a given rate is read.
    let path = dir.path().join("single.csv");
    let w = collect(&mut CsvSource::open(&path, Some(50.0)).unwrap()).unwrap();
    assert_eq!((w.len(), w.sample_rate_hz), (1, 50.0));
    // A given rate must agree with the `t` column to 0.1 %.
    let path = dir.path().join("rate.csv");
    fs::write(&path, "t,U1\n0,1\n0.001,2\n0.002,3\n").unwrap();
    assert!(
        (CsvSource::open(&path, Some(1000.5)).unwrap().info().sample_rate_hz - 1000.0).abs() < 1e-9
    );
    let e = CsvSource::open(&path, Some(1002.0)).err().unwrap();
    assert!(matches!(e, FormatError::SampleRateMismatch { .. }), "{e}");
    assert!(err_text(CsvSource::open(dir.path().join("missing.csv"), None)).contains("missing.csv"));
}

// ---------------------------------------------------------------------------------------------
// MAT

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
struct MatWriter {
    big: bool,
    bytes: Vec<u8>,
}

/// Numeric storage of a variable's real part.
enum Storage {
    F64(Vec<f64>),
    I16(Vec<i16>),
}

impl MatWriter {
    fn new(big: bool) -> Self {
        let mut bytes = b"MATLAB 5.0 MAT-file, written by the percycle tests".to_vec();
        bytes.resize(116, b' ');
        bytes.extend([0u8; 8]);
        let (version, endian) = if big { ([0x01, 0x00], *b"MI") } else { ([0x00, 0x01], *b"IM") };
        bytes.extend(version);
        bytes.extend(endian);
        MatWriter { big, bytes }
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

    /// The sub-elements of a matrix before its real part.
    fn matrix_head(&self, name: &str, class: u32, flags: u32, dims: &[u32]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut flag_bytes = self.u32(class | flags).to_vec();
        flag_bytes.extend([0u8; 4]);
        body.extend(self.element(MI_UINT32, &flag_bytes));
        let dim_bytes: Vec<u8> = dims.iter().flat_map(|&d| self.u32(d)).collect();
        body.extend(self.element(MI_INT32, &dim_bytes));
        body.extend(self.element(MI_INT8, name.as_bytes()));
        body
    }

    /// A whole `miMATRIX` element.
    fn matrix(&self, name: &str, class: u32, flags: u32, dims: &[u32], real: &Storage) -> Vec<u8> {
        let mut body = self.matrix_head(name, class, flags, dims);
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
            self.push_compressed(&packed);
        } else {
            self.bytes.extend(element);
        }
    }

    /// Appends an `miCOMPRESSED` element holding `packed` (not padded).
    fn push_compressed(&mut self, packed: &[u8]) {
        self.bytes.extend(self.u32(MI_COMPRESSED));
        self.bytes.extend(self.u32(packed.len() as u32));
        self.bytes.extend(packed);
    }
}

const MAT_FS: f64 = 20_000.0;
const MAT_N: usize = 1000;

fn mat_time() -> Vec<f64> {
    (0..MAT_N).map(|k| k as f64 / MAT_FS).collect()
}

fn mat_voltage() -> Vec<f64> {
    (0..MAT_N).map(|k| 325.0 * (std::f64::consts::TAU * 50.0 * k as f64 / MAT_FS).sin()).collect()
}

fn mat_current() -> Vec<f64> {
    (0..MAT_N)
        .map(|k| 7.0 * (std::f64::consts::TAU * 50.0 * k as f64 / MAT_FS - 0.5).sin())
        .collect()
}

fn standard_mat(big: bool, compress: bool) -> Vec<u8> {
    let mut w = MatWriter::new(big);
    w.vector("time", Storage::F64(mat_time()), true, compress);
    // An unrelated char variable is skipped.
    let notes = w.matrix("notes", CHAR_CLASS, 0, &[1, 2], &Storage::I16(vec![104, 105]));
    w.push(notes, compress);
    w.vector("voltage", Storage::F64(mat_voltage()), false, compress);
    w.vector("current", Storage::F64(mat_current()), true, compress);
    w.bytes
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn mat_files_round_trip_in_both_byte_orders_compressed_or_not() {
    let dir = tempfile::tempdir().unwrap();
    for (big, compress) in [(false, false), (false, true), (true, false), (true, true)] {
        let path = write_file(
            dir.path(),
            &format!("rt_{big}_{compress}.MAT"),
            &standard_mat(big, compress),
        );
        let mut src = read::open(&path, &ReadOptions::default()).unwrap();
        let info = src.info().clone();
        assert!((info.sample_rate_hz - MAT_FS).abs() < 1e-6, "{}", info.sample_rate_hz);
        assert_eq!(info.names(), ["U1", "I1"]);
        assert_eq!(info.frames, Some(MAT_N as u64));
        assert_eq!(info.channels[0].unit, Some(Unit::Volt));
        assert_eq!(info.channels[1].full_scale, None);
        let w = collect(&mut *src).unwrap();
        assert_eq!(w.samples, [mat_voltage(), mat_current()]);
        let size = fs::metadata(&path).unwrap().len();
        assert_eq!(src.position(), (size, size));
    }
}

#[test]
fn mat_short_names_integer_storage_and_full_names_over_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = MatWriter::new(false);
    let codes: Vec<i16> = (0..MAT_N as i16).map(|k| k % 200 - 100).collect();
    w.vector("T", Storage::F64(mat_time()), false, true);
    w.vector("u", Storage::F64(vec![0.0; MAT_N]), true, false);
    w.vector("Voltage", Storage::I16(codes.clone()), true, true);
    w.vector("I", Storage::F64(mat_current()), true, false);
    let m = collect(&mut MatSource::open(write_file(dir.path(), "short.mat", &w.bytes)).unwrap())
        .unwrap();
    assert_eq!(m.channels, ["U1", "I1"]);
    let want: Vec<f64> = codes.iter().map(|&c| f64::from(c)).collect();
    assert_eq!(m.samples, [want, mat_current()]);

    // A voltage alone is enough.
    let mut w = MatWriter::new(false);
    w.vector("time", Storage::F64(mat_time()), true, false);
    w.vector("u", Storage::F64(mat_voltage()), true, false);
    let m =
        collect(&mut MatSource::open(write_file(dir.path(), "u.mat", &w.bytes)).unwrap()).unwrap();
    assert_eq!(m.channels, ["U1"]);
    assert_eq!(m.samples, [mat_voltage()]);
}

/// The error of opening a MAT-file of `bytes`, checked to name the file and hold `fragment`.
fn mat_error(bytes: &[u8], fragment: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "bad.mat", bytes);
    let e = MatSource::open(&path).err().unwrap();
    assert!(matches!(e, FormatError::Invalid { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains(fragment), "{text}");
    text
}

#[test]
fn mat_garbage_truncation_corruption_and_unusable_variables_are_refused() {
    mat_error(b"hello", "not a MAT v5 file");
    let noise: Vec<u8> = (0..400u32).map(|k| (k * 7919 % 251) as u8).collect();
    mat_error(&noise, "not a MAT v5 file");
    let mut v73 = MatWriter::new(false).bytes;
    v73[124..126].copy_from_slice(&[0x00, 0x02]);
    mat_error(&v73, "v7.3");
    let whole = standard_mat(false, false);
    mat_error(&whole[..whole.len() - 100], "truncated element");
    mat_error(&whole[..128 + 5], "truncated element tag at byte 128");
    let zipped = standard_mat(false, true);
    mat_error(&zipped[..zipped.len() - 10], "truncated element");
    let mut corrupt = zipped.clone();
    for b in &mut corrupt[140..160] {
        *b ^= 0x5A;
    }
    mat_error(&corrupt, "corrupt compressed element at byte 128");

    let mut w = MatWriter::new(false);
    w.vector("voltage", Storage::F64(mat_voltage()), true, false);
    mat_error(&w.bytes, "missing variable `time`");
    let mut w = MatWriter::new(false);
    w.vector("time", Storage::F64(mat_time()), true, false);
    mat_error(&w.bytes, "missing variables `voltage`");
    let mut w = MatWriter::new(false);
    w.vector("time", Storage::F64(mat_time()), true, false);
    let text = w.matrix("voltage", CHAR_CLASS, 0, &[1, 2], &Storage::I16(vec![104, 105]));
    w.push(text, false);
    mat_error(&w.bytes, "unsupported class 4 (char)");
    let mut w = MatWriter::new(false);
    w.vector("time", Storage::F64(mat_time()), true, false);
    let complex =
        w.matrix("voltage", DOUBLE_CLASS, 0x0800, &[MAT_N as u32, 1], &Storage::F64(mat_voltage()));
    w.push(complex, false);
    mat_error(&w.bytes, "complex");
    let mut w = MatWriter::new(false);
    w.vector("time", Storage::F64(mat_time()), true, false);
    let m =
        w.matrix("voltage", DOUBLE_CLASS, 0, &[2, MAT_N as u32 / 2], &Storage::F64(mat_voltage()));
    w.push(m, true);
    mat_error(&w.bytes, "row or column vector");
    let mut w = MatWriter::new(false);
    w.vector("time", Storage::F64(mat_time()), true, false);
    w.vector("voltage", Storage::F64(mat_voltage()[..MAT_N - 1].to_vec()), true, false);
    mat_error(&w.bytes, "999 elements but `time` has 1000");
    let mut t = mat_time();
    t[500] += 0.2 / MAT_FS;
    let mut w = MatWriter::new(false);
    w.vector("time", Storage::F64(t), true, false);
    w.vector("voltage", Storage::F64(mat_voltage()), true, false);
    mat_error(&w.bytes, "not uniformly spaced: step 499");
}

/// Feeds `bytes` zero bytes to `z` in blocks (never held whole).
fn zeros(z: &mut ZlibEncoder<Vec<u8>>, mut bytes: u64) {
    let block = vec![0u8; 1 << 20];
    while bytes > 0 {
        let n = bytes.min(block.len() as u64) as usize;
        z.write_all(&block[..n]).unwrap();
        bytes -= n as u64;
    }
}

const BOMB: u64 = 300 << 20;

#[test]
fn a_mat_zlib_bomb_of_300_mib_of_zeros_is_refused_by_message() {
    // A compressed `voltage` of 300 MiB of zero doubles.
    let w = MatWriter::new(false);
    let values = BOMB / 8;
    let mut head = w.matrix_head("voltage", DOUBLE_CLASS, 0, &[values as u32, 1]);
    head.extend(w.u32(MI_DOUBLE));
    head.extend(w.u32(BOMB as u32));
    let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
    z.write_all(&w.u32(MI_MATRIX)).unwrap();
    z.write_all(&w.u32((head.len() as u64 + BOMB) as u32)).unwrap();
    z.write_all(&head).unwrap();
    zeros(&mut z, BOMB);
    let packed = z.finish().unwrap();
    assert!(packed.len() < 2 << 20, "{} bytes", packed.len());
    let mut file = MatWriter::new(false);
    file.vector("time", Storage::F64(mat_time()), true, false);
    let at = file.bytes.len();
    file.push_compressed(&packed);
    let start = Instant::now();
    let text = mat_error(&file.bytes, "variable `voltage`");
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
    assert!(text.contains(&format!("compressed element at byte {at}")), "{text}");
    assert!(text.contains(&MAT_MAX_BYTES.to_string()), "{text}");
    assert!(text.contains("convert the recording to WAV or CSV to analyse it streaming"), "{text}");

    // A small `voltage` whose stream then inflates to 300 MiB of zeros: the stream is read to
    // its end through the limit, never held, and refused.
    let mut small = MatWriter::new(false);
    small.vector("time", Storage::F64(mat_time()), true, false);
    let m =
        small.matrix("voltage", DOUBLE_CLASS, 0, &[MAT_N as u32, 1], &Storage::F64(mat_voltage()));
    let mut z = ZlibEncoder::new(Vec::new(), Compression::fast());
    z.write_all(&m).unwrap();
    zeros(&mut z, BOMB);
    let packed = z.finish().unwrap();
    let at = small.bytes.len();
    small.push_compressed(&packed);
    let text =
        mat_error(&small.bytes, &format!("compressed element at byte {at} inflates to more than"));
    assert!(text.contains("convert the recording to WAV or CSV"), "{text}");
}

#[test]
fn a_mat_variable_declaring_more_than_the_bytes_that_follow_is_refused_before_allocating() {
    // An uncompressed `voltage` whose real part claims 2 GB in a small file.
    let mut w = MatWriter::new(false);
    w.vector("time", Storage::F64(mat_time()), true, false);
    let mut body = w.matrix_head("voltage", DOUBLE_CLASS, 0, &[250_000_000, 1]);
    body.extend(w.u32(MI_DOUBLE));
    body.extend(w.u32(2_000_000_000));
    body.extend([0u8; 64]);
    let mut el = w.u32(MI_MATRIX).to_vec();
    el.extend(w.u32(body.len() as u32));
    el.extend(body);
    w.bytes.extend(el);
    mat_error(&w.bytes, "its tag announces 2000000000 data bytes, only 64 follow");
}

/// The variables of a little-endian MAT-file made only of compressed real double vectors (as
/// the recorded file is), decoded here without the reader: each compressed element inflates to
/// one matrix whose name is among its first bytes and whose last `8 · n` bytes are the values.
fn decode_compressed_doubles(bytes: &[u8], n: usize) -> Vec<(String, Vec<f64>)> {
    let mut vars = Vec::new();
    let mut pos = 128;
    while pos + 8 <= bytes.len() {
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let (kind, len) = (word(pos), word(pos + 4) as usize);
        assert_eq!(kind, MI_COMPRESSED, "element at byte {pos}");
        let mut matrix = Vec::new();
        let mut z = flate2::read::ZlibDecoder::new(&bytes[pos + 8..pos + 8 + len]);
        std::io::Read::read_to_end(&mut z, &mut matrix).unwrap();
        let head = &matrix[..64];
        let name = ["time", "voltage", "current"]
            .into_iter()
            .find(|v| head.windows(v.len()).any(|w| w == v.as_bytes()))
            .expect("a known variable");
        let values = matrix[matrix.len() - 8 * n..]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        vars.push((name.to_string(), values));
        pos += 8 + len;
    }
    vars
}

#[test]
fn the_recorded_mat_file_reads_as_an_independent_decode_of_it_when_present() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../shared/vectors/recorded/mat-fr-appliances-230v-50hz/\
         data_pcPortable_1_20KHz_mesure1.mat",
    );
    if !path.exists() {
        println!("skipped: {} is absent", path.display());
        return;
    }
    // 6 s at 20 kHz, per the recording's notes.
    let n = 120_000;
    let vars = decode_compressed_doubles(&fs::read(&path).unwrap(), n);
    let var = |name: &str| &vars.iter().find(|(v, _)| v == name).unwrap().1;
    let time = var("time");
    let rate = (n - 1) as f64 / (time[n - 1] - time[0]);

    let mut src = MatSource::open(&path).unwrap();
    assert_eq!(src.info().sample_rate_hz, rate);
    assert!((rate - 20_000.0).abs() < 1e-6, "{rate}");
    assert_eq!(src.info().frames, Some(n as u64));
    let w = collect(&mut src).unwrap();
    assert_eq!(w.channels, ["U1", "I1"]);
    assert_eq!(bits(&w.samples[0]), bits(var("voltage")));
    assert_eq!(bits(&w.samples[1]), bits(var("current")));
    let first_second = &w.samples[0][..20_000];
    let rms = (first_second.iter().map(|u| u * u).sum::<f64>() / 20_000.0).sqrt();
    assert!((220.0..240.0).contains(&rms), "{rms}");
    assert!(w.samples[1].iter().all(|i| i.is_finite()));
}

// ---------------------------------------------------------------------------------------------
// Block sizes, all formats

#[test]
fn blocks_of_1_7_and_65536_frames_give_identical_samples_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let w = waveform(1500, true);
    let wav = dir.path().join("b.wav");
    write_wav(&wav, &w, WavFormat::I32, &FULL_SCALE).unwrap();
    let wav16 = dir.path().join("b16.wav");
    write_wav(&wav16, &waveform(1500, false), WavFormat::I16, &FULL_SCALE).unwrap();
    let csv = dir.path().join("b.csv");
    write_csv(&csv, &w).unwrap();
    let mat = write_file(dir.path(), "b.mat", &standard_mat(false, true));
    for path in [&wav, &wav16, &csv, &mat] {
        let whole = read_blocks(&mut *read::open(path, &ReadOptions::default()).unwrap(), 1 << 20);
        assert!(!whole.is_empty());
        for block in [1, 7, 65_536] {
            let got = read_blocks(&mut *read::open(path, &ReadOptions::default()).unwrap(), block);
            assert_eq!(bits(&got), bits(&whole), "{} block {block}", path.display());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Options

#[test]
fn options_that_do_not_apply_are_refused_naming_the_option_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let w = waveform(200, false);
    let wav = dir.path().join("o.wav");
    write_wav(&wav, &w, WavFormat::I16, &FULL_SCALE).unwrap();
    let csv = dir.path().join("o.csv");
    write_csv(&csv, &w).unwrap();
    let mat = write_file(dir.path(), "o.mat", &standard_mat(false, false));
    let bare = dir.path().join("bare.wav");
    write_wav(&bare, &w, WavFormat::I16, &FULL_SCALE).unwrap();
    fs::remove_file(sidecar_path(&bare)).unwrap();

    let opt = |c: Option<&str>, f: Option<&str>, r: Option<f64>| ReadOptions {
        channels: c.map(str::to_string),
        full_scale: f.map(str::to_string),
        sample_rate_hz: r,
    };
    let all7 = Some("U1,U2,U3,I1,I2,I3,IN");
    let cases: Vec<(&Path, ReadOptions, &[&str])> = vec![
        (&wav, opt(None, None, Some(10_240.0)), &["--sample-rate", "WAV"]),
        (&mat, opt(None, None, Some(20_000.0)), &["--sample-rate", "MAT"]),
        (&csv, opt(Some("U1"), None, None), &["--channels", "CSV"]),
        (&mat, opt(Some("U1"), Some("U=1"), None), &["--channels", "MAT"]),
        (&wav, opt(all7, Some("U=400,I=10"), None), &["--channels and --full-scale", "sidecar"]),
        (&wav, opt(None, Some("U=400,I=10"), None), &["--full-scale", "o.json"]),
        (&bare, opt(all7, None, None), &["--channels needs --full-scale"]),
        (&bare, opt(None, Some("U=1,I=1"), None), &["--full-scale needs --channels"]),
        (&csv, opt(None, None, Some(0.0)), &["--sample-rate", "> 0"]),
        (&csv, opt(None, None, Some(f64::NAN)), &["--sample-rate", "finite"]),
        (&csv, opt(None, None, Some(2e6)), &["--sample-rate", "1000000"]),
        (&csv, opt(None, Some("U=-3"), None), &["--full-scale", "U"]),
        (&csv, opt(None, Some("U325"), None), &["--full-scale", "KEY=VALUE"]),
    ];
    for (path, opts, fragments) in cases {
        let e = err_text(read::check_options(path, &opts));
        assert!(e.contains(&path.file_name().unwrap().to_string_lossy().to_string()), "{e}");
        for f in fragments {
            assert!(e.contains(f), "{f:?} in {e}");
        }
        assert_eq!(err_text(read::open(path, &opts)), e, "open checks the same");
    }
    let txt = dir.path().join("x.txt");
    fs::write(&txt, "t,U1\n0,1\n").unwrap();
    let e = err_text(read::open(&txt, &ReadOptions::default()));
    assert!(e.contains("x.txt") && e.contains("unknown input format (expected .wav, .csv, .mat"));

    // What applies is applied: a rate with a `t` column (agreeing), full scales for CSV and
    // MAT, a channel map for a bare WAV, an upper-case extension.
    let upper = dir.path().join("O2.CSV");
    fs::copy(&csv, &upper).unwrap();
    let src = read::open(&upper, &opt(None, Some("U=400,I=10,IN=5"), Some(10_240.0))).unwrap();
    let fs_of: Vec<_> = src.info().channels.iter().map(|c| c.full_scale).collect();
    assert_eq!(
        fs_of,
        [Some(400.0), Some(400.0), Some(400.0), Some(10.0), Some(10.0), Some(10.0), Some(5.0)]
    );
    let src = read::open(&mat, &opt(None, Some("U=500,I1=20"), None)).unwrap();
    assert_eq!(src.info().channels[0].full_scale, Some(500.0));
    assert_eq!(src.info().channels[1].full_scale, Some(20.0));
    let e = err_text(read::open(&mat, &opt(None, Some("U=500"), None)));
    assert!(e.contains("--full-scale") && e.contains("no full scale for I1"), "{e}");
    assert!(read::open(&bare, &opt(all7, Some("U=400,I=10"), None)).is_ok());
}

#[test]
fn full_scale_for_follows_the_channel_map_rules() {
    let names: Vec<String> = ["U1", "U2", "I1", "IN"].iter().map(|s| s.to_string()).collect();
    assert_eq!(full_scale_for("U=325, I=14.1", &names).unwrap(), [325.0, 325.0, 14.1, 14.1]);
    assert_eq!(full_scale_for("I=10,U=1,IN=5,U2=2", &names).unwrap(), [1.0, 2.0, 10.0, 5.0]);
    assert_eq!(full_scale_for("U=1,I=2,U=3", &names).unwrap(), [3.0, 3.0, 2.0, 2.0]);
    for (spec, fragment) in [
        ("U=1", "no full scale for I1"),
        ("U=abc,I=1", "not a number"),
        ("U=0,I=1", "> 0"),
        ("U=inf,I=1", "> 0"),
        ("U325,I=1", "KEY=VALUE"),
        ("U=1,I=1,I7=3", "I7"),
        ("", "empty"),
    ] {
        let e = full_scale_for(spec, &names).unwrap_err();
        assert!(matches!(e, FormatError::ChannelMap { .. }), "{spec}: {e}");
        assert!(e.to_string().contains(fragment), "{spec}: {e}");
    }
    let odd = vec!["X1".to_string()];
    assert_eq!(full_scale_for("X1=3", &odd).unwrap(), [3.0]);
    assert!(full_scale_for("U=3,I=3", &odd).unwrap_err().to_string().contains("give X1="));
}
