//! Types every stage shares: the sample axis ([`SampleTime`]), the fundamental phasor
//! ([`Phasor`]), the flags of a value ([`Flags`]) and the delay-corrected frame of the sample ring
//! ([`Frame`]).

use crate::config::MAX_CHANNELS;
use crate::math;

/// A point on the sample axis: integer sample index plus a fraction in `[0, 1)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SampleTime {
    /// Sample index counted from the start of the stream (or the last reset).
    pub sample: u64,
    /// Fraction of a sample period after `sample`, in `[0, 1)`.
    pub frac: f32,
}

impl SampleTime {
    /// The stream origin.
    pub const ZERO: Self = Self { sample: 0, frac: 0.0 };

    /// Time since the start of the stream, in seconds.
    pub fn seconds(&self, sample_rate_hz: f32) -> f64 {
        (self.sample as f64 + self.frac as f64) / sample_rate_hz as f64
    }

    /// `self + samples`, normalised.
    pub(crate) fn add(self, samples: f32) -> Self {
        let whole = math::floor64(samples as f64 + self.frac as f64);
        let frac = (samples as f64 + self.frac as f64 - whole) as f32;
        // `frac` may round up to 1.0 in f32; keep it in [0, 1).
        let (whole, frac) = if frac >= 1.0 { (whole + 1.0, 0.0) } else { (whole, frac) };
        let sample = if whole >= 0.0 {
            self.sample.saturating_add(whole as u64)
        } else {
            self.sample.saturating_sub((-whole) as u64)
        };
        Self { sample, frac }
    }

    /// `self - earlier` in samples.
    pub(crate) fn since(self, earlier: Self) -> f32 {
        (self.sample.wrapping_sub(earlier.sample) as i64) as f32 + (self.frac - earlier.frac)
    }
}

/// Lanes of a ring frame: the channels of one sample side by side. On the host the largest frame
/// (3P4W, 7 channels) is padded to 8, so that a frame is two 4-lane vectors (measured: with 7
/// lanes the host resampler split each frame into 4 + 2 + 1 and ran 2.5 times slower). The
/// 32-bit Arm target computes lanes one at a time and keeps 7 (4 KiB less ring for
/// `Meter<1024, _>`). Each lane's results are the same either way.
pub(crate) const LANES: usize = if cfg!(target_arch = "arm") { MAX_CHANNELS } else { 8 };

/// One sample of every channel, as exact f32 codes.
pub(crate) type Frame = [f32; LANES];

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
