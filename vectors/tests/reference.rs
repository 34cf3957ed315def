//! The reference analyzer against closed forms.

use percycle_vectors::reference::{
    crossings, cycles, intervals, resample, ChannelSpectrum, ReferenceConfig, ReferenceError,
};
use percycle_vectors::{synthesize, Interharmonic, Recipe, Step, Topology, Waveform};

const U: f64 = 230.0;

/// U1 phase offset so that no crossing falls on a sample by construction.
const U_PHASE_DEG: f64 = 37.0;

/// EN 50160 limits for individual voltage harmonics, % of the fundamental (orders ≤ 25).
const EN50160: [(u32, f64); 15] = [
    (2, 2.0),
    (3, 5.0),
    (4, 1.0),
    (5, 6.0),
    (6, 0.5),
    (7, 5.0),
    (9, 1.5),
    (11, 3.5),
    (13, 3.0),
    (15, 0.5),
    (17, 2.0),
    (19, 1.5),
    (21, 0.5),
    (23, 1.5),
    (25, 1.5),
];

fn single_phase(fs: f64, f0: f64, duration_s: f64) -> Recipe {
    let mut r = Recipe::new("ref", Topology::SinglePhase)
        .with_sample_rate(fs)
        .with_frequency(f0)
        .with_duration(duration_s);
    r.phases[0].u_phase_deg = U_PHASE_DEG;
    r
}

fn waveform(r: &Recipe) -> Waveform {
    synthesize(r).expect("valid recipe").waveform
}

fn nominal_of(f0: f64) -> f64 {
    if f0 > 58.0 {
        60.0
    } else {
        50.0
    }
}

/// Largest crossing error, in periods, against `t_k = (k − φ/360)/f0`.
fn crossing_error_periods(w: &Waveform, f0: f64, phase_deg: f64) -> f64 {
    let t = crossings(w, &ReferenceConfig::new(nominal_of(f0))).expect("crossings");
    let expected_count = ((w.len() - 1) as f64 / w.sample_rate_hz * f0 + phase_deg / 360.0).floor()
        as usize
        - (phase_deg / 360.0).ceil() as usize
        + 1;
    assert_eq!(t.len(), expected_count, "{f0} Hz");
    let first_k = (phase_deg / 360.0).ceil();
    t.iter()
        .enumerate()
        .map(|(k, &t)| {
            let exact = (first_k + k as f64 - phase_deg / 360.0) / f0;
            ((t - exact) * f0).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn crossings_of_clean_sines_are_analytic() {
    let mut worst = 0.0f64;
    for fs in [8000.0, 12_800.0] {
        for f0 in [42.5, 50.0, 57.5, 60.0] {
            let w = waveform(&single_phase(fs, f0, 0.5));
            let e = crossing_error_periods(&w, f0, U_PHASE_DEG);
            assert!(e < 1e-6, "{fs} Hz sampling, {f0} Hz: {e:e} period");
            worst = worst.max(e);
        }
    }
    println!("clean sine: worst crossing error {worst:.1e} period");
}

#[test]
fn crossings_with_en50160_limit_harmonics_stay_close() {
    let mut worst = 0.0f64;
    for fs in [8000.0, 12_800.0] {
        for f0 in [42.5, 50.0, 57.5, 60.0] {
            let mut r = single_phase(fs, f0, 0.5);
            for (h, pct) in EN50160 {
                r = r.with_u_harmonic(h, pct, 17.0 * f64::from(h));
            }
            let e = crossing_error_periods(&waveform(&r), f0, U_PHASE_DEG);
            assert!(e < 1e-4, "{fs} Hz sampling, {f0} Hz: {e:e} period");
            worst = worst.max(e);
        }
    }
    println!("EN 50160 harmonics: worst crossing error {worst:.1e} period");
}

#[test]
fn three_phase_reference_is_the_alpha_component() {
    let mut r = Recipe::new("ref3", Topology::ThreePhase4W)
        .with_sample_rate(10_240.0)
        .with_frequency(50.0)
        .with_duration(0.3)
        .with_u_harmonic(5, 6.0, 10.0);
    for (p, phase) in r.phases.iter_mut().enumerate() {
        phase.u_phase_deg = U_PHASE_DEG - 120.0 * p as f64;
    }
    let w = waveform(&r);
    let e = crossing_error_periods(&w, 50.0, U_PHASE_DEG);
    assert!(e < 1e-6, "{e:e}");
    // Only U1 at 230 V, U2 and U3 at 0: α = 2/3·U1, same crossings.
    let mut cfg = ReferenceConfig::new(50.0);
    let mut w_u1 = w.clone();
    for name in ["U2", "U3"] {
        let k = w_u1.channels.iter().position(|c| c == name).unwrap();
        w_u1.samples[k].iter_mut().for_each(|x| *x = 0.0);
    }
    let alpha = crossings(&w_u1, &cfg).unwrap();
    cfg.reference_channels = vec!["U1".into()];
    let u1 = crossings(&w_u1, &cfg).unwrap();
    assert_eq!(alpha.len(), u1.len());
    for (a, b) in alpha.iter().zip(&u1) {
        assert!((a - b).abs() < 1e-6 / 50.0);
    }
}

#[test]
fn resampler_keeps_a_sine_at_0_3_fs() {
    // 4000 samples of a sine at 0.3·fs; 1000 samples (300 of its periods) from sample 1000
    // resampled to 2048 points, so the sine is bin 300 of the resampled window.
    let f = 0.3;
    let x: Vec<f64> =
        (0..4000).map(|n| (std::f64::consts::TAU * f * n as f64 + 0.4).sin()).collect();
    let points = 2048;
    let step = 1000.0 / points as f64;
    let y = resample(&x, 1000.0, step, points);
    let pointwise = y
        .iter()
        .enumerate()
        .map(|(j, v)| {
            let p = 1000.0 + j as f64 * step;
            (v - (std::f64::consts::TAU * f * p + 0.4).sin()).abs()
        })
        .fold(0.0, f64::max);
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(points);
    let mut input = y.clone();
    let mut spectrum = fft.make_output_vec();
    fft.process(&mut input, &mut spectrum).unwrap();
    let amplitude = 2.0 * spectrum[300].norm() / points as f64;
    println!(
        "resampler at 0.3·fs: amplitude error {:.1e}, pointwise error {pointwise:.1e}",
        (amplitude - 1.0).abs()
    );
    assert!((amplitude - 1.0).abs() < 1e-6);
    assert!(pointwise < 1e-8);
}

#[test]
fn resampler_is_accurate_next_to_whole_samples() {
    let f = 0.1;
    let x: Vec<f64> =
        (0..400).map(|n| 300.0 * (std::f64::consts::TAU * f * n as f64 + 0.4).sin()).collect();
    for offset in [-1e-11, -1e-15, 0.0, 1e-15, 1e-11, 0.5] {
        let p = 200.0 + offset;
        let y = resample(&x, p, 1.0, 1)[0];
        let want = 300.0 * (std::f64::consts::TAU * f * p + 0.4).sin();
        assert!((y - want).abs() < 1e-7, "offset {offset}: {y} vs {want}");
    }
}

fn subgroup_ok(s: &ChannelSpectrum, fundamental: f64, order: usize, expected: f64, what: &str) {
    let rel = |got: f64, want: f64| ((got - want) / want).abs();
    assert!(
        rel(s.subgroups[1], fundamental) < 1e-6,
        "{what}: fundamental subgroup {}",
        s.subgroups[1]
    );
    assert!(
        rel(s.subgroups[order], expected) < 1e-6,
        "{what}: subgroup {order} = {}, expected {expected}",
        s.subgroups[order]
    );
    assert!(rel(s.harmonics[order].0, expected) < 1e-6, "{what}: single bin");
    for h in 0..=50 {
        if h != 1 && h != order {
            assert!(
                s.subgroups[h] < 1e-7 * fundamental,
                "{what}: subgroup {h} = {:e}",
                s.subgroups[h]
            );
        }
        assert!(
            s.interharmonic_subgroups[h] < 1e-7 * fundamental,
            "{what}: interharmonic subgroup {h} = {:e}",
            s.interharmonic_subgroups[h]
        );
    }
}

#[test]
fn single_harmonics_land_in_their_subgroup() {
    let mut worst_f = 0.0f64;
    for fs in [8000.0, 12_800.0] {
        for f0 in [42.5, 50.0, 57.5, 60.0] {
            let cfg = ReferenceConfig::new(nominal_of(f0));
            let n = cfg.window_cycles as f64;
            for order in [2u32, 7, 25, 50] {
                for pct in [1.0, 10.0] {
                    let r = single_phase(fs, f0, (n + 2.0) / f0)
                        .with_u_harmonic(order, pct, 30.0)
                        .with_i_harmonic(order, pct, -60.0);
                    let w = intervals(&waveform(&r), &cfg).unwrap();
                    assert_eq!(w.len(), 1);
                    let what = format!("{fs} Hz sampling, {f0} Hz, order {order}, {pct} %");
                    let fe = (w[0].frequency_hz / f0 - 1.0).abs();
                    worst_f = worst_f.max(fe);
                    assert!(fe < 1e-8, "{what} {fe:e}");
                    let [u1, i1] = &w[0].channels[..] else { panic!("two channels") };
                    subgroup_ok(u1, U, order as usize, U * pct / 100.0, &what);
                    subgroup_ok(i1, 5.0, order as usize, 5.0 * pct / 100.0, &what);
                }
            }
        }
    }
    println!("single harmonics: worst window frequency error {worst_f:.1e} relative");
}

fn with_u_interharmonic(mut r: Recipe, freq_hz: f64, pct: f64) -> Recipe {
    r.phases[0].u_interharmonics.push(Interharmonic { freq_hz, pct, phase_deg: 25.0 });
    r
}

/// Checks that a 1 % interharmonic lands only in centred interharmonic subgroup `band`.
fn interharmonic_only_in(freq_hz: f64, band: usize) {
    let expected = U * 0.01;
    for fs in [8000.0, 12_800.0] {
        let r = with_u_interharmonic(single_phase(fs, 50.0, 0.5), freq_hz, 1.0);
        for w in intervals(&waveform(&r), &ReferenceConfig::new(50.0)).unwrap() {
            let u1 = &w.channels[0];
            let got = u1.interharmonic_subgroups[band];
            assert!(((got - expected) / expected).abs() < 1e-6, "{freq_hz} Hz: {got}");
            for h in 0..=50 {
                if h != 1 {
                    assert!(u1.subgroups[h] < 1e-6 * expected, "{freq_hz} Hz: subgroup {h}");
                }
                if h != band {
                    assert!(
                        u1.interharmonic_subgroups[h] < 1e-6 * expected,
                        "{freq_hz} Hz: interharmonic subgroup {h}"
                    );
                }
            }
        }
    }
}

#[test]
fn interharmonic_at_175_hz_is_only_in_interharmonic_subgroup_3() {
    interharmonic_only_in(175.0, 3);
}

#[test]
fn midpoint_interharmonic_at_125_hz_is_bin_25_inside_interharmonic_subgroup_2() {
    // Subgroups have no half weights: the midpoint bin 25 = 10·2 + 5 belongs wholly to C_isg,2.
    interharmonic_only_in(125.0, 2);
}

#[test]
fn thd_of_a_known_mix_is_the_closed_form() {
    let mix = [(3u32, 5.0), (5, 6.0), (7, 5.0), (11, 3.5), (45, 1.0)];
    for f0 in [50.0, 60.0] {
        let mut r = with_u_interharmonic(single_phase(12_800.0, f0, 0.3), 2.5 * f0, 1.0);
        for (h, pct) in mix {
            r = r.with_u_harmonic(h, pct, 11.0 * f64::from(h));
        }
        let w = intervals(&waveform(&r), &ReferenceConfig::new(f0)).unwrap();
        let u1 = &w[0].channels[0];
        let sum: f64 = mix.iter().map(|(_, p)| p * p).sum();
        let thd = sum.sqrt();
        let thd40 = (sum - 1.0).sqrt();
        for (got, want, what) in [
            (u1.thd_pct, thd, "thd"),
            (u1.thd40_pct, thd40, "thd40"),
            (u1.thds_pct, thd, "thds"),
            (u1.thds40_pct, thd40, "thds40"),
        ] {
            assert!(((got - want) / want).abs() < 1e-6, "{f0} Hz {what}: {got} vs {want}");
        }
    }
}

/// Largest `|Σ G_sg² + Σ C_isg² − (rms² − dc²)| / (rms² − dc²)` over the windows of U1.
fn parseval_residual(r: &Recipe, nominal_hz: f64) -> f64 {
    intervals(&waveform(r), &ReferenceConfig::new(nominal_hz))
        .unwrap()
        .iter()
        .map(|w| {
            let u1 = &w.channels[0];
            let groups: f64 =
                u1.subgroups.iter().chain(&u1.interharmonic_subgroups).map(|g| g * g).sum();
            let ac = u1.rms * u1.rms - u1.dc * u1.dc;
            ((groups - ac) / ac).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn groups_add_up_to_the_ac_power_parseval() {
    let (mut synchronous, mut leaky) = (0.0f64, 0.0f64);
    for (fs, f0) in [(8000.0, 50.0), (12_800.0, 57.5), (10_240.0, 60.0)] {
        // Harmonics, DC and an interharmonic on a bin: nothing above bin 50N + N − 2.
        let mut r = with_u_interharmonic(single_phase(fs, f0, 0.5), 3.5 * f0, 1.0);
        r.phases[0].u_dc_v = Some(3.0);
        for (h, pct) in EN50160 {
            r = r.with_u_harmonic(h, pct, 7.0 * f64::from(h));
        }
        let e = parseval_residual(&r, nominal_of(f0));
        assert!(e < 1e-9, "{f0} Hz: residual {e:e}");
        synchronous = synchronous.max(e);
        // Interharmonics between bins leak a little above bin 50N + N − 2.
        let r = with_u_interharmonic(with_u_interharmonic(r, 333.3, 2.0), 17.0, 0.5);
        let e = parseval_residual(&r, nominal_of(f0));
        assert!(e < 1e-6, "{f0} Hz: residual {e:e}");
        leaky = leaky.max(e);
    }
    println!(
        "Parseval: worst relative residual {synchronous:.1e} (bin-aligned), {leaky:.1e} (with \
         interharmonics between bins)"
    );
}

#[test]
fn rms_and_dc_of_synchronous_components_are_exact() {
    let mut r = single_phase(10_240.0, 50.0, 0.5).with_u_harmonic(3, 5.0, 0.0);
    r = with_u_interharmonic(r, 175.0, 1.0);
    r.phases[0].u_dc_v = Some(-4.0);
    let want = (U * U * (1.0 + 0.05f64.powi(2) + 0.01f64.powi(2)) + 16.0).sqrt();
    for w in intervals(&waveform(&r), &ReferenceConfig::new(50.0)).unwrap() {
        let u1 = &w.channels[0];
        assert!(((u1.rms - want) / want).abs() < 1e-9, "{} vs {want}", u1.rms);
        assert!((u1.dc + 4.0).abs() < 1e-7, "{}", u1.dc);
        assert_eq!(u1.harmonics[0], (u1.dc, 0.0));
    }
}

fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(std::f64::consts::TAU);
    d.min(std::f64::consts::TAU - d)
}

#[test]
fn harmonic_phases_follow_the_cosine_convention() {
    let u_harmonics = [(3u32, 5.0, 20.0), (7, 3.0, -75.0), (25, 1.0, 140.0)];
    let i_harmonics = [(5u32, 10.0, 45.0)];
    let load_deg = 30.0;
    for f0 in [50.0, 57.5] {
        let mut r = single_phase(12_800.0, f0, 0.5).with_load_angle(load_deg);
        for (h, pct, ph) in u_harmonics {
            r = r.with_u_harmonic(h, pct, ph);
        }
        for (h, pct, ph) in i_harmonics {
            r = r.with_i_harmonic(h, pct, ph);
        }
        let windows = intervals(&waveform(&r), &ReferenceConfig::new(50.0)).unwrap();
        let single = cycles(&waveform(&r), &ReferenceConfig::new(50.0)).unwrap();
        for w in windows.iter().chain(&single) {
            let [u1, i1] = &w.channels[..] else { panic!("two channels") };
            // sin(h·θ + p) = cos(h·θ + p − 90°), θ = 0 at the window start (a U1 crossing).
            let mut checks = vec![(u1, 1u32, -90.0)];
            checks.extend(u_harmonics.iter().map(|&(h, _, p)| (u1, h, p - 90.0)));
            checks.push((i1, 1, -load_deg - 90.0));
            checks.extend(
                i_harmonics.iter().map(|&(h, _, p)| (i1, h, p - f64::from(h) * load_deg - 90.0)),
            );
            for (ch, h, deg) in checks {
                let got = ch.harmonics[h as usize].1;
                let e = angle_diff(got, deg.to_radians());
                assert!(e < 1e-6, "{f0} Hz {} order {h}: {got} rad vs {deg}°", ch.name);
            }
        }
    }
}

#[test]
fn per_cycle_spectra_are_single_bins_below_the_resampled_nyquist() {
    let r =
        single_phase(8000.0, 50.0, 0.2).with_u_harmonic(5, 6.0, 0.0).with_u_harmonic(25, 2.0, 0.0);
    let w = waveform(&r);
    let mut cfg = ReferenceConfig::new(50.0);
    let all = cycles(&w, &cfg).unwrap();
    assert_eq!(all.len(), 9);
    for c in &all {
        assert!((c.frequency_hz - 50.0).abs() < 1e-7);
        assert!((c.end_s - c.start_s - 0.02).abs() < 1e-10);
        let u1 = &c.channels[0];
        assert!((u1.subgroups[1] / U - 1.0).abs() < 1e-6);
        assert!((u1.subgroups[5] / (0.06 * U) - 1.0).abs() < 1e-6);
        assert!((u1.harmonics[25].0 / (0.02 * U) - 1.0).abs() < 1e-6);
        assert_eq!(u1.subgroups[0], 0.0);
        assert!(u1.interharmonic_subgroups.iter().all(|&g| g == 0.0));
        assert!((u1.thd_pct - u1.thds_pct).abs() < 1e-12);
    }
    cfg.cycle_points = 64; // Nyquist bin 32
    for c in cycles(&w, &cfg).unwrap() {
        let u1 = &c.channels[0];
        assert!((u1.harmonics[25].0 / (0.02 * U) - 1.0).abs() < 1e-6);
        assert!(u1.harmonics[31].0 > 0.0);
        assert!(u1.harmonics[32..].iter().all(|&h| h == (0.0, 0.0)));
        assert!(u1.subgroups[32..].iter().all(|&g| g == 0.0));
    }
}

#[test]
fn bad_input_gives_typed_errors() {
    let cfg = ReferenceConfig::new(50.0);
    let short = waveform(&single_phase(8000.0, 50.0, 0.01));
    assert!(matches!(crossings(&short, &cfg), Err(ReferenceError::TooShort { .. })));
    let w = waveform(&single_phase(8000.0, 50.0, 0.15));
    assert!(matches!(
        intervals(&w, &cfg),
        Err(ReferenceError::TooFewCycles { found: 7, needed: 11 })
    ));
    let currents_only = Waveform {
        sample_rate_hz: w.sample_rate_hz,
        channels: vec!["I1".into()],
        samples: vec![w.samples[1].clone()],
    };
    let err = crossings(&currents_only, &cfg).unwrap_err();
    assert!(matches!(err, ReferenceError::NoReferenceChannel { .. }));
    assert!(err.to_string().contains("I1"), "{err}");
    let dead = waveform(&single_phase(8000.0, 50.0, 0.15).with_voltage(0.0));
    assert_eq!(crossings(&dead, &cfg), Err(ReferenceError::NoCrossings));
    let mut bad_cfg = cfg.clone();
    bad_cfg.window_cycles = 2;
    assert!(matches!(
        intervals(&w, &bad_cfg),
        Err(ReferenceError::InvalidConfig { field: "window_cycles", .. })
    ));
    let mut nan = w.clone();
    nan.samples[0][100] = f64::NAN;
    assert!(matches!(crossings(&nan, &cfg), Err(ReferenceError::InvalidWaveform { .. })));
}

#[test]
fn an_interruption_adds_no_crossings_and_leaves_the_others_alone() {
    let r = Recipe::new("interruption", Topology::ThreePhase4W)
        .with_sample_rate(8000.0)
        .with_step(Step::dip(0.4, 0.2, &[0, 1, 2], 0.0));
    let t = crossings(&waveform(&r), &ReferenceConfig::new(50.0)).unwrap();
    assert!(t.iter().all(|&t| !(0.41..0.59).contains(&t)), "{t:?}");
    // 0 s (on the first sample) … 0.98 s, less those of 0.42 … 0.58 s.
    assert_eq!(t.len(), 50 - 9);
    for &t in t.iter().filter(|&&t| t < 0.28 || (0.72..0.9).contains(&t)) {
        let k = (t * 50.0).round();
        assert!((t * 50.0 - k).abs() < 1e-9, "{t}");
    }
}

#[test]
fn crossings_follow_a_frequency_ramp() {
    let mut worst = 0.0f64;
    for ramp_hz_per_s in [-1.0, 0.5, 2.0] {
        let r = single_phase(8000.0, 49.0, 1.0).with_ramp(ramp_hz_per_s);
        let v = synthesize(&r).unwrap();
        let t = crossings(&v.waveform, &ReferenceConfig::new(50.0)).unwrap();
        assert!(t.len() >= v.truth.cycles.len());
        for (t, cycle) in t.iter().zip(&v.truth.cycles) {
            let e = ((t - cycle.start_s) * cycle.frequency_hz).abs();
            worst = worst.max(e);
            assert!(e < 1e-9, "{ramp_hz_per_s} Hz/s at {t} s: {e:e} period");
        }
    }
    println!("frequency ramp: worst crossing error {worst:.1e} period");
}

#[test]
fn crossings_ignore_a_one_percent_interharmonic() {
    let error = |f_ih| {
        let r = with_u_interharmonic(single_phase(8000.0, 50.0, 0.5), f_ih, 1.0);
        crossing_error_periods(&waveform(&r), 50.0, U_PHASE_DEG)
    };
    let mut worst = 0.0f64;
    for f_ih in [125.0, 175.0, 333.3, 1234.5] {
        let e = error(f_ih);
        worst = worst.max(e);
        assert!(e < 1e-9, "{f_ih} Hz: {e:e} period");
    }
    // 25 and 75 Hz are 0.5·f from the fundamental, inside the fit window's main lobe: not
    // rejected, but still small.
    let close = error(25.0).max(error(75.0));
    assert!(close < 1e-4, "{close:e} period");
    println!(
        "1 % interharmonic: worst crossing error {worst:.1e} period (≥ 125 Hz), {close:.1e} \
         (25 and 75 Hz)"
    );
}

#[test]
fn windows_starting_on_the_first_sample_are_exact() {
    // Phase 0: the first crossing is the first sample and the others fall on (or a rounding
    // error away from) whole samples; the resampler then reads the continued record.
    for fs in [8000.0, 10_240.0, 12_800.0] {
        let r = Recipe::new("edge", Topology::SinglePhase)
            .with_sample_rate(fs)
            .with_duration(0.25)
            .with_u_harmonic(5, 6.0, 0.0)
            .with_i_harmonic(3, 20.0, 0.0);
        let w = waveform(&r);
        let cfg = ReferenceConfig::new(50.0);
        let windows = intervals(&w, &cfg).unwrap();
        assert!(windows[0].start_s < 1e-12);
        let single = cycles(&w, &cfg).unwrap();
        for win in windows.iter().chain(&single) {
            let what = format!("{fs} Hz, window at {} s", win.start_s);
            subgroup_ok(&win.channels[0], U, 5, 0.06 * U, &what);
            subgroup_ok(&win.channels[1], 5.0, 3, 1.0, &what);
        }
    }
}
