//! The seeds read as what they stand for: every generated WAV, CSV, MAT and COMTRADE seed opens
//! and reads to its end without error, and every wire seed is a line of valid frames of valid
//! messages (the shared recordings are used when they are beside the repository).

use percycle_analysis::read::{ComtradeSource, CsvSource, MatSource, WavSource};
use percycle_analysis::source::{collect, Source};
use percycle_fuzz::seeds::seeds;
use percycle_wire::{decode_message, FrameDecoder, WireError, MAX_FRAME};
use std::path::Path;

fn recorded() -> Option<&'static Path> {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/recorded"));
    dir.is_dir().then_some(dir)
}

fn reads<S: Source>(name: &str, opened: Result<S, percycle_vectors::FormatError>) -> usize {
    let mut src = opened.unwrap_or_else(|e| panic!("{name}: {e}"));
    let w = collect(&mut src).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(w.len() > 10, "{name}: {} frames", w.len());
    w.len()
}

#[test]
fn reader_seeds_open_and_read_to_their_end() {
    for target in ["wav", "csv", "mat", "comtrade"] {
        let all = seeds(target, recorded()).unwrap();
        assert!(all.len() >= 4, "{target}: {} seeds", all.len());
        for (name, bytes) in all {
            assert!(bytes.len() <= 16 << 10, "{name}: {} bytes", bytes.len());
            if name.contains("recorded-cut") {
                continue; // the start of a file as it is
            }
            let b = bytes.as_slice();
            match target {
                "wav" => reads(&name, WavSource::from_bytes(&name, b, percycle_fuzz::wav_map(b))),
                "csv" if name.contains("no-t") => {
                    reads(&name, CsvSource::from_bytes(&name, b, Some(12_800.0)))
                }
                "csv" => reads(&name, CsvSource::from_bytes(&name, b, None)),
                "mat" => reads(&name, MatSource::from_bytes(&name, b)),
                _ => reads(&name, ComtradeSource::from_cff_bytes(&name, b, None)),
            };
        }
    }
}

#[test]
fn wire_seeds_are_lines_of_valid_frames() {
    for (name, bytes) in seeds("wire", None).unwrap() {
        assert!(bytes.len() <= 8 << 10, "{name}: {} bytes", bytes.len());
        let mut decoder = FrameDecoder::<{ 2 * MAX_FRAME + 64 }>::new();
        let (mut good, mut bad) = (0, 0);
        for &b in &bytes {
            match decoder.push(b) {
                None | Some(Err(WireError::Empty)) => {}
                Some(Ok(p)) => {
                    decode_message(p).unwrap_or_else(|e| panic!("{name}: {e}"));
                    good += 1;
                }
                Some(Err(_)) => bad += 1,
            }
        }
        assert!(good >= 1, "{name}");
        assert_eq!(bad > 0, name == "seed-noisy-line", "{name}: {bad} damaged frames");
    }
}
