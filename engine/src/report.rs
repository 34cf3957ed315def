//! Per-cycle report and its flags.

use crate::tracker::SampleTime;

/// Conditions of a cycle. Abnormal input is data, not an error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Flags(pub u16);

impl Flags {
    /// One of the first `settle_cycles` cycles after start or reset (filter still settling).
    pub const SETTLING: Flags = Flags(1 << 0);
    /// No valid zero crossing: the boundary was placed one last-good period after the previous.
    pub const HOLDOVER: Flags = Flags(1 << 1);
    /// The filtered reference voltage stayed below the zero-crossing hysteresis.
    pub const NO_REFERENCE: Flags = Flags(1 << 2);
    /// A sample of this cycle reached the input range ([`crate::Config::input_limit_lsb`]):
    /// the converter was saturated, or a float input beyond full scale was clipped.
    pub const CLIPPED: Flags = Flags(1 << 3);
    /// A sample of this cycle was missing ([`crate::CODE_MISSING`], NaN or ±∞), taken as zero
    /// in the integrals; the Urms(1/2) windows that hold it are not judged by the detectors.
    pub const INVALID_INPUT: Flags = Flags(1 << 4);
    /// At least one phase was below the anti-creep current: it registered no energy.
    pub const CREEP: Flags = Flags(1 << 5);
    /// A frame had fewer channels than the topology needs; the missing ones were taken as zero.
    pub const SHORT_FRAME: Flags = Flags(1 << 6);
    /// First crossing after hold-over: this cycle's length is not a true period.
    pub const RESYNC: Flags = Flags(1 << 7);
    /// A dip, swell or interruption was in progress during this cycle (IEC 61000-4-30 flagging:
    /// every value and aggregate containing it is flagged).
    pub const EVENT: Flags = Flags(1 << 8);
    /// No locked fundamental in this cycle: hold-over, resync, no reference, a frequency outside
    /// the measuring range, or a signal whose fundamental carries less than half of its power
    /// (noise, DC). Its frequency is not a measurement and its values do not describe a supply.
    pub const NO_LOCK: Flags = Flags(1 << 9);
    /// The cycle's frequency lies outside the measuring range (42.5-57.5 Hz at 50 Hz nominal,
    /// 51-69 Hz at 60 Hz): the configuration does not fit the supply.
    pub const OFF_NOMINAL: Flags = Flags(1 << 10);
    /// Interval reports only: the window holds fewer points per cycle than the input has
    /// samples, and input content up to half the sample rate may fold onto the reported groups
    /// (the interval's harmonics may be wrong; its rms values are not affected). Set when
    /// `WINDOW − N·fs/(2f)` does not clear the highest bin the groups use (N cycles per window,
    /// f the interval's frequency).
    pub const ALIASED: Flags = Flags(1 << 11);

    /// Flags that make a value unfit for statistics (IEC 61000-4-30 §4.7 flagging and the
    /// conditions above): EN 50160 and aggregation leave such values out.
    pub const UNRELIABLE: Flags = Flags(
        Self::SETTLING.0
            | Self::HOLDOVER.0
            | Self::NO_REFERENCE.0
            | Self::CLIPPED.0
            | Self::INVALID_INPUT.0
            | Self::SHORT_FRAME.0
            | Self::RESYNC.0
            | Self::EVENT.0
            | Self::NO_LOCK.0
            | Self::OFF_NOMINAL.0,
    );

    /// Every flag with its name as the CSV files write it, in bit order.
    pub const NAMES: [(Flags, &'static str); 12] = [
        (Self::SETTLING, "settling"),
        (Self::HOLDOVER, "holdover"),
        (Self::NO_REFERENCE, "no_reference"),
        (Self::CLIPPED, "clipped"),
        (Self::INVALID_INPUT, "invalid_input"),
        (Self::CREEP, "creep"),
        (Self::SHORT_FRAME, "short_frame"),
        (Self::RESYNC, "resync"),
        (Self::EVENT, "event"),
        (Self::NO_LOCK, "no_lock"),
        (Self::OFF_NOMINAL, "off_nominal"),
        (Self::ALIASED, "aliased"),
    ];

    /// No flag set.
    pub const fn empty() -> Self {
        Flags(0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag of `other` is set.
    pub const fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// Set the flags of `other`.
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }

    /// Whether the frequency of this cycle is a measured period of a locked fundamental (no
    /// hold-over, resync, settling or loss of lock).
    pub const fn frequency_valid(self) -> bool {
        !self.intersects(Flags(
            Self::HOLDOVER.0 | Self::RESYNC.0 | Self::SETTLING.0 | Self::NO_LOCK.0,
        ))
    }
}

impl core::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// A fundamental phasor in rms units: `x(t) ≈ √2·|X|·cos(θ(t) + arg X)` with θ = 0 at the cycle
/// start and 2π at its end.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Phasor {
    /// Real part, V or A rms.
    pub re: f32,
    /// Imaginary part, V or A rms.
    pub im: f32,
}

impl Phasor {
    /// Zero.
    pub(crate) const ZERO: Self = Self { re: 0.0, im: 0.0 };

    /// Magnitude, V or A rms.
    pub fn magnitude(&self) -> f32 {
        crate::math::sqrtf(self.re * self.re + self.im * self.im)
    }
}

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
