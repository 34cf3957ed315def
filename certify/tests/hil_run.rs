//! `percycle hil run` on the in-process target: every vector compared with the host build and
//! judged against its analytic truth, and a target whose reports are off fails both, by name.

use percycle_certify::hil_suite::run_suite;
use percycle_hil::bench::{self, HostTarget};
#[path = "../../hil/tests/common/mod.rs"]
mod common;

#[test]
fn a_run_compares_with_the_host_build_and_judges_against_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = HostTarget::default();
    let report = run_suite(&mut host, "host", "smoke", Some(0.5), false, Some(dir.path())).unwrap();
    assert!(report.pass, "{report:?}");
    assert!(report.vectors.len() >= 2);
    for v in &report.vectors {
        assert!(v.mismatches.is_empty() && v.energy_equal, "{v:?}");
        assert!(v.truth.pass && v.truth.cycles_compared >= 10, "{:?}", v.truth);
        assert!(v.truth.rms_rel_err < 1e-3, "{:?}", v.truth);
        assert!(dir.path().join(&v.name).join("cycles.csv").exists());
    }
    assert!(report.speed_x_real_time > 0.0);

    // Every reported voltage 0.5 % high: what a board with a gain error in its calibration
    // handling would send.
    let mut skewed = common::Skewed::new(|c| c.u_rms.iter_mut().for_each(|u| *u *= 1.005));
    let report = run_suite(&mut skewed, "skewed", "smoke", Some(0.5), false, None).unwrap();
    assert!(!report.pass);
    for v in &report.vectors {
        assert!(!v.mismatches.is_empty(), "{}: no mismatch listed", v.name);
        assert!(!v.truth.pass, "{}: {:?}", v.name, v.truth);
        assert!(v.truth.failures.iter().any(|f| f.contains("rms")), "{:?}", v.truth.failures);
    }
}

#[test]
fn every_foundation_vector_runs_on_the_small_board_at_50_and_60_hz() {
    let Some(elf) = common::firmware_at(
        "hil/firmware/target/netduinoplus2/thumbv7em-none-eabihf/release/percycle-firmware",
    ) else {
        return;
    };
    let (mut target, name) = bench::open_target("qemu:netduinoplus2", &elf).expect("QEMU board");
    // The STM32F405 build's 1536-point window serves 60 Hz too: the 60 Hz vector runs and is
    // judged like the 50 Hz ones.
    let report = run_suite(target.as_mut(), &name, "foundation", Some(0.3), false, None).unwrap();
    let failed: Vec<&str> =
        report.vectors.iter().filter(|v| !v.truth.pass).map(|v| v.name.as_str()).collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(report.vectors.iter().any(|v| v.name == "3p4w_60hz_15360hz"));
    assert!(report.pass);
}
