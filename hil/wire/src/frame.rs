//! Framing: `COBS(payload ‖ CRC-32(payload) little-endian) ‖ 0x00`, encoder and byte-wise decoder.

use crate::crc;
use crate::WireError;

/// Largest payload (the postcard-encoded [`Envelope`](crate::Envelope)) of one frame, in bytes.
///
/// [`encode_frame`] refuses longer payloads, so a [`FrameDecoder<MAX_FRAME>`] accepts every frame
/// a peer can produce.
pub const MAX_FRAME: usize = 1024;

/// Bytes of the CRC that follows the payload inside a frame.
const CRC_LEN: usize = 4;

/// Largest number of data bytes in one COBS block (block code `0xFF`).
const COBS_BLOCK: usize = 254;

/// Worst-case size on the wire of a frame carrying `payload_len` payload bytes: payload, CRC,
/// COBS overhead and the `0x00` delimiter. An `out` buffer of this size never makes
/// [`encode_frame`] fail for lack of room.
///
/// # Examples
///
/// ```
/// use percycle_wire::{encode_frame, max_encoded_len};
///
/// let payload = [0xAB; 300];
/// let mut out = [0u8; max_encoded_len(300)];
/// let n = encode_frame(&payload, &mut out)?;
/// assert!(n <= out.len());
/// # Ok::<(), percycle_wire::WireError>(())
/// ```
pub const fn max_encoded_len(payload_len: usize) -> usize {
    let n = payload_len + CRC_LEN;
    // One code byte per started block of at most 254 data bytes, plus the delimiter.
    n + n / COBS_BLOCK + 2
}

/// Worst-case size on the wire of a frame carrying [`MAX_FRAME`] payload bytes.
pub const MAX_ENCODED_FRAME: usize = max_encoded_len(MAX_FRAME);

/// Frames `payload` into `out`: COBS-encodes the payload followed by its CRC-32 (little-endian)
/// and appends the `0x00` delimiter.
///
/// Returns the number of bytes written, delimiter included. The output contains no `0x00` other
/// than the final delimiter.
///
/// # Errors
///
/// - [`WireError::Empty`] if the payload is empty: every frame carries at least one payload
///   byte, so that no run of zero bytes on the line (which COBS-encodes as `01 01 01 01 01`, an
///   empty payload with its CRC of 0) can pass for a frame;
/// - [`WireError::TooLong`] if the payload is longer than [`MAX_FRAME`];
/// - [`WireError::BufferTooSmall`] if `out` cannot hold the frame ([`max_encoded_len`] always
///   suffices). The content of `out` is then unspecified.
///
/// # Examples
///
/// ```
/// use percycle_wire::{encode_frame, FrameDecoder};
///
/// let mut out = [0u8; 32];
/// let n = encode_frame(b"\x00hello\x00", &mut out)?;
/// assert_eq!(out[n - 1], 0);
/// assert!(!out[..n - 1].contains(&0));
///
/// let mut decoder = FrameDecoder::<16>::new();
/// let (last, rest) = out[..n].split_last().unwrap();
/// assert!(rest.iter().all(|&b| decoder.push(b).is_none()));
/// assert_eq!(decoder.push(*last), Some(Ok(&b"\x00hello\x00"[..])));
/// # Ok::<(), percycle_wire::WireError>(())
/// ```
pub fn encode_frame(payload: &[u8], out: &mut [u8]) -> Result<usize, WireError> {
    if payload.is_empty() {
        return Err(WireError::Empty);
    }
    if payload.len() > MAX_FRAME {
        return Err(WireError::TooLong);
    }
    let crc = crc::crc32(payload).to_le_bytes();
    let mut writer = CobsWriter::new(out)?;
    for &b in payload.iter().chain(crc.iter()) {
        writer.push(b)?;
    }
    writer.finish()
}

/// COBS encoder writing into a caller buffer; the code byte of the open block is filled in when
/// the block closes.
struct CobsWriter<'o> {
    out: &'o mut [u8],
    /// Index of the open block's code byte.
    code_at: usize,
    /// Index of the next byte to write.
    pos: usize,
    /// Code of the open block: 1 + data bytes in it.
    code: u8,
    /// The previous block was full (code `0xFF`), so it implies no zero after it.
    after_full: bool,
}

impl<'o> CobsWriter<'o> {
    fn new(out: &'o mut [u8]) -> Result<Self, WireError> {
        if out.is_empty() {
            return Err(WireError::BufferTooSmall);
        }
        Ok(Self { out, code_at: 0, pos: 1, code: 1, after_full: false })
    }

    fn push(&mut self, byte: u8) -> Result<(), WireError> {
        if byte == 0 {
            return self.close_block(false);
        }
        *self.out.get_mut(self.pos).ok_or(WireError::BufferTooSmall)? = byte;
        self.pos += 1;
        self.code += 1;
        self.after_full = false;
        if self.code == 0xFF {
            self.close_block(true)?;
        }
        Ok(())
    }

    /// Writes the open block's code and reserves the next block's code byte.
    fn close_block(&mut self, full: bool) -> Result<(), WireError> {
        self.out[self.code_at] = self.code;
        if self.pos >= self.out.len() {
            return Err(WireError::BufferTooSmall);
        }
        self.code_at = self.pos;
        self.pos += 1;
        self.code = 1;
        self.after_full = full;
        Ok(())
    }

    /// Closes the last block and writes the delimiter; returns the frame length.
    fn finish(self) -> Result<usize, WireError> {
        if self.after_full {
            // The data ended with a full block: no empty block follows it (canonical COBS),
            // and the reserved code byte becomes the delimiter.
            self.out[self.code_at] = 0;
            return Ok(self.code_at + 1);
        }
        self.out[self.code_at] = self.code;
        *self.out.get_mut(self.pos).ok_or(WireError::BufferTooSmall)? = 0;
        Ok(self.pos + 1)
    }
}

/// Where the decoder is within the byte stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No byte since the last delimiter.
    Idle,
    /// Inside a frame.
    Frame,
    /// The frame outgrew the buffer: bytes are dropped until the next delimiter.
    Discard,
}

/// Byte-wise frame decoder with room for a payload of up to `N` bytes.
///
/// Bytes are fed one at a time with [`push`](Self::push). COBS decoding and the CRC are computed
/// as the bytes arrive, so the delimiter costs no more than any other byte. `push` returns
/// `Some` exactly when it is given a `0x00`: the payload of the frame that the delimiter ends, or
/// why that frame was rejected. Rejection never affects the next frame: decoding restarts after
/// every delimiter (this is the resynchronisation rule). A frame whose payload exceeds `N` bytes
/// is discarded up to its delimiter and reported as [`WireError::TooLong`]. No byte sequence
/// makes the decoder panic.
///
/// `FrameDecoder<MAX_FRAME>` (about 1 KiB) accepts every frame that [`encode_frame`] produces.
///
/// # Examples
///
/// ```
/// use percycle_wire::{encode_frame, FrameDecoder, WireError, MAX_FRAME};
///
/// let mut wire = [0u8; 64];
/// let n = encode_frame(b"ping", &mut wire)?;
///
/// let mut decoder = FrameDecoder::<MAX_FRAME>::new();
/// // Line noise ahead of the frame is rejected at the next delimiter...
/// for &b in &[0x13, 0x37] {
///     assert_eq!(decoder.push(b), None);
/// }
/// assert!(matches!(decoder.push(0), Some(Err(WireError::Cobs | WireError::Crc))));
/// // ...and the frame after it is decoded.
/// let mut got = None;
/// for &b in &wire[..n] {
///     if let Some(r) = decoder.push(b) {
///         got = Some(r?.len());
///     }
/// }
/// assert_eq!(got, Some(4));
/// # Ok::<(), percycle_wire::WireError>(())
/// ```
#[derive(Clone, Debug)]
pub struct FrameDecoder<const N: usize> {
    /// Decoded payload bytes (everything but the last four decoded bytes).
    buf: [u8; N],
    /// Bytes in `buf`.
    len: usize,
    /// The last (up to) four decoded bytes, oldest in the low byte: the CRC once the frame ends.
    tail: u32,
    /// Bytes in `tail`.
    tail_len: u8,
    /// Running CRC register over `buf`.
    crc: u32,
    /// Data bytes still to come in the current COBS block.
    remaining: u8,
    /// The current block ends with an implicit zero (code below `0xFF`), decoded only if another
    /// block follows.
    zero_after: bool,
    state: State,
}

impl<const N: usize> Default for FrameDecoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameDecoder<N> {
    /// An empty decoder, waiting for the first byte of a frame.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
            tail: 0,
            tail_len: 0,
            crc: crc::INIT,
            remaining: 0,
            zero_after: false,
            state: State::Idle,
        }
    }

    /// Feeds one byte from the line.
    ///
    /// Returns `None` for any byte but `0x00`. For `0x00` (the delimiter) returns the CRC-checked
    /// payload of the frame it ends, or:
    ///
    /// - [`WireError::Empty`] if no byte came since the previous delimiter (a sender may send a
    ///   lone `0x00` to flush the receiver; ignoring this error is normal);
    /// - [`WireError::Cobs`] if the frame ends inside a COBS block (truncated or corrupted);
    /// - [`WireError::Crc`] if the decoded frame is too short to hold a payload byte and the CRC,
    ///   or its CRC does not match;
    /// - [`WireError::TooLong`] if the payload exceeded `N` bytes.
    ///
    /// The returned payload borrows the decoder: copy it out or decode it before the next push.
    pub fn push(&mut self, byte: u8) -> Option<Result<&[u8], WireError>> {
        if byte != 0 {
            self.feed(byte);
            return None;
        }
        let outcome = self.end_of_frame();
        self.restart();
        Some(outcome.map(|n| &self.buf[..n]))
    }

    /// Handles one non-zero byte.
    fn feed(&mut self, byte: u8) {
        match self.state {
            State::Discard => {}
            State::Idle => {
                self.state = State::Frame;
                self.open_block(byte);
            }
            State::Frame if self.remaining == 0 => {
                if self.zero_after {
                    self.emit(0);
                }
                self.open_block(byte);
            }
            State::Frame => {
                self.remaining -= 1;
                self.emit(byte);
            }
        }
    }

    /// Starts a COBS block from its (non-zero) code byte.
    fn open_block(&mut self, code: u8) {
        self.remaining = code - 1;
        self.zero_after = code != 0xFF;
    }

    /// Appends one decoded byte. The last four decoded bytes are held back as the CRC candidate;
    /// older bytes go to the payload buffer and the CRC register.
    fn emit(&mut self, byte: u8) {
        if self.state != State::Frame {
            return;
        }
        if self.tail_len < CRC_LEN as u8 {
            self.tail |= u32::from(byte) << (8 * self.tail_len);
            self.tail_len += 1;
            return;
        }
        let oldest = self.tail as u8;
        self.tail = (self.tail >> 8) | (u32::from(byte) << 24);
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = oldest;
                self.len += 1;
                self.crc = crc::update(self.crc, oldest);
            }
            None => self.state = State::Discard,
        }
    }

    /// The payload length of the frame a delimiter ends, or why it is rejected.
    fn end_of_frame(&self) -> Result<usize, WireError> {
        match self.state {
            State::Idle => Err(WireError::Empty),
            State::Discard => Err(WireError::TooLong),
            State::Frame if self.remaining != 0 => Err(WireError::Cobs),
            // No payload byte: a CRC alone, or less. Never sent (see `encode_frame`).
            State::Frame if self.len == 0 => Err(WireError::Crc),
            State::Frame if crc::finish(self.crc) != self.tail => Err(WireError::Crc),
            State::Frame => Ok(self.len),
        }
    }

    /// Forgets the frame state (not the buffer, which still holds the payload just returned).
    fn restart(&mut self) {
        self.len = 0;
        self.tail = 0;
        self.tail_len = 0;
        self.crc = crc::INIT;
        self.remaining = 0;
        self.zero_after = false;
        self.state = State::Idle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crc32;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// Frames `payload` into a fresh vector.
    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; max_encoded_len(payload.len())];
        let n = encode_frame(payload, &mut out).expect("frame fits");
        out.truncate(n);
        out
    }

    /// Feeds `bytes` and collects every outcome (one per delimiter), payloads copied out.
    fn feed<const N: usize>(
        d: &mut FrameDecoder<N>,
        bytes: &[u8],
    ) -> Vec<Result<Vec<u8>, WireError>> {
        bytes.iter().filter_map(|&b| d.push(b).map(|r| r.map(<[u8]>::to_vec))).collect()
    }

    /// Deterministic non-zero filler.
    fn nonzero(len: usize, salt: usize) -> Vec<u8> {
        (0..len).map(|i| ((i * 31 + salt * 7) % 255 + 1) as u8).collect()
    }

    /// Payloads used by the damage tests: zeros, long non-zero runs, a 254-byte block boundary.
    fn damage_payloads() -> Vec<Vec<u8>> {
        let mut with_zeros = nonzero(300, 1);
        for i in (0..300).step_by(37) {
            with_zeros[i] = 0;
        }
        let mut run_then_zero = nonzero(254, 2);
        run_then_zero.push(0);
        run_then_zero.extend(nonzero(20, 3));
        vec![vec![0], vec![0; 9], with_zeros, nonzero(600, 4), run_then_zero]
    }

    #[test]
    fn empty_payloads_are_neither_sent_nor_accepted() {
        let mut out = [0u8; 16];
        assert_eq!(encode_frame(&[], &mut out), Err(WireError::Empty));
        // What an empty payload would frame as: its CRC, 0, in four zero bytes. A truncated run
        // of zeros looks the same, so the decoder refuses it.
        let mut d = FrameDecoder::<8>::new();
        assert_eq!(feed(&mut d, &[1, 1, 1, 1, 1, 0]), [Err(WireError::Crc)]);
    }

    #[test]
    fn check_string_frames_as_one_block_with_little_endian_crc() {
        let mut expected = vec![14u8];
        expected.extend_from_slice(b"123456789");
        expected.extend_from_slice(&[0x26, 0x39, 0xF4, 0xCB]);
        expected.push(0);
        assert_eq!(frame(b"123456789"), expected);
    }

    /// COBS alone (no CRC), through the frame encoder's writer.
    fn cobs(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; data.len() + data.len() / 254 + 2];
        let mut w = CobsWriter::new(&mut out).unwrap();
        for &b in data {
            w.push(b).unwrap();
        }
        let n = w.finish().unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn cobs_writer_matches_the_published_examples() {
        let seq = |lo: u8, hi: u8| (lo..=hi).collect::<Vec<u8>>();
        let cat = |parts: &[&[u8]]| parts.concat();
        assert_eq!(cobs(&[0]), [1, 1, 0]);
        assert_eq!(cobs(&[0, 0]), [1, 1, 1, 0]);
        assert_eq!(cobs(&[0, 0x11, 0]), [1, 2, 0x11, 1, 0]);
        assert_eq!(cobs(&[0x11, 0x22, 0, 0x33]), [3, 0x11, 0x22, 2, 0x33, 0]);
        assert_eq!(cobs(&[0x11, 0x22, 0x33, 0x44]), [5, 0x11, 0x22, 0x33, 0x44, 0]);
        assert_eq!(cobs(&[0x11, 0, 0, 0]), [2, 0x11, 1, 1, 1, 0]);
        assert_eq!(cobs(&seq(1, 0xFE)), cat(&[&[0xFF], &seq(1, 0xFE), &[0]]));
        assert_eq!(cobs(&cat(&[&[0], &seq(1, 0xFE)])), cat(&[&[1, 0xFF], &seq(1, 0xFE), &[0]]));
        assert_eq!(cobs(&seq(1, 0xFF)), cat(&[&[0xFF], &seq(1, 0xFE), &[2, 0xFF, 0]]));
        assert_eq!(cobs(&cat(&[&seq(2, 0xFF), &[0]])), cat(&[&[0xFF], &seq(2, 0xFF), &[1, 1, 0]]));
        assert_eq!(
            cobs(&cat(&[&seq(3, 0xFF), &[0, 1]])),
            cat(&[&[0xFE], &seq(3, 0xFF), &[2, 1, 0]])
        );
    }

    #[test]
    fn decoder_also_accepts_an_empty_block_after_a_final_full_block() {
        // 250 payload bytes + a CRC without zeros = 254 non-zero bytes: one full block.
        let p = (0..)
            .map(|salt| nonzero(250, salt))
            .find(|p| !crc32(p).to_le_bytes().contains(&0))
            .unwrap();
        let canonical = frame(&p);
        assert_eq!((canonical[0], canonical.len()), (0xFF, 256));
        let mut redundant = canonical.clone();
        redundant.insert(255, 1);
        let mut d = FrameDecoder::<250>::new();
        assert_eq!(feed(&mut d, &canonical), [Ok(p.clone())]);
        assert_eq!(feed(&mut d, &redundant), [Ok(p)]);
    }

    #[test]
    fn frames_round_trip_for_payloads_of_1_to_300_bytes_with_a_zero_at_every_position() {
        let mut d = FrameDecoder::<300>::new();
        for len in 1..=300 {
            let base = nonzero(len, len);
            let mut cases = vec![base.clone(), vec![0; len]];
            for pos in 0..len {
                let mut p = base.clone();
                p[pos] = 0;
                cases.push(p);
            }
            for p in cases {
                let f = frame(&p);
                assert!(f.len() <= max_encoded_len(len));
                assert!(!f[..f.len() - 1].contains(&0), "stray delimiter for {p:?}");
                assert_eq!(feed(&mut d, &f), [Ok(p)]);
            }
        }
    }

    #[test]
    fn frames_round_trip_around_runs_of_254_and_255_nonzero_bytes() {
        let mut d = FrameDecoder::<MAX_FRAME>::new();
        for run in [253, 254, 255, 256, 507, 508, 509, 510, 762, 1016, 1020, 1024] {
            let r = nonzero(run, run);
            let mut zero_first = vec![0];
            zero_first.extend(&r);
            let mut zero_last = r.clone();
            zero_last.push(0);
            let mut zero_both = vec![0];
            zero_both.extend(&zero_last);
            let mut two_runs = r.clone();
            two_runs.push(0);
            two_runs.extend(&r);
            two_runs.truncate(MAX_FRAME);
            for p in [r, zero_first, zero_last, zero_both, two_runs] {
                let p = &p[..p.len().min(MAX_FRAME)];
                let f = frame(p);
                assert!(f.len() <= max_encoded_len(p.len()));
                assert!(!f[..f.len() - 1].contains(&0));
                assert_eq!(feed(&mut d, &f), [Ok(p.to_vec())], "run {run}");
            }
        }
    }

    #[test]
    fn worst_case_payload_fills_exactly_max_encoded_frame() {
        // Choose a non-zero payload whose CRC has no zero byte either: no zero to absorb a code.
        let p = (0..)
            .map(|salt| nonzero(MAX_FRAME, salt))
            .find(|p| !crc32(p).to_le_bytes().contains(&0))
            .unwrap();
        let mut out = [0u8; MAX_ENCODED_FRAME];
        assert_eq!(encode_frame(&p, &mut out), Ok(MAX_ENCODED_FRAME));
    }

    #[test]
    fn encoder_reports_a_short_buffer_at_every_size_below_the_frame_length() {
        for p in damage_payloads() {
            let need = frame(&p).len();
            let mut out = vec![0u8; need];
            for size in 0..need {
                assert_eq!(encode_frame(&p, &mut out[..size]), Err(WireError::BufferTooSmall));
            }
            assert_eq!(encode_frame(&p, &mut out), Ok(need));
        }
    }

    #[test]
    fn encoder_refuses_payloads_longer_than_max_frame() {
        let mut out = vec![0u8; 2 * MAX_FRAME];
        assert!(encode_frame(&[7; MAX_FRAME], &mut out).is_ok());
        assert_eq!(encode_frame(&[7; MAX_FRAME + 1], &mut out), Err(WireError::TooLong));
    }

    #[test]
    fn every_truncation_of_a_frame_is_rejected_and_the_next_frame_accepted() {
        let mut d = FrameDecoder::<MAX_FRAME>::new();
        for p in damage_payloads() {
            let f = frame(&p);
            for cut in 0..f.len() - 1 {
                let mut bytes = f[..cut].to_vec();
                bytes.push(0);
                let got = feed(&mut d, &bytes);
                match cut {
                    0 => assert_eq!(got, [Err(WireError::Empty)]),
                    _ => assert!(
                        matches!(got[..], [Err(WireError::Cobs | WireError::Crc)]),
                        "cut at {cut}: {got:?}"
                    ),
                }
                assert_eq!(feed(&mut d, &f), [Ok(p.clone())]);
            }
        }
    }

    #[test]
    fn a_truncated_frame_without_delimiter_spoils_only_the_frame_it_runs_into() {
        let mut d = FrameDecoder::<MAX_FRAME>::new();
        for p in damage_payloads() {
            let f = frame(&p);
            for cut in 1..f.len() - 1 {
                let mut bytes = f[..cut].to_vec();
                bytes.extend(&f);
                let got = feed(&mut d, &bytes);
                assert_eq!(got.len(), 1);
                assert!(got[0].is_err(), "cut at {cut} accepted");
                assert_eq!(feed(&mut d, &f), [Ok(p.clone())]);
            }
        }
    }

    #[test]
    fn every_single_bit_flip_of_a_frame_is_rejected_and_never_panics() {
        let mut d = FrameDecoder::<MAX_FRAME>::new();
        for p in damage_payloads() {
            let f = frame(&p);
            for i in 0..f.len() {
                for bit in 0..8 {
                    let mut bytes = f.clone();
                    bytes[i] ^= 1 << bit;
                    // An extra delimiter ends the frame if the flip hit the original one.
                    bytes.push(0);
                    let got = feed(&mut d, &bytes);
                    assert!(!got.is_empty());
                    for r in &got {
                        assert!(
                            matches!(r, Err(WireError::Cobs | WireError::Crc | WireError::Empty)),
                            "flip of bit {bit} in byte {i} of a {}-byte payload gave {r:?}",
                            p.len()
                        );
                    }
                    // A flip that creates a delimiter splits the frame into two rejected parts.
                    if bytes[i] == 0 && i + 1 < f.len() {
                        assert!(got.len() >= 2);
                    }
                    assert_eq!(feed(&mut d, &f), [Ok(p.clone())]);
                }
            }
        }
    }

    #[test]
    fn decoder_resynchronises_after_garbage_at_the_next_delimiter() {
        let mut d = FrameDecoder::<64>::new();
        let f = frame(b"after the noise");
        let mut garbage = vec![0x55u8; 40];
        garbage.extend([0xFF, 0x03, 0x01, 0x02, 0x00, 0x10, 0x20, 0xFF, 0xFE]);
        let mut bytes = garbage.clone();
        bytes.push(0);
        bytes.extend(&f);
        let got = feed(&mut d, &bytes);
        assert_eq!(got.last(), Some(&Ok(b"after the noise".to_vec())));
        assert!(got[..got.len() - 1].iter().all(Result::is_err));
    }

    #[test]
    fn decoder_discards_an_over_long_frame_up_to_its_delimiter_then_decodes_the_next() {
        let mut d = FrameDecoder::<16>::new();
        let fits = nonzero(16, 9);
        let too_long = nonzero(17, 9);
        assert_eq!(feed(&mut d, &frame(&too_long)), [Err(WireError::TooLong)]);
        assert_eq!(feed(&mut d, &frame(&fits)), [Ok(fits.clone())]);
        // A long stretch of non-zero noise is one over-long frame, reported once.
        let mut noise = vec![0xA5u8; 1000];
        noise.push(0);
        assert_eq!(feed(&mut d, &noise), [Err(WireError::TooLong)]);
        assert_eq!(feed(&mut d, &frame(&fits)), [Ok(fits)]);
    }

    #[test]
    fn decoder_capacity_is_the_largest_payload_it_accepts() {
        let mut d = FrameDecoder::<1>::new();
        assert_eq!(feed(&mut d, &frame(&[0])), [Ok(vec![0])]);
        assert_eq!(feed(&mut d, &frame(&[0, 0])), [Err(WireError::TooLong)]);
        let mut none = FrameDecoder::<0>::new();
        assert_eq!(feed(&mut none, &frame(&[1])), [Err(WireError::TooLong)]);
        assert_eq!(feed(&mut none, &[1, 1, 1, 1, 1, 0]), [Err(WireError::Crc)]);
    }

    #[test]
    fn consecutive_delimiters_are_reported_as_empty_frames() {
        let mut d = FrameDecoder::<8>::new();
        assert_eq!(feed(&mut d, &[0, 0]), [Err(WireError::Empty), Err(WireError::Empty)]);
        let mut bytes = vec![0];
        bytes.extend(frame(b"x"));
        assert_eq!(feed(&mut d, &bytes), [Err(WireError::Empty), Ok(b"x".to_vec())]);
    }

    #[test]
    fn frames_too_short_to_hold_a_payload_byte_and_a_crc_are_crc_errors() {
        let mut d = FrameDecoder::<8>::new();
        let short: [&[u8]; 6] =
            [&[1, 0], &[2, 9, 0], &[1, 1, 1, 0], &[4, 1, 2, 3, 0], &[5, 1, 2, 3, 4, 0], &[1; 6]];
        for bytes in short {
            let mut bytes = bytes.to_vec();
            *bytes.last_mut().unwrap() = 0;
            assert_eq!(feed(&mut d, &bytes), [Err(WireError::Crc)], "{bytes:?}");
        }
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics_and_answers_exactly_at_delimiters(
            bytes in proptest::collection::vec(any::<u8>(), 0..3000),
        ) {
            let mut small = FrameDecoder::<8>::new();
            let mut big = FrameDecoder::<MAX_FRAME>::new();
            for &b in &bytes {
                let s = small.push(b);
                prop_assert_eq!(s.is_some(), b == 0);
                if let Some(Ok(p)) = s {
                    prop_assert!(p.len() <= 8);
                }
                prop_assert_eq!(big.push(b).is_some(), b == 0);
            }
        }

        #[test]
        fn arbitrary_payloads_round_trip_after_arbitrary_noise(
            noise in proptest::collection::vec(any::<u8>(), 0..200),
            payload in proptest::collection::vec(any::<u8>(), 1..=MAX_FRAME),
        ) {
            let mut d = FrameDecoder::<MAX_FRAME>::new();
            let mut bytes = noise;
            bytes.push(0);
            bytes.extend(frame(&payload));
            let got = feed(&mut d, &bytes);
            prop_assert_eq!(got.last(), Some(&Ok(payload)));
        }
    }
}
