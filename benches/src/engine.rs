//! The engine's whole job on a stream, through its public block API, reduced to a [`Summary`].

use crate::signal::{CHANNELS, F0_HZ, FS_HZ};
use crate::summary::{Summary, SummaryAcc};
use percycle_engine::{Analysis, Config, Meter, Output, Topology};

/// The engine configuration of every workload: 3P4W, 10.24 kHz, 50 Hz, default calibration
/// (±1000 V and ±100 A over ±2²³ codes).
pub fn config() -> Config {
    Config::new(Topology::ThreePhase4W, FS_HZ as f32, F0_HZ as f32)
}

/// W2's per-cycle job: [`config`] without the harmonic analysis (no resampling, no FFT), with
/// power quality (Urms(1/2), events, 10-s frequency) on top of the per-cycle core (rms, P, Q,
/// phasors, frequency, energy).
pub fn config_per_cycle() -> Config {
    let mut cfg = config();
    cfg.analysis = Analysis { harmonics: false, power_quality: true, cycle_spectra: false };
    cfg
}

/// The full job without the per-cycle spectra: [`config`] with the IEC 61000-4-7 interval (one
/// resampling and one FFT per window) but no per-cycle spectrum, the work the naive pipeline
/// does.
pub fn config_interval_only() -> Config {
    let mut cfg = config();
    cfg.analysis.cycle_spectra = false;
    cfg
}

/// The per-cycle core alone: [`config`] with harmonics and power quality off.
pub fn config_core() -> Config {
    let mut cfg = config();
    cfg.analysis = Analysis { harmonics: false, power_quality: false, cycle_spectra: false };
    cfg
}

/// Volts or amperes per code of each channel of `cfg`.
pub fn gains(cfg: &Config) -> [f32; CHANNELS] {
    core::array::from_fn(|c| cfg.calibration[c].gain)
}

/// A meter with the default ring and the 2048-point interval window, on the heap (its state is
/// about 90 KiB).
pub fn meter(cfg: Config) -> Box<Meter> {
    Box::new(Meter::new(cfg).expect("the benchmark configuration is valid"))
}

/// Feed interleaved codes through [`Meter::process_block_with`] and collect the cycle reports
/// (rms of the 7 channels, P of the 3 phases) and the interval reports (THDS, the subgroup THD
/// over orders 2..=50); then `reset()`, so the meter is ready for the next stream.
pub fn run_codes(meter: &mut Meter, codes: &[i32]) -> Summary {
    let mut acc = SummaryAcc::default();
    meter.process_block_with(codes, |o| collect(&mut acc, o));
    meter.reset();
    acc.finish()
}

/// As [`run_codes`] on interleaved volts and amperes ([`Meter::process_f32_block_with`]).
pub fn run_f32(meter: &mut Meter, x: &[f32]) -> Summary {
    let mut acc = SummaryAcc::default();
    meter.process_f32_block_with(x, |o| collect(&mut acc, o));
    meter.reset();
    acc.finish()
}

#[inline]
fn collect(acc: &mut SummaryAcc, o: Output<'_>) {
    match o {
        Output::Cycle(r, _) => {
            let rms =
                [r.u_rms[0], r.u_rms[1], r.u_rms[2], r.i_rms[0], r.i_rms[1], r.i_rms[2], r.in_rms];
            acc.cycle(rms, r.p_active);
        }
        Output::Interval(iv) => acc.window(iv.thds_pct),
        _ => {}
    }
}
