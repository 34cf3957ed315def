//! The bad inputs an analyst meets, one case per row, and what each gets: an outlier spoils only
//! its own cycle, which carries a flag; every bad option, file or metadata field gets a clear
//! error (exit status 2) naming the option, file, field or line, its cause printed once.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

fn percycle() -> Command {
    Command::new(env!("CARGO_BIN_EXE_percycle"))
}

/// `handmade_csv.py KIND OUT [ARG]`: files written independently of percycle's writers.
fn handmade(kind: &str, path: &Path, arg: Option<&str>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handmade_csv.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(kind)
        .arg(path)
        .args(arg)
        .status()
        .expect("python3 runs");
    assert!(status.success());
}

/// Rows of a CSV file written by the analysis, as (header → field) maps.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    lines.map(|l| header.iter().cloned().zip(l.split(',').map(String::from)).collect()).collect()
}

/// Start of cycle and its length, s.
fn span(r: &std::collections::HashMap<String, String>) -> f64 {
    r["start_s"].parse().unwrap()
}

#[test]
fn an_outlier_spoils_only_its_own_cycle_which_carries_a_flag() {
    // One sample of U1 replaced at t = 1 s in the handmade single-phase file (230 V, 10 A
    // lagging 30°, 50.2 Hz, 10 kHz, 2 s). Rows: the value written, the flag its cycle carries.
    let rows_of_cases: [(&str, &str); 7] = [
        ("1e10", "clipped"),
        ("1e300", "clipped"),
        ("1e30", "clipped"),
        ("1e6", "clipped"),
        ("-1e10", "clipped"),
        ("NaN", "invalid_input"),
        ("inf", "invalid_input"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let clean_csv = dir.path().join("clean.csv");
    handmade("single", &clean_csv, None);
    let clean_out = dir.path().join("clean");
    let o = percycle().arg("analyze").arg(&clean_csv).arg("--out").arg(&clean_out).output();
    assert!(o.unwrap().status.success());
    let clean = std::fs::read_to_string(clean_out.join("cycles.csv")).unwrap();

    let (s, phi) = (2300.0, 30f64.to_radians());
    let w = 2.0 * std::f64::consts::PI * 50.2;
    let (a, b) = (-0.5e-4, 2.0 - 0.5e-4);
    let osc = |t: f64| (2.0 * w * t - phi).sin() / (2.0 * w);
    let a_plus = (s * phi.cos() * (b - a) - s * (osc(b) - osc(a))) / 3600.0;
    // The most energy one sample can carry once clipped to the range (4·√2·230 V) or taken as
    // missing: (range + |u|)·|i| over one sample period.
    let range = 4.0 * std::f64::consts::SQRT_2 * 230.0;
    let one_sample_wh = (range + 326.0) * 14.2 / 10_000.0 / 3600.0;

    for (value, flag) in rows_of_cases {
        let input = dir.path().join(format!("outlier_{value}.csv"));
        handmade("outlier", &input, Some(value));
        let out = dir.path().join(format!("out_{value}"));
        let o = percycle().arg("analyze").arg(&input).arg("--out").arg(&out).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{value}: {err}");
        // The range is metadata (stated in a note), not the data's peak.
        assert!(err.contains("no converter range stated"), "{value}: {err}");

        let cycles = rows(&out.join("cycles.csv"));
        let period = 1.0 / 50.2;
        // Flagged: the cycle holding the sample, and a neighbour whose boundary the sample
        // moved (it lies within the tracker's reach of that boundary, under half a cycle).
        let flagged: Vec<f64> =
            cycles.iter().filter(|r| r["flags"].split('|').any(|f| f == flag)).map(span).collect();
        assert!(!flagged.is_empty() && flagged.len() <= 2, "{value}: {flagged:?}");
        for t in &flagged {
            assert!(t - 0.5 * period < 1.0 && 1.0 < t + 1.5 * period, "{value}: cycle at {t} s");
        }
        // Every cycle without a flag measures the signal, not the outlier.
        let clean_rows: Vec<_> = cycles.iter().filter(|r| r["flags"].is_empty()).collect();
        assert!(clean_rows.len() >= 90, "{value}: {} clean cycles", clean_rows.len());
        for r in &clean_rows {
            let u: f64 = r["u1_rms"].parse().unwrap();
            assert!((u - 230.0).abs() <= 230.0 * 1e-4, "{value}: U1 {u} at {}", r["start_s"]);
        }
        // Nothing is rescaled from the data: the cycles before the outlier's are bit-identical
        // to those of the file without it.
        let before: Vec<&str> = std::fs::read_to_string(out.join("cycles.csv"))
            .unwrap()
            .lines()
            .take_while(|l| l.split(',').nth(1).and_then(|t| t.parse::<f64>().ok()) < Some(0.9))
            .map(String::from)
            .collect::<Vec<_>>()
            .iter()
            .map(|l| clean.lines().find(|c| c == l).unwrap_or(""))
            .collect();
        assert!(before.len() > 40 && before.iter().all(|l| !l.is_empty()), "{value}");
        // No event comes from one sample.
        let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
        assert_eq!(events.lines().count(), 1, "{value}: {events}");
        // The energy is right to within what one sample can carry.
        let e: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("energy.json")).unwrap())
                .unwrap();
        let got = e["a_plus_wh"].as_f64().unwrap();
        assert!(
            (got - a_plus).abs() <= 1e-4 * a_plus + one_sample_wh,
            "{value}: A+ {got} Wh, want {a_plus}"
        );
        // No file holds a value that is not a number.
        for entry in std::fs::read_dir(&out).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap().to_ascii_lowercase();
            assert!(!text.contains("nan") && !text.contains("inf"), "{value}: {}", path.display());
        }
    }
}

/// A small valid WAV (2 channels U1, I1, i16, 10 kHz, 0.1 s) with the sidecar `sidecar`
/// (None: no sidecar).
fn wav(dir: &Path, name: &str, sidecar: Option<&str>) -> PathBuf {
    let path = dir.join(format!("{name}.wav"));
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 10_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for k in 0..1000 {
        let x = (2.0 * std::f64::consts::PI * 50.0 * k as f64 / 10_000.0).sin();
        w.write_sample((x * 20_000.0) as i16).unwrap();
        w.write_sample((x * 10_000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    if let Some(text) = sidecar {
        std::fs::write(path.with_extension("json"), text).unwrap();
    }
    path
}

fn sidecar(full_scale: &str, units: &str, channels: &str) -> String {
    format!(
        r#"{{"sample_rate_hz": 10000.0, "channels": [{channels}], "full_scale": [{full_scale}],
            "format": "i16", "units": [{units}]}}"#
    )
}

#[test]
fn bad_inputs_get_a_clear_error_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    let file = d.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let missing = d.join("missing.csv");
    let good_csv = d.join("good.csv");
    handmade("single", &good_csv, None);
    let good_wav = wav(d, "good", Some(&sidecar("325.0, 20.0", r#""V", "A""#, r#""U1", "I1""#)));
    let bare_wav = wav(d, "bare", None);
    let write = |name: &str, text: &str| {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // A 2 KB WAV whose header claims 2 GB of samples.
    let huge = {
        let p = wav(d, "huge", Some(&sidecar("325.0, 20.0", r#""V", "A""#, r#""U1", "I1""#)));
        let mut bytes = std::fs::read(&p).unwrap();
        let at = bytes.windows(4).position(|w| w == b"data").unwrap() + 4;
        bytes[at..at + 4].copy_from_slice(&(2u32 << 30).to_le_bytes());
        bytes.truncate(2048);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let ragged = write("ragged.csv", "t,U1,I1\n0,1,2\n0.0001,1\n");
    let backwards = write("backwards.csv", "t,U1,I1\n0,1,2\n0.0001,1,2\n0.00005,1,2\n");
    let one_row = write("one_row.csv", "t,U1,I1\n0,1,2\n");
    let no_topology = write("no_topology.csv", "t,X1,Y1\n0,1,2\n0.0001,1,2\n");
    let txt = write("rec.txt", "t,U1\n0,1\n");
    let folder = d.join("folder.csv");
    std::fs::create_dir(&folder).unwrap();
    let wav_with = |name: &str, sc: String| wav(d, name, Some(&sc));
    let negative_i = wav_with("neg", sidecar("325.0, -20.0", r#""V", "A""#, r#""U1", "I1""#));
    let zero_i = wav_with("zero", sidecar("325.0, 0.0", r#""V", "A""#, r#""U1", "I1""#));
    let bad_unit = wav_with("unit", sidecar("325.0, 20.0", r#""V", "X""#, r#""U1", "I1""#));
    let wrong_unit = wav_with("wrong", sidecar("325.0, 20.0", r#""A", "A""#, r#""U1", "I1""#));
    let three =
        wav_with("three", sidecar("325.0, 20.0, 1.0", r#""V", "A""#, r#""U1", "I1", "I2""#));

    let a = |s: &str| OsString::from(s);
    let p = |p: &Path| p.as_os_str().to_owned();
    let analyze = |input: &Path, extra: &[&str]| {
        let mut v = vec![a("analyze"), p(input), a("--out"), p(&out)];
        v.extend(extra.iter().map(|s| a(s)));
        v
    };
    // (case, arguments, what the error must say)
    let cases: Vec<(&str, Vec<OsString>, Vec<&str>)> = vec![
        (
            "aggregate NaN",
            analyze(&missing, &["--aggregate-s", "NaN"]),
            vec!["option --aggregate-s NaN"],
        ),
        ("aggregate 0", analyze(&missing, &["--aggregate-s", "0"]), vec!["option --aggregate-s 0"]),
        (
            "aggregate -600",
            analyze(&missing, &["--aggregate-s=-600"]),
            vec!["option --aggregate-s -600"],
        ),
        (
            "declared 1e12",
            analyze(&missing, &["--declared-voltage", "1e12"]),
            vec!["option --declared-voltage"],
        ),
        (
            "declared 0",
            analyze(&missing, &["--declared-voltage", "0"]),
            vec!["option --declared-voltage 0"],
        ),
        (
            "nominal 55",
            analyze(&missing, &["--nominal-hz", "55"]),
            vec!["option --nominal-hz 55: 50 or 60"],
        ),
        (
            "observation 0",
            analyze(&missing, &["--observation-s", "0"]),
            vec!["option --observation-s 0"],
        ),
        (
            "observation inf",
            analyze(&missing, &["--observation-s", "inf"]),
            vec!["option --observation-s inf"],
        ),
        (
            "out is a file",
            vec![a("analyze"), p(&good_csv), a("--out"), p(&file)],
            vec!["option --out"],
        ),
        ("input missing", analyze(&missing, &[]), vec!["missing.csv", "No such file or directory"]),
        ("input is a directory", analyze(&folder, &[]), vec!["folder.csv", "Is a directory"]),
        ("unknown extension", analyze(&txt, &[]), vec!["rec.txt", "unknown input format"]),
        (
            "sample rate for a WAV",
            analyze(&good_wav, &["--sample-rate", "10000"]),
            vec!["--sample-rate", "good.wav"],
        ),
        (
            "channels for a CSV",
            analyze(&good_csv, &["--channels", "U1,I1"]),
            vec!["--channels", "good.csv"],
        ),
        (
            "full scale beside a sidecar",
            analyze(&good_wav, &["--channels", "U1,I1", "--full-scale", "U=1,I=1"]),
            vec!["good.json"],
        ),
        (
            "channels without full scale",
            analyze(&bare_wav, &["--channels", "U1,I1"]),
            vec!["--full-scale"],
        ),
        ("WAV without a map", analyze(&bare_wav, &[]), vec!["bare.wav", "--channels"]),
        (
            "negative full scale option",
            analyze(&good_csv, &["--full-scale", "U=-5,I=1"]),
            vec!["full scale", "-5"],
        ),
        ("sample rate NaN", analyze(&good_csv, &["--sample-rate", "NaN"]), vec!["--sample-rate"]),
        (
            "sidecar negative current full scale",
            analyze(&negative_i, &[]),
            vec!["neg.json", "full_scale[1]", "I1"],
        ),
        (
            "sidecar zero current full scale",
            analyze(&zero_i, &[]),
            vec!["zero.json", "full_scale[1]", "I1"],
        ),
        ("sidecar unit X", analyze(&bad_unit, &[]), vec!["unit.json", "I1"]),
        ("sidecar unit A for a voltage", analyze(&wrong_unit, &[]), vec!["wrong.json", "U1"]),
        ("sidecar channel count", analyze(&three, &[]), vec!["three.wav", "3"]),
        ("WAV header claims 2 GB", analyze(&huge, &[]), vec!["huge.wav", "declares"]),
        ("ragged CSV row", analyze(&ragged, &[]), vec!["ragged.csv", "line 3"]),
        ("CSV time backwards", analyze(&backwards, &[]), vec!["backwards.csv", "line 4"]),
        ("CSV single row", analyze(&one_row, &[]), vec!["one_row.csv", "single data row"]),
        ("channels fit no topology", analyze(&no_topology, &[]), vec!["X1,Y1", "fit no topology"]),
        (
            "hil run of a missing file",
            vec![a("hil"), a("run"), a("--target"), a("host"), a("--vectors"), p(&missing)],
            vec!["neither a suite", "missing.csv"],
        ),
    ];
    for (case, args, want) in cases {
        let o = percycle().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{case}: {err}");
        for w in want {
            assert!(err.contains(w), "{case}: want {w:?} in: {err}");
        }
        // The cause is printed once.
        for cause in ["No such file or directory", "Is a directory", "Permission denied"] {
            assert!(err.matches(cause).count() <= 1, "{case}: {err}");
        }
        // Options are checked before the file is read: an option error never names the input.
        if case.starts_with("aggregate") || case.starts_with("declared") {
            assert!(!err.contains("missing.csv"), "{case}: the file was read first: {err}");
        }
    }
}

#[test]
fn progress_comes_as_plain_lines_when_stderr_is_not_a_terminal_and_not_when_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("single.csv");
    handmade("single", &input, None);
    let run = |quiet: bool| {
        let mut c = percycle();
        c.arg("analyze").arg(&input).arg("--out").arg(dir.path().join("out"));
        c.env("PERCYCLE_PROGRESS_EVERY_S", "0");
        if quiet {
            c.arg("--quiet");
        }
        let o = c.output().unwrap();
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let size_mb = std::fs::metadata(&input).unwrap().len() as f64 / 1e6;
    let loud = run(false);
    let lines: Vec<&str> = loud.lines().filter(|l| l.contains("MB/s")).collect();
    assert!(!lines.is_empty(), "{loud}");
    // Bytes read of the file's size, the rate and the time left.
    let last = lines.last().unwrap();
    assert!(last.contains(&format!("of {size_mb:.1} MB")) && last.contains("s left"), "{last}");
    assert!(!run(true).contains("MB/s"));
}
