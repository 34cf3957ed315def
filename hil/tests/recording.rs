//! Recordings through the bench (`percycle hil run --vectors FILE`): the host target and, where
//! QEMU and the firmware are present, the emulated board, every report compared with the host
//! build; a target whose reports are off fails by the count of its differences.

use percycle_analysis::read::ReadOptions;
use percycle_analysis::setup::Options;
use percycle_hil::bench::{HostTarget, Qemu};
use percycle_hil::recording::run_recording;
use percycle_vectors::{suite, synthesize, write_csv, Waveform};
use std::path::{Path, PathBuf};
mod common;

/// A 3P4W foundation vector of `seconds` written as CSV, with a run of missing samples on U2
/// from 0.3 s for 5 ms.
fn recording(dir: &Path, seconds: f64) -> (PathBuf, Waveform) {
    let recipe = suite("foundation")
        .unwrap()
        .into_iter()
        .find(|r| r.name == "3p4w_en50160_mix")
        .unwrap()
        .with_duration(seconds);
    let mut w = synthesize(&recipe).unwrap().waveform;
    let fs = w.sample_rate_hz;
    let u2 = w.channels.iter().position(|c| c == "U2").unwrap();
    for x in &mut w.samples[u2][(0.3 * fs) as usize..(0.305 * fs) as usize] {
        *x = f64::NAN;
    }
    let path = dir.join("rec.csv");
    write_csv(&path, &w).unwrap();
    (path, w)
}

fn no_options() -> ReadOptions {
    ReadOptions { channels: None, full_scale: None, sample_rate_hz: None }
}

#[test]
fn a_recording_through_the_host_target_is_identical_and_flags_its_gap() {
    let dir = tempfile::tempdir().unwrap();
    let (path, w) = recording(dir.path(), 1.0);
    let out = dir.path().join("out");
    let mut host = HostTarget::default();
    let r =
        run_recording(&mut host, &path, &no_options(), &Options::default(), &out, true).unwrap();
    assert!(r.pass, "{r:?}");
    assert_eq!(r.frames, w.len() as u64);
    assert!(r.cycles >= 45, "{r:?}");
    assert_eq!(r.mismatch_count, 0);
    assert!(r.energy_equal && r.non_finite.is_empty());
    // The gap flags its cycles (and no more than those the tracker's reach spans); the rest
    // are counted clean once settled.
    let gap = r.flagged_cycles.get("invalid_input").copied().unwrap_or(0);
    assert!((1..=3).contains(&gap), "{r:?}");
    assert!(r.clean_cycles + gap + 3 >= r.cycles, "{r:?}");
    // The analysis files of the target's reports, one cycles.csv row per cycle.
    let cycles = std::fs::read_to_string(out.join("cycles.csv")).unwrap();
    assert_eq!(cycles.lines().count() as u64, r.cycles + 1);
    for f in ["intervals.csv", "events.csv", "energy.json", "en50160.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
}

#[test]
fn a_target_whose_reports_differ_fails_with_every_difference_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = recording(dir.path(), 0.6);
    // Every reported current 0.2 % high.
    let mut skewed = common::Skewed::new(|c| c.i_rms.iter_mut().for_each(|i| *i *= 1.002));
    let r = run_recording(
        &mut skewed,
        &path,
        &no_options(),
        &Options::default(),
        &dir.path().join("out"),
        true,
    )
    .unwrap();
    assert!(!r.pass);
    // Every cycle report differs, each counted, the first few kept with the field named.
    assert!(r.mismatch_count >= r.cycles, "{r:?}");
    assert_eq!(r.mismatches.len(), percycle_hil::recording::MISMATCHES_KEPT);
    assert!(r.mismatches[0].starts_with("Cycle index 0: target i_rms: ["), "{}", r.mismatches[0]);
    assert!(r.mismatches[0].len() < 200, "{}", r.mismatches[0]);
}

#[test]
fn a_recording_on_the_emulated_board_is_bit_identical_to_the_host_build() {
    let Some(elf) = common::firmware() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = recording(dir.path(), 0.6);
    let mut qemu = Qemu::start("mps2-an386", &elf).expect("QEMU board");
    let r = run_recording(
        &mut qemu,
        &path,
        &no_options(),
        &Options::default(),
        &dir.path().join("out"),
        true,
    )
    .unwrap();
    assert!(r.pass, "{:?}", r.mismatches);
    assert!(r.cycles >= 25 && r.flagged_cycles.contains_key("invalid_input"), "{r:?}");
}

#[test]
fn a_shared_comtrade_record_on_the_emulated_board_is_bit_identical_to_the_host_build() {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors/recorded/comtrade-gen-trip-50hz/test3.cfg");
    if !cfg.exists() {
        println!(
            "skipped: {} is absent (the shared recordings are not beside this checkout)",
            cfg.display()
        );
        return;
    }
    let Some(elf) = common::firmware() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut qemu = Qemu::start("mps2-an386", &elf).expect("QEMU board");
    let read = ReadOptions {
        channels: Some("U1=VA_G1,U2=VB_G1,U3=VC_G1,I1=IA_G1,I2=IB_G1,I3=IC_G1".into()),
        full_scale: None,
        sample_rate_hz: None,
    };
    let opts = Options { declared_voltage: Some(3464.0), ..Options::default() };
    let r = run_recording(&mut qemu, &cfg, &read, &opts, dir.path(), true).unwrap();
    // A generator trip recorded at 5760 Hz: 4.3 s, every report of the board equal to the host
    // build's.
    assert!(r.pass, "{:?}", r.mismatches);
    assert_eq!(r.frames, 24_768);
    assert!(r.cycles > 200, "{r:?}");
}
