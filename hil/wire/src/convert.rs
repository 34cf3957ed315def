//! Conversions between the engine's types and the wire's, in one place for firmware and bench.

use crate::{WireConfig, WireCycle, WireEnergy};
use percycle_engine::{Analysis, ChannelCal, Config, CycleReport, EnergyRegisters, Topology};

impl WireConfig {
    /// The wire configuration of an engine configuration (the inverse of
    /// [`WireConfig::to_config`]).
    pub fn from_config(cfg: &Config) -> Self {
        let mut w = WireConfig {
            topology: match cfg.topology {
                Topology::SinglePhase => Self::SINGLE_PHASE,
                Topology::ThreePhase3W => Self::THREE_PHASE_3W,
                _ => Self::THREE_PHASE_4W,
            },
            sample_rate_hz: cfg.sample_rate_hz,
            nominal_hz: cfg.nominal_hz,
            declared_voltage: cfg.declared_voltage,
            gains: [0.0; 7],
            offsets: [0; 7],
            delays: [0.0; 7],
            input_limit_lsb: cfg.input_limit_lsb,
            aggregation_window_s: cfg.aggregation.window_s,
            meter_constant: cfg.meter_constant_imp_per_kwh,
            analysis: if cfg.analysis.harmonics { Self::HARMONICS } else { 0 }
                | if cfg.analysis.power_quality { Self::POWER_QUALITY } else { 0 }
                | if cfg.analysis.cycle_spectra { Self::CYCLE_SPECTRA } else { 0 },
        };
        for (c, cal) in cfg.calibration.iter().enumerate().take(7) {
            w.gains[c] = cal.gain;
            w.offsets[c] = cal.offset_lsb;
            w.delays[c] = cal.delay_samples;
        }
        w
    }

    /// The engine configuration this wire configuration stands for.
    pub fn to_config(&self) -> Config {
        let topology = match self.topology {
            0 => Topology::SinglePhase,
            2 => Topology::ThreePhase3W,
            _ => Topology::ThreePhase4W,
        };
        let mut cfg = Config::new(topology, self.sample_rate_hz, self.nominal_hz);
        cfg.declared_voltage = self.declared_voltage;
        cfg.zc_hysteresis_v = 0.02 * self.declared_voltage;
        cfg.meter_constant_imp_per_kwh = self.meter_constant;
        cfg.input_limit_lsb = self.input_limit_lsb;
        cfg.aggregation.window_s = self.aggregation_window_s;
        cfg.analysis = Analysis {
            harmonics: self.analysis & Self::HARMONICS != 0,
            power_quality: self.analysis & Self::POWER_QUALITY != 0,
            cycle_spectra: self.analysis & Self::CYCLE_SPECTRA != 0,
        };
        for (c, cal) in cfg.calibration.iter_mut().enumerate() {
            *cal = ChannelCal {
                gain: self.gains[c],
                offset_lsb: self.offsets[c],
                delay_samples: self.delays[c],
            };
        }
        cfg
    }
}

impl From<&CycleReport> for WireCycle {
    fn from(r: &CycleReport) -> Self {
        WireCycle {
            index: r.index,
            start_sample: r.start.sample,
            start_frac: r.start.frac,
            duration_samples: r.duration_samples,
            frequency: r.frequency,
            u_rms: r.u_rms,
            i_rms: r.i_rms,
            in_rms: r.in_rms,
            u_rms_half: r.u_rms_half,
            p_active: r.p_active,
            q_reactive: r.q_reactive,
            thd_pct: r.thd_pct,
            flags: r.flags.0,
        }
    }
}

impl From<&EnergyRegisters> for WireEnergy {
    fn from(e: &EnergyRegisters) -> Self {
        WireEnergy {
            a_plus_uws: e.total.a_plus,
            a_minus_uws: e.total.a_minus,
            r_plus_uvars: e.total.r_plus,
            r_minus_uvars: e.total.r_minus,
            pulses_a_plus: e.pulses.a_plus,
        }
    }
}
