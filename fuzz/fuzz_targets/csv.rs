//! CSV: `CsvSource::from_bytes`, with a sample rate when the file has no `t` column, read to the
//! end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percycle_analysis::read::CsvSource;
use percycle_vectors::FormatError;

fuzz_target!(init: percycle_fuzz::seeds::write_if_asked("csv"), |data: &[u8]| {
    let opened = match CsvSource::from_bytes("fuzz.csv", data, None) {
        Err(FormatError::MissingSampleRate { .. }) => {
            CsvSource::from_bytes("fuzz.csv", data, Some(10_240.0))
        }
        opened => opened,
    };
    percycle_fuzz::source(opened);
});
