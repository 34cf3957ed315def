//! `percycle analyze` on the shared recordings nobody here made, against an independent reading
//! of the same files (the scripts in `analysis/tests/data`). Skips with a printed reason when
//! the recordings are absent.

use std::path::{Path, PathBuf};
use std::process::Command;

fn shared(relative: &str) -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/recorded").join(relative);
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

/// (start_s, column values) of every row of `cycles.csv`.
fn cycles(dir: &Path, columns: &[&str]) -> Vec<(f64, Vec<f64>)> {
    let text = std::fs::read_to_string(dir.join("cycles.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at: Vec<usize> =
        columns.iter().map(|c| header.iter().position(|h| h == c).unwrap()).collect();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].parse().unwrap(), at.iter().map(|&k| f[k].parse().unwrap()).collect())
        })
        .collect()
}

/// The rms over the span of the analysed cycles (first start to last start), from the cycle
/// rms values, per column, and the span in samples.
fn span_rms(rows: &[(f64, Vec<f64>)], fs: f64) -> (Vec<f64>, usize, usize) {
    let n = rows[0].1.len();
    let mut sum = vec![0.0; n];
    let mut t = 0.0;
    for w in rows.windows(2) {
        let d = w[1].0 - w[0].0;
        t += d;
        for (s, x) in sum.iter_mut().zip(&w[0].1) {
            *s += x * x * d;
        }
    }
    let first = (rows[0].0 * fs).round() as usize;
    let end = (rows[rows.len() - 1].0 * fs).round() as usize;
    (sum.iter().map(|s| (s / t).sqrt()).collect(), first, end)
}

fn comtrade_agrees_with_the_script(cfg: &Path, map: &[(&str, &str)], declared: &str, nominal: f64) {
    let dir = tempfile::tempdir().unwrap();
    let spec: Vec<String> = map.iter().map(|(e, r)| format!("{e}={r}")).collect();
    let o = Command::new(env!("CARGO_BIN_EXE_percycle"))
        .args(["analyze", "--quiet", "--declared-voltage", declared, "--channels"])
        .arg(spec.join(","))
        .arg(cfg)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let columns: Vec<String> =
        map.iter().map(|(e, _)| format!("{}_rms", e.to_lowercase())).collect();
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut all = columns.clone();
    all.push("frequency_hz");
    let rows = cycles(dir.path(), &columns);
    assert!(rows.len() > 100, "{} cycles", rows.len());
    let (ours, first, end) = span_rms(&rows, 5760.0);
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../analysis/tests/data/comtrade_rms.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(cfg)
        .arg("--samples")
        .arg(format!("{first}:{end}"))
        .args(map.iter().map(|(_, r)| *r))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    for ((name, a), b) in map.iter().zip(&ours).zip(&theirs) {
        println!("{} {}: percycle {a:.6}, script {b:.6}", cfg.display(), name.0);
        assert!((a / b - 1.0).abs() < 1e-4, "{}: percycle {a}, script {b}", name.0);
    }
    // The nominal frequency is the cfg's line frequency.
    let f = std::fs::read_to_string(dir.path().join("cycles.csv")).unwrap();
    let freq: Vec<f64> =
        f.lines().skip(1).filter_map(|l| l.split(',').nth(2)?.parse().ok()).collect();
    let median = {
        let mut v = freq.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    assert!((median - nominal).abs() < 0.5, "median frequency {median} Hz");
}

#[test]
fn comtrade_generator_trip_agrees_with_an_independent_reading() {
    let Some(cfg) = shared("comtrade-gen-trip-50hz/test3.cfg") else { return };
    comtrade_agrees_with_the_script(
        &cfg,
        &[
            ("U1", "VA_G1"),
            ("U2", "VB_G1"),
            ("U3", "VC_G1"),
            ("I1", "IA_G1"),
            ("I2", "IB_G1"),
            ("I3", "IC_G1"),
        ],
        "3464",
        50.0,
    );
}

#[test]
fn comtrade_hydro_fault_agrees_with_an_independent_reading() {
    let Some(cfg) = shared("comtrade-hydro-fault-60hz/test2.cfg") else { return };
    comtrade_agrees_with_the_script(
        &cfg,
        &[
            ("U1", "VA_GC1"),
            ("U2", "VB_GC1"),
            ("U3", "VC_GC1"),
            ("I1", "IA_GC1"),
            ("I2", "IB_GC1"),
            ("I3", "IC_GC1"),
        ],
        "7967",
        60.0,
    );
}

#[test]
fn a_comtrade_file_with_several_complete_circuits_is_refused_with_them_listed() {
    let Some(cfg) = shared("comtrade-gen-trip-50hz/test3.cfg") else { return };
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_percycle"))
        .arg("analyze")
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("test3.cfg") && err.contains("U1=VA_G1") && err.contains("--channels"),
        "{err}"
    );
}

/// `(start_s, flags, values)` of the rows of `cycles.csv`.
fn cycles_with_flags(dir: &Path, columns: &[&str]) -> Vec<(f64, String, Vec<f64>)> {
    let text = std::fs::read_to_string(dir.join("cycles.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at: Vec<usize> =
        columns.iter().map(|c| header.iter().position(|h| h == c).unwrap()).collect();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let values = at.iter().map(|&k| f[k].parse().unwrap()).collect();
            (f[1].parse().unwrap(), f[f.len() - 1].to_string(), values)
        })
        .collect()
}

#[test]
fn pqdif_observations_go_to_their_own_folders_and_agree_with_an_independent_reading() {
    let Some(pqd) = shared("pqdif-ieee-example-60hz/example.pqd") else { return };
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_percycle"))
        .args(["analyze", "--quiet", "--nominal-hz", "60", "--declared-voltage", "34000"])
        .arg(&pqd)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Line voltages and two currents: 3P3W, U32 the opposite of VBC.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("U12=VAB,U32=-VBC,I1=IA,I3=IC"), "{err}");
    // The 20 observations that hold waveforms, each in its folder.
    let folders: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), 20, "{folders:?}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../analysis/tests/data/pqdif_rms.py");
    for (folder, index) in [("01_Obs", 1), ("02_RMS_Variation", 2)] {
        let columns = ["u1_rms", "u3_rms", "i1_rms", "i3_rms"];
        let rows: Vec<_> = cycles_with_flags(&dir.path().join(folder), &columns)
            .into_iter()
            .filter(|r| !r.1.contains("invalid_input"))
            .collect();
        assert!(rows.len() >= 3, "{folder}: {} cycles", rows.len());
        // The rms over the span of the cycles, from the engine's per-cycle values.
        let (t0, t1) = (rows[0].0, rows[rows.len() - 1].0);
        let ours: Vec<f64> = (0..4)
            .map(|c| {
                let s: f64 = rows.windows(2).map(|w| w[0].2[c].powi(2) * (w[1].0 - w[0].0)).sum();
                (s / (t1 - t0)).sqrt()
            })
            .collect();
        let out = Command::new("python3")
            .arg(&script)
            .arg(&pqd)
            .arg(index.to_string())
            .arg("--span")
            .arg(format!("{t0}:{t1}"))
            .args(["VAB", "VBC", "IA", "IC"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let theirs: Vec<f64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
            .collect();
        for ((name, a), b) in ["U12", "U32", "I1", "I3"].iter().zip(&ours).zip(&theirs) {
            println!("{folder} {name}: percycle {a:.4}, script {b:.4}");
            assert!((a / b - 1.0).abs() < 1e-4, "{folder} {name}: percycle {a}, script {b}");
        }
    }
}
