//! The wire's receive path, as the board firmware and the bench run it on the bytes of a line:
//! `FrameDecoder` (COBS, CRC) byte by byte, `decode_message` (postcard) of each payload, then
//! on the board's side `Dedup`, `WireConfig::to_config` into `Meter::configure`, `unpack_block`
//! of sample blocks into the configured engine, `Reset` and `Finish`; on the bench's side
//! `Report::decode` of record parts. Every message decoded must encode again, and decode from
//! its own frame to a message that encodes to the same frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percycle_engine::Meter;
use percycle_hil::bench::Report;
use percycle_wire::{
    decode_message, encode_message, unpack_block, Body, Dedup, Envelope, FrameDecoder,
    MAX_ENCODED_FRAME, MAX_FRAME,
};
use std::cell::RefCell;

/// The decoder capacity of the firmware and the bench.
const CAPACITY: usize = 2 * MAX_FRAME + 64;

thread_local! {
    /// The engine, configured afresh by each input before use (`configure` clears its state).
    static METER: RefCell<Box<Meter>> = RefCell::new(Box::new(Meter::UNCONFIGURED));
}

/// `env` (decoded from a payload of `len` bytes) encodes, and its frame decodes to a message
/// that encodes to the same frame.
fn round_trip(env: &Envelope<'_>, len: usize) {
    let (mut scratch, mut frame) = ([0u8; MAX_FRAME], [0u8; MAX_ENCODED_FRAME]);
    let n = match encode_message(env, &mut scratch, &mut frame) {
        Ok(n) => n,
        // A payload the decoder takes may be longer than a sender may send.
        Err(_) if len > MAX_FRAME => return,
        Err(e) => panic!("a message decoded from {len} bytes does not encode: {e}"),
    };
    let mut decoder = FrameDecoder::<CAPACITY>::new();
    let (last, body) = frame[..n].split_last().expect("a frame ends with its delimiter");
    assert!(body.iter().all(|&b| decoder.push(b).is_none()), "a delimiter inside the frame");
    let payload = decoder.push(*last).expect("the delimiter ends the frame").expect("valid frame");
    let again = decode_message(payload).expect("an encoded message decodes");
    let (mut scratch2, mut frame2) = ([0u8; MAX_FRAME], [0u8; MAX_ENCODED_FRAME]);
    let m = encode_message(&again, &mut scratch2, &mut frame2).expect("it encodes again");
    assert_eq!(frame[..n], frame2[..m], "decoding and encoding again changes the frame");
}

fuzz_target!(init: percycle_fuzz::seeds::write_if_asked("wire"), |data: &[u8]| {
    METER.with_borrow_mut(|meter| {
        let mut decoder = Box::new(FrameDecoder::<CAPACITY>::new());
        let mut dedup = Dedup::new();
        let mut configured = false;
        let mut codes = vec![0i32; MAX_FRAME];
        for &byte in data {
            let Some(Ok(payload)) = decoder.push(byte) else { continue };
            let len = payload.len();
            assert!(len <= CAPACITY);
            let Ok(env) = decode_message(payload) else { continue };
            round_trip(&env, len);
            // The bench: a record part decodes, or not, as the engine type it names.
            if let Body::Record { kind, data, .. } = env.body {
                let _ = Report::decode(kind, data);
            }
            // The board.
            if let Body::Ping { .. } = env.body {
                dedup = Dedup::new();
                continue;
            }
            if !dedup.is_new(env.seq) {
                continue;
            }
            match env.body {
                Body::Configure(w) => configured |= meter.configure(w.to_config()).is_ok(),
                Body::Samples { channels, encoding, data, .. } => {
                    let channels =
                        if configured { meter.channels() } else { usize::from(channels) };
                    let Ok(n) = unpack_block(data, encoding, channels, &mut codes) else {
                        continue;
                    };
                    assert!(n <= codes.len());
                    if configured && n % channels == 0 {
                        meter.process_block_with(&codes[..n], |_| {});
                    }
                }
                Body::Reset if configured => {
                    meter.reset();
                    meter.clear_energy();
                }
                Body::Finish if configured => {
                    let _ = meter.finish().count();
                    let _ = meter.take_interval();
                    while meter.take_event().is_some() {}
                    while meter.take_aggregate().is_some() {}
                }
                _ => {}
            }
        }
    });
});
