//! Per-cycle report.

use crate::types::{Flags, Phasor, SampleTime};

/// Everything measured over one mains cycle.
///
/// Phase slots are L1, L2, L3 (for 3P3W: element 1 = U12/I1 in slot 0 and element 2 = U32/I3 in
/// slot 2). Slots of absent phases are zero. All values are SI units in f32.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CycleReport {
    /// Cycle counter since start or reset (the leading partial segment is not counted).
    pub index: u64,
    /// Start of the cycle: the rising zero crossing of the fundamental of the reference.
    pub start: SampleTime,
    /// Cycle length, samples.
    pub duration_samples: f32,
    /// Frequency of this cycle, Hz (sample rate / cycle length).
    pub frequency: f32,
    /// Phase voltage rms per phase over the cycle, V (line voltages for 3P3W).
    pub u_rms: [f32; 3],
    /// Line-to-line voltage rms U12, U23, U31 (3P4W only), V.
    pub u_ll_rms: [f32; 3],
    /// Phase current rms, A.
    pub i_rms: [f32; 3],
    /// Neutral current rms (3P4W), A, as measured on the IN channel.
    pub in_rms: f32,
    /// Neutral current rms computed from the phase currents, rms of (i1 + i2 + i3), A (3P4W).
    /// A measured IN far from it points at a broken neutral path, leakage or CT wiring.
    pub in_computed_rms: f32,
    /// Urms(1/2): one-cycle rms refreshed every half cycle, V. `[0]` is the window from the
    /// previous cycle's midpoint to this cycle's midpoint, `[1]` the window of this cycle.
    pub u_rms_half: [[f32; 3]; 2],
    /// Active power per phase (all harmonics), W.
    pub p_active: [f32; 3],
    /// Fundamental reactive power per phase (IEC 62053-24 sign), var.
    pub q_reactive: [f32; 3],
    /// Apparent power per phase, U rms × I rms, VA.
    pub s_apparent: [f32; 3],
    /// Power factor per phase, P / S (0 when S = 0).
    pub power_factor: [f32; 3],
    /// Total active power, W.
    pub p_total: f32,
    /// Total fundamental reactive power, var.
    pub q_total: f32,
    /// Total apparent power (arithmetic sum of the phases), VA.
    pub s_total: f32,
    /// Total power factor, P total / S total.
    pub pf_total: f32,
    /// Fundamental voltage phasors, V rms.
    pub u_fund: [Phasor; 3],
    /// Fundamental current phasors, A rms.
    pub i_fund: [Phasor; 3],
    /// THD of each channel over orders 2..=50, % of the fundamental (frame order); the
    /// harmonics themselves are in the cycle's [`crate::CycleSpectrum`].
    pub thd_pct: [f32; crate::MAX_CHANNELS],
    /// Mean value of each channel over the cycle (frame order), V or A.
    pub dc: [f32; crate::MAX_CHANNELS],
    /// Conditions of this cycle.
    pub flags: Flags,
}

impl CycleReport {
    /// Start time in seconds since the stream start.
    pub fn start_s(&self, sample_rate_hz: f32) -> f64 {
        self.start.seconds(sample_rate_hz)
    }
}
