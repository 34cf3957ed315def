//! Messages: the [`Envelope`] and its [`Body`], postcard-encoded inside a frame.
//!
//! The postcard encoding of an enum starts with the variant's index, so the order of the
//! variants below is part of the protocol: append, never reorder (and bump
//! [`PROTOCOL_VERSION`](crate::PROTOCOL_VERSION) for any change).

use crate::frame::{encode_frame, MAX_FRAME};
use crate::WireError;
use serde::{Deserialize, Serialize};

/// One message: a sequence number and a body.
///
/// A request from the host carries a sequence number not used by the previous request; every
/// reply of the board carries the sequence number of the request it answers.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Envelope<'a> {
    /// Sequence number of the request (on a reply: of the request answered).
    pub seq: u16,
    /// What the message says.
    #[serde(borrow)]
    pub body: Body<'a>,
}

/// The content of a message. Variants up to [`Body::Counters`] are requests (host → board), the
/// others replies (board → host).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub enum Body<'a> {
    /// Host → board: liveness check and link synchronisation. Answer: [`Body::Pong`] with the
    /// same nonce.
    Ping {
        /// Any value; echoed in the reply, so a late `Pong` to an older ping is recognised.
        nonce: u32,
    },
    /// Host → board: what are you? Answer: [`Body::Identity`].
    Identify,
    /// Host → board: (re)configure the engine and start a new stream (frame 0, energy registers
    /// cleared). Answer: [`Body::Ack`] or [`Body::Error`] with [`ErrorCode::BadConfig`].
    Configure(WireConfig),
    /// Host → board: a block of ADC codes. Answer: one [`Body::Cycle`] per mains cycle the
    /// block closes, then [`Body::Done`]; or [`Body::Error`] with [`ErrorCode::NotConfigured`]
    /// or [`ErrorCode::BadSamples`].
    Samples {
        /// Index of the block's first frame (one code per channel), counted from the start of
        /// the stream (the last `Configure` or `Reset`). Blocks are sent in order without gaps.
        first_frame: u64,
        /// Codes per frame (the topology's channel count).
        channels: u8,
        /// How `data` packs the codes.
        encoding: SampleEncoding,
        /// Codes packed by [`pack_samples`](crate::pack_samples), interleaved by frame:
        /// `frames × channels` codes. Borrowed from the received payload, not copied.
        #[serde(borrow)]
        data: &'a [u8],
    },
    /// Host → board: end of the stream. Answer: the cycle still open, if the engine closes one
    /// ([`Body::Cycle`]), the energy registers ([`Body::Energy`]), then [`Body::Done`].
    Finish,
    /// Host → board: restart the stream with the same configuration (engine state and energy
    /// registers cleared). Answer: [`Body::Ack`].
    Reset,
    /// Host → board: report the cost counters. Answer: [`Body::CounterValues`].
    Counters,
    /// Board → host: final reply to [`Body::Ping`].
    Pong {
        /// The nonce of the ping answered.
        nonce: u32,
    },
    /// Board → host: final reply to [`Body::Identify`].
    Identity(Identity),
    /// Board → host: final reply to a request that succeeded and returns no data.
    Ack {
        /// Sequence number of the request acknowledged.
        seq: u16,
    },
    /// Board → host: one closed mains cycle, sent before the final reply to `Samples` or
    /// `Finish`.
    Cycle(WireCycle),
    /// Board → host: energy registers, sent before the final reply to `Finish`.
    Energy(WireEnergy),
    /// Board → host: final reply to [`Body::Counters`].
    CounterValues(CostCounters),
    /// Board → host: final reply to a request that failed, or to a frame that could not be
    /// decoded ([`ErrorCode::Malformed`]).
    Error {
        /// Sequence number of the request refused (0 for a frame that could not be decoded).
        seq: u16,
        /// Why.
        code: ErrorCode,
    },
    /// Board → host: final reply to `Samples` and `Finish`.
    Done {
        /// Sequence number of the request completed.
        seq: u16,
        /// Number of [`Body::Cycle`] messages sent before this reply for that request.
        cycles: u32,
        /// Number of records ([`Body::Record`], counted once however many parts each has) sent
        /// before this reply for that request.
        records: u32,
    },
    /// Board → host: one part of an engine output record (the engine's own report type,
    /// postcard-encoded: see [`RecordKind`]), sent before the final reply to `Samples` or
    /// `Finish`. A record longer than [`MAX_RECORD_PART`] bytes is split into parts sent in
    /// order; the host joins the parts of each `index` and decodes the whole.
    Record {
        /// What the record holds.
        kind: RecordKind,
        /// Record number within the reply to one request, from 0.
        index: u16,
        /// Part number, from 0.
        part: u8,
        /// Number of parts of this record.
        parts: u8,
        /// The part's bytes of the record's postcard encoding.
        #[serde(borrow)]
        data: &'a [u8],
    },
}

/// The engine type a [`Body::Record`] carries, postcard-encoded with the engine's `serde`
/// feature (so the host decodes exactly the value the board computed).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// `CycleReport`.
    Cycle,
    /// `IntervalReport` (10/12-cycle harmonics, unbalance, deviations).
    Interval,
    /// `VoltageEvent` (dip, swell, interruption, RVC, conditions).
    Event,
    /// `FrequencyReport` (10-s power frequency).
    Frequency,
    /// `Snapshot` (grid values when an event started).
    Snapshot,
    /// `EnergyRegisters` (sent with the reply to `Finish`).
    Energy,
    /// `PqCounters` followed by the dropped-event count as a `u32` (sent with the reply to
    /// `Finish`).
    Counters,
    /// `AggregateReport` (150/180-cycle, 10-min or 2-h value).
    Aggregate,
}

/// Most data bytes of one [`Body::Record`] part: the envelope takes at most 13 more bytes
/// (sequence number 3, variant 1, kind 1, index 3, part 1, parts 1, length 2), rounded up.
pub const MAX_RECORD_PART: usize = MAX_FRAME - 16;

impl Body<'_> {
    /// Whether this body is a request (host → board).
    pub const fn is_request(&self) -> bool {
        matches!(
            self,
            Self::Ping { .. }
                | Self::Identify
                | Self::Configure(_)
                | Self::Samples { .. }
                | Self::Finish
                | Self::Reset
                | Self::Counters
        )
    }

    /// Whether this body ends the board's answer to a request (`Ack`, `Done`, `Pong`,
    /// `Identity`, `CounterValues` or `Error`); `Cycle` and `Energy` precede it.
    pub const fn is_final_reply(&self) -> bool {
        matches!(
            self,
            Self::Ack { .. }
                | Self::Done { .. }
                | Self::Pong { .. }
                | Self::Identity(_)
                | Self::CounterValues(_)
                | Self::Error { .. }
        )
    }
}

/// Packing of the ADC codes in a [`Body::Samples`] block: little-endian two's complement.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleEncoding {
    /// 2 bytes per code, −32768..=32767.
    I16,
    /// 3 bytes per code, −2²³..=2²³−1, sign-extended on unpacking.
    I24,
    /// 4 bytes per code, the full `i32` range.
    I32,
    /// Second-order delta residuals at the smallest width per channel and block, the full
    /// `i32` range (see [`pack_delta`](crate::pack_delta)); `data` holds whole frames.
    Delta,
}

/// Engine configuration sent with [`Body::Configure`]. Per-channel arrays are in the engine's
/// frame order for the topology; entries past its channel count are ignored.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct WireConfig {
    /// Connection: [`WireConfig::SINGLE_PHASE`], [`WireConfig::THREE_PHASE_4W`] or
    /// [`WireConfig::THREE_PHASE_3W`].
    pub topology: u8,
    /// Sampling rate of each channel, Hz.
    pub sample_rate_hz: f32,
    /// Nominal mains frequency, Hz (50 or 60).
    pub nominal_hz: f32,
    /// Declared supply voltage (IEC 61000-4-30 Udin), V.
    pub declared_voltage: f32,
    /// Gain per channel: volts or amperes per ADC code.
    pub gains: [f32; 7],
    /// Offset per channel, ADC codes (subtracted before the gain).
    pub offsets: [i32; 7],
    /// Phase delay per channel, samples (fractional).
    pub delays: [f32; 7],
    /// Input range in codes after the offset, 1..=2^24 − 1: a code whose magnitude reaches it
    /// is taken as clipped by the converter (the engine's `Config::input_limit_lsb`); the rail
    /// of the board's ADC, `2^(bits−1) − 1` for a converter of `bits` bits.
    pub input_limit_lsb: i32,
    /// Length of the engine's "10-min" aggregation window, s (600 for IEC 61000-4-30; from 1 s,
    /// so that a short vector stands for a long recording): the engine's
    /// `Config::aggregation.window_s`.
    pub aggregation_window_s: f32,
    /// Meter constant of the pulse output, impulses per kWh.
    pub meter_constant: u32,
    /// What the engine computes beyond the per-cycle core: bit 0 harmonics
    /// ([`WireConfig::HARMONICS`]), bit 1 power quality ([`WireConfig::POWER_QUALITY`]), bit 2
    /// the per-cycle spectrum ([`WireConfig::CYCLE_SPECTRA`]).
    pub analysis: u8,
}

impl WireConfig {
    /// `topology` value of a single-phase connection.
    pub const SINGLE_PHASE: u8 = 0;
    /// `topology` value of a three-phase four-wire connection.
    pub const THREE_PHASE_4W: u8 = 1;
    /// `topology` value of a three-phase three-wire connection.
    pub const THREE_PHASE_3W: u8 = 2;
    /// `analysis` bit: per-cycle spectrum, THD and the IEC 61000-4-7 interval window.
    pub const HARMONICS: u8 = 1;
    /// `analysis` bit: Urms(1/2), voltage events, RVC, conditions, snapshots, 10-s frequency.
    pub const POWER_QUALITY: u8 = 2;
    /// `analysis` bit: the per-cycle spectrum and THD (with [`WireConfig::HARMONICS`]; without
    /// it, the interval window alone).
    pub const CYCLE_SPECTRA: u8 = 4;

    /// CRC-32 of this configuration's postcard encoding: the value [`Identity::config_crc32`]
    /// reports for it, so the host can check which configuration a board runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use percycle_wire::WireConfig;
    ///
    /// let a = WireConfig {
    ///     topology: WireConfig::SINGLE_PHASE,
    ///     sample_rate_hz: 6400.0,
    ///     nominal_hz: 50.0,
    ///     declared_voltage: 230.0,
    ///     gains: [1e-3; 7],
    ///     offsets: [0; 7],
    ///     delays: [0.0; 7],
    ///     input_limit_lsb: (1 << 23) - 1,
    ///     aggregation_window_s: 600.0,
    ///     meter_constant: 1000,
    ///     analysis: WireConfig::HARMONICS | WireConfig::POWER_QUALITY | WireConfig::CYCLE_SPECTRA,
    /// };
    /// let b = WireConfig { nominal_hz: 60.0, ..a };
    /// assert_ne!(a.crc32(), b.crc32());
    /// ```
    pub fn crc32(&self) -> u32 {
        // Largest encoding: 1 + 3·4 + 7·4 + 7·5 (i32 varints) + 7·4 + 5 (i32 varint) + 4 + 5
        // (u32 varint) + 1 = 119 bytes.
        let mut buf = [0u8; 128];
        match postcard::to_slice(self, &mut buf) {
            Ok(bytes) => crate::crc32(bytes),
            // Unreachable: the buffer holds the largest encoding (tested).
            Err(_) => 0,
        }
    }
}

/// What the board runs, sent with [`Body::Identity`].
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// [`PROTOCOL_VERSION`](crate::PROTOCOL_VERSION) of the firmware.
    pub protocol: u16,
    /// Firmware version: major, minor, patch.
    pub version: [u8; 3],
    /// Build identifier chosen by the firmware build.
    pub build_id: u32,
    /// CRC-32 of the firmware's code image.
    pub code_crc32: u32,
    /// [`WireConfig::crc32`] of the configuration in use, 0 when not configured.
    pub config_crc32: u32,
    /// Board name, ASCII, zero padded.
    pub board: [u8; 16],
    /// The engine's sample ring per channel, samples (`Meter<RING, _>`): bounds the lowest
    /// sample-rate-to-frequency ratio the board accepts.
    pub ring: u16,
    /// The engine's interval FFT length (`Meter<_, WINDOW>`): interval reports depend on it, so
    /// a host build compared with the board must use the same.
    pub window: u16,
}

impl Identity {
    /// The board name up to its padding (`"?"` if it is not ASCII).
    pub fn board_name(&self) -> &str {
        let end = self.board.iter().position(|&b| b == 0).unwrap_or(self.board.len());
        match core::str::from_utf8(&self.board[..end]) {
            Ok(s) if s.is_ascii() => s,
            _ => "?",
        }
    }
}

/// One closed mains cycle, sent with [`Body::Cycle`]. Per-phase arrays are L1, L2, L3 (unused
/// phases zero); per-channel arrays are in the engine's frame order.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct WireCycle {
    /// Cycle number since the start of the stream, from 0.
    pub index: u64,
    /// Whole part of the cycle's start, samples since the start of the stream.
    pub start_sample: u64,
    /// Fractional part of the cycle's start, samples in `[0, 1)`.
    pub start_frac: f32,
    /// Length of the cycle, samples.
    pub duration_samples: f32,
    /// Fundamental frequency over the cycle, Hz.
    pub frequency: f32,
    /// RMS voltage per phase, V.
    pub u_rms: [f32; 3],
    /// RMS current per phase, A.
    pub i_rms: [f32; 3],
    /// RMS neutral current, A.
    pub in_rms: f32,
    /// Half-cycle RMS voltage per phase (Urms(1/2)) for the first and second half, V.
    pub u_rms_half: [[f32; 3]; 2],
    /// Active power per phase, W.
    pub p_active: [f32; 3],
    /// Reactive power per phase, var.
    pub q_reactive: [f32; 3],
    /// Total harmonic distortion per channel, % of the fundamental.
    pub thd_pct: [f32; 7],
    /// Condition flags of the cycle, the engine's flag bits.
    pub flags: u16,
}

/// Energy registers, sent with [`Body::Energy`].
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireEnergy {
    /// Imported active energy (A+), µW·s.
    pub a_plus_uws: u64,
    /// Exported active energy (A−), µW·s.
    pub a_minus_uws: u64,
    /// Positive reactive energy (R+), µvar·s.
    pub r_plus_uvars: u64,
    /// Negative reactive energy (R−), µvar·s.
    pub r_minus_uvars: u64,
    /// Pulses emitted on the A+ pulse output.
    pub pulses_a_plus: u64,
}

/// Processing cost measured on the board, sent with [`Body::CounterValues`].
///
/// Counted with the core-clocked SysTick around the engine's processing of each sample block
/// (the UART traffic excluded). Under QEMU with `-icount shift=N` every instruction advances
/// the clock by 2^N ns, so instructions = ticks × clock period (ns) / 2^N: exact instruction
/// counts, not CPU cycles. On a real board the ticks are core cycles.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostCounters {
    /// Mains cycles processed since the engine was configured.
    pub cycles: u32,
    /// SysTick ticks spent in the engine since it was configured.
    pub core_ticks_total: u64,
    /// Most ticks spent on one sample block.
    pub core_ticks_max_block: u32,
    /// Core clock in Hz (the tick rate).
    pub core_clock_hz: u32,
    /// Deepest stack use since boot, bytes (from a paint pattern written at boot).
    pub stack_bytes: u32,
}

/// Why the board refused a request, sent with [`Body::Error`].
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A frame failed the CRC or COBS check, or its payload is not a message. The host
    /// retransmits its outstanding request.
    Malformed,
    /// The message is valid but not a request the board handles.
    UnknownMessage,
    /// The configuration was refused; the previous one (if any) stays in force.
    BadConfig,
    /// `Samples` or `Finish` before a configuration was accepted.
    NotConfigured,
    /// A sample block that does not fit the configuration (channel count, packing, frame
    /// index) or the board's buffer.
    BadSamples,
    /// The board could not keep up and lost data; the stream must be restarted.
    Overflow,
}

/// Most `data` bytes of a [`Body::Samples`] message that fit in [`MAX_FRAME`]: the envelope
/// takes at most 18 more bytes (sequence number 3, variant 1, `first_frame` 10, `channels` 1,
/// `encoding` 1, data length 2).
pub const MAX_SAMPLE_DATA: usize = MAX_FRAME - 18;

/// Encodes `env` with postcard into `scratch`, then frames it into `out` with
/// [`encode_frame`]. Returns the number of bytes written to `out`, delimiter included.
///
/// `scratch` needs the size of the encoded message (at most [`MAX_FRAME`]); `out` needs
/// [`max_encoded_len`](crate::max_encoded_len) of that ([`MAX_ENCODED_FRAME`](crate::MAX_ENCODED_FRAME)
/// always suffices).
///
/// # Errors
///
/// [`WireError::BufferTooSmall`] if `scratch` or `out` is too small, [`WireError::TooLong`] if
/// the message exceeds [`MAX_FRAME`], [`WireError::Encode`] if postcard fails otherwise.
///
/// # Examples
///
/// ```
/// use percycle_wire::*;
///
/// let env = Envelope { seq: 7, body: Body::Ping { nonce: 42 } };
/// let mut scratch = [0u8; MAX_FRAME];
/// let mut out = [0u8; MAX_ENCODED_FRAME];
/// let n = encode_message(&env, &mut scratch, &mut out)?;
///
/// let mut decoder = FrameDecoder::<MAX_FRAME>::new();
/// let (delimiter, body) = out[..n].split_last().unwrap();
/// assert!(body.iter().all(|&b| decoder.push(b).is_none()));
/// let payload = decoder.push(*delimiter).unwrap()?;
/// assert_eq!(decode_message(payload)?, env);
/// # Ok::<(), WireError>(())
/// ```
pub fn encode_message(
    env: &Envelope<'_>,
    scratch: &mut [u8],
    out: &mut [u8],
) -> Result<usize, WireError> {
    let payload = postcard::to_slice(env, scratch).map_err(|e| match e {
        postcard::Error::SerializeBufferFull => WireError::BufferTooSmall,
        _ => WireError::Encode,
    })?;
    encode_frame(payload, out)
}

/// Decodes the payload of a frame (as returned by [`FrameDecoder::push`](crate::FrameDecoder::push))
/// into a message. Sample data borrows from `payload`.
///
/// # Errors
///
/// [`WireError::Decode`] if the payload is not exactly one postcard-encoded [`Envelope`]
/// (truncated, unknown variant, invalid value, or trailing bytes).
pub fn decode_message(payload: &[u8]) -> Result<Envelope<'_>, WireError> {
    match postcard::take_from_bytes::<Envelope<'_>>(payload) {
        Ok((env, [])) => Ok(env),
        _ => Err(WireError::Decode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{crc32, FrameDecoder, MAX_ENCODED_FRAME};
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    fn config() -> WireConfig {
        WireConfig {
            topology: WireConfig::THREE_PHASE_4W,
            sample_rate_hz: 12_800.0,
            nominal_hz: 50.0,
            declared_voltage: 230.0,
            gains: [0.015, 0.016, 0.017, 1e-4, 2e-4, 3e-4, f32::MIN_POSITIVE],
            offsets: [i32::MIN, -1, 0, 1, 1 << 20, i32::MAX, 7],
            delays: [0.0, -0.0, 0.25, -0.5, 1.5, f32::MAX, f32::INFINITY],
            input_limit_lsb: (1 << 23) - 1,
            aggregation_window_s: 600.0,
            meter_constant: u32::MAX,
            analysis: 3,
        }
    }

    fn cycle() -> WireCycle {
        WireCycle {
            index: u64::MAX,
            start_sample: 1 << 40,
            start_frac: 0.999_999,
            duration_samples: 256.125,
            frequency: 49.98,
            u_rms: [230.1, 229.9, 0.0],
            i_rms: [5.0, 4.5, 1e-9],
            in_rms: 0.3,
            u_rms_half: [[230.0, 229.0, 228.0], [231.0, 232.0, 233.0]],
            p_active: [1150.0, -1000.0, f32::NEG_INFINITY],
            q_reactive: [-12.5, 0.0, 3.0],
            thd_pct: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            flags: 0xA5A5,
        }
    }

    /// One envelope per body variant, in declaration order.
    fn every_variant(data: &[u8]) -> Vec<Envelope<'_>> {
        let bodies = [
            Body::Ping { nonce: 0xDEAD_BEEF },
            Body::Identify,
            Body::Configure(config()),
            Body::Samples {
                first_frame: u64::MAX,
                channels: 7,
                encoding: SampleEncoding::I24,
                data,
            },
            Body::Finish,
            Body::Reset,
            Body::Counters,
            Body::Pong { nonce: 0 },
            Body::Identity(Identity {
                protocol: crate::PROTOCOL_VERSION,
                version: [1, 2, 3],
                build_id: 0x0102_0304,
                code_crc32: u32::MAX,
                config_crc32: config().crc32(),
                board: *b"mps2-an386\0\0\0\0\0\0",
                ring: 1024,
                window: 2048,
            }),
            Body::Ack { seq: u16::MAX },
            Body::Cycle(cycle()),
            Body::Energy(WireEnergy {
                a_plus_uws: u64::MAX,
                a_minus_uws: 0,
                r_plus_uvars: 1,
                r_minus_uvars: 1 << 63,
                pulses_a_plus: 12_345,
            }),
            Body::CounterValues(CostCounters {
                cycles: 7,
                core_ticks_total: 1 << 40,
                core_ticks_max_block: 99,
                core_clock_hz: 25_000_000,
                stack_bytes: 4096,
            }),
            Body::Error { seq: 3, code: ErrorCode::Overflow },
            Body::Done { seq: 4, cycles: u32::MAX, records: 3 },
            Body::Record {
                kind: RecordKind::Counters,
                index: u16::MAX,
                part: 2,
                parts: 3,
                data: &data[..data.len().min(MAX_RECORD_PART)],
            },
        ];
        bodies
            .into_iter()
            .enumerate()
            .map(|(i, body)| Envelope { seq: 1000 + i as u16, body })
            .collect()
    }

    /// Frames a message, feeds it to a decoder and decodes it; the payload is copied into
    /// `store` so the result can borrow sample data.
    fn through_the_wire<'s>(env: &Envelope<'_>, store: &'s mut Vec<u8>) -> Envelope<'s> {
        let mut scratch = vec![0u8; MAX_FRAME];
        let mut out = vec![0u8; MAX_ENCODED_FRAME];
        let n = encode_message(env, &mut scratch, &mut out).expect("encodes");
        let mut d = FrameDecoder::<MAX_FRAME>::new();
        let mut payloads =
            out[..n].iter().filter_map(|&b| d.push(b).map(|r| r.map(<[u8]>::to_vec)));
        *store = payloads.next().expect("one frame").expect("accepted");
        decode_message(store).expect("decodes")
    }

    #[test]
    fn every_body_variant_round_trips_through_the_frame_codec() {
        let data: Vec<u8> = (0..=255).collect();
        for env in every_variant(&data) {
            let mut store = Vec::new();
            assert_eq!(through_the_wire(&env, &mut store), env);
        }
        let mut store = Vec::new();
        let empty = Envelope { seq: 0, body: every_variant(&[])[3].body };
        assert_eq!(through_the_wire(&empty, &mut store), empty);
    }

    #[test]
    fn variant_indices_follow_the_declaration_order_on_the_wire() {
        let mut buf = [0u8; 256];
        for (i, env) in every_variant(&[1, 2, 3]).iter().enumerate() {
            let bytes = postcard::to_slice(env, &mut buf).unwrap();
            // seq 1000 + i is a two-byte varint; the variant index follows.
            assert_eq!(bytes[2], i as u8, "{:?}", env.body);
        }
        let mut buf = [0u8; 8];
        let ping = Envelope { seq: 1, body: Body::Ping { nonce: 0x7F } };
        assert_eq!(postcard::to_slice(&ping, &mut buf).unwrap(), [1, 0, 0x7F]);
    }

    #[test]
    fn sample_data_is_borrowed_from_the_payload_not_copied() {
        let data = [9u8; 40];
        let env = every_variant(&data)[3];
        let mut buf = [0u8; 128];
        let payload = &*postcard::to_slice(&env, &mut buf).unwrap();
        let Body::Samples { data: got, .. } = decode_message(payload).unwrap().body else {
            panic!("not a sample block")
        };
        assert_eq!(got, data);
        let range = payload.as_ptr_range();
        assert!(range.contains(&got.as_ptr()));
    }

    #[test]
    fn truncated_extended_or_unknown_payloads_are_decode_errors() {
        let mut buf = [0u8; 256];
        for env in every_variant(&[5, 6]) {
            let bytes = postcard::to_slice(&env, &mut buf).unwrap().to_vec();
            for cut in 0..bytes.len() {
                assert_eq!(
                    decode_message(&bytes[..cut]),
                    Err(WireError::Decode),
                    "{env:?} cut {cut}"
                );
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(decode_message(&longer), Err(WireError::Decode));
        }
        // Body variant 17 does not exist.
        assert_eq!(decode_message(&[1, 17]), Err(WireError::Decode));
        // Encoding variant 4 does not exist.
        assert_eq!(decode_message(&[1, 3, 0, 1, 4, 0]), Err(WireError::Decode));
        assert!(decode_message(&[1, 3, 0, 1, 3, 0]).is_ok());
    }

    #[test]
    fn encode_message_reports_small_buffers_and_over_long_messages() {
        let data = [1u8; MAX_FRAME];
        let env = Envelope { seq: 1, body: Body::Ping { nonce: 1 } };
        let mut out = [0u8; MAX_ENCODED_FRAME];
        assert_eq!(encode_message(&env, &mut [0; 2], &mut out), Err(WireError::BufferTooSmall));
        // 3 payload bytes + 4 CRC bytes, one COBS code byte and the delimiter.
        assert_eq!(encode_message(&env, &mut [0; 16], &mut [0; 8]), Err(WireError::BufferTooSmall));
        assert_eq!(encode_message(&env, &mut [0; 16], &mut [0; 9]), Ok(9));
        let big = Envelope { body: every_variant(&data)[3].body, ..env };
        assert_eq!(
            encode_message(&big, &mut [0; 2 * MAX_FRAME], &mut out),
            Err(WireError::TooLong)
        );
    }

    #[test]
    fn a_sample_block_of_max_sample_data_bytes_fills_max_frame_with_the_largest_header() {
        let data = vec![0x55u8; MAX_SAMPLE_DATA];
        let body = Body::Samples {
            first_frame: u64::MAX,
            channels: u8::MAX,
            encoding: SampleEncoding::I32,
            data: &data,
        };
        let env = Envelope { seq: u16::MAX, body };
        let mut scratch = vec![0u8; MAX_FRAME];
        let mut out = vec![0u8; MAX_ENCODED_FRAME];
        assert_eq!(postcard::to_slice(&env, &mut scratch).unwrap().len(), MAX_FRAME);
        assert!(encode_message(&env, &mut scratch, &mut out).is_ok());
        let more = vec![0x55u8; MAX_SAMPLE_DATA + 1];
        let body = Body::Samples {
            first_frame: u64::MAX,
            channels: u8::MAX,
            encoding: SampleEncoding::I32,
            data: &more,
        };
        let env = Envelope { seq: u16::MAX, body };
        let mut scratch = vec![0u8; 2 * MAX_FRAME];
        assert_eq!(encode_message(&env, &mut scratch, &mut out), Err(WireError::TooLong));
    }

    #[test]
    fn config_crc_covers_every_field_and_its_buffer_holds_the_largest_config() {
        let mut buf = [0u8; 256];
        let largest = WireConfig {
            topology: u8::MAX,
            offsets: [i32::MIN; 7],
            input_limit_lsb: i32::MIN,
            meter_constant: u32::MAX,
            ..config()
        };
        let bytes = postcard::to_slice(&largest, &mut buf).unwrap();
        assert_eq!(bytes.len(), 119);
        assert_eq!(largest.crc32(), crc32(bytes));
        let base = config();
        let changed = [
            WireConfig { topology: 2, ..base },
            WireConfig { sample_rate_hz: 12_801.0, ..base },
            WireConfig { declared_voltage: 120.0, ..base },
            WireConfig { offsets: [0; 7], ..base },
            WireConfig { input_limit_lsb: 1, ..base },
            WireConfig { aggregation_window_s: 6.0, ..base },
            WireConfig { meter_constant: 1, ..base },
            WireConfig { analysis: 1, ..base },
        ];
        for c in changed {
            assert_ne!(c.crc32(), base.crc32());
        }
    }

    #[test]
    fn requests_and_final_replies_are_classified_as_the_reliability_rules_say() {
        let data = [0u8; 3];
        let all = every_variant(&data);
        let requests: Vec<bool> = all.iter().map(|e| e.body.is_request()).collect();
        let finals: Vec<bool> = all.iter().map(|e| e.body.is_final_reply()).collect();
        let (t, f) = (true, false);
        assert_eq!(requests, [t, t, t, t, t, t, t, f, f, f, f, f, f, f, f, f]);
        assert_eq!(finals, [f, f, f, f, f, f, f, t, t, t, f, f, t, t, t, f]);
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_payloads_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            if let Ok(env) = decode_message(&bytes) {
                // Whatever decodes re-encodes to the same bytes or a shorter canonical form.
                let mut buf = vec![0u8; 512];
                let again = postcard::to_slice(&env, &mut buf).unwrap();
                prop_assert!(again.len() <= bytes.len());
            }
        }
    }
}
