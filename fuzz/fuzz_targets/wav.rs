//! WAV: `WavSource::from_bytes` with a channel map fitting the header, read to the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percycle_analysis::read::WavSource;

fuzz_target!(init: percycle_fuzz::seeds::write_if_asked("wav"), |data: &[u8]| {
    percycle_fuzz::source(WavSource::from_bytes("fuzz.wav", data, percycle_fuzz::wav_map(data)));
});
