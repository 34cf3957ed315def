//! The per-sample front end: offset and clipping (or quantisation of volts and amperes), phase
//! correction, the sample ring and the fundamental tracker, run over a block of frames until
//! something needs the rest of the engine.
//!
//! Decision and measured reason: the frames of a block go through one non-generic loop that
//! stops only when the tracker places a boundary or a pending cycle can be closed, instead of a
//! call per frame. Per frame, a call reloaded the whole per-sample state, and in the generic
//! `Meter` it was compiled with the instantiating crate's settings: on the reference firmware
//! (`opt-level = "s"`) the per-frame path cost about 560 instructions for 3P4W.

use crate::config::{Topology, CODE_MISSING, MAX_CHANNELS};
use crate::delay::{DelayLine, BASE_DELAY};
use crate::math;
use crate::tracker::{Boundary, Tracker};
use crate::types::{Flags, Frame, LANES};

/// What was wrong with a frame's samples (bits of [`Input::codes`]'s return).
pub(crate) const BAD_INVALID: u8 = 1;
pub(crate) const BAD_CLIPPED: u8 = 2;

/// Input samples: ADC codes, or volts and amperes quantised to the channel's LSB.
pub(crate) trait Input: Copy + Default {
    /// The codes of the first `N` channels of a frame (`offset` for codes, `inv_gain` for
    /// floats), clipped to ±`limit`; the other channels are zero. Missing samples
    /// ([`CODE_MISSING`], NaN, ±∞) become 0. Returns the codes and what was wrong
    /// ([`BAD_INVALID`], [`BAD_CLIPPED`]). With `OFFSETS` false, every offset is zero.
    fn codes<const N: usize, const OFFSETS: bool>(
        frame: &[Self],
        offset: &[i32; MAX_CHANNELS],
        inv_gain: &[f32; MAX_CHANNELS],
        limit: i32,
    ) -> ([i32; MAX_CHANNELS], u8);
}

/// Whether a code reaches ±`limit` (one unsigned comparison): `v ≥ limit` or `v ≤ −limit`.
#[inline(always)]
fn at_limit(v: i32, limit: i32) -> bool {
    v.wrapping_add(limit - 1) as u32 > 2 * (limit - 1) as u32
}

/// The rare path, after a code at or beyond the limit was seen: missing samples to zero, the
/// rest clipped to ±`limit`.
#[cold]
fn clip(codes: &mut [i32; MAX_CHANNELS], limit: i32) -> u8 {
    let mut bad = 0;
    for c in codes.iter_mut() {
        if *c == CODE_MISSING {
            *c = 0;
            bad |= BAD_INVALID;
        } else if at_limit(*c, limit) {
            *c = (*c).clamp(-limit, limit);
            bad |= BAD_CLIPPED;
        }
    }
    bad
}

impl Input for i32 {
    #[inline(always)]
    fn codes<const N: usize, const OFFSETS: bool>(
        frame: &[Self],
        offset: &[i32; MAX_CHANNELS],
        _: &[f32; MAX_CHANNELS],
        limit: i32,
    ) -> ([i32; MAX_CHANNELS], u8) {
        let mut codes = [0i32; MAX_CHANNELS];
        let mut beyond = false;
        for c in 0..N {
            // Saturating: a difference beyond the i32 range is beyond the limit as well. A
            // missing sample stays CODE_MISSING (i32::MIN) through the subtraction of any
            // offset ≥ 0; a negative offset moves it, so it is tested first in that case.
            codes[c] = if OFFSETS && frame[c] != CODE_MISSING {
                frame[c].saturating_sub(offset[c]).max(CODE_MISSING + 1)
            } else {
                frame[c]
            };
            beyond |= at_limit(codes[c], limit);
        }
        let bad = if beyond { clip(&mut codes, limit) } else { 0 };
        (codes, bad)
    }
}

impl Input for f32 {
    #[inline(always)]
    fn codes<const N: usize, const OFFSETS: bool>(
        frame: &[Self],
        _: &[i32; MAX_CHANNELS],
        inv_gain: &[f32; MAX_CHANNELS],
        limit: i32,
    ) -> ([i32; MAX_CHANNELS], u8) {
        let mut codes = [0i32; MAX_CHANNELS];
        let mut beyond = false;
        for c in 0..N {
            let x = frame[c];
            // NaN and ±∞ are missing samples; round_to_i32 saturates finite overflows, and a
            // negative one stops above CODE_MISSING (it is clipped, not missing).
            codes[c] = if x.is_finite() {
                math::round_to_i32(x * inv_gain[c]).max(CODE_MISSING + 1)
            } else {
                CODE_MISSING
            };
            beyond |= at_limit(codes[c], limit);
        }
        let bad = if beyond { clip(&mut codes, limit) } else { 0 };
        (codes, bad)
    }
}

/// Runs of stream samples that were missing or clipped, newest last: the meter flags exactly
/// the cycles (and skips the Urms(1/2) windows) that hold one. Runs are kept until newer ones
/// push them out; with more than [`RUNS`] separate runs, the two newest merge, so a run is never
/// lost (at worst a clean cycle between two runs is flagged too).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Runs {
    runs: [(u64, u64); RUNS],
    len: usize,
}

/// Runs kept per kind: more than the separate runs that fit in the two cycles a window can span.
const RUNS: usize = 8;

impl Runs {
    pub const EMPTY: Self = Self { runs: [(0, 0); RUNS], len: 0 };

    /// Add the stream samples `lo..=hi`.
    #[cold]
    pub fn add(&mut self, lo: u64, hi: u64) {
        if self.len > 0 {
            let last = &mut self.runs[self.len - 1];
            if lo <= last.1.saturating_add(1) {
                last.0 = last.0.min(lo);
                last.1 = last.1.max(hi);
                return;
            }
        }
        if self.len == RUNS {
            // Drop the oldest (far behind every window by now).
            self.runs.copy_within(1.., 0);
            self.len -= 1;
        }
        self.runs[self.len] = (lo, hi);
        self.len += 1;
    }

    /// Whether a run holds any sample of `lo..=hi`.
    pub fn overlaps(&self, lo: u64, hi: u64) -> bool {
        self.runs[..self.len].iter().any(|&(a, b)| a <= hi && lo <= b)
    }

    /// Forget runs that end before sample `before`.
    pub fn forget_before(&mut self, before: u64) {
        let keep = self.runs[..self.len].iter().position(|&(_, b)| b >= before).unwrap_or(self.len);
        self.runs.copy_within(keep..self.len, 0);
        self.len -= keep;
    }
}

/// Why a run of frames stopped early.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stop {
    /// Frames consumed, the last one included.
    pub used: usize,
    /// Stream index of the last frame.
    pub m: u64,
    /// The boundary the tracker placed at it, if any.
    pub boundary: Option<Boundary>,
}

/// Frames in the queue of [`Correction::Frames`].
const SLOTS: usize = 4;
const _: () = assert!(SLOTS.is_power_of_two() && SLOTS > BASE_DELAY);

/// Phase correction.
#[derive(Clone, Debug)]
// One value inside the meter, never moved per sample, and there is no allocator to box it.
#[allow(clippy::large_enum_variant)]
enum Correction {
    /// Every channel has the base delay alone: whole frames wait [`BASE_DELAY`] samples in a
    /// short queue, already as ring frames with their tracker reference. The output equals what
    /// identity [`DelayLine`]s give, bit for bit, for a frame copy per sample instead of a
    /// delay-line update and a branch per channel.
    Frames { queue: [Frame; SLOTS], refs: [i32; SLOTS], next: usize },
    /// Some channel has a fractional delay: a delay line per channel.
    Lines([DelayLine; MAX_CHANNELS]),
}

/// State of the per-sample path (`repr(C)`: the tracker's lines last).
#[derive(Clone, Debug)]
#[repr(C)]
pub(crate) struct Front {
    /// Frames received since start or reset.
    pub frames: u64,
    /// Next index of the delay-corrected stream.
    pub m_next: u64,
    /// Sample-level flags gathered since the open cycle started (short frames).
    pub flags: Flags,
    /// Missing samples, as stream samples of the corrected stream.
    pub invalid: Runs,
    /// Clipped samples.
    pub clipped: Runs,
    /// Input range in codes ([`crate::Config::input_limit_lsb`]).
    limit: i32,
    topology: Topology,
    offsets: [i32; MAX_CHANNELS],
    /// Every offset is zero (checked once: an array comparison per block was a library call).
    zero_offsets: bool,
    inv_gain: [f32; MAX_CHANNELS],
    correction: Correction,
    pub tracker: Tracker,
}

/// Integer reference for the tracker from the codes of `n` channels: 3·α of the space vector
/// (U1 for single phase). Channel gains differ by their calibration only, which does not move
/// α's zero crossings beyond the calibration's own tolerance.
#[inline(always)]
fn reference(n: usize, y: &[i32; MAX_CHANNELS]) -> i32 {
    match n {
        2 => y[0],
        4 => 2 * y[0] - y[1],
        _ => 2 * y[0] - y[1] - y[2],
    }
}

impl Front {
    /// All zero: the front end of an unconfigured meter (see `Meter::UNCONFIGURED`).
    pub const ZERO: Self = Self {
        frames: 0,
        m_next: 0,
        flags: Flags::empty(),
        invalid: Runs::EMPTY,
        clipped: Runs::EMPTY,
        // Zero like every other byte: an unconfigured meter runs no sample.
        limit: 0,
        topology: Topology::SinglePhase,
        offsets: [0; MAX_CHANNELS],
        zero_offsets: false,
        inv_gain: [0.0; MAX_CHANNELS],
        correction: Correction::Lines([DelayLine::ZERO; MAX_CHANNELS]),
        tracker: Tracker::ZERO,
    };

    /// Configure in place, every field but the tracker (which the caller configures): back to
    /// sample 0 with empty queues.
    pub fn configure(
        &mut self,
        limit: i32,
        topology: Topology,
        offsets: [i32; MAX_CHANNELS],
        inv_gain: [f32; MAX_CHANNELS],
        delays: [DelayLine; MAX_CHANNELS],
    ) {
        self.correction = if delays.iter().all(DelayLine::is_identity) {
            Correction::Frames { queue: [[0.0; LANES]; SLOTS], refs: [0; SLOTS], next: 0 }
        } else {
            Correction::Lines(delays)
        };
        self.frames = 0;
        self.m_next = 0;
        self.flags = Flags::empty();
        self.invalid = Runs::EMPTY;
        self.clipped = Runs::EMPTY;
        self.limit = limit;
        self.topology = topology;
        self.offsets = offsets;
        self.zero_offsets = offsets == [0; MAX_CHANNELS];
        self.inv_gain = inv_gain;
    }

    /// Back to sample 0 with empty filters.
    pub fn reset(&mut self) {
        match &mut self.correction {
            Correction::Frames { queue, refs, next } => {
                *queue = [[0.0; LANES]; SLOTS];
                *refs = [0; SLOTS];
                *next = 0;
            }
            Correction::Lines(lines) => lines.iter_mut().for_each(DelayLine::clear),
        }
        self.tracker.reset();
        self.frames = 0;
        self.m_next = 0;
        self.flags = Flags::empty();
        self.invalid = Runs::EMPTY;
        self.clipped = Runs::EMPTY;
    }

    /// Record what was wrong with input frame `n` (`bad` bits of [`Input::codes`]) on the
    /// corrected stream: the same sample without a fractional delay, the samples within reach of
    /// the interpolator's taps with one.
    #[cold]
    #[inline(never)]
    fn mark(&mut self, n: u64, bad: u8) {
        let reach = match self.correction {
            Correction::Frames { .. } => 0,
            Correction::Lines(_) => 4,
        };
        let (lo, hi) = (n.saturating_sub(reach), n + reach);
        if bad & BAD_INVALID != 0 {
            self.invalid.add(lo, hi);
        }
        if bad & BAD_CLIPPED != 0 {
            self.clipped.add(lo, hi);
        }
    }

    /// Phase correction of one frame of codes of the first `N` channels: the ring frame of the
    /// corrected stream and its tracker reference.
    #[inline(always)]
    fn correct<const N: usize>(&mut self, codes: &[i32; MAX_CHANNELS]) -> (Frame, i32) {
        match &mut self.correction {
            Correction::Frames { queue, refs, next } => {
                let slot = *next;
                let oldest = (slot + SLOTS - BASE_DELAY) & (SLOTS - 1);
                let out = (queue[oldest], refs[oldest]);
                for c in 0..N {
                    queue[slot][c] = codes[c] as f32;
                }
                refs[slot] = reference(N, codes);
                *next = (slot + 1) & (SLOTS - 1);
                out
            }
            Correction::Lines(lines) => {
                let mut y = [0i32; MAX_CHANNELS];
                let mut f = [0.0; LANES];
                for c in 0..N {
                    y[c] = lines[c].push(codes[c]);
                    f[c] = y[c] as f32;
                }
                (f, reference(N, &y))
            }
        }
    }

    /// Push a frame of zeros through the phase correction (end of stream): the ring frame that
    /// comes out.
    pub fn drain(&mut self) -> Frame {
        match self.topology {
            Topology::SinglePhase => self.correct::<2>(&[0; MAX_CHANNELS]).0,
            Topology::ThreePhase3W => self.correct::<4>(&[0; MAX_CHANNELS]).0,
            Topology::ThreePhase4W => self.correct::<7>(&[0; MAX_CHANNELS]).0,
        }
    }

    /// Run interleaved ADC codes (whole frames) until the tracker places a boundary or the
    /// stream reaches `due`; `None` when every frame was used without either.
    #[inline(never)]
    pub fn run_codes(&mut self, ring: &mut [Frame], samples: &[i32], due: u64) -> Option<Stop> {
        self.run(ring, samples, due)
    }

    /// [`Front::run_codes`] for volts and amperes.
    #[inline(never)]
    pub fn run_f32(&mut self, ring: &mut [Frame], samples: &[f32], due: u64) -> Option<Stop> {
        self.run(ring, samples, due)
    }

    #[inline(always)]
    fn run<T: Input>(&mut self, ring: &mut [Frame], samples: &[T], due: u64) -> Option<Stop> {
        // ADC offsets are usually zero (removed in hardware or calibrated into the front end).
        match (self.topology, self.zero_offsets) {
            (Topology::SinglePhase, true) => self.run_n::<T, 2, false>(ring, samples, due),
            (Topology::ThreePhase3W, true) => self.run_n::<T, 4, false>(ring, samples, due),
            (Topology::ThreePhase4W, true) => self.run_n::<T, 7, false>(ring, samples, due),
            (Topology::SinglePhase, false) => self.run_n::<T, 2, true>(ring, samples, due),
            (Topology::ThreePhase3W, false) => self.run_n::<T, 4, true>(ring, samples, due),
            (Topology::ThreePhase4W, false) => self.run_n::<T, 7, true>(ring, samples, due),
        }
    }

    /// The loop for `N` channels per frame (`OFFSETS`: some offset is not zero).
    fn run_n<T: Input, const N: usize, const OFFSETS: bool>(
        &mut self,
        ring: &mut [Frame],
        samples: &[T],
        due: u64,
    ) -> Option<Stop> {
        let mask = ring.len() - 1;
        let offsets = self.offsets;
        let inv_gain = self.inv_gain;
        let limit = self.limit;
        let mut frames = samples.chunks_exact(N).enumerate();
        // The first frames after start or reset only fill the phase correction. Input frame n
        // is stream sample n of the corrected stream (which lags by BASE_DELAY frames).
        while self.frames < BASE_DELAY as u64 {
            let (_, frame) = frames.next()?;
            let (codes, bad) = T::codes::<N, OFFSETS>(frame, &offsets, &inv_gain, limit);
            if bad != 0 {
                self.mark(self.frames, bad);
            }
            self.correct::<N>(&codes);
            self.frames += 1;
        }
        let first = self.m_next;
        let mut m = first;
        let mut stop = None;
        for (k, frame) in frames {
            let (codes, bad) = T::codes::<N, OFFSETS>(frame, &offsets, &inv_gain, limit);
            if bad != 0 {
                self.mark(m + BASE_DELAY as u64, bad);
            }
            let (f, reference) = self.correct::<N>(&codes);
            ring[(m as usize) & mask] = f;
            let boundary = self.tracker.step(m, reference);
            m += 1;
            if boundary.is_some() || m > due {
                stop = Some(Stop { used: k + 1, m: m - 1, boundary });
                break;
            }
        }
        self.frames += m - first;
        self.m_next = m;
        stop
    }
}
