//! The per-sample front end: offset and clipping (or quantisation of volts and amperes), phase
//! correction, the sample ring and the fundamental tracker, run over a block of frames until
//! something needs the rest of the engine.
//!
//! Decision and measured reason: the frames of a block go through one non-generic loop that
//! stops only when the tracker places a boundary or a pending cycle can be closed, instead of a
//! call per frame. Per frame, a call reloaded the whole per-sample state, and in the generic
//! `Meter` it was compiled with the instantiating crate's settings: on the reference firmware
//! (`opt-level = "s"`) the per-frame path cost about 560 instructions for 3P4W.

use crate::config::{Topology, CODE_LIMIT, MAX_CHANNELS};
use crate::delay::{DelayLine, FrameDelay, BASE_DELAY};
use crate::kernels::Frame;
use crate::math;
use crate::report::Flags;
use crate::tracker::{Boundary, Tracker};

/// Input samples: ADC codes, or volts and amperes quantised to the channel's LSB.
pub(crate) trait Input: Copy + Default {
    /// The code of this value on a channel (`offset` for codes, `inv_gain` for floats).
    fn code(self, offset: i32, inv_gain: f32, flags: &mut Flags) -> i32;
}

impl Input for i32 {
    #[inline(always)]
    fn code(self, offset: i32, _: f32, flags: &mut Flags) -> i32 {
        // Saturating: a difference beyond the i32 range is beyond the code limit as well.
        let v = self.saturating_sub(offset);
        let c = v.clamp(-CODE_LIMIT, CODE_LIMIT);
        if c != v {
            flags.insert(Flags::CLIPPED);
        }
        c
    }
}

impl Input for f32 {
    #[inline(always)]
    fn code(self, _: i32, inv_gain: f32, flags: &mut Flags) -> i32 {
        if !self.is_finite() {
            flags.insert(Flags::INVALID_INPUT);
            return 0;
        }
        let q = math::round_to_i32(self * inv_gain);
        let c = q.clamp(-CODE_LIMIT, CODE_LIMIT);
        if c != q {
            flags.insert(Flags::CLIPPED);
        }
        c
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

/// State of the per-sample path (`repr(C)`: the tracker's lines last).
#[derive(Clone, Debug)]
#[repr(C)]
pub(crate) struct Front {
    /// Frames received since start or reset.
    pub frames: u64,
    /// Next index of the delay-corrected stream.
    pub m_next: u64,
    /// Sample-level flags gathered since the open cycle started.
    pub flags: Flags,
    nch: usize,
    topology: Topology,
    offsets: [i32; MAX_CHANNELS],
    inv_gain: [f32; MAX_CHANNELS],
    /// Used instead of `delays` when every channel's line is the base delay alone.
    frame_delay: Option<FrameDelay>,
    delays: [DelayLine; MAX_CHANNELS],
    pub tracker: Tracker,
}

impl Front {
    pub fn new(
        topology: Topology,
        offsets: [i32; MAX_CHANNELS],
        inv_gain: [f32; MAX_CHANNELS],
        delays: [DelayLine; MAX_CHANNELS],
        tracker: Tracker,
    ) -> Self {
        Self {
            nch: topology.channels(),
            topology,
            offsets,
            inv_gain,
            frame_delay: delays.iter().all(DelayLine::is_identity).then(FrameDelay::new),
            delays,
            tracker,
            frames: 0,
            m_next: 0,
            flags: Flags::empty(),
        }
    }

    /// Back to sample 0 with empty filters.
    pub fn reset(&mut self) {
        for d in &mut self.delays {
            d.clear();
        }
        if let Some(d) = &mut self.frame_delay {
            d.clear();
        }
        self.tracker.reset();
        self.frames = 0;
        self.m_next = 0;
        self.flags = Flags::empty();
    }

    /// Phase correction: push one frame of codes through the delay lines.
    #[inline(always)]
    pub fn delay(&mut self, codes: &[i32; MAX_CHANNELS]) -> [i32; MAX_CHANNELS] {
        if let Some(d) = &mut self.frame_delay {
            return d.push(codes);
        }
        let mut y = [0i32; MAX_CHANNELS];
        for c in 0..self.nch {
            y[c] = self.delays[c].push(codes[c]);
        }
        y
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
        match self.topology {
            Topology::SinglePhase => self.run_n::<T, 2>(ring, samples, due),
            Topology::ThreePhase3W => self.run_n::<T, 4>(ring, samples, due),
            Topology::ThreePhase4W => self.run_n::<T, 7>(ring, samples, due),
        }
    }

    /// The loop for `N` channels per frame.
    fn run_n<T: Input, const N: usize>(
        &mut self,
        ring: &mut [Frame],
        samples: &[T],
        due: u64,
    ) -> Option<Stop> {
        let mask = ring.len() - 1;
        let offsets = self.offsets;
        let inv_gain = self.inv_gain;
        for (k, frame) in samples.chunks_exact(N).enumerate() {
            let mut flags = self.flags;
            let mut codes = [0i32; MAX_CHANNELS];
            for c in 0..N {
                codes[c] = frame[c].code(offsets[c], inv_gain[c], &mut flags);
            }
            self.flags = flags;
            let y = match &mut self.frame_delay {
                Some(d) => d.push(&codes),
                None => {
                    let mut y = [0i32; MAX_CHANNELS];
                    for c in 0..N {
                        y[c] = self.delays[c].push(codes[c]);
                    }
                    y
                }
            };
            self.frames += 1;
            if self.frames <= BASE_DELAY as u64 {
                continue;
            }
            let m = self.m_next;
            self.m_next += 1;
            let slot = &mut ring[(m as usize) & mask];
            for c in 0..N {
                slot[c] = y[c] as f32;
            }
            // Integer reference for the tracker: 3·α of the space vector in codes (U1 for
            // single phase). Channel gains differ by their calibration only, which does not
            // move α's zero crossings beyond the calibration's own tolerance.
            let reference = match N {
                2 => y[0],
                4 => 2 * y[0] - y[1],
                _ => 2 * y[0] - y[1] - y[2],
            };
            let boundary = self.tracker.step(m, reference);
            if boundary.is_some() || m >= due {
                return Some(Stop { used: k + 1, m, boundary });
            }
        }
        None
    }
}
