//! COMTRADE: `ComtradeSource::from_cff_bytes` (a single-file `.cff`, the same configuration
//! parser and row reader as `.cfg` with `.dat`), engine inputs chosen automatically, read to the
//! end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percycle_analysis::read::ComtradeSource;

fuzz_target!(init: percycle_fuzz::seeds::write_if_asked("comtrade"), |data: &[u8]| {
    percycle_fuzz::source(ComtradeSource::from_cff_bytes("fuzz.cff", data, None));
});
