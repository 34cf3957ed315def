//! Recorded waveforms from the shared set (not in the repository): the laptop-charger current
//! of `mat-fr-appliances-230v-50hz`, analysed by the engine, confirmed by the f64 reference
//! analyzer within IEC 61000-4-7 Class I. Skips with a printed reason when the recordings are
//! absent.
//!
//! On this real record the agreement is at the Class I level, not at a tenth of it as on the
//! synthetic suite: the engine resamples each cycle between its own zero crossings, the
//! reference spreads its points uniformly over the 10-cycle window, and the mains period here
//! wanders by about ±2·10⁻⁴ from cycle to cycle, so the two grids differ by a few microseconds
//! and the small groups (a few hundredths of a percent of nominal) differ accordingly.

use percycle_analysis::analyze::analyze_waveform;
use percycle_analysis::read::{open, ReadOptions};
use percycle_analysis::setup::Options;
use percycle_analysis::source::collect;
use percycle_vectors::reference::{intervals, ReferenceConfig};
use percycle_vectors::Waveform;
use std::path::{Path, PathBuf};

fn recording(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/recorded/mat-fr-appliances-230v-50hz")
        .join(name);
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
fn laptop_current_spectrum_is_confirmed_by_the_reference_analyzer() {
    let Some(path) = recording("data_pcPortable_1_20KHz_mesure1.mat") else { return };
    let opts = ReadOptions { channels: None, full_scale: None, sample_rate_hz: None };
    let w = collect(&mut *open(&path, &opts).unwrap()).unwrap();
    let a = analyze_waveform(&w, None, &Options::default()).unwrap();
    assert!(a.intervals.len() >= 20, "{} intervals", a.intervals.len());
    let fs = a.config.sample_rate_hz;

    // The reference starts its windows at its first crossing: cut the record just before the
    // engine's first interval, and leave out the reference's first window (record edge).
    let start = a.intervals[0].start.seconds(fs);
    let first = (start * w.sample_rate_hz).floor() as usize;
    let cut = Waveform {
        sample_rate_hz: w.sample_rate_hz,
        channels: w.channels.clone(),
        samples: w.samples.iter().map(|ch| ch[first..].to_vec()).collect(),
    };
    let offset = first as f64 / w.sample_rate_hz;
    let theirs = intervals(&cut, &ReferenceConfig::new(50.0)).unwrap();

    // Nominal values of the Class I rule: the instrument's Udin and In (230 V, 5 A).
    let i_nom = f64::from(a.config.nominal_current);
    let mut compared = 0;
    let mut worst = (0.0f64, 0usize);
    let mut beyond_tenth = 0;
    let mut failures = Vec::new();
    // Windows across the switch-on are not stationary; the two grids then see different
    // signals. They are left out: an interval whose current rms differs by more than 10 % from
    // a neighbour's.
    let rms = |k: usize| a.intervals.get(k).map(|iv| iv.rms[1]);
    let steady = |k: usize| {
        let here = a.intervals[k].rms[1];
        [k.checked_sub(1).and_then(rms), rms(k + 1)]
            .into_iter()
            .flatten()
            .all(|n| (n - here).abs() <= 0.1 * here.max(n))
    };
    for (k, iv) in a.intervals.iter().enumerate() {
        if !steady(k) {
            continue;
        }
        let t = iv.start.seconds(fs);
        let Some(r) = theirs.iter().skip(1).find(|r| (r.start_s + offset - t).abs() < 1e-4) else {
            continue;
        };
        compared += 1;
        for (c, ch) in r.channels.iter().enumerate() {
            let nominal = if ch.name.starts_with('U') { 230.0 } else { i_nom };
            for h in 1..=50 {
                let (e, o) = (iv.subgroups[c][h] as f64, ch.subgroups[h]);
                // IEC 61000-4-7 Class I: 5 % of reading from 1 % of nominal, 0.05 % of nominal below.
                let (rel, abs) =
                    if o >= 0.01 * nominal { (0.05 * o, 0.0) } else { (0.0, 0.0005 * nominal) };
                let limit = rel.max(abs);
                if (e - o).abs() > limit {
                    failures.push(format!(
                        "{}: interval {} order {h}: engine {e} vs reference {o}",
                        ch.name, iv.index
                    ));
                }
                if (e - o).abs() > limit / 10.0 {
                    beyond_tenth += 1;
                }
                if o >= 0.01 * nominal && (e / o - 1.0).abs() > worst.0 {
                    worst = ((e / o - 1.0).abs(), h);
                }
            }
        }
    }
    println!(
        "{compared} intervals compared; worst relative subgroup difference {:.2e} (order {}) \
         among groups of at least 1 % of nominal; {beyond_tenth} group values differ by more \
         than a tenth of the Class I limit",
        worst.0, worst.1
    );
    assert!(compared >= 10, "only {compared} intervals aligned");
    // The laptop current is far from sinusoidal: its THDS is tens of percent.
    assert!(a.intervals.last().unwrap().thds_pct[1] > 20.0);
    assert!(
        failures.is_empty(),
        "{} disagreements, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}
