//! The `percycle` command end to end on files it did not write itself.

use std::path::{Path, PathBuf};
use std::process::Command;

fn percycle() -> Command {
    Command::new(env!("CARGO_BIN_EXE_percycle"))
}

fn handmade(kind: &str, dir: &Path) -> PathBuf {
    let path = dir.join(format!("{kind}.csv"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/handmade_csv.py");
    let status =
        Command::new("python3").arg(script).arg(kind).arg(&path).status().expect("python3 runs");
    assert!(status.success());
    path
}

/// Rows of `cycles.csv` without flags, as maps from column name to value.
fn clean_rows(dir: &Path) -> Vec<std::collections::HashMap<String, f64>> {
    let text = std::fs::read_to_string(dir.join("cycles.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .filter(|l| l.ends_with(','))
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .filter_map(|(h, v)| v.parse::<f64>().ok().map(|v| (h.to_string(), v)))
                .collect()
        })
        .collect()
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want} ± {tol}");
}

#[test]
fn analyze_a_handmade_single_phase_csv_gives_the_closed_form_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let input = handmade("single", dir.path());
    let out = dir.path().join("out");
    let o = percycle().arg("analyze").arg(&input).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let rows = clean_rows(&out);
    assert!(rows.len() >= 90, "{} clean cycles", rows.len());
    let s = 230.0 * 10.0;
    let p = s * 30f64.to_radians().cos();
    let q = s * 30f64.to_radians().sin();
    for r in &rows {
        close(r["frequency_hz"], 50.2, 1e-3, "frequency");
        close(r["u1_rms"], 230.0, 230.0 * 1e-4, "U1 rms");
        close(r["i1_rms"], 10.0, 10.0 * 1e-4, "I1 rms");
        close(r["p1_w"], p, s * 1e-4, "P1");
        close(r["q1_var"], q, s * 1e-4, "Q1");
        close(r["pf1"], 30f64.to_radians().cos(), 1e-4, "PF1");
        close(r["u2_rms"], 0.0, 0.0, "U2 of a single-phase file");
    }

    let e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("energy.json")).unwrap()).unwrap();
    // ∫u·i dt = S·cos φ·(b − a) − S·[sin(2ωt − φ)/(2ω)] over the span the engine counts,
    // [−½, n − ½] sample periods (20 000 samples at 10 kHz).
    let (w, phi) = (2.0 * std::f64::consts::PI * 50.2, 30f64.to_radians());
    let (a, b) = (-0.5e-4, 2.0 - 0.5e-4);
    let osc = |t: f64| (2.0 * w * t - phi).sin() / (2.0 * w);
    let a_plus = (p * (b - a) - s * (osc(b) - osc(a))) / 3600.0;
    close(e["a_plus_wh"].as_f64().unwrap(), a_plus, a_plus * 1e-4, "A+");
    // Reactive energy is the fundamental Q of each cycle times its duration: Q·2 s.
    close(e["r1_varh"].as_f64().unwrap(), q * 2.0 / 3600.0, q * 2.0 / 3600.0 * 1e-4, "R1");
    for key in ["a_minus_wh", "r3_varh", "r4_varh", "r2_varh", "r_minus_varh"] {
        assert_eq!(e[key].as_f64().unwrap(), 0.0, "{key}");
    }
    assert_eq!(e["phases"].as_array().unwrap().len(), 1);
    // 1.106 Wh at 10 000 imp/kWh.
    assert_eq!(e["pulses"]["a_plus"].as_u64().unwrap(), 11);
}

#[test]
fn analyze_a_three_phase_csv_without_time_column_uses_the_given_rate() {
    let dir = tempfile::tempdir().unwrap();
    let input = handmade("three", dir.path());
    let out = dir.path().join("out");
    let missing = percycle().arg("analyze").arg(&input).arg("--out").arg(&out).output().unwrap();
    assert!(!missing.status.success());
    let msg = String::from_utf8_lossy(&missing.stderr);
    assert!(msg.contains("three.csv") && msg.to_lowercase().contains("sample"), "{msg}");

    let o = percycle()
        .args(["analyze", "--sample-rate", "8000", "--declared-voltage", "240"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("IN is not in the file"));
    let rows = clean_rows(&out);
    assert!(rows.len() >= 60);
    let u = 240.0 * (1.0f64 + 0.03 * 0.03).sqrt();
    let p = 3.0 * 240.0 * 4.0 * 20f64.to_radians().cos();
    let q = -3.0 * 240.0 * 4.0 * 20f64.to_radians().sin();
    for r in &rows {
        close(r["frequency_hz"], 49.8, 1e-3, "frequency");
        for k in ["u1_rms", "u2_rms", "u3_rms"] {
            close(r[k], u, u * 1e-4, k);
        }
        close(r["u12_rms"], 240.0 * 3f64.sqrt() * (1.0f64 + 0.03 * 0.03).sqrt(), 0.05, "U12");
        close(r["p_total_w"], p, 2880.0 * 1e-4, "P total");
        close(r["q_total_var"], q, 2880.0 * 1e-4, "Q total");
    }
    let e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("energy.json")).unwrap()).unwrap();
    assert!(e["r4_varh"].as_f64().unwrap() > 0.0 && e["r1_varh"].as_f64().unwrap() == 0.0);

    // intervals.csv: 10-cycle rms and THDS (3 % 5th harmonic in every voltage).
    let text = std::fs::read_to_string(out.join("intervals.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 6, "{} intervals", rows.len());
    for r in &rows {
        close(r[col("frequency_hz")].parse().unwrap(), 49.8, 1e-3, "interval frequency");
        close(r[col("u2_rms")].parse().unwrap(), u, u * 1e-4, "interval U2");
        close(r[col("thd_u1_pct")].parse().unwrap(), 3.0, 0.05, "THDS U1");
        close(r[col("thd_i3_pct")].parse().unwrap(), 0.0, 0.05, "THDS I3");
    }
    // harmonics.csv (long form): the 5th of U3 is 3 % of its fundamental, 7.2 V.
    let text = std::fs::read_to_string(out.join("harmonics.csv")).unwrap();
    let fifth: Vec<&str> = text.lines().filter(|l| l.starts_with("2,U3,5,")).collect();
    assert_eq!(fifth.len(), 1);
    let f: Vec<f64> = fifth[0].split(',').skip(3).map(|v| v.parse().unwrap()).collect();
    close(f[0], 7.2, 7.2 * 5e-3, "U3 5th subgroup");
    close(f[1], 3.0, 3.0 * 5e-3, "U3 5th in % of fundamental");
    assert_eq!(text.lines().filter(|l| l.starts_with("2,")).count(), 7 * 51);
}

#[test]
fn a_malformed_csv_is_reported_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = handmade("broken", dir.path());
    let o = percycle()
        .arg("analyze")
        .arg(&input)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&o.stderr);
    assert!(msg.contains("broken.csv") && msg.contains('5'), "{msg}");
    // Nothing that looks like a result, and no partial file left behind.
    assert!(!dir.path().join("o/cycles.csv").exists());
    assert!(!dir.path().join("o/cycles.csv.partial").exists());
    assert!(!dir.path().join("o/energy.json").exists());
}

#[test]
fn a_wav_without_sidecar_or_channel_map_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bare.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for k in 0..1600 {
        let x = (1000.0 * (k as f64 * 0.04).sin()) as i16;
        w.write_sample(x).unwrap();
        w.write_sample(x / 2).unwrap();
    }
    w.finalize().unwrap();
    let o = percycle()
        .arg("analyze")
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bare.wav"));
    // With a map it runs, and the rms follows the full scale given.
    let o = percycle()
        .args(["analyze", "--channels", "U1,I1", "--full-scale", "U=327.68,I=3.2768"])
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn recorded_mains_wav_at_400_hz_tracks_the_grid_frequency_of_an_independent_count() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/recorded/wav-enf-whu-mains-50hz/001_ref.wav");
    if !path.exists() {
        println!(
            "skipped: {} is absent (the shared recordings are not beside this checkout)",
            path.display()
        );
        return;
    }
    // Counts, not volts: a full scale of 634 V puts the ±16 800-count peaks at 325 V.
    let dir = tempfile::tempdir().unwrap();
    let o = percycle()
        .args(["analyze", "--quiet", "--channels", "U1", "--full-scale", "U=634"])
        .arg(&path)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zero_crossing_frequency.py");
    let theirs = Command::new("python3").arg(script).arg(&path).output().unwrap();
    assert!(theirs.status.success());
    let theirs: Vec<(f64, f64)> = String::from_utf8_lossy(&theirs.stdout)
        .lines()
        .map(|l| {
            let mut it = l.split_whitespace().map(|x| x.parse::<f64>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .collect();
    let ours = std::fs::read_to_string(dir.path().join("frequency_10s.csv")).unwrap();
    let mut compared = 0;
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for line in ours.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (start, hz): (f64, f64) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        let Some(&(_, want)) = theirs.iter().find(|(t, _)| *t == start) else { continue };
        assert!((hz - want).abs() < 2e-3, "{start} s: {hz} Hz, independent count {want} Hz");
        (lo, hi) = (lo.min(hz), hi.max(hz));
        compared += 1;
    }
    // 482 s of the Central China grid wandering within 49.96-50.04 Hz.
    assert!(compared >= 45, "{compared} 10-s values compared");
    assert!(lo > 49.95 && hi < 50.05 && hi - lo > 0.02, "{lo}..{hi} Hz");
    // At 400 Hz the harmonics stop at order 3, and the files say so.
    let intervals = std::fs::read_to_string(dir.path().join("intervals.csv")).unwrap();
    let row = intervals.lines().nth(1).unwrap();
    let header: Vec<&str> = intervals.lines().next().unwrap().split(',').collect();
    let top = header.iter().position(|h| *h == "thd_top_order").unwrap();
    assert_eq!(row.split(',').nth(top), Some("3"), "{row}");
    let harmonics = std::fs::read_to_string(dir.path().join("harmonics.csv")).unwrap();
    assert!(harmonics.lines().any(|l| l.starts_with("0,U1,4,,,")), "order 4 is absent");
    assert!(harmonics.lines().any(|l| l.starts_with("0,U1,3,") && !l.ends_with(",,")));
}

#[test]
fn certify_smoke_suite_passes_and_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let o =
        percycle().args(["certify", "--suite", "smoke", "--out"]).arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    // Two vectors, five rows each (rms, frequency, P and Q, energy, quadrants).
    assert!(stdout.contains("10 test points: 10 passed, 0 failed"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let sections = report["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 1);
    assert_eq!(sections[0]["key"], "smoke");
    assert_eq!(sections[0]["points"].as_array().unwrap().len(), 10);
    assert!(dir.path().join("report.html").is_file());
    // The suite's own per-vector results beside the report.
    let detail = std::fs::read_to_string(dir.path().join("smoke").join("report.json")).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&detail).unwrap()["results"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let unknown =
        percycle().args(["certify", "--suite", "nope", "--out"]).arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("unknown suite `nope` (suites: all, energy, foundation,"), "{stderr}");
    assert!(stderr.contains("smoke"), "{stderr}");
}

#[test]
fn analyze_reports_a_dip_in_events_csv_and_the_en50160_tables() {
    let dir = tempfile::tempdir().unwrap();
    let input = handmade("dip", dir.path());
    let out = dir.path().join("out");
    let o = percycle()
        .args(["analyze", "--aggregate-s", "1", "--observation-s", "3"])
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    let all: Vec<Vec<&str>> = events.lines().skip(1).map(|l| l.split(',').collect()).collect();
    // The dip (55 % of 230 V = 126.5 V) also sets the below-160 V indicator on L1.
    assert!(all.iter().any(|r| r[0] == "low_voltage" && r[3] == "L1"), "{events}");
    let rows: Vec<&Vec<&str>> = all.iter().filter(|r| r[0] != "low_voltage").collect();
    assert_eq!(rows.len(), 1, "{events}");
    let r = &rows[0];
    assert_eq!((r[0], r[3], r[5]), ("dip", "L1", "C1"));
    close(r[1].parse().unwrap(), 1.0, 0.02, "dip start");
    close(r[2].parse().unwrap(), 0.15, 0.02, "dip duration");
    close(r[4].parse().unwrap(), 55.0, 0.02, "residual % of Un");
    let agg = std::fs::read_to_string(out.join("aggregates_10min.csv")).unwrap();
    let flagged: Vec<&str> = agg.lines().skip(1).map(|l| l.split(',').nth(3).unwrap()).collect();
    // Windows [0, 1) and [1, 2) s both hold an interval that overlaps the dip; [2, 3) s has
    // fewer than 90 % of its intervals (the recording ends) and is left out.
    assert_eq!(flagged, ["true", "true"], "{agg}");
    let snaps = std::fs::read_to_string(out.join("snapshots.csv")).unwrap();
    assert!(snaps.lines().nth(1).is_some_and(|l| l.starts_with("Dip,")), "{snaps}");
    let counters: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("pq_counters.json")).unwrap())
            .unwrap();
    assert_eq!(counters["dips"][2][0], 1, "{counters}");
    // Both 10-min values are flagged by the dip and the recording holds no 10-s frequency value:
    // nothing can be judged, so the verdict is "not evaluated" (exit status 3), not a pass.
    let t = percycle().arg("en50160").arg(&out).output().unwrap();
    let table = String::from_utf8_lossy(&t.stdout);
    assert_eq!(t.status.code(), Some(3), "{table}");
    assert!(table.contains("70 > u >= 40"), "{table}");
    assert!(table.contains("overall: NOT EVALUATED (1 of 1 periods not evaluated;"), "{table}");
    assert!(!table.contains("PASS"), "{table}");
    let e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("en50160.json")).unwrap()).unwrap();
    assert_eq!(e["periods"][0]["dips"].to_string().matches("\"C1\"").count(), 1);
    assert_eq!(e["verdict"], "not_evaluated", "{e}");
    assert_eq!(e["periods"][0]["verdict"], "not_evaluated", "{e}");
    let l1 = e["periods"][0]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["parameter"] == "supply_voltage_L1")
        .unwrap();
    assert_eq!(l1["verdict"], "not_evaluated", "{l1}");
    assert_eq!(
        l1["reason"], "0 valid 10-min values of 3 expected (0.00 %); at least 50 % needed",
        "{l1}"
    );
}

#[test]
fn hil_run_takes_suites_and_recordings_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = handmade("single", dir.path());
    let out = dir.path().join("hil");
    let o = percycle()
        .args(["hil", "run", "--target", "host", "--seconds", "0.3", "--quiet", "--vectors"])
        .arg("smoke")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    // The recording: compared with the host build, its analysis files written.
    assert!(stdout.contains("single.csv: 20000 frames"), "{stdout}");
    assert!(stdout.contains("identical to host"), "{stdout}");
    let rows = std::fs::read_to_string(out.join("single").join("cycles.csv")).unwrap();
    assert!(rows.lines().count() > 90);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("hil.json")).unwrap()).unwrap();
    assert_eq!(doc["smoke"]["pass"], true, "{doc}");
    let rec = &doc[input.to_str().unwrap()];
    assert_eq!(rec["pass"], true, "{doc}");
    assert_eq!(rec["mismatch_count"], 0);
    assert_eq!(rec["frames"], 20000);
}

#[test]
fn cost_on_a_real_board_that_is_not_attached_says_so_and_names_the_port() {
    let out = percycle()
        .args(["hil", "cost", "--target", "serial:/dev/percycle-no-such-board", "--jobs", "core"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/dev/percycle-no-such-board"), "{err}");
    let out = percycle().args(["hil", "cost", "--target", "usb"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target usb"));
}

#[test]
fn certify_refuses_an_unknown_class_naming_it() {
    let out = percycle().args(["certify", "--suite", "all", "--class", "0.7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0.7") && err.contains("0.5S"), "{err}");
}

#[test]
fn certify_runs_the_harmonics_suite_alone_into_the_type_test_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = percycle()
        .args(["certify", "--suite", "harmonics", "--target", "host", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let keys: Vec<&str> =
        json["sections"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["harmonics"]);
    assert!(dir.path().join("tables/harmonics.csv").is_file());
    assert!(dir.path().join("report.html").is_file());
}
