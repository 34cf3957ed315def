//! The hostile suite: every case synthesises, the hostile samples sit where the truth says, the
//! truth is right by independent computations (zero crossings, a Class A Urms(1/2) detector on
//! the half-cycle lattice), and it survives JSON and every file format.

use std::f64::consts::{PI, SQRT_2, TAU};
use std::ops::Range;

use percycle_vectors::hostile_suite::{
    hostile_truth, rail_samples, read_hostile_truth, write_hostile_truth, write_hostile_vector,
    ADC_BITS, FLAG_CLIPPED, FLAG_INVALID_INPUT, U_FULL_SCALE_V,
};
use percycle_vectors::pq_suite::dip_cell;
use percycle_vectors::{
    hostile_cases, suite, suite_names, synthesize, write_vector, FileKind, HostileCase, Recipe,
    Vector, WavFormat, MISSING_CODE,
};

const FS: f64 = 10_240.0;
const T: f64 = 0.02;

fn get(name: &str) -> HostileCase {
    hostile_cases().into_iter().find(|c| c.recipe.name == name).unwrap_or_else(|| panic!("{name}"))
}

fn max_code() -> i32 {
    (1 << (ADC_BITS - 1)) - 1
}

/// Sample ranges of the spans of `flag`.
fn spans(case: &HostileCase, flag: &str) -> Vec<Range<usize>> {
    case.truth
        .flag_spans
        .iter()
        .filter(|s| s.flag == flag)
        .map(|s| (s.start_s * FS).round() as usize..(s.end_s * FS).round() as usize)
        .collect()
}

/// The single range of a list.
fn only(r: Vec<Range<usize>>) -> Range<usize> {
    assert_eq!(r.len(), 1, "{r:?}");
    r[0].clone()
}

/// Runs of samples where `pred(channel, sample)` holds on some channel.
fn runs(v: &Vector, pred: impl Fn(usize, usize) -> bool) -> Vec<Range<usize>> {
    let n = v.waveform.len();
    let nch = v.waveform.channels.len();
    let mut out: Vec<Range<usize>> = Vec::new();
    for k in 0..n {
        if (0..nch).any(|ch| pred(ch, k)) {
            match out.last_mut() {
                Some(r) if r.end == k => r.end = k + 1,
                _ => out.push(k..k + 1),
            }
        }
    }
    out
}

#[test]
fn every_case_validates_and_synthesises_with_unique_names_and_a_bounded_length() {
    let cases = hostile_cases();
    assert!(suite_names().contains(&"hostile"));
    let recipes = suite("hostile").unwrap();
    assert_eq!(recipes.len(), cases.len());
    let mut total = 0.0;
    for (k, c) in cases.iter().enumerate() {
        let name = &c.recipe.name;
        assert_eq!(&recipes[k], &c.recipe);
        assert!(name.starts_with(char::is_alphabetic));
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{name}"
        );
        assert!(cases[..k].iter().all(|o| &o.recipe.name != name), "{name} twice");
        c.recipe.validate().unwrap();
        let v = synthesize(&c.recipe).unwrap();
        assert_eq!(v.waveform.len(), c.recipe.sample_count());
        let d = c.recipe.duration_s;
        if name.starts_with("dip_cell_edge_5s") {
            assert!(d <= 6.0, "{name}: {d} s");
        } else {
            assert!(d <= 2.0, "{name}: {d} s");
        }
        total += d;
        assert_eq!(c.truth, hostile_truth(&c.recipe, &c.truth.notes), "{name}: truth is derived");
        assert!(!c.truth.notes.is_empty());
        assert_eq!(c.truth.nominal_hz, 50.0);
        assert_eq!(c.truth.unlocked_flags, ["no_lock", "off_nominal", "holdover", "no_reference"]);
    }
    assert!((30.0..=40.0).contains(&total), "{total} s of signal");
    let count = |prefix: &str| cases.iter().filter(|c| c.recipe.name.starts_with(prefix)).count();
    assert_eq!(count("start_phase_"), 12);
    assert_eq!(count("dip60_onset"), 3);
    assert_eq!(count("dip_cell_edge_"), 18);
}

#[test]
fn missing_samples_sit_exactly_in_the_gaps_and_nowhere_else() {
    for (name, first) in [("nan_run_100", 6000), ("nan_run_at_boundary", 5120)] {
        let c = get(name);
        let v = synthesize(&c.recipe).unwrap();
        let codes = v.codes.as_ref().unwrap();
        let want = first..first + 100;
        assert_eq!(only(runs(&v, |ch, k| v.waveform.samples[ch][k].is_nan())), want, "{name}");
        for (ch, samples) in v.waveform.samples.iter().enumerate() {
            for k in want.clone() {
                assert!(samples[k].is_nan() && codes[ch][k] == MISSING_CODE, "{name} ch {ch}");
            }
        }
        assert_eq!(only(runs(&v, |ch, k| codes[ch][k] == MISSING_CODE)), want);
        assert_eq!(only(spans(&c, FLAG_INVALID_INPUT)), want);
        assert!(spans(&c, FLAG_CLIPPED).is_empty());
        assert!(c.truth.events.is_empty() && c.truth.unlocked_from_s.is_none());
        assert!(c.truth.no_condition_events);
    }
    // The boundary gap starts on a rising zero crossing of L1: 25 whole cycles in.
    let c = get("nan_run_at_boundary");
    assert_eq!(c.truth.flag_spans[0].start_s, 0.5);
    let clean = synthesize(&Recipe { gaps: vec![], ..c.recipe.clone() }).unwrap();
    let u1 = &clean.waveform.samples[0];
    assert_eq!(u1[5120], 0.0);
    assert!(u1[5119] < 0.0 && u1[5121] > 0.0);
    // The mid-record gap lies inside the cycle 0.58-0.60 s.
    let s = &get("nan_run_100").truth.flag_spans[0];
    assert!(s.start_s > 0.58 && s.end_s < 0.60, "{s:?}");
}

#[test]
fn the_spike_is_one_sample_at_the_rail_in_one_cycle() {
    let c = get("spike_5kv");
    let v = synthesize(&c.recipe).unwrap();
    let codes = v.codes.as_ref().unwrap();
    let k = 5171; // round(0.505 · 10240)
    assert_eq!(codes[0][k], max_code());
    assert_eq!(v.waveform.samples[0][k], U_FULL_SCALE_V);
    let rail = |ch: usize, k: usize| codes[ch][k].abs() == max_code();
    assert_eq!(only(runs(&v, rail)), k..k + 1);
    assert_eq!(only(spans(&c, FLAG_CLIPPED)), k..k + 1);
    assert_eq!(c.truth.flag_spans.len(), 1);
    let s = &c.truth.flag_spans[0];
    assert!(s.start_s > 0.50 && s.end_s < 0.52, "one cycle: {s:?}");
    assert!(c.truth.events.is_empty());
}

#[test]
fn rail_samples_in_closed_form_are_exactly_the_rail_codes_of_every_case() {
    for c in hostile_cases() {
        let name = &c.recipe.name;
        let v = synthesize(&c.recipe).unwrap();
        let codes = v.codes.as_ref().unwrap();
        let rail =
            runs(&v, |ch, k| codes[ch][k] != MISSING_CODE && codes[ch][k].abs() == max_code());
        assert_eq!(rail, spans(&c, FLAG_CLIPPED), "{name}");
        let missing = runs(&v, |ch, k| codes[ch][k] == MISSING_CODE);
        assert_eq!(missing, spans(&c, FLAG_INVALID_INPUT), "{name}");
        for s in &c.truth.flag_spans {
            assert!(s.start_s < s.end_s && s.end_s <= c.recipe.duration_s, "{name}: {s:?}");
        }
    }
}

#[test]
fn clipping_cuts_every_peak_of_l1_during_the_step_and_only_there() {
    let c = get("clipping_300ms");
    let q = c.recipe.quantisation.unwrap();
    assert_eq!(q.u_full_scale_v, 330.0);
    let peak = 1.025 * SQRT_2 * 230.0;
    assert!(peak > 330.0 && SQRT_2 * 230.0 < 330.0);
    let clipped = spans(&c, FLAG_CLIPPED);
    // Two peaks per cycle, 15 cycles.
    assert_eq!(clipped.len(), 30);
    // Each run is centred on a peak of L1 (90° or 270°), as long as the arcsine says: the rail
    // holds while |sin ψ| ≥ r, for (½ − asin(r)/π) of a cycle around each peak.
    let r = 330.0 * (1.0 - 0.5 / f64::from(max_code())) / peak;
    let run = (0.5 - r.asin() / PI) * T * FS;
    for (j, r) in clipped.iter().enumerate() {
        let centre = 0.4 + (j as f64 + 0.5) * T / 2.0;
        let mid = (r.start + r.end - 1) as f64 / 2.0 / FS;
        assert!((mid - centre).abs() <= 0.6 / FS, "run {j}: {r:?}");
        let len = (r.end - r.start) as f64;
        assert!((len - run).abs() <= 1.0, "run {j}: {len} samples, {run} expected");
        assert!(r.start as f64 / FS >= 0.4 && (r.end as f64) / FS <= 0.7);
    }
    let v = synthesize(&c.recipe).unwrap();
    let codes = &v.codes.as_ref().unwrap();
    assert!(codes[1..].iter().flatten().all(|c| c.abs() < max_code()), "only U1 clips");
    assert!(c.truth.events.is_empty() && c.truth.no_condition_events);
    // A recipe outside the closed form is refused, not guessed.
    assert!(rail_samples(&c.recipe.clone().with_u_harmonic(3, 1.0, 0.0)).is_none());
}

/// Rising zero crossings of a sampled signal, linearly interpolated, s.
fn rising_crossings(x: &[f64]) -> Vec<f64> {
    x.windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
        .map(|(k, w)| (k as f64 + w[0] / (w[0] - w[1])) / FS)
        .collect()
}

#[test]
fn off_nominal_supplies_have_the_stated_frequency_and_no_lock() {
    for (name, hz) in [("supply_30hz", 30.0), ("supply_70hz", 70.0)] {
        let c = get(name);
        assert_eq!(c.recipe.nominal_frequency_hz(), 50.0);
        let v = synthesize(&c.recipe).unwrap();
        let z = rising_crossings(&v.waveform.samples[0]);
        let measured = (z.len() - 1) as f64 / (z[z.len() - 1] - z[0]);
        assert!((measured - hz).abs() < 1e-4, "{name}: {measured} Hz");
        // Crossings at k/hz for k = 1 … hz·duration − 1 (the one at t = 0 has no sample before).
        assert_eq!(z.len(), (hz * c.recipe.duration_s).round() as usize - 1, "{name}");
        assert_eq!(c.truth.unlocked_from_s, Some(0.0));
        assert!(c.truth.events.is_empty() && c.truth.flag_spans.is_empty());
        assert!(c.truth.no_condition_events && c.truth.settled_by_s.is_none());
        assert!(c.truth.level_pct.iter().all(|&l| (l - 100.0).abs() < 1e-12));
    }
}

#[test]
fn noise_dc_and_silence_have_no_mains_and_no_lock() {
    let rms = |x: &[f64]| (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt();
    for name in ["noise_only", "dc_only", "silence"] {
        let c = get(name);
        let v = synthesize(&c.recipe).unwrap();
        let w = &v.waveform.samples;
        assert_eq!(c.truth.unlocked_from_s, Some(0.0), "{name}");
        assert!(c.truth.events.is_empty() && c.truth.flag_spans.is_empty(), "{name}");
        assert!(c.truth.no_condition_events && c.truth.settled_by_s.is_none());
        assert!(w[3..].iter().flatten().all(|&i| i == 0.0), "{name}: no current");
        for (p, u) in w.iter().take(3).enumerate() {
            match name {
                "noise_only" => {
                    assert!((rms(u) / 230.0 - 1.0).abs() < 0.03, "{}", rms(u));
                    assert!(rising_crossings(u).len() > 1000, "white noise crosses often");
                    assert!((c.truth.level_pct[p] - 100.0).abs() < 1e-12);
                }
                "dc_only" => {
                    assert!(u.iter().all(|&x| (x - 325.0).abs() < 1e-4));
                    assert!((c.truth.level_pct[p] - 32_500.0 / 230.0).abs() < 1e-9);
                }
                _ => {
                    assert!(u.iter().all(|&x| x == 0.0));
                    assert_eq!(c.truth.level_pct[p], 0.0);
                }
            }
        }
    }
}

#[test]
fn start_phase_cases_start_where_they_say_and_are_clean() {
    for deg in (0..360).step_by(30) {
        let c = get(&format!("start_phase_{deg:03}deg"));
        let v = synthesize(&c.recipe).unwrap();
        let want = SQRT_2 * 230.0 * f64::from(deg).to_radians().sin();
        let lsb = U_FULL_SCALE_V / f64::from(max_code());
        assert!((v.waveform.samples[0][0] - want).abs() <= lsb, "{deg}°");
        let first_crossing = (360 - deg) % 360;
        let t0 = v.truth.cycles[0].start_s;
        assert!((t0 - f64::from(first_crossing) / 360.0 * T).abs() < 1e-12, "{deg}°: {t0}");
        let t = &c.truth;
        assert!(t.events.is_empty() && t.flag_spans.is_empty() && t.unlocked_from_s.is_none());
        assert!(t.no_condition_events && t.settled_by_s == Some(0.1));
        assert!(t.level_pct.iter().all(|&l| (l - 100.0).abs() < 1e-12));
    }
}

/// Urms(1/2) of L1 in % (L1 alone changes; every other phase stays at 100 %): one-cycle windows
/// starting every half cycle from the rising crossing at t = 0, with the mean square of
/// `√2·sin(2πt/T)` over the parts of the window inside and outside the step in closed form.
fn urms_half_pct(recipe: &Recipe, a: f64) -> f64 {
    let s = &recipe.events[0];
    let (t0, t1, k) = (s.start_s, s.start_s + s.duration_s, s.u_factor);
    // ∫ 2·sin²(ωt) dt = t − sin(2ωt)/(2ω)
    let w = TAU / T;
    let prim = |t: f64| t - (2.0 * w * t).sin() / (2.0 * w);
    let int = |lo: f64, hi: f64| if hi > lo { prim(hi) - prim(lo) } else { 0.0 };
    let (lo, hi) = (a.max(t0), (a + T).min(t1));
    let inside = int(lo, hi);
    let all = int(a, a + T);
    100.0 * ((k * k * inside + (all - inside)) / T).sqrt()
}

/// (residual %, duration s) of the Class A detector: IN at the start of the first window below
/// 90 %, OUT at the start of the first later window at or above 92 %.
fn class_a(recipe: &Recipe) -> Option<(f64, f64)> {
    let windows: Vec<(f64, f64)> = (0..)
        .map(|j| j as f64 * T / 2.0)
        .take_while(|a| a + T <= recipe.duration_s + 1e-12)
        .map(|a| (a, urms_half_pct(recipe, a)))
        .collect();
    let i = windows.iter().position(|w| w.1 < 90.0)?;
    let o = i + windows[i..].iter().position(|w| w.1 >= 92.0)?;
    let residual = windows[i..o].iter().map(|w| w.1).fold(f64::INFINITY, f64::min);
    Some((residual, windows[o].0 - windows[i].0))
}

#[test]
fn dips_next_to_the_grid_edges_fall_in_the_intended_cell_by_half_a_cycle_at_least() {
    let want = [
        ("dip_cell_edge_u90p5", None),
        ("dip_cell_edge_u89p5", Some("A1")),
        ("dip_cell_edge_u80p5", Some("A1")),
        ("dip_cell_edge_u79p5", Some("B1")),
        ("dip_cell_edge_u70p5", Some("B1")),
        ("dip_cell_edge_u69p5", Some("C1")),
        ("dip_cell_edge_u40p5", Some("C1")),
        ("dip_cell_edge_u39p5", Some("D1")),
        ("dip_cell_edge_u5p5", Some("D1")),
        ("dip_cell_edge_u4p5", Some("X1")),
        ("dip_cell_edge_200ms_in", Some("C1")),
        ("dip_cell_edge_200ms_out", Some("C2")),
        ("dip_cell_edge_500ms_in", Some("C2")),
        ("dip_cell_edge_500ms_out", Some("C3")),
        ("dip_cell_edge_1s_in", Some("C3")),
        ("dip_cell_edge_1s_out", Some("C4")),
        ("dip_cell_edge_5s_in", Some("C4")),
        ("dip_cell_edge_5s_out", Some("C5")),
        ("dip60_onset0deg", Some("C1")),
        ("dip60_onset45deg", Some("C1")),
        ("dip60_onset90deg", Some("C1")),
    ];
    for (name, cell) in want {
        let c = get(name);
        let r = &c.recipe;
        let step = &r.events[0];
        if !name.starts_with("dip60") {
            // Steps start on a rising crossing and last whole half cycles.
            assert!(((step.start_s / T) - (step.start_s / T).round()).abs() < 1e-9, "{name}");
            let halves = step.duration_s / (T / 2.0);
            assert!((halves - halves.round()).abs() < 1e-9, "{name}");
        }
        // The truth (pq_suite::expected_events).
        let events = &c.truth.events;
        match cell {
            None => assert!(events.is_empty(), "{name}: {events:?}"),
            Some(cell) => {
                assert_eq!(events.len(), 1, "{name}: {events:?}");
                let e = &events[0];
                assert_eq!(e.dip_or_swell_cell.as_deref(), Some(cell), "{name}: {e:?}");
                assert!((e.extreme_pct - 100.0 * step.u_factor).abs() < 1e-9, "{name}");
                assert_eq!(e.phases, 1);
            }
        }
        // The Class A rule computed here, independently: the cell is the same, and stays so
        // when the duration moves by half a cycle either way.
        match (cell, class_a(r)) {
            (None, None) => {}
            (Some(cell), Some((residual, duration))) => {
                assert!((residual - 100.0 * step.u_factor).abs() < 1e-9, "{name}: {residual}");
                for d in [duration - T / 2.0, duration, duration + T / 2.0] {
                    assert_eq!(dip_cell(residual, d), Some(cell), "{name}: {d} s");
                }
                if name.ends_with("_in") || name.ends_with("_out") {
                    // Deep dips from a rising crossing: Class A duration = step + T/2.
                    assert!((duration - step.duration_s - T / 2.0).abs() < 1e-9, "{name}");
                }
            }
            (cell, got) => panic!("{name}: want {cell:?}, Class A gives {got:?}"),
        }
        // Missing-phase conditions are a right answer only below 10 %.
        assert_eq!(c.truth.no_condition_events, step.u_factor >= 0.1, "{name}");
        assert!(c.truth.flag_spans.is_empty() && c.truth.unlocked_from_s.is_none());
        let end = events.iter().map(|e| e.start_s + e.duration_s).fold(0.0, f64::max);
        assert!(end + 0.1 <= r.duration_s, "{name}: the dip ends well inside the record");
    }
}

#[test]
fn the_truth_round_trips_through_json() {
    let dir = tempfile::tempdir().unwrap();
    for c in hostile_cases() {
        let path = dir.path().join(format!("{}.hostile.json", c.recipe.name));
        write_hostile_truth(&path, &c.truth).unwrap();
        assert_eq!(read_hostile_truth(&path).unwrap(), c.truth, "{}", c.recipe.name);
    }
    let text = std::fs::read_to_string(dir.path().join("nan_run_100.hostile.json")).unwrap();
    assert!(text.contains("\"flag\": \"invalid_input\""), "{text}");
}

#[test]
fn gap_vectors_store_the_missing_code_in_wav_i32_and_nan_elsewhere_and_refuse_i16_i24() {
    let dir = tempfile::tempdir().unwrap();
    let c = get("nan_run_100");
    let v = synthesize(&c.recipe).unwrap();
    let gap = 6000..6100;
    let nch = v.waveform.channels.len();

    let wav =
        write_hostile_vector(dir.path(), &v, &c.truth, FileKind::Wav(WavFormat::I32)).unwrap();
    for ext in ["json", "truth.json", "recipe.json", "hostile.json"] {
        assert!(dir.path().join(format!("nan_run_100.{ext}")).exists(), "{ext}");
    }
    let raw: Vec<i32> = hound::WavReader::open(&wav)
        .unwrap()
        .into_samples::<i32>()
        .collect::<Result<_, _>>()
        .unwrap();
    for (j, &code) in raw.iter().enumerate() {
        assert_eq!(code == MISSING_CODE, gap.contains(&(j / nch)), "frame {}", j / nch);
    }
    // Reading these files back (NaN where the gap is) is tested with the readers, in
    // percycle-analysis (tests/vectors_files.rs).

    let sub = dir.path().join("f32");
    let wav = write_vector(&sub, &v, FileKind::Wav(WavFormat::F32)).unwrap();
    let raw: Vec<f32> = hound::WavReader::open(&wav)
        .unwrap()
        .into_samples::<f32>()
        .collect::<Result<_, _>>()
        .unwrap();
    for (j, x) in raw.iter().enumerate() {
        assert_eq!(x.is_nan(), gap.contains(&(j / nch)), "frame {}", j / nch);
    }

    let csv = write_vector(&sub, &v, FileKind::Csv).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    for (k, row) in text.lines().skip(1).enumerate() {
        let nan = row.split(',').skip(1).filter(|f| *f == "NaN").count();
        assert_eq!(nan, if gap.contains(&k) { nch } else { 0 }, "row {k}: {row}");
    }

    for (format, name) in [(WavFormat::I16, "i16"), (WavFormat::I24, "i24")] {
        let sub = dir.path().join(name);
        let e = write_vector(&sub, &v, FileKind::Wav(format)).unwrap_err().to_string();
        assert!(e.contains("recipe 'nan_run_100'"), "{e}");
        assert!(e.contains(&format!("WAV {name} cannot carry a missing sample")), "{e}");
        assert!(!sub.join("nan_run_100.wav").exists());
    }
    // Without gaps, 16-bit WAV is fine.
    let v = synthesize(&get("spike_5kv").recipe).unwrap();
    write_vector(dir.path().join("i16"), &v, FileKind::Wav(WavFormat::I16)).unwrap();
}

#[test]
fn the_binary_lists_the_hostile_suite() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_percycle-vectors"))
        .arg("list")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l == "hostile"), "{text}");
}
