//! Named suites of recipes, and writing a vector with its truth and recipe to a directory.
//!
//! - `foundation`: the IEC 62053 accuracy points on 3P4W 230 V / 5 A at 10.24 kHz and 50 Hz
//!   (PF 1, 0.5 inductive, 0.8 capacitive, reverse power, the four quadrants), other sample rates
//!   and frequencies, 80 % and 115 % voltage, 1 % In, harmonics, a frequency ramp, a 16-bit ADC,
//!   a dip and a no-load vector. Each is 1 s long.
//! - `smoke`: two 0.2 s vectors for quick end-to-end checks.
//! - `hostile`: input a meter must get right or flag (start phases, dip onsets, 30/70 Hz,
//!   noise, DC, silence, missing samples, a spike, clipping, dips either side of the EN 50160
//!   grid edges); the recipes of [`crate::hostile_suite::hostile_cases`], whose truth
//!   ([`crate::HostileTruth`]) goes to `<name>.hostile.json` via
//!   [`crate::hostile_suite::write_hostile_vector`].

use std::path::{Path, PathBuf};

use crate::formats::{self, FormatError, WavFormat};
use crate::synth::{ChannelKind, Harmonic, Recipe, Step, Topology, Vector, Waveform};

/// Names accepted by [`suite`].
pub fn suite_names() -> &'static [&'static str] {
    &["foundation", "smoke", "hostile"]
}

/// The recipes of a named suite, or `None` for an unknown name.
///
/// # Examples
///
/// ```
/// let foundation = percycle_vectors::suite("foundation").unwrap();
/// assert!(foundation.iter().any(|r| r.name == "no_load_115pct"));
/// assert!(percycle_vectors::suite("nope").is_none());
/// ```
pub fn suite(name: &str) -> Option<Vec<Recipe>> {
    match name {
        "foundation" => Some(foundation()),
        "smoke" => Some(smoke()),
        "hostile" => {
            Some(crate::hostile_suite::hostile_cases().into_iter().map(|c| c.recipe).collect())
        }
        _ => None,
    }
}

/// Nominal voltage of the suites, V.
const UN: f64 = 230.0;
/// Nominal (reference) current of the suites, A.
const IN: f64 = 5.0;

fn base(name: &str) -> Recipe {
    Recipe::new(name, Topology::ThreePhase4W)
}

fn foundation() -> Vec<Recipe> {
    let mut v = vec![
        base("3p4w_50hz_pf1"),
        base("3p4w_50hz_pf05_ind").with_load_angle(60.0),
        base("3p4w_50hz_pf08_cap").with_load_angle(-36.87),
        base("3p4w_50hz_reverse").with_load_angle(180.0),
    ];
    for (quadrant, angle) in [(1, 30.0), (2, 150.0), (3, 210.0), (4, 330.0)] {
        v.push(base(&format!("3p4w_50hz_q{quadrant}_{angle}deg")).with_load_angle(angle));
    }
    v.extend([
        Recipe::new("1p_8000hz_pf1", Topology::SinglePhase).with_sample_rate(8_000.0),
        Recipe::new("1p_12800hz_pf05_ind", Topology::SinglePhase)
            .with_sample_rate(12_800.0)
            .with_load_angle(60.0),
        base("3p4w_60hz_15360hz").with_frequency(60.0).with_sample_rate(15_360.0),
        base("3p4w_47p5hz").with_frequency(47.5),
        base("3p4w_52p5hz").with_frequency(52.5),
        base("3p4w_u80pct").with_voltage(0.8 * UN),
        base("3p4w_u115pct").with_voltage(1.15 * UN),
        base("3p4w_i1pct").with_current(0.01 * IN),
        base("3p4w_h5_u10pct_i40pct").with_u_harmonic(5, 10.0, 0.0).with_i_harmonic(5, 40.0, 0.0),
        en50160_mix(),
        base("3p4w_ramp_49_51hz").with_frequency(49.0).with_ramp(2.0),
        base("3p4w_adc16_noise")
            .with_load_angle(30.0)
            .with_noise(0.05, 0.001)
            .with_seed(16)
            .with_quantisation(16, 400.0, 10.0),
        base("3p4w_dip50pct_l1").with_step(Step::dip(0.4, 0.2, &[0], 0.5)),
        base("no_load_115pct").with_voltage(1.15 * UN).with_current(0.0),
    ]);
    v
}

/// Voltage harmonics near the EN 50160 limits scaled to THD ≈ 7.9 %, and a rectifier-like
/// current spectrum (THD ≈ 26 %).
fn en50160_mix() -> Recipe {
    let mut r = base("3p4w_en50160_mix").with_load_angle(15.0);
    let u = [
        (3, 3.0, 0.0),
        (5, 4.5, 180.0),
        (7, 4.0, 0.0),
        (9, 1.0, 90.0),
        (11, 2.5, 180.0),
        (13, 2.0, 0.0),
        (15, 0.3, 0.0),
        (17, 1.5, 180.0),
        (19, 1.0, 0.0),
        (21, 0.3, 0.0),
        (23, 1.0, 180.0),
        (25, 1.0, 0.0),
    ];
    let i = [
        (3, 20.0, 10.0),
        (5, 12.0, 200.0),
        (7, 8.0, 30.0),
        (9, 4.0, 60.0),
        (11, 3.0, 240.0),
        (13, 2.0, 90.0),
    ];
    for p in &mut r.phases {
        p.u_harmonics = u.iter().map(|&(h, pct, ph)| Harmonic::new(h, pct, ph)).collect();
        p.i_harmonics = i.iter().map(|&(h, pct, ph)| Harmonic::new(h, pct, ph)).collect();
    }
    r
}

fn smoke() -> Vec<Recipe> {
    vec![
        Recipe::new("smoke_1p_pf1", Topology::SinglePhase).with_duration(0.2),
        base("smoke_3p4w_pf05_ind").with_duration(0.2).with_load_angle(60.0),
    ]
}

/// How [`write_vector`] stores the samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `<name>.wav` in this encoding, plus the sidecar `<name>.json`.
    Wav(WavFormat),
    /// `<name>.csv` with a `t` column.
    Csv,
}

/// Per-channel full scales for storing a waveform: the recipe's ADC full scale when it
/// quantises; otherwise, per kind (all U channels share one, all I channels another), the peak
/// magnitude plus 5 % rounded up to two significant digits, or 1 for a silent kind.
pub fn default_full_scale(vector: &Vector) -> Vec<f64> {
    full_scale_for(&vector.waveform, vector.recipe.quantisation.as_ref())
}

fn full_scale_for(w: &Waveform, q: Option<&crate::synth::Quantisation>) -> Vec<f64> {
    let kinds: Vec<Option<ChannelKind>> = w.channels.iter().map(|c| ChannelKind::of(c)).collect();
    let peak = |kind: Option<ChannelKind>| {
        w.samples
            .iter()
            .zip(&kinds)
            .filter(|(_, k)| **k == kind)
            .flat_map(|(s, _)| s.iter())
            .fold(0.0f64, |m, x| m.max(x.abs()))
    };
    kinds
        .iter()
        .map(|&kind| match (q, kind) {
            (Some(q), Some(k)) => q.full_scale(k),
            _ => nice_ceiling(1.05 * peak(kind)),
        })
        .collect()
}

/// `x` rounded up to two significant digits; 1 for zero or non-finite `x`.
fn nice_ceiling(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let e = x.log10().floor() as i32 - 1;
    if e >= 0 {
        let scale = 10f64.powi(e);
        (x / scale).ceil() * scale
    } else {
        let scale = 10f64.powi(-e);
        (x * scale).ceil() / scale
    }
}

/// Writes `<name>.wav` (+ sidecar) or `<name>.csv`, `<name>.truth.json` and
/// `<name>.recipe.json` into `dir` (created if missing), and returns the waveform file's path.
///
/// WAV full scales come from [`default_full_scale`].
///
/// # Errors
///
/// [`FormatError`] naming the file that could not be written; a vector with missing samples
/// ([`crate::synth::Gap`]) as WAV `i16` or `i24` is refused, naming the recipe and the format,
/// before anything is written.
pub fn write_vector(
    dir: impl AsRef<Path>,
    vector: &Vector,
    kind: FileKind,
) -> Result<PathBuf, FormatError> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir)
        .map_err(|cause| FormatError::Io { path: dir.to_path_buf(), cause })?;
    let name = &vector.recipe.name;
    let wave_path = match kind {
        FileKind::Wav(format) => {
            let path = dir.join(format!("{name}.wav"));
            if matches!(format, WavFormat::I16 | WavFormat::I24) {
                if let Some((ch, k)) = formats::first_missing(&vector.waveform) {
                    let why = formats::missing_message(&vector.waveform, ch, k, format);
                    return Err(FormatError::Invalid {
                        path,
                        message: format!("recipe '{name}' has missing samples: {why}"),
                    });
                }
            }
            formats::write_wav(&path, &vector.waveform, format, &default_full_scale(vector))?;
            path
        }
        FileKind::Csv => {
            let path = dir.join(format!("{name}.csv"));
            formats::write_csv(&path, &vector.waveform)?;
            path
        }
    };
    formats::write_truth(dir.join(format!("{name}.truth.json")), &vector.truth)?;
    formats::write_recipe(dir.join(format!("{name}.recipe.json")), &vector.recipe)?;
    Ok(wave_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{read_json, read_recipe, read_truth, sidecar_path, WavSidecar};
    use crate::synth::{quantise, synthesize};

    #[test]
    fn suite_names_are_unique_and_filename_safe_and_every_recipe_synthesises() {
        for &s in suite_names() {
            let recipes = suite(s).unwrap();
            assert!(!recipes.is_empty());
            for (k, r) in recipes.iter().enumerate() {
                assert!(
                    r.name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                    "{}",
                    r.name
                );
                assert!(recipes[..k].iter().all(|o| o.name != r.name), "{}", r.name);
                r.validate().unwrap();
            }
        }
    }

    #[test]
    fn foundation_covers_the_required_points() {
        let f = suite("foundation").unwrap();
        let get = |n: &str| f.iter().find(|r| r.name == n).unwrap_or_else(|| panic!("{n}"));
        for r in &f {
            assert!((1.0..=2.0).contains(&r.duration_s), "{}", r.name);
        }
        let angles: Vec<f64> = f.iter().map(|r| r.phases[0].load_angle_deg).collect();
        for a in [0.0, 60.0, -36.87, 180.0, 30.0, 150.0, 210.0, 330.0] {
            assert!(angles.contains(&a), "load angle {a}");
        }
        let rates: Vec<f64> = f.iter().map(|r| r.sample_rate_hz).collect();
        for fs in [8_000.0, 10_240.0, 12_800.0, 15_360.0] {
            assert!(rates.contains(&fs), "{fs} Hz");
        }
        let freqs: Vec<f64> = f.iter().map(|r| r.frequency.f0_hz).collect();
        for hz in [47.5, 50.0, 52.5, 60.0, 49.0] {
            assert!(freqs.contains(&hz), "{hz} Hz");
        }
        let nl = get("no_load_115pct");
        assert_eq!(nl.topology, Topology::ThreePhase4W);
        assert!(nl.phases.iter().all(|p| p.i_rms_a == 0.0 && p.u_rms_v == 1.15 * UN));
        assert_eq!(get("3p4w_adc16_noise").quantisation.unwrap().bits, 16);
        assert_eq!(get("3p4w_ramp_49_51hz").frequency.ramp_hz_per_s, Some(2.0));

        let v = synthesize(get("3p4w_50hz_pf05_ind")).unwrap();
        for c in &v.truth.cycles {
            assert!((c.p_total_w - 3.0 * UN * IN * 0.5).abs() < 1e-6);
        }
        let v = synthesize(get("3p4w_en50160_mix")).unwrap();
        let thd = (v.truth.cycles[0].u_rms[0].powi(2) / UN.powi(2) - 1.0).sqrt();
        assert!((0.075..0.08).contains(&thd), "THD {thd}");
    }

    #[test]
    fn write_vector_writes_waveform_truth_and_recipe() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = suite("smoke").unwrap().remove(1);
        r.duration_s = 0.06;
        let v = synthesize(&r).unwrap();
        let wav = write_vector(dir.path(), &v, FileKind::Wav(WavFormat::I32)).unwrap();
        assert_eq!(wav, dir.path().join("smoke_3p4w_pf05_ind.wav"));
        let fs = default_full_scale(&v);
        assert_eq!(fs[0], 350.0); // 325.3 V · 1.05 = 341.5 → 350
        assert_eq!(fs[3], 7.5); // 7.07 A · 1.05 = 7.42 → 7.5
        assert_eq!(fs[6], 7.5); // IN shares the current full scale
        let sidecar: WavSidecar = read_json(&sidecar_path(&wav)).unwrap();
        assert_eq!(sidecar.full_scale, fs);
        assert_eq!(sidecar.channels, v.waveform.channels);
        // Frame 17 of U1 is stored as its 32-bit code at the default full scale.
        let nch = v.waveform.channels.len();
        let code = hound::WavReader::open(&wav).unwrap().into_samples::<i32>().nth(17 * nch);
        assert_eq!(code.unwrap().unwrap(), quantise(v.waveform.samples[0][17], fs[0], 32));
        let csv = write_vector(dir.path(), &v, FileKind::Csv).unwrap();
        assert_eq!(csv, dir.path().join("smoke_3p4w_pf05_ind.csv"));
        let header = std::fs::read_to_string(&csv).unwrap().lines().next().map(str::to_string);
        assert_eq!(header.as_deref(), Some("t,U1,U2,U3,I1,I2,I3,IN"));
        let stem = dir.path().join("smoke_3p4w_pf05_ind");
        assert_eq!(read_truth(stem.with_extension("truth.json")).unwrap(), v.truth);
        assert_eq!(read_recipe(stem.with_extension("recipe.json")).unwrap(), r);
    }

    #[test]
    fn quantised_vectors_are_stored_with_the_adc_full_scale() {
        let r = Recipe::new("q16", Topology::SinglePhase)
            .with_duration(0.02)
            .with_quantisation(16, 400.0, 10.0);
        let v = synthesize(&r).unwrap();
        assert_eq!(default_full_scale(&v), [400.0, 10.0]);
        let dir = tempfile::tempdir().unwrap();
        let wav = write_vector(dir.path(), &v, FileKind::Wav(WavFormat::I16)).unwrap();
        // The ADC's own 16-bit codes are stored, at its full scale.
        let codes = v.codes.as_ref().unwrap();
        let raw: Vec<i32> = hound::WavReader::open(&wav)
            .unwrap()
            .into_samples::<i32>()
            .collect::<Result<_, _>>()
            .unwrap();
        let want: Vec<i32> =
            (0..v.waveform.len()).flat_map(|k| codes.iter().map(move |c| c[k])).collect();
        assert_eq!(raw, want);
    }
}
