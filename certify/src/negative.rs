//! Negative controls: a target whose engine is told a wrong calibration for its current
//! channels, so that the report must fail exactly the test points the error exceeds.
//!
//! A gain error `g` (relative) scales every current by `1 + g`, so every energy point's error
//! moves by `g`. A phase error `δ` (degrees at the nominal frequency) delays the currents, so the
//! current lags by `φ + δ`: the active energy's error is `cos(φ + δ)/cos φ − 1`, the reactive
//! energy's `sin(φ + δ)/sin φ − 1`.

use anyhow::Result;
use percycle_hil::bench::{Outputs, Target};
use percycle_wire::{Identity, WireConfig, WireEnergy};

/// A target with a calibration error on its current channels.
pub struct Miscalibrated<'a> {
    inner: &'a mut (dyn Target + 'a),
    gain_error: f64,
    phase_error_deg: f64,
}

impl<'a> Miscalibrated<'a> {
    /// Currents read `1 + gain_error` times too high and lag by `phase_error_deg` more.
    pub fn new(inner: &'a mut (dyn Target + 'a), gain_error: f64, phase_error_deg: f64) -> Self {
        Self { inner, gain_error, phase_error_deg }
    }
}

impl Target for Miscalibrated<'_> {
    fn identify(&mut self) -> Result<Identity> {
        self.inner.identify()
    }

    fn configure(&mut self, cfg: &WireConfig) -> Result<()> {
        let mut c = *cfg;
        let currents = match c.topology {
            WireConfig::SINGLE_PHASE => 1..2,
            WireConfig::THREE_PHASE_3W => 2..4,
            _ => 3..7,
        };
        let per_degree = c.sample_rate_hz as f64 / (360.0 * c.nominal_hz as f64);
        for k in currents {
            c.gains[k] = (c.gains[k] as f64 * (1.0 + self.gain_error)) as f32;
            c.delays[k] = (c.delays[k] as f64 + self.phase_error_deg * per_degree) as f32;
        }
        self.inner.configure(&c)
    }

    fn samples(&mut self, first_frame: u64, channels: u8, codes: &[i32]) -> Result<Outputs> {
        self.inner.samples(first_frame, channels, codes)
    }

    fn finish(&mut self) -> Result<(Outputs, WireEnergy)> {
        self.inner.finish()
    }
}
