//! What the reader fuzz targets share: a recording opened from the fuzzer's bytes is read to its
//! end, block by block, with the contract of [`Source`] checked on the way, and on request its
//! first frames go through the whole analysis ([`analyze_source`], [`engine_frames`]).
//!
//! A read error is a fine outcome; a panic (an assertion below included), a hang or memory that
//! grows without bound is a bug. A target for a new reader is one file in `fuzz_targets/` that
//! opens the bytes and hands the result to [`source`], and one line in `Cargo.toml`.

pub mod seeds;

use percycle_analysis::analyze::analyze_source;
use percycle_analysis::setup::Options;
use percycle_analysis::source::{Source, SourceInfo};
use percycle_vectors::{FormatError, WavChannelMap};
use std::sync::OnceLock;

/// Frames of one input that go through the engine (the rest is only read), from
/// `PERCYCLE_FUZZ_ENGINE_FRAMES`; 0 (the default): none, the reader alone. Under coverage
/// instrumentation the engine costs milliseconds per input, which slows the readers' targets
/// from thousands of executions a second to about a hundred.
pub fn engine_frames() -> u64 {
    static FRAMES: OnceLock<u64> = OnceLock::new();
    *FRAMES.get_or_init(|| {
        std::env::var("PERCYCLE_FUZZ_ENGINE_FRAMES").ok().and_then(|v| v.parse().ok()).unwrap_or(0)
    })
}

/// Frames asked of the reader at a time once the engine has had its frames.
const BLOCK_FRAMES: usize = 4096;

/// A source whose every block is checked, handing out at most `cap` frames.
struct Checked<'a> {
    inner: &'a mut dyn Source,
    /// Frames handed out.
    frames: u64,
    cap: u64,
    /// The reader returned an error.
    failed: bool,
    /// The reader returned 0 frames for a block of at least one.
    ended: bool,
}

impl Source for Checked<'_> {
    fn info(&self) -> &SourceInfo {
        self.inner.info()
    }

    fn read(&mut self, out: &mut Vec<f64>, max_frames: usize) -> Result<usize, FormatError> {
        let want = max_frames.min(usize::try_from(self.cap - self.frames).unwrap_or(usize::MAX));
        if want == 0 {
            out.clear();
            return Ok(0);
        }
        let nch = self.inner.info().channels.len();
        let result = self.inner.read(out, want);
        match &result {
            Ok(n) => {
                assert!(*n <= want, "{n} frames for a block of {want}");
                assert_eq!(out.len(), n * nch, "{n} frames of {nch} channels");
                assert!(!self.ended || *n == 0, "frames after the end");
                assert!(!self.failed || *n == 0, "frames after an error");
                self.frames += *n as u64;
                self.ended |= *n == 0;
            }
            Err(_) => self.failed = true,
        }
        let (at, size) = self.inner.position();
        assert!(at <= size, "position {at} beyond the size {size}");
        result
    }

    fn position(&self) -> (u64, u64) {
        self.inner.position()
    }

    fn notes(&self) -> Vec<String> {
        self.inner.notes()
    }
}

/// What a reader states about a recording it opened.
fn check_info(info: &SourceInfo) {
    let rate = info.sample_rate_hz;
    assert!(rate.is_finite() && rate > 0.0, "sample rate {rate} Hz");
    assert!(!info.channels.is_empty(), "no channels");
    for c in &info.channels {
        if let Some(fs) = c.full_scale {
            assert!(fs.is_finite() && fs > 0.0, "full scale {fs} of {}", c.name);
        }
    }
}

/// Runs one input: the source `opened` from it (an error is fine) is read to its end, its
/// first [`engine_frames`] frames through the engine, and checked: blocks of whole frames,
/// never more than asked, nothing after the end or an error, the position within the size,
/// and as many frames as the header states when the recording reads without error.
pub fn source<S: Source>(opened: Result<S, FormatError>) {
    let Ok(mut src) = opened else { return };
    check_info(src.info());
    let stated = src.info().frames;
    let cap = engine_frames();
    let mut checked = Checked { inner: &mut src, frames: 0, cap, failed: false, ended: false };
    if cap > 0 {
        // Setup refuses most rates and channel sets: the recording is then read alone.
        let _ = analyze_source(&mut checked, &Options::default());
    }
    checked.cap = u64::MAX;
    let mut block = Vec::new();
    while let Ok(n) = checked.read(&mut block, BLOCK_FRAMES) {
        if n == 0 {
            break;
        }
    }
    assert!(matches!(checked.read(&mut block, BLOCK_FRAMES), Ok(0)), "the end stays the end");
    if let (Some(stated), false) = (stated, checked.failed) {
        assert_eq!(checked.frames, stated, "frames read and frames stated");
    }
    let _ = checked.notes();
}

/// Most channels [`wav_map`] names (a file with more is refused for its count).
const WAV_MAP_CHANNELS: usize = 64;

/// A channel map for a WAV file in memory, which has no sidecar: as many channels as its
/// `fmt ` chunk says (1 when it has none or more than [`WAV_MAP_CHANNELS`]), named to fit an
/// engine topology where the count allows (`U1`; `U1,I1`; `U1,U2,U3,I1,I2,I3[,IN]`), full
/// scales 400 V and 10 A.
pub fn wav_map(bytes: &[u8]) -> WavChannelMap {
    let channels = bytes
        .windows(4)
        .position(|w| w == b"fmt ")
        .and_then(|k| bytes.get(k + 10..k + 12))
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])))
        .filter(|&n| n <= WAV_MAP_CHANNELS)
        .unwrap_or(1);
    let names: Vec<String> = match channels {
        1 => vec!["U1".into()],
        2 => vec!["U1".into(), "I1".into()],
        n => ["U1", "U2", "U3", "I1", "I2", "I3", "IN"]
            .iter()
            .map(|s| s.to_string())
            .chain((8..).map(|k| format!("U{k}")))
            .take(n)
            .collect(),
    };
    let full_scale = names.iter().map(|n| if n.starts_with('U') { 400.0 } else { 10.0 }).collect();
    WavChannelMap { channels: names, full_scale }
}
