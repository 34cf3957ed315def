//! MAT (level 5): `MatSource::from_bytes`, read to the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percycle_analysis::read::MatSource;

fuzz_target!(init: percycle_fuzz::seeds::write_if_asked("mat"), |data: &[u8]| {
    percycle_fuzz::source(MatSource::from_bytes("fuzz.mat", data));
});
