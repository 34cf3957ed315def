//! Shared by the test crates that run the emulated boards.

use std::path::PathBuf;

/// The release build of the firmware for mps2-an386.
#[allow(dead_code)] // not every test crate that includes this module needs both lookups
pub fn firmware() -> Option<PathBuf> {
    firmware_at("hil/firmware/target/thumbv7em-none-eabihf/release/percycle-firmware")
}

#[allow(dead_code)]
/// The firmware at `relative` (to the workspace root) when it and `qemu-system-arm` are present;
/// otherwise `None` with the reason printed, and a failure in CI (`CI` set).
pub fn firmware_at(relative: &str) -> Option<PathBuf> {
    // Every test crate that uses this sits one directory below the workspace root.
    let elf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    let qemu = std::process::Command::new("qemu-system-arm").arg("--version").output().is_ok();
    if elf.exists() && qemu {
        return Some(elf);
    }
    let why = format!(
        "firmware {} present: {}, qemu-system-arm present: {qemu}",
        elf.display(),
        elf.exists()
    );
    assert!(std::env::var("CI").is_err(), "board tests cannot run in CI: {why}");
    println!("skipped: {why} (scripts/test.sh installs and builds both)");
    None
}
