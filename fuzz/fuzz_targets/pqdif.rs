//! PQDIF: `observations_in` (the record chain, zlib bodies, the element tree of every record)
//! and `PqdifSource::from_bytes` of the first observation that holds waveforms, channels chosen
//! automatically, read to the end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percycle_analysis::read::pqdif::observations_in;
use percycle_analysis::read::PqdifSource;

fuzz_target!(init: percycle_fuzz::seeds::write_if_asked("pqdif"), |data: &[u8]| {
    let Ok(list) = observations_in("fuzz.pqd", data.to_vec()) else { return };
    let Some(obs) = list.iter().find(|o| o.has_waveforms) else { return };
    percycle_fuzz::source(PqdifSource::from_bytes("fuzz.pqd", data.to_vec(), obs.index, None));
});
