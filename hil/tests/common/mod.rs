//! Shared by the test crates that run the emulated boards.

use percycle_engine::CycleReport;
use percycle_hil::bench::{HostTarget, Outputs, Report, Target};
use percycle_wire::{Identity, WireConfig, WireEnergy};
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

/// The host engine with every cycle report changed by `skew`: what a board with an error in its
/// calibration or arithmetic would send.
#[allow(dead_code)]
pub struct Skewed {
    pub inner: HostTarget,
    pub skew: fn(&mut CycleReport),
}

#[allow(dead_code)]
impl Skewed {
    pub fn new(skew: fn(&mut CycleReport)) -> Self {
        Self { inner: HostTarget::default(), skew }
    }

    fn apply(&self, mut out: Outputs) -> Outputs {
        for r in &mut out.reports {
            if let Report::Cycle(c) = r {
                (self.skew)(c);
            }
        }
        out
    }
}

impl Target for Skewed {
    fn identify(&mut self) -> anyhow::Result<Identity> {
        self.inner.identify()
    }
    fn configure(&mut self, cfg: &WireConfig) -> anyhow::Result<()> {
        self.inner.configure(cfg)
    }
    fn samples(&mut self, first: u64, channels: u8, codes: &[i32]) -> anyhow::Result<Outputs> {
        let out = self.inner.samples(first, channels, codes)?;
        Ok(self.apply(out))
    }
    fn finish(&mut self) -> anyhow::Result<(Outputs, WireEnergy)> {
        let (out, e) = self.inner.finish()?;
        Ok((self.apply(out), e))
    }
}
