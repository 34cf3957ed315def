//! The per-cycle engine: frames in, [`CycleReport`]s and energy registers out.

use crate::aggregate::{AggregateReport, Aggregator};
use crate::conditions::Conditions;
use crate::config::{Config, ConfigError, Roles, Topology, MAX_CHANNELS};
use crate::delay::{DelayLine, BASE_DELAY};
use crate::energy::EnergyRegisters;
use crate::front::{Front, Stop};
use crate::interval::{CycleShare, Interval, Samples};
use crate::kernels::{self, edge, Grid, Window};
use crate::math;
use crate::pq::{
    EventDetector, EventKind, EventQueue, FrequencyReport, PqCounters, RvcDetector, Snapshot,
    TenSecond, VoltageEvent,
};
use crate::report::CycleReport;
use crate::resample::{Kernel, LOOKAHEAD, LOOKBEHIND};
use crate::segments::{Segment, Segments};
use crate::spectrum::{self, CycleSpectrum, IntervalReport, CYCLE_POINTS};
use crate::tracker::{Boundary, BoundaryKind, Tracker};
use crate::types::{Flags, Frame, Phasor, SampleTime, LANES};
use crate::urms_half::{self, CycleSquares, UrmsHalf};

/// Samples after a boundary that must have arrived before its cycle is closed: the resampler's
/// taps reach [`LOOKAHEAD`] samples past the last point.
const CLOSE_LAG: u64 = LOOKAHEAD;

/// Default ring length: enough for sample rates up to 25.6 kHz at 50 Hz (30.7 kHz at 60 Hz);
/// 32 kHz at 50 Hz needs `Meter<2048>`.
pub const DEFAULT_RING: usize = 1024;

/// Default interval window: 2048 points, enough for 50 and 60 Hz (1024 suffices for 50 Hz).
pub const DEFAULT_WINDOW: usize = 2048;

/// The reports [`Meter::finish`] hands out (none, one or two, in order).
pub type Finished = core::iter::Flatten<core::array::IntoIter<Option<CycleReport>, 2>>;

/// What a block call hands to its sink.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Output<'a> {
    /// A cycle closed: its report and its harmonics.
    Cycle(&'a CycleReport, &'a CycleSpectrum),
    /// A 10/12-cycle interval closed (right after the cycle that completed it).
    Interval(&'a IntervalReport),
    /// A dip, swell or interruption ended.
    Event(&'a VoltageEvent),
    /// A 10-s power-frequency value is complete.
    Frequency(&'a FrequencyReport),
    /// A grid snapshot taken when an event started.
    Snapshot(&'a Snapshot),
    /// A 150/180-cycle, 10-min or 2-h value is complete (right after the interval that
    /// completed it).
    Aggregate(&'a AggregateReport),
}

/// The metrology engine for one meter.
///
/// `RING` is the per-channel sample ring in samples (a power of two); it bounds the longest
/// cycle and so the lowest sample-rate-to-frequency ratio the configuration may use. `WINDOW` is
/// the IEC 61000-4-7 interval's FFT length, 1024, 1280, 1536 or 2048: 1024 covers the 50th
/// harmonic and its interharmonic subgroup at 50 Hz (10 cycles), 60 Hz (12 cycles) needs 1280 or
/// more. A window with fewer points per cycle than the input has samples may fold content from
/// above its Nyquist order onto the groups; such intervals carry [`Flags::ALIASED`]. With 2048
/// none are flagged from 42.5 Hz up at 12.8 kHz and below; with 1536 at 10.24 kHz, those below
/// 49.5 Hz are, and at 60 Hz every one from about 9.3 kHz up. The state takes
/// `4 × (7 × RING + 7 × WINDOW)` bytes on the Cortex-M4F (`8 × RING` ring lanes on the host) plus
/// about 27 KiB of filters, detectors and reports: 111 KiB for `Meter<1024, 2048>` on the
/// target (the firmware's `.bss` symbol), 71 KiB for `Meter<512, 1024>` on the host.
///
/// # Measurement definitions
///
/// * Cycle: from one rising zero crossing of the filtered reference to the next (see the
///   tracker module), with sub-sample boundaries.
/// * Integrals over a cycle (Σx², Σx, Σu·i, Σu_a·u_b, and the fundamental DFT) are exact integrals
///   of the piecewise-linear interpolation of the per-sample products between the two boundary
///   instants (trapezoidal rule with fractional end segments): the sum of the whole samples in
///   integers, plus two end corrections in f32. Adjacent cycles share their boundary terms, so
///   the cycles' integrals add up to the integral over the whole stream and no energy is lost or
///   counted twice. For a periodic signal the error is below 2·10⁻⁶ of the rms at 8 kHz and more.
/// * rms = √(∫x²/T) (true rms, DC included unless `dc_removal`), P = ∫u·i/T (all harmonics),
///   S = U rms · I rms, PF = P/S.
/// * Fundamental phasor X = (√2/T)·∫x(t)·e^(−jθ(t)) dt with θ = 2π(t − t_start)/T;
///   Q = Im(U·I*) (fundamental reactive power, IEC 62053-24; positive when the current lags).
/// * Urms(1/2) (IEC 61000-4-30): one-cycle rms, refreshed every half cycle. The half-cycle
///   instants are the midpoints between rising zero crossings, which are the falling crossings
///   for a signal without DC or even harmonics.
///
/// # Examples
///
/// ```
/// use percycle_engine::{Config, Meter, Topology};
/// let cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
/// let mut meter: Meter = Meter::new(cfg).unwrap();
/// let mut cycles = 0;
/// for n in 0..10_240u32 {
///     let t = n as f32 / 10_240.0;
///     let u = 325.27 * libm::sinf(2.0 * core::f32::consts::PI * 50.0 * t);
///     let i = 7.07 * libm::sinf(2.0 * core::f32::consts::PI * 50.0 * t);
///     if let Some(r) = meter.process_f32(&[u, i]) {
///         cycles += 1;
///         if cycles > 3 {
///             assert!((r.u_rms[0] - 230.0).abs() < 0.05);
///         }
///     }
/// }
/// cycles += meter.finish().count();
/// assert!(cycles >= 48);
/// ```
//
// `repr(C)` with the per-sample state first: on the target, fields within 4 KiB of the struct
// are reached with one load or store, and the compiler's own order put the front end past that.
#[derive(Clone)]
#[repr(C)]
pub struct Meter<const RING: usize = DEFAULT_RING, const WINDOW: usize = DEFAULT_WINDOW> {
    /// Calibration, phase correction, tracker: the per-sample path.
    front: Front,
    cfg: Config,
    roles: Roles,
    nch: usize,
    /// Volts or amperes per code, per lane (the padding lane too, for the kernels).
    gain: [f32; LANES],
    /// The resampler's kernel, sized to the highest frequency the spectra report.
    kernel: Kernel,
    /// Partial frame left over by the block paths.
    carry: [i32; MAX_CHANNELS],
    carry_len: usize,
    pending: Option<Boundary>,
    /// Start of the open cycle.
    start: SampleTime,
    /// The open cycle starts at the stream origin (rectangle convention for the first sample).
    start_is_origin: bool,
    /// The open cycle starts at a hold-over boundary.
    start_is_holdover: bool,
    /// Cycles reported since start or reset.
    index: u64,
    /// Urms(1/2): the window length and the last cycle's second half.
    urms_half: UrmsHalf,
    /// The energy registers and the partial segment waiting for a cycle's reactive power.
    segments: Segments,
    have_cycle: bool,
    /// Locked cycles still to be flagged settling.
    settle_left: u16,
    /// Settling is over: a locked fundamental was seen for `settle_cycles` cycles. From then on
    /// Urms(1/2), the intervals and the detectors take values (also through a later loss of lock,
    /// so an interruption is seen).
    acquired: bool,
    /// Harmonics of the last two cycles: `spectra[spec_next]` receives the closing cycle's, the
    /// other holds the held cycle's.
    spectra: [CycleSpectrum; 2],
    spec_next: usize,
    /// The last closed cycle, handed out when the next one closes (see [`Meter::process`]), and
    /// whether it completed the interval in `interval`.
    held: Option<CycleReport>,
    held_interval: bool,
    /// The last completed interval has not been taken yet.
    interval_ready: bool,
    /// 150/180-cycle, 10-min and 2-h aggregation of the intervals.
    aggregator: Aggregator,
    /// Dip, swell and interruption detector, and the events it completed.
    detector: EventDetector,
    rvc: RvcDetector,
    /// Missing phase, broken neutral, phase sequence, low voltage.
    conditions: Conditions,
    events: EventQueue,
    /// 10-s power frequency.
    ten_s: TenSecond,
    frequency: Option<FrequencyReport>,
    snapshot: Option<Snapshot>,
    /// The delay-corrected samples, frame by frame: stream sample `m` is at `m mod RING`, channel
    /// `c` in lane `c`. Decision and measured reason: codes are stored as f32 (exact, since
    /// |code| ≤ [`CODE_LIMIT`] < 2^24) with the channels of one sample side by side, because the
    /// resampler reads every sample about 26 times per cycle as f32 and the fundamental DFT
    /// once; the integer sums convert back exactly. With channels in lanes the host vectorises
    /// the resampler and the DFT across channels while keeping each channel's accumulation in
    /// sample order, the order the target runs too.
    ring: [Frame; RING],
    /// The IEC 61000-4-30 interval being filled (its window last) and the last one completed.
    interval: Interval<WINDOW>,
}

/// Integrals over a window, in engineering units × samples.
#[derive(Clone, Copy, Debug, Default)]
struct Integrals {
    len: f32,
    sq: [f32; MAX_CHANNELS],
    sum: [f32; MAX_CHANNELS],
    ui: [f32; 3],
    uu: [f32; 3],
    /// ∫(i1 + i2 + i3)² (the neutral current computed from the phases), A²·samples.
    i_sum_sq: f32,
    mid: SampleTime,
    fund: [Phasor; MAX_CHANNELS],
    /// Σx² in codes² over the whole samples of the window and of its first half (up to the
    /// sample of `mid`), per lane: exact, so Urms(1/2) reuses them.
    sq_codes: [i64; LANES],
    sq_codes_first: [i64; LANES],
}

impl<const RING: usize, const WINDOW: usize> Meter<RING, WINDOW> {
    const RING_IS_POWER_OF_TWO: () = assert!(RING.is_power_of_two() && RING >= 64);
    const WINDOW_IS_SUPPORTED: () =
        assert!(WINDOW == 1024 || WINDOW == 1280 || WINDOW == 1536 || WINDOW == 2048);

    /// A meter with no configuration, every byte zero: the initial value of a `static` (it lands
    /// in `.bss`, so a firmware holds one copy of the state and no initial image in flash).
    /// [`Meter::configure`] makes it a working meter, in place; until then every sample call
    /// does nothing and returns no report.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_engine::{Config, Meter, Topology};
    /// static mut SPARE: Meter = Meter::UNCONFIGURED;
    /// let mut meter: Meter = Meter::UNCONFIGURED;
    /// assert_eq!(meter.channels(), 0);
    /// assert!(meter.process(&[1, 2]).is_none());
    /// meter.configure(Config::new(Topology::SinglePhase, 10_240.0, 50.0)).unwrap();
    /// assert_eq!(meter.channels(), 2);
    /// ```
    pub const UNCONFIGURED: Self = Self {
        front: Front::ZERO,
        cfg: Config::ZERO,
        roles: Roles::NONE,
        nch: 0,
        gain: [0.0; LANES],
        kernel: Kernel::Long,
        carry: [0; MAX_CHANNELS],
        carry_len: 0,
        // The all-zero encoding of this `Option` is a `Some`: harmless, nothing runs before
        // `configure` replaces it.
        pending: Some(Boundary { at: SampleTime::ZERO, kind: BoundaryKind::Crossing }),
        start: SampleTime::ZERO,
        start_is_origin: false,
        start_is_holdover: false,
        index: 0,
        urms_half: UrmsHalf::ZERO,
        segments: Segments::ZERO,
        have_cycle: false,
        settle_left: 0,
        acquired: false,
        spectra: [CycleSpectrum::ZERO; 2],
        spec_next: 0,
        held: None,
        held_interval: false,
        interval_ready: false,
        aggregator: Aggregator::ZERO,
        detector: EventDetector::ZERO,
        rvc: RvcDetector::ZERO,
        conditions: Conditions::ZERO,
        events: EventQueue::ZERO,
        ten_s: TenSecond::ZERO,
        frequency: None,
        // As `pending`: the zero encoding of `Option<Snapshot>` is a `Some`, never handed out
        // (see `take_snapshot`).
        snapshot: Some(Snapshot {
            trigger: EventKind::Dip,
            cycle: 0,
            start: SampleTime::ZERO,
            values: [0.0; crate::pq::SNAPSHOT_VALUES],
        }),
        ring: [[0.0; LANES]; RING],
        interval: Interval::ZERO,
    };

    /// Build a meter; with [`Meter::configure`], the only place a configuration can be rejected.
    ///
    /// The meter is returned by value, which on a small MCU may need a second copy of the state
    /// on the stack: there, keep a `static` [`Meter::UNCONFIGURED`] and [`Meter::configure`] it.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first field out of range, or a ring too short for the sample rate.
    pub fn new(cfg: Config) -> Result<Self, ConfigError> {
        let mut meter = Self::UNCONFIGURED;
        meter.configure(cfg)?;
        Ok(meter)
    }

    /// Take a configuration, in place: the meter starts afresh as one built by [`Meter::new`]
    /// (signal state, energy registers and event counters cleared). No copy of the state is
    /// made, so this is how a firmware sets up its `static` meter.
    ///
    /// # Errors
    /// As [`Meter::new`]; on an error the meter keeps its configuration and state.
    // Not inlined: its temporaries (a new front end, detectors, reports) then live only while
    // it runs, not in the caller's frame, which on a firmware is `main`'s, for good.
    #[inline(never)]
    pub fn configure(&mut self, cfg: Config) -> Result<(), ConfigError> {
        #[allow(clippy::let_unit_value)]
        let () = Self::RING_IS_POWER_OF_TWO;
        #[allow(clippy::let_unit_value)]
        let () = Self::WINDOW_IS_SUPPORTED;
        cfg.validate()?;
        let ref_volts_per_code = match cfg.topology {
            Topology::SinglePhase => cfg.calibration[0].gain,
            Topology::ThreePhase4W | Topology::ThreePhase3W => cfg.calibration[0].gain / 3.0,
        };
        let max_cycle = Tracker::max_cycle_samples_for(cfg.sample_rate_hz, cfg.nominal_hz);
        let needed = max_cycle as usize + (CLOSE_LAG + LOOKBEHIND) as usize + 16;
        if needed > RING {
            return Err(ConfigError::RingTooSmall { needed, ring: RING });
        }
        let cycles_per_window = if cfg.nominal_hz == 60.0 { 12 } else { 10 };
        // Highest bin used: the interharmonic subgroup above order 50.
        let needed = 2 * (cycles_per_window * (spectrum::MAX_ORDER + 1) - 1);
        if needed > WINDOW {
            return Err(ConfigError::WindowTooSmall { needed, window: WINDOW });
        }
        let mut gains = [1.0; LANES];
        let mut inv_gain = [1.0; MAX_CHANNELS];
        let mut offsets = [0; MAX_CHANNELS];
        let mut delays = [DelayLine::new(0.0); MAX_CHANNELS];
        for c in 0..cfg.topology.channels() {
            let cal = cfg.calibration[c];
            gains[c] = cal.gain;
            inv_gain[c] = 1.0 / cal.gain;
            offsets[c] = cal.offset_lsb;
            delays[c] = DelayLine::new(cal.delay_samples);
        }
        let channel_roles = cfg.topology.roles();
        let u_phases = channel_roles.u.iter().flatten().count();
        // Every field is named here, so one added to `Meter` but not set below is a compile
        // error (missing field) or an unused-variable warning. Field by field, in place: the
        // state is never built a second time on the stack.
        let Self {
            front,
            cfg: config,
            roles,
            nch,
            gain,
            kernel,
            carry,
            carry_len,
            pending,
            start,
            start_is_origin,
            start_is_holdover,
            index,
            urms_half,
            segments,
            have_cycle,
            settle_left,
            acquired,
            spectra,
            spec_next,
            held,
            held_interval,
            interval_ready,
            aggregator,
            detector,
            rvc,
            conditions,
            events,
            ten_s,
            frequency,
            snapshot,
            ring,
            interval,
        } = self;
        front.configure(cfg.input_limit_lsb, cfg.topology, offsets, inv_gain, delays);
        front.tracker.configure(
            cfg.sample_rate_hz,
            cfg.nominal_hz,
            cfg.zc_hysteresis_v,
            ref_volts_per_code,
        );
        *config = cfg;
        *roles = channel_roles;
        *nch = cfg.topology.channels();
        *gain = gains;
        // The highest frequency in a spectrum: the interharmonic subgroup above the top order,
        // at the top of the measuring range (57.5 Hz, 69 Hz).
        let highest_hz =
            (cfg.max_order() + 1) as f32 * if cfg.nominal_hz == 60.0 { 69.0 } else { 57.5 };
        *kernel = Kernel::for_band(highest_hz, cfg.sample_rate_hz);
        *carry = [0; MAX_CHANNELS];
        *carry_len = 0;
        *pending = None;
        *start = SampleTime::ZERO;
        *start_is_origin = true;
        *start_is_holdover = false;
        *index = 0;
        urms_half.reset(cfg.sample_rate_hz / cfg.nominal_hz);
        *segments = Segments::ZERO;
        *have_cycle = false;
        *settle_left = cfg.settle_cycles;
        *acquired = false;
        *spectra = [CycleSpectrum::ZERO; 2];
        *spec_next = 0;
        *held = None;
        *held_interval = false;
        *interval_ready = false;
        *aggregator =
            Aggregator::new(cfg.aggregation, cfg.nominal_hz, cfg.sample_rate_hz, channel_roles.u);
        *detector = EventDetector::new(cfg.events, cfg.declared_voltage, u_phases);
        *rvc = RvcDetector::new(&cfg.events, cfg.declared_voltage, cfg.nominal_hz, u_phases);
        *conditions = Conditions::AT_REST;
        *events = EventQueue::new(cfg.sample_rate_hz);
        *ten_s = TenSecond::ZERO;
        *frequency = None;
        *snapshot = None;
        ring.iter_mut().for_each(|f| *f = [0.0; LANES]);
        interval.configure(cycles_per_window);
        Ok(())
    }

    /// The configuration this meter runs with.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.nch
    }

    /// Harmonics of the cycle whose report was returned last (valid once a [`CycleReport`] has
    /// been returned).
    pub fn cycle_spectrum(&self) -> &CycleSpectrum {
        &self.spectra[1 - self.spec_next]
    }

    /// The interval completed by the cycle whose report was returned last, once: later calls
    /// return `None` until the next interval completes.
    pub fn take_interval(&mut self) -> Option<&IntervalReport> {
        if core::mem::take(&mut self.interval_ready) {
            Some(&self.interval.report)
        } else {
            None
        }
    }

    /// The energy registers and pulse counts.
    pub fn energy(&self) -> &EnergyRegisters {
        self.segments.registers()
    }

    /// Clear the energy registers and pulse counters (a meter's register reset).
    pub fn clear_energy(&mut self) {
        self.segments.clear();
    }

    /// Forget the signal state (filters, cycle, ring) and restart at sample 0; energy registers
    /// are kept. Nothing to do on an unconfigured meter.
    pub fn reset(&mut self) {
        if self.nch == 0 {
            return;
        }
        self.front.reset();
        self.carry_len = 0;
        self.pending = None;
        self.start = SampleTime::default();
        self.start_is_origin = true;
        self.start_is_holdover = false;
        self.index = 0;
        self.urms_half.reset(self.cfg.sample_rate_hz / self.cfg.nominal_hz);
        self.segments.restart();
        self.have_cycle = false;
        self.settle_left = self.cfg.settle_cycles;
        self.acquired = false;
        self.interval.reset();
        self.held = None;
        self.held_interval = false;
        self.interval_ready = false;
        self.aggregator.reset();
        self.detector.reset();
        self.rvc.reset();
        self.conditions = Conditions::AT_REST;
        self.ten_s = TenSecond::ZERO;
        self.frequency = None;
        self.snapshot = None;
    }

    /// The next completed voltage event, if any (the block paths hand them to the sink).
    pub fn take_event(&mut self) -> Option<VoltageEvent> {
        self.events.pop()
    }

    /// The grid snapshot taken by the last cycle (an event started in it), once.
    pub fn take_snapshot(&mut self) -> Option<Snapshot> {
        if self.nch == 0 {
            return None;
        }
        self.snapshot.take()
    }

    /// Event occurrence counters since construction (kept across [`Meter::reset`]).
    pub fn counters(&self) -> &PqCounters {
        &self.events.counters
    }

    /// The 10-s power-frequency value completed by the last cycle, once.
    pub fn take_frequency(&mut self) -> Option<FrequencyReport> {
        self.frequency.take()
    }

    /// The next aggregated value not yet handed out: the block paths hand values to the sink as
    /// they complete; call this after [`Meter::finish`] for the last 10-min and 2-h values, and
    /// after each cycle when using the per-frame path (three are kept; older ones are counted in
    /// [`Meter::aggregates_dropped`]).
    pub fn take_aggregate(&mut self) -> Option<AggregateReport> {
        self.aggregator.pop()
    }

    /// Aggregated values lost because they were not taken in time: never silent.
    pub fn aggregates_dropped(&self) -> u32 {
        self.aggregator.dropped
    }

    /// 10-min windows left out for holding fewer than 90 % of their intervals (a stream that
    /// starts or ends inside a window, or a window with gaps in tracking).
    pub fn incomplete_windows(&self) -> u32 {
        self.aggregator.incomplete_windows
    }

    /// Events dropped because the queue of 8 was full (they were not taken): never silent.
    pub fn events_dropped(&self) -> u32 {
        self.events.overflow
    }

    /// Process one frame of ADC codes in the topology's channel order; when a cycle closes,
    /// returns the report of the cycle before it. Missing channels count as zero (flagged); extra
    /// ones are ignored.
    ///
    /// Reports are handed out one cycle late so that a cycle overlapping the start of an event
    /// is flagged: Event IN is the start of the Urms(1/2) window that first crossed, which lies
    /// half a cycle into the cycle before the one whose window crossed, and that cycle (and an
    /// interval it completes) carries [`Flags::EVENT`] too (IEC 61000-4-30 §4.7). [`Meter::finish`]
    /// hands out the last two.
    #[inline(never)]
    pub fn process(&mut self, frame: &[i32]) -> Option<CycleReport> {
        if self.nch == 0 {
            return None;
        }
        let buf = self.whole_frame(frame);
        let due = self.due();
        let stop = self.front.run_codes(&mut self.ring, &buf[..self.nch], due);
        stop.and_then(|s| self.after(s))
    }

    /// Process one frame in volts and amperes. Each value is quantised to its channel's LSB
    /// (`calibration.gain`); the offset does not apply. NaN and infinities count as zero (flagged).
    #[inline(never)]
    pub fn process_f32(&mut self, frame: &[f32]) -> Option<CycleReport> {
        if self.nch == 0 {
            return None;
        }
        let buf = self.whole_frame(frame);
        let due = self.due();
        let stop = self.front.run_f32(&mut self.ring, &buf[..self.nch], due);
        stop.and_then(|s| self.after(s))
    }

    /// A frame of exactly the topology's channels: missing ones zero (flagged), extra ones cut.
    fn whole_frame<T: Copy + Default>(&mut self, frame: &[T]) -> [T; MAX_CHANNELS] {
        let mut buf = [T::default(); MAX_CHANNELS];
        let n = self.nch.min(frame.len());
        buf[..n].copy_from_slice(&frame[..n]);
        if frame.len() < self.nch {
            self.front.flags.insert(Flags::SHORT_FRAME);
        }
        buf
    }

    /// First stream sample at which the pending cycle can be closed.
    #[inline]
    fn due(&self) -> u64 {
        self.pending.map_or(u64::MAX, |b| b.at.sample + CLOSE_LAG)
    }

    /// Close what the front end's stop calls for: the previous cycle when a boundary was placed,
    /// and the pending cycle once the resampler's samples after it have arrived.
    fn after(&mut self, stop: Stop) -> Option<CycleReport> {
        let mut report = None;
        if let Some(b) = stop.boundary {
            if let Some(old) = self.pending.replace(b) {
                report = self.close(old);
            }
        }
        if let Some(b) = self.pending {
            if stop.m >= b.at.sample + CLOSE_LAG {
                self.pending = None;
                report = self.close(b).or(report);
            }
        }
        report
    }

    /// Process interleaved ADC codes; `on_cycle` is called for each cycle that closes. A trailing
    /// partial frame is kept and completed by the next call, so splitting a stream anywhere gives
    /// the same reports.
    pub fn process_block(&mut self, samples: &[i32], mut on_cycle: impl FnMut(&CycleReport)) {
        self.block(samples, &mut |o| {
            if let Output::Cycle(r, _) = o {
                on_cycle(r)
            }
        });
    }

    /// Process interleaved volts and amperes; see [`Meter::process_block`] and [`Meter::process_f32`].
    pub fn process_f32_block(&mut self, samples: &[f32], mut on_cycle: impl FnMut(&CycleReport)) {
        self.block(samples, &mut |o| {
            if let Output::Cycle(r, _) = o {
                on_cycle(r)
            }
        });
    }

    /// As [`Meter::process_block`], handing every output (cycle report with its harmonics, and
    /// each completed interval) to `sink`.
    pub fn process_block_with(&mut self, samples: &[i32], mut sink: impl FnMut(Output<'_>)) {
        self.block(samples, &mut sink);
    }

    /// As [`Meter::process_f32_block`], handing every output to `sink`.
    pub fn process_f32_block_with(&mut self, samples: &[f32], mut sink: impl FnMut(Output<'_>)) {
        self.block(samples, &mut sink);
    }

    fn block<T: Sample>(&mut self, samples: &[T], sink: &mut dyn FnMut(Output<'_>)) {
        let nch = self.nch;
        if nch == 0 {
            return;
        }
        let mut rest = samples;
        if self.carry_len > 0 {
            let mut frame = [T::default(); MAX_CHANNELS];
            for (dst, &src) in frame.iter_mut().zip(&self.carry[..self.carry_len]) {
                *dst = T::load(src);
            }
            let take = (nch - self.carry_len).min(rest.len());
            frame[self.carry_len..self.carry_len + take].copy_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.carry_len + take < nch {
                for (dst, src) in self.carry.iter_mut().zip(&frame[..self.carry_len + take]) {
                    *dst = src.store();
                }
                self.carry_len += take;
                return;
            }
            self.carry_len = 0;
            let r = T::feed(self, &frame[..nch]);
            self.emit(r, sink);
        }
        let whole = rest.len() - rest.len() % nch;
        let (mut frames, tail) = rest.split_at(whole);
        loop {
            let due = self.due();
            let Some(stop) = T::run(&mut self.front, &mut self.ring, frames, due) else {
                break;
            };
            frames = &frames[stop.used * nch..];
            let r = self.after(stop);
            self.emit(r, sink);
        }
        for (dst, src) in self.carry.iter_mut().zip(tail) {
            *dst = src.store();
        }
        self.carry_len = tail.len();
    }

    /// Hand a returned cycle report and what completed with it to `sink`: the one output path
    /// of the block calls and of [`Meter::finish_with`].
    #[inline]
    fn emit(&mut self, r: Option<CycleReport>, sink: &mut dyn FnMut(Output<'_>)) {
        if let Some(r) = r {
            sink(Output::Cycle(&r, &self.spectra[1 - self.spec_next]));
            self.emit_completed(sink);
        }
    }

    /// The interval, aggregated values, events, 10-s frequency and snapshot not yet handed out.
    fn emit_completed(&mut self, sink: &mut dyn FnMut(Output<'_>)) {
        if let Some(iv) = self.take_interval() {
            sink(Output::Interval(iv));
        }
        while let Some(a) = self.aggregator.pop() {
            sink(Output::Aggregate(&a));
        }
        while let Some(e) = self.events.pop() {
            sink(Output::Event(&e));
        }
        if let Some(f) = self.frequency.take() {
            sink(Output::Frequency(&f));
        }
        if let Some(s) = self.snapshot.take() {
            sink(Output::Snapshot(&s));
        }
    }

    /// End of the stream: closes a cycle whose boundary is already known and hands out the
    /// reports not yet handed out (up to two: see [`Meter::process`]), ends the voltage events
    /// still in progress at the end of the stream, and registers the energy of the samples after
    /// the last boundary, so that every sample's energy is counted once. Take the events with
    /// [`Meter::take_event`], the last interval with [`Meter::take_interval`], the last
    /// aggregated values with [`Meter::take_aggregate`], and the harmonics of the last report
    /// with [`Meter::cycle_spectrum`] ([`Meter::finish_with`] hands all of them to a sink). The
    /// next frame starts a new stream at sample 0 (as after [`Meter::reset`]); the registers are
    /// kept.
    pub fn finish(&mut self) -> Finished {
        let cycles = self.end_stream();
        if cycles[1].is_some() {
            // The last report's harmonics (see `finish_with`) are the ones `cycle_spectrum` shows.
            self.spec_next = 1 - self.spec_next;
        }
        // What completed with the last cycles stays to be taken.
        let (interval_ready, frequency, snapshot) =
            (self.interval_ready, self.frequency.take(), self.snapshot.take());
        self.reset();
        self.interval_ready = interval_ready;
        self.frequency = frequency;
        self.snapshot = snapshot;
        cycles.into_iter().flatten()
    }

    /// [`Meter::finish`], handing everything to `sink` as the block calls do: the last reports
    /// with their harmonics, then the interval, aggregated values (the last 10-min and 2-h
    /// ones included), the events ended by the stream's end, the 10-s frequency and snapshot
    /// not yet handed out. The meter then starts a new stream at sample 0.
    pub fn finish_with(&mut self, mut sink: impl FnMut(Output<'_>)) {
        let [first, last] = self.end_stream();
        // The held report's harmonics are at `spec_next`; a cycle closed by the stream's end
        // made the report before it (`first`, held until then) the one returned last.
        if let Some(r) = &first {
            sink(Output::Cycle(r, &self.spectra[1 - self.spec_next]));
        }
        if let Some(r) = &last {
            sink(Output::Cycle(r, &self.spectra[self.spec_next]));
        }
        self.emit_completed(&mut sink);
        self.reset();
    }

    /// The end of a stream, up to the restart: the reports not yet handed out, in order (a
    /// second one only after a first).
    fn end_stream(&mut self) -> [Option<CycleReport>; 2] {
        if self.nch == 0 {
            return [None, None];
        }
        // Drain the delay lines into the ring (not into the tracker).
        for _ in 0..BASE_DELAY {
            if self.front.frames < BASE_DELAY as u64 {
                self.front.frames += 1;
                continue;
            }
            let m = self.front.m_next;
            self.front.m_next += 1;
            self.ring[(m as usize) & (RING - 1)] = self.front.drain();
        }
        let first = self.pending.take().and_then(|b| self.close(b));
        let last = self.held.take();
        if core::mem::take(&mut self.held_interval) {
            self.release_interval();
        }
        // Events still in progress end with the stream (and say so), so none is lost.
        let end = SampleTime { sample: self.front.m_next, frac: 0.0 };
        self.detector.flush(end, &mut self.events);
        self.conditions.flush(end, &mut self.events);
        self.aggregator.finish();
        if self.front.m_next > 0 {
            let end = SampleTime { sample: self.front.m_next - 1, frac: 0.0 };
            if end.since(self.start) >= 0.0 {
                let w =
                    Window { a: self.start, b: end, rect_a: self.start_is_origin, rect_b: true };
                let tail = self.segment(&w);
                self.segments.finish(tail, &self.cfg, &self.roles);
            }
        }
        [first, last]
    }

    /// Hand out the interval completed by the cycle being handed out, and aggregate it.
    fn release_interval(&mut self) {
        self.interval_ready = true;
        self.aggregator.add(&self.interval.report);
    }

    /// Close the cycle that ends at boundary `b`; returns the report of the cycle before it,
    /// held until now (see [`Meter::process`]).
    fn close(&mut self, b: Boundary) -> Option<CycleReport> {
        let intervals = self.interval.completed;
        let report = self.close_cycle(b)?;
        self.spec_next = 1 - self.spec_next;
        let completed = self.interval.completed != intervals;
        let out = self.held.replace(report);
        if core::mem::replace(&mut self.held_interval, completed) {
            self.release_interval();
        }
        out
    }

    /// Close the cycle that ends at boundary `b`: its report, or `None` for a segment that is
    /// not a cycle.
    fn close_cycle(&mut self, b: Boundary) -> Option<CycleReport> {
        let mut flags = core::mem::take(&mut self.front.flags);
        let peak = self.front.tracker.take_peak_v();
        let w = Window { a: self.start, b: b.at, rect_a: self.start_is_origin, rect_b: false };
        // Missing or clipped samples among those the cycle's integrals touch, or close enough to
        // either boundary to have moved it (the tracker's reach): a bad sample near a boundary
        // shortens or lengthens the cycles on both sides of it.
        let reach = self.front.tracker.reach();
        let (lo, hi) =
            (w.a.sample.saturating_sub(reach), w.b.sample + (w.b.frac > 0.0) as u64 + reach);
        if self.front.invalid.overlaps(lo, hi) {
            flags.insert(Flags::INVALID_INPUT);
        }
        if self.front.clipped.overlaps(lo, hi) {
            flags.insert(Flags::CLIPPED);
        }
        let leading = (self.start_is_origin && b.kind == BoundaryKind::Crossing)
            || b.kind == BoundaryKind::Resync;
        if b.kind == BoundaryKind::Holdover {
            flags.insert(Flags::HOLDOVER);
        } else if self.start_is_holdover {
            flags.insert(Flags::RESYNC);
        }
        self.start = b.at;
        self.start_is_origin = false;
        self.start_is_holdover = b.kind != BoundaryKind::Crossing;
        if leading {
            // The stream began mid-cycle, or a short segment ended a hold-over: no report,
            // energy only (registered with the next cycle's reactive power, not known yet).
            let seg = self.segment(&w);
            let period = self.urms_half.period();
            if b.kind == BoundaryKind::Resync
                && self.cfg.analysis.power_quality
                && self.acquired
                && !self.window_has_gap(b.at, period)
            {
                // The short segment still refreshes Urms(1/2) once, at its end, so the event
                // detectors see no gap where tracking resumes.
                let mut v = [0.0f32; 3];
                for (p, v) in v.iter_mut().enumerate() {
                    if let Some(cu) = self.roles.u[p] {
                        *v = urms_half::window_rms(
                            &self.ring,
                            self.gain[cu],
                            cu,
                            b.at,
                            period,
                            None,
                        );
                    }
                }
                let disturbed = self.detector.active();
                let stamp = b.at.add(-period);
                self.detector.update(stamp, &v, &mut self.events);
                let disturbed = disturbed || self.detector.active();
                self.rvc.update(stamp, &v, disturbed, &mut self.events);
            }
            self.segments.partial(seg, &self.cfg, &self.roles);
            // The interval window needs contiguous cycles: start a new one.
            self.interval.restart();
            self.front.flags = flags;
            return None;
        }
        let x = self.integrate(&w, true);
        if peak < self.cfg.zc_hysteresis_v {
            flags.insert(Flags::NO_REFERENCE);
        }
        let mut report = self.report(&x, w.a, flags);
        let locked = self.lock(&mut report);
        if !self.acquired && locked {
            if self.settle_left == 0 {
                self.acquired = true;
            } else {
                self.settle_left -= 1;
            }
        }
        if !self.acquired {
            report.flags.insert(Flags::SETTLING);
        }
        let live = self.segments.cycle(&report, x.len, &self.cfg, &self.roles);
        if (0..3).any(|p| self.roles.i[p].is_some() && !live[p]) {
            report.flags.insert(Flags::CREEP);
        }
        // Urms(1/2)'s window counts the tracked cycles, this one included.
        if !report.flags.intersects(Flags::HOLDOVER | Flags::RESYNC) {
            self.urms_half.note(x.len);
        }
        let pq = self.cfg.analysis.power_quality;
        let opened_before = self.open_kinds();
        let started = self.detector.started;
        if pq {
            self.power_quality(&w, &x, &mut report, locked);
        }
        if self.detector.started != started && self.detector.last_start.since(w.a) < 0.0 {
            // An event whose Event IN lies in the held cycle: it overlaps the event, and so does
            // the interval it belongs to (held, or still filling).
            if let Some(h) = &mut self.held {
                h.flags.insert(Flags::EVENT);
                if self.held_interval {
                    self.interval.report.flags.insert(Flags::EVENT);
                } else {
                    self.interval.flag_filling(Flags::EVENT);
                }
            }
        }
        self.harmonics(&w, &x, &mut report);
        // A grid snapshot of this cycle when an event started in it.
        let opened = self.open_kinds() & !opened_before;
        if pq && opened != 0 {
            const KINDS: [EventKind; 8] = [
                EventKind::Dip,
                EventKind::Swell,
                EventKind::Interruption,
                EventKind::Rvc,
                EventKind::MissingPhase,
                EventKind::BrokenNeutral,
                EventKind::PhaseSequence,
                EventKind::LowVoltage,
            ];
            let kind = KINDS[opened.trailing_zeros() as usize];
            self.snapshot = Some(Snapshot::of(kind, &report));
        }

        self.have_cycle = true;
        self.index += 1;
        // Runs of bad samples that no later window can reach.
        let reach = 2 * self.front.tracker.max_cycle_samples() as u64;
        self.front.invalid.forget_before(w.a.sample.saturating_sub(reach));
        self.front.clipped.forget_before(w.a.sample.saturating_sub(reach));
        Some(report)
    }

    /// Whether the cycle of `report` has a locked fundamental; flags it [`Flags::NO_LOCK`] (and
    /// [`Flags::OFF_NOMINAL`]) when not.
    ///
    /// Locked: both boundaries are tracked zero crossings (no hold-over or resync), the reference
    /// passed the hysteresis, the cycle's frequency lies in the measuring range of IEC 61000-4-30
    /// (42.5-57.5 Hz at 50 Hz, 51-69 Hz at 60 Hz, edges included within 20 ppm), and the fundamental carries at least half of
    /// the voltages' power (Σ|U₁|² ≥ ½·ΣU²). Decision and measured reason: without the last test
    /// white noise gave cycles at 35-69 Hz; a one-cycle DFT of noise holds about 2/N of its power
    /// in the fundamental bin (1 % at 200 samples per cycle), while a supply with 30 % THD keeps
    /// 92 % there.
    fn lock(&self, report: &mut CycleReport) -> bool {
        let (lo, hi) = if self.cfg.nominal_hz == 60.0 { (51.0, 69.0) } else { (42.5, 57.5) };
        let f = report.frequency;
        let tracked =
            !report.flags.intersects(Flags::HOLDOVER | Flags::RESYNC | Flags::NO_REFERENCE);
        // The range is inclusive; a cycle's frequency on an edge is measured within about
        // 10 ppm (measured: 57.500008 Hz for a 57.5 Hz supply), so the edges get that much.
        let tol = 2e-5 * hi;
        let in_range = (lo - tol..=hi + tol).contains(&f);
        if tracked && !in_range {
            report.flags.insert(Flags::OFF_NOMINAL);
        }
        let (mut fund, mut total) = (0.0f32, 0.0f32);
        for p in 0..3 {
            if self.roles.u[p].is_some() {
                let u1 = report.u_fund[p].magnitude();
                fund += u1 * u1;
                total += report.u_rms[p] * report.u_rms[p];
            }
        }
        let fundamental = total > 0.0 && fund >= 0.5 * total;
        let locked = tracked && in_range && fundamental;
        if !locked {
            report.flags.insert(Flags::NO_LOCK);
        }
        locked
    }

    /// Whether the window of `len` samples ending at `end` holds a missing sample.
    fn window_has_gap(&self, end: SampleTime, len: f32) -> bool {
        let a = end.add(-len);
        self.front.invalid.overlaps(a.sample, end.sample + 1)
    }

    /// Urms(1/2), voltage events, rapid voltage changes, conditions and the 10-s frequency of the
    /// cycle over `w`.
    fn power_quality(&mut self, w: &Window, x: &Integrals, report: &mut CycleReport, locked: bool) {
        let period = self.urms_half.period();
        let squares =
            CycleSquares { window: w, mid: x.mid, sq: &x.sq_codes, sq_first: &x.sq_codes_first };
        report.u_rms_half = self.urms_half.cycle(&self.ring, &self.gain, &self.roles.u, &squares);
        // Voltage events on the two Urms(1/2) values of this cycle, each stamped at the start of
        // its window (IEC 61000-4-30 Class A event stamps: an event starts at the start of the
        // window that first crossed and ends at the start of the window that ended it). Values
        // before settling ends, and windows that hold a missing sample, are not judged.
        if !self.acquired {
            return self.ten_second(w, x, report);
        }
        let was_active = self.detector.active();
        let queued = self.events.pushed;
        let windows = [(x.mid, 0), (w.b, 1)];
        let mut judged = [false; 2];
        for (k, &(end, half)) in windows.iter().enumerate() {
            if !self.window_has_gap(end, period) {
                let v = report.u_rms_half[half];
                self.detector.update(end.add(-period), &v, &mut self.events);
                judged[k] = true;
            }
        }
        let ended = self.events.pushed != queued;
        // The cycle overlaps an event from Event IN to Event OUT: one in progress, or one that
        // ended at a window starting after the cycle's start.
        let ended_inside = ended && self.detector.last_end.since(w.a) > 0.0;
        if self.detector.active() || ended_inside {
            report.flags.insert(Flags::EVENT);
        }
        // A rapid voltage change is spoiled by any event around it.
        let disturbed = was_active || ended || self.detector.active();
        for (k, &(end, half)) in windows.iter().enumerate() {
            if judged[k] {
                let v = report.u_rms_half[half];
                self.rvc.update(end.add(-period), &v, disturbed, &mut self.events);
            }
        }
        // The conditions need a locked fundamental (a DC or noise input has no phase sequence).
        if locked {
            self.conditions.update(report, w.a, &self.cfg, &self.roles, &mut self.events);
        }
        self.ten_second(w, x, report);
    }

    /// The 10-s power frequency.
    fn ten_second(&mut self, w: &Window, x: &Integrals, report: &CycleReport) {
        let fs = self.cfg.sample_rate_hz;
        let per_interval = (10.0 * fs) as u64;
        if let Some(f) = self.ten_s.add(w.a, x.len, report.flags, per_interval, fs) {
            self.frequency = Some(f);
        }
    }

    /// Bit mask of the open events and conditions (bits in the order of [`EventKind`]).
    fn open_kinds(&self) -> u8 {
        self.detector.open_mask()
            | (self.rvc.is_open() as u8) << 3
            | self.conditions.open_mask() << 4
    }

    /// Lanes the kernels compute for this topology.
    fn width(&self) -> usize {
        match self.cfg.topology {
            Topology::SinglePhase => 2,
            Topology::ThreePhase3W => 4,
            Topology::ThreePhase4W => kernels::WIDE,
        }
    }

    /// Per-cycle harmonics, and this cycle's share of the interval window.
    fn harmonics(&mut self, w: &Window, x: &Integrals, report: &mut CycleReport) {
        let len = x.len;
        let on = self.cfg.analysis.harmonics;
        let top = self.cfg.max_order();
        // The buffer not holding the held cycle's harmonics.
        let sp = 1 - self.spec_next;
        if on && self.cfg.analysis.cycle_spectra {
            let mut points = [[0.0f32; CYCLE_POINTS]; MAX_CHANNELS];
            let grid = Grid { start: w.a, len, count: CYCLE_POINTS };
            let nch = self.nch;
            let mut rows = kernels::lane_rows(points.each_mut().map(|r| &mut r[..]), nch);
            kernels::resample(
                &self.ring,
                self.width(),
                self.kernel,
                &self.gain,
                grid,
                0..CYCLE_POINTS,
                1,
                0,
                &mut rows,
            );
            for (c, p) in points.iter_mut().enumerate().take(self.nch) {
                let (thd, thd40) =
                    spectrum::cycle_harmonics(p, &mut self.spectra[sp].harmonics[c], top);
                self.spectra[sp].thd_pct[c] = thd;
                self.spectra[sp].thd40_pct[c] = thd40;
            }
            self.spectra[sp].index = report.index;
            report.thd_pct = self.spectra[sp].thd_pct;
        } else if !self.cfg.analysis.power_quality {
            // Nothing below is needed: the interval's rms feeds only the event detectors.
            return;
        }

        // Intervals start with the first cycle after settling and run back to back.
        if report.flags.contains(Flags::SETTLING) {
            return;
        }
        let share = CycleShare { start: w.a, len, sq: &x.sq, sum: &x.sum, report };
        let width = self.width();
        let samples = on.then_some(Samples {
            ring: &self.ring,
            width,
            kernel: self.kernel,
            gain: &self.gain,
        });
        if let Some(u) = self.interval.add(&share, samples, &self.cfg, &self.roles) {
            self.detector.interval_rms(u);
        }
    }

    /// Integrals over `w`; with `full`, also the fundamental DFT and the computed neutral.
    fn integrate(&self, w: &Window, full: bool) -> Integrals {
        match self.cfg.topology {
            Topology::SinglePhase => self.integrate_width(w, full, 2),
            Topology::ThreePhase3W => self.integrate_width(w, full, 4),
            Topology::ThreePhase4W => self.integrate_width(w, full, kernels::WIDE),
        }
    }

    fn integrate_width(&self, w: &Window, full: bool, width: usize) -> Integrals {
        let mut x = Integrals { len: w.b.since(w.a), ..Integrals::default() };
        let ma = w.a.sample;
        let mb = w.b.sample;
        x.mid = w.a.add(0.5 * x.len);
        let ring = &self.ring[..];

        // Whole samples, in integers; split at the midpoint's sample for Urms(1/2).
        let sums = if full && self.cfg.analysis.power_quality {
            let mmid = x.mid.sample.clamp(ma, mb.max(ma));
            let first = kernels::sums(ring, width, ma, mmid);
            let second = kernels::sums(ring, width, mmid, mb);
            x.sq_codes_first = first.sq;
            first.add(&second)
        } else {
            kernels::sums(ring, width, ma, mb)
        };
        x.sq_codes = sums.sq;
        // End corrections from the two samples at each boundary.
        let f = [ma, ma + 1, mb, mb + 1].map(|m| *kernels::frame(ring, m));
        let code = |k: usize, c: usize| f[k][c] as i32 as i64;
        for c in 0..self.nch {
            let g = self.gain[c];
            let sqv = core::array::from_fn(|k| (code(k, c) * code(k, c)) as f32);
            let lin = core::array::from_fn(|k| code(k, c) as f32);
            x.sq[c] = g * g * w.integral(sums.sq[c], sqv);
            x.sum[c] = g * w.integral(sums.sum[c], lin);
        }
        let (pairs, np) = kernels::products(width);
        for &(a, b, slot) in pairs.iter().take(np) {
            let y = core::array::from_fn(|k| (code(k, a) * code(k, b)) as f32);
            let v = self.gain[a] * self.gain[b] * w.integral(sums.prod[slot], y);
            if slot < 3 {
                x.ui[slot] = v;
            } else {
                x.uu[slot - 3] = v;
            }
        }
        if full && self.cfg.topology == Topology::ThreePhase4W {
            // The phase currents' sum, in amperes per sample (the gains may differ).
            let g = [self.gain[3], self.gain[4], self.gain[5]];
            let s = kernels::current_sum_sq(ring, g, ma, mb);
            let y = f.map(|f| kernels::current_sum_sq_at(&f, g));
            let end = edge(y[2], y[3], w.b.frac);
            let start = if w.rect_a { 0.0 } else { edge(y[0], y[1], w.a.frac) };
            x.i_sum_sq = s + end - start;
        }
        if full {
            // Fundamental phasors of every channel (the window is not rectangle-ended).
            let step = 2.0 * core::f32::consts::PI / x.len;
            let d = kernels::dft(ring, width, ma, mb, step, w.a.frac);
            for c in 0..self.nch {
                x.fund[c] = kernels::phasor(&d, c, w.a.frac, w.b.frac, x.len, self.gain[c]);
            }
        }
        x
    }

    /// Active power of a partial segment.
    fn segment(&self, w: &Window) -> Segment {
        let x = self.integrate(w, false);
        // The rectangle convention widens the segment by half a sample at each stream end.
        let width = (x.len + 0.5 * (w.rect_a as u8 + w.rect_b as u8) as f32).max(1.0);
        let mut p = [0.0; 3];
        for (p, ui) in p.iter_mut().zip(x.ui) {
            *p = ui / width;
        }
        Segment { p, seconds: width / self.cfg.sample_rate_hz }
    }

    fn report(&mut self, x: &Integrals, start: SampleTime, flags: Flags) -> CycleReport {
        let len = x.len;
        let inv = 1.0 / len;
        let roles = self.roles;
        let mut r = CycleReport {
            index: self.index,
            start,
            duration_samples: len,
            frequency: self.cfg.sample_rate_hz * inv,
            flags,
            ..CycleReport::default()
        };
        let mut ms = [0.0f32; MAX_CHANNELS];
        for (c, ms) in ms.iter_mut().enumerate().take(self.nch) {
            r.dc[c] = x.sum[c] * inv;
            *ms = x.sq[c] * inv;
            if self.cfg.dc_removal {
                *ms -= r.dc[c] * r.dc[c];
            }
        }
        let rms = |v: f32| math::sqrtf(v.max(0.0));
        for p in 0..3 {
            if let Some(cu) = roles.u[p] {
                r.u_rms[p] = rms(ms[cu]);
                r.u_fund[p] = x.fund[cu];
            }
            if let Some(ci) = roles.i[p] {
                r.i_rms[p] = rms(ms[ci]);
                r.i_fund[p] = x.fund[ci];
            }
            if let (Some(_), Some(_)) = (roles.u[p], roles.i[p]) {
                r.p_active[p] = x.ui[p] * inv;
                let (u, i) = (r.u_fund[p], r.i_fund[p]);
                r.q_reactive[p] = u.im * i.re - u.re * i.im;
                r.s_apparent[p] = r.u_rms[p] * r.i_rms[p];
                r.power_factor[p] = ratio(r.p_active[p], r.s_apparent[p]);
            }
        }
        if let Some(cn) = roles.neutral {
            r.in_rms = rms(ms[cn]);
            r.in_computed_rms = rms(x.i_sum_sq * inv);
        }
        if self.cfg.topology == Topology::ThreePhase4W {
            for k in 0..3 {
                let (a, b) = [(0usize, 1usize), (1, 2), (2, 0)][k];
                r.u_ll_rms[k] = rms((x.sq[a] + x.sq[b] - 2.0 * x.uu[k]) * inv);
            }
        }
        r.p_total = r.p_active.iter().sum();
        r.q_total = r.q_reactive.iter().sum();
        r.s_total = r.s_apparent.iter().sum();
        r.pf_total = ratio(r.p_total, r.s_total);
        r
    }
}

/// An input sample type of the block paths; the partial-frame carry keeps its bit pattern.
trait Sample: Copy + Default {
    fn store(self) -> i32;
    fn load(v: i32) -> Self;
    fn run(front: &mut Front, ring: &mut [Frame], samples: &[Self], due: u64) -> Option<Stop>;
    fn feed<const R: usize, const W: usize>(
        m: &mut Meter<R, W>,
        frame: &[Self],
    ) -> Option<CycleReport>;
}

impl Sample for i32 {
    fn store(self) -> i32 {
        self
    }
    fn load(v: i32) -> Self {
        v
    }
    fn run(front: &mut Front, ring: &mut [Frame], samples: &[Self], due: u64) -> Option<Stop> {
        front.run_codes(ring, samples, due)
    }
    fn feed<const R: usize, const W: usize>(
        m: &mut Meter<R, W>,
        frame: &[Self],
    ) -> Option<CycleReport> {
        m.process(frame)
    }
}

impl Sample for f32 {
    fn store(self) -> i32 {
        self.to_bits() as i32
    }
    fn load(v: i32) -> Self {
        f32::from_bits(v as u32)
    }
    fn run(front: &mut Front, ring: &mut [Frame], samples: &[Self], due: u64) -> Option<Stop> {
        front.run_f32(ring, samples, due)
    }
    fn feed<const R: usize, const W: usize>(
        m: &mut Meter<R, W>,
        frame: &[Self],
    ) -> Option<CycleReport> {
        m.process_f32(frame)
    }
}

#[inline]
fn ratio(a: f32, b: f32) -> f32 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}
