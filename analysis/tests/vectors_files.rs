//! Vectors written by `percycle-vectors` (`write_wav`, `write_vector`, the hostile suite's
//! `write_hostile_vector`) read back through the streaming readers: what was synthesised is
//! what is read, within the resolution of the format, with NaN where samples are missing.
//!
//! The readers' own rules (every format, block sizes, hostile headers, sidecar checks, options)
//! are tested in `read.rs`.

use percycle_analysis::read::{CsvSource, WavSource};
use percycle_analysis::source::collect;
use percycle_vectors::hostile_suite::write_hostile_vector;
use percycle_vectors::synth::max_code;
use percycle_vectors::{
    default_full_scale, hostile_cases, suite, synthesize, write_vector, write_wav, FileKind,
    Recipe, Topology, WavFormat, Waveform,
};

/// A 3P4W vector with a 5th harmonic and noise, so that every sample is off the code grid.
fn noisy_3p4w() -> Waveform {
    let r = Recipe::new("rt", Topology::ThreePhase4W)
        .with_duration(0.05)
        .with_load_angle(20.0)
        .with_u_harmonic(5, 5.0, 0.0)
        .with_noise(0.3, 0.002)
        .with_seed(3);
    synthesize(&r).unwrap().waveform
}

fn wav_back(path: &std::path::Path) -> Waveform {
    collect(&mut WavSource::open(path, None).unwrap()).unwrap()
}

fn csv_back(path: &std::path::Path) -> Waveform {
    collect(&mut CsvSource::open(path, None).unwrap()).unwrap()
}

#[test]
fn a_noisy_vector_in_wav_i16_is_read_within_half_a_code_and_really_quantised() {
    let dir = tempfile::tempdir().unwrap();
    let w = noisy_3p4w();
    let fs = [400.0, 400.0, 400.0, 10.0, 10.0, 10.0, 10.0];
    let path = dir.path().join("rt_i16.wav");
    write_wav(&path, &w, WavFormat::I16, &fs).unwrap();
    let back = wav_back(&path);
    assert_eq!(back.channels, w.channels);
    assert_eq!(back.sample_rate_hz, w.sample_rate_hz);
    assert_eq!(back.len(), w.len());
    for (ch, (a, b)) in w.samples.iter().zip(&back.samples).enumerate() {
        let step = 0.5 * fs[ch] / max_code(16);
        let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
        assert!(worst <= step * (1.0 + 1e-9), "ch{ch}: {worst} > {step}");
        assert!(worst > step * 0.5, "ch{ch}: the i16 path must really quantise");
    }
}

#[test]
fn wav_samples_beyond_full_scale_are_read_at_full_scale_on_symmetric_rails() {
    let dir = tempfile::tempdir().unwrap();
    let w = Waveform {
        sample_rate_hz: 8000.0,
        channels: vec!["U1".into()],
        samples: vec![vec![2.0, -2.0, 0.5]],
    };
    let path = dir.path().join("clip.wav");
    write_wav(&path, &w, WavFormat::I16, &[1.0]).unwrap();
    let back = wav_back(&path);
    assert_eq!(back.samples[0][0], 1.0);
    assert_eq!(back.samples[0][1], -1.0);
}

#[test]
fn write_vector_files_read_back_as_the_vector() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = suite("smoke").unwrap().remove(1);
    r.duration_s = 0.06;
    let v = synthesize(&r).unwrap();
    let wav = write_vector(dir.path(), &v, FileKind::Wav(WavFormat::I32)).unwrap();
    let back = wav_back(&wav);
    assert_eq!(back.channels, v.waveform.channels);
    assert_eq!(back.sample_rate_hz, v.waveform.sample_rate_hz);
    assert_eq!(back.len(), v.waveform.len());
    // Half a 32-bit code at the default full scale, for every sample.
    let fs = default_full_scale(&v);
    for (ch, (a, b)) in back.samples.iter().zip(&v.waveform.samples).enumerate() {
        let step = 0.5 * fs[ch] / max_code(32) * (1.0 + 1e-9);
        assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() <= step), "ch{ch}");
    }
    assert!((back.samples[0][17] - v.waveform.samples[0][17]).abs() < 1e-6);

    let csv = write_vector(dir.path(), &v, FileKind::Csv).unwrap();
    let back = csv_back(&csv);
    assert_eq!(back.channels, v.waveform.channels);
    assert_eq!(back.samples, v.waveform.samples);
}

#[test]
fn a_quantised_vector_in_wav_i16_at_the_adc_full_scale_is_read_exactly() {
    let r = Recipe::new("q16", Topology::SinglePhase)
        .with_duration(0.02)
        .with_quantisation(16, 400.0, 10.0);
    let v = synthesize(&r).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wav = write_vector(dir.path(), &v, FileKind::Wav(WavFormat::I16)).unwrap();
    assert_eq!(wav_back(&wav).samples, v.waveform.samples);
}

#[test]
fn a_hostile_gap_reads_back_as_nan_exactly_where_it_is_in_wav_i32_f32_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let c = hostile_cases().into_iter().find(|c| c.recipe.name == "nan_run_100").unwrap();
    let v = synthesize(&c.recipe).unwrap();
    let gap = 6000..6100;

    let wav =
        write_hostile_vector(dir.path(), &v, &c.truth, FileKind::Wav(WavFormat::I32)).unwrap();
    let back = wav_back(&wav);
    assert_eq!(back.len(), v.waveform.len());
    for (a, b) in back.samples.iter().flatten().zip(v.waveform.samples.iter().flatten()) {
        assert_eq!(a.is_nan(), b.is_nan());
        assert!(a.is_nan() || (a - b).abs() < 1e-6, "{a} vs {b}");
    }

    let sub = dir.path().join("f32");
    let nan_exactly_in_the_gap = |w: &Waveform| {
        assert_eq!(w.len(), v.waveform.len());
        assert!(w
            .samples
            .iter()
            .all(|s| s.iter().enumerate().all(|(k, x)| x.is_nan() == gap.contains(&k))));
    };
    let wav = write_vector(&sub, &v, FileKind::Wav(WavFormat::F32)).unwrap();
    nan_exactly_in_the_gap(&wav_back(&wav));
    let csv = write_vector(&sub, &v, FileKind::Csv).unwrap();
    nan_exactly_in_the_gap(&csv_back(&csv));
}
