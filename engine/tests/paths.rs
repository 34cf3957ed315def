//! Equivalence of the input paths, robustness to any sample values, and configuration errors.

mod common;
use common::*;
use percycle_engine::{
    ChannelCal, Config, ConfigError, CycleReport, Flags, Meter, Output, Topology,
};
use proptest::prelude::*;

fn three_phase_codes(n: usize, f: f64) -> (Config, Vec<i32>) {
    let cfg = Config::new(Topology::ThreePhase4W, 8_000.0, 50.0);
    let sig = balanced(Topology::ThreePhase4W, f, 230.0, 5.0, 25.0, &[(5.0, 6.0)], &[(3.0, 30.0)]);
    let data = codes(&cfg, &sig, n);
    (cfg, data)
}

fn per_frame(cfg: Config, data: &[i32]) -> (Vec<CycleReport>, percycle_engine::EnergyRegisters) {
    let mut meter: Meter = Meter::new(cfg).unwrap();
    let nch = cfg.topology.channels();
    let mut out: Vec<_> = data.chunks(nch).filter_map(|f| meter.process(f)).collect();
    out.extend(meter.finish());
    (out, *meter.energy())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn block_path_agrees_bit_for_bit_with_per_frame_path_for_any_split(
        cuts in proptest::collection::vec(0usize..56_000, 0..12),
        f in 47.0f64..53.0,
    ) {
        let (cfg, data) = three_phase_codes(8_000, f);
        let (expected, energy) = per_frame(cfg, &data);
        let mut cuts = cuts;
        cuts.push(0);
        cuts.push(data.len());
        cuts.sort_unstable();
        let mut meter: Meter = Meter::new(cfg).unwrap();
        let mut got = Vec::new();
        for w in cuts.windows(2) {
            meter.process_block(&data[w[0]..w[1]], |r| got.push(*r));
        }
        got.extend(meter.finish());
        prop_assert_eq!(got.len(), expected.len());
        for (a, b) in got.iter().zip(&expected) {
            prop_assert!(bits_equal(a, b), "report {} differs", a.index);
        }
        prop_assert_eq!(*meter.energy(), energy);
    }

    #[test]
    fn float_block_path_agrees_with_float_per_frame_path(
        cuts in proptest::collection::vec(0usize..14_000, 0..8),
    ) {
        let cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
        let sig = balanced(Topology::SinglePhase, 50.3, 230.0, 3.0, -20.0, &[], &[]);
        let data: Vec<f32> = (0..7_000)
            .flat_map(|k| {
                let t = k as f64 / 10_240.0;
                [sig.value(0, t) as f32, sig.value(1, t) as f32]
            })
            .collect();
        let mut a: Meter = Meter::new(cfg).unwrap();
        let mut expected: Vec<_> = data.chunks(2).filter_map(|fr| a.process_f32(fr)).collect();
        expected.extend(a.finish());
        let mut cuts = cuts;
        cuts.extend([0, data.len()]);
        cuts.sort_unstable();
        let mut b: Meter = Meter::new(cfg).unwrap();
        let mut got = Vec::new();
        for w in cuts.windows(2) {
            b.process_f32_block(&data[w[0]..w[1]], |r| got.push(*r));
        }
        got.extend(b.finish());
        prop_assert_eq!(got.len(), expected.len());
        for (x, y) in got.iter().zip(&expected) {
            prop_assert!(bits_equal(x, y));
        }
        prop_assert_eq!(a.energy(), b.energy());
    }

    #[test]
    fn any_codes_never_panic_and_reports_stay_finite(
        data in proptest::collection::vec(any::<i32>(), 0..40_000),
    ) {
        let cfg = Config::new(Topology::ThreePhase4W, 4_000.0, 50.0);
        let mut meter: Meter = Meter::new(cfg).unwrap();
        let mut reports = Vec::new();
        meter.process_block(&data, |r| reports.push(*r));
        reports.extend(meter.finish());
        for r in &reports {
            prop_assert!(finite(r), "non-finite value in {r:?}");
        }
    }

    #[test]
    fn any_floats_never_panic_and_reports_stay_finite(
        data in proptest::collection::vec(
            prop_oneof![any::<f32>(), Just(f32::NAN), Just(f32::INFINITY), -400.0f32..400.0],
            0..20_000,
        ),
    ) {
        let cfg = Config::new(Topology::SinglePhase, 4_000.0, 60.0);
        let mut meter: Meter = Meter::new(cfg).unwrap();
        let mut reports = Vec::new();
        meter.process_f32_block(&data, |r| reports.push(*r));
        reports.extend(meter.finish());
        for r in &reports {
            prop_assert!(finite(r), "non-finite value in {r:?}");
        }
    }
}

fn bits_equal(a: &CycleReport, b: &CycleReport) -> bool {
    // Debug formatting prints every f32 exactly enough to distinguish bit patterns of finite values.
    format!("{a:?}") == format!("{b:?}")
}

fn finite(r: &CycleReport) -> bool {
    let mut v = vec![
        r.frequency,
        r.duration_samples,
        r.in_rms,
        r.p_total,
        r.q_total,
        r.s_total,
        r.pf_total,
    ];
    v.extend(r.u_rms.iter().chain(&r.i_rms).chain(&r.u_ll_rms).chain(&r.p_active));
    v.extend(r.q_reactive.iter().chain(&r.s_apparent).chain(&r.power_factor).chain(&r.dc));
    v.extend(r.u_rms_half.iter().flatten());
    v.iter().all(|x| x.is_finite())
}

#[test]
fn silence_gives_holdover_cycles_at_the_nominal_period_flagged_without_reference() {
    let cfg = Config::new(Topology::ThreePhase4W, 10_240.0, 50.0);
    let mut meter: Meter = Meter::new(cfg).unwrap();
    let mut reports = Vec::new();
    meter.process_block(&vec![0i32; 7 * 10_240], |r| reports.push(*r));
    assert!((48..=51).contains(&reports.len()), "{} cycles", reports.len());
    for r in &reports {
        assert!(r.flags.contains(Flags::HOLDOVER | Flags::NO_REFERENCE), "{:?}", r.flags);
        assert!((r.frequency - 50.0).abs() < 1e-3);
        assert_eq!(r.u_rms, [0.0; 3]);
    }
}

#[test]
fn off_band_frequencies_do_not_invent_cycles() {
    // 30 Hz on a 50 Hz meter: crossings arrive later than the longest allowed cycle, so the
    // tracker holds over instead of reporting 30 Hz as a mains cycle; 70 Hz is tracked.
    for (f, expect_holdover) in [(30.0, true), (70.0, false)] {
        let cfg = Config::new(Topology::SinglePhase, 8_000.0, 50.0);
        let sig = balanced(Topology::SinglePhase, f, 230.0, 1.0, 0.0, &[], &[]);
        let (reports, _) = run_f32(cfg, &sig, 16_000);
        let late: Vec<_> = reports.iter().skip(4).collect();
        assert!(!late.is_empty());
        let held = late.iter().any(|r| r.flags.contains(Flags::HOLDOVER));
        assert_eq!(held, expect_holdover, "{f} Hz");
        for r in late {
            assert!(r.frequency >= 35.0 && r.frequency <= 71.5, "{f} Hz: {}", r.frequency);
        }
    }
}

#[test]
fn clipped_codes_are_flagged() {
    let cfg = Config::new(Topology::SinglePhase, 8_000.0, 50.0);
    let mut meter: Meter = Meter::new(cfg).unwrap();
    let mut flagged = false;
    for k in 0..2_000 {
        let v = if k % 160 < 80 { i32::MAX } else { -i32::MAX };
        if let Some(r) = meter.process(&[v, 0]) {
            flagged |= r.flags.contains(Flags::CLIPPED);
            let rail = cfg.input_limit_lsb as f32 * cfg.calibration[0].gain;
            assert!((r.u_rms[0] - rail).abs() < 1.0);
        }
    }
    assert!(flagged);
}

#[test]
fn short_frames_are_flagged_not_fatal() {
    let cfg = Config::new(Topology::ThreePhase4W, 8_000.0, 50.0);
    let mut meter: Meter = Meter::new(cfg).unwrap();
    let mut flags = Flags::empty();
    for _ in 0..1_000 {
        if let Some(r) = meter.process(&[1, 2]) {
            flags.insert(r.flags);
        }
    }
    assert!(flags.contains(Flags::SHORT_FRAME));
}

#[test]
fn offset_calibration_removes_the_adc_offset() {
    let mut cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
    cfg.calibration[0].offset_lsb = 12_345;
    cfg.calibration[1].offset_lsb = -777;
    let sig = balanced(Topology::SinglePhase, 50.0, 230.0, 5.0, 0.0, &[], &[]);
    let data = codes(&cfg, &sig, 10_240);
    let (reports, _) = per_frame(cfg, &data);
    let r = &reports[10];
    assert!(rel(r.u_rms[0] as f64, 230.0) < 1e-5, "{}", r.u_rms[0]);
    assert!(r.dc[0].abs() < 1e-3 && r.dc[1].abs() < 1e-4, "{:?}", r.dc);
}

#[test]
fn dc_removal_takes_the_mean_out_of_the_rms() {
    let sig_ac = balanced(Topology::SinglePhase, 50.0, 230.0, 5.0, 0.0, &[], &[]);
    let mut sig = sig_ac.clone();
    // A DC offset of 10 V as a zero-frequency component: rms of √2·(10/√2)·sin(π/2) = 10 V.
    sig.chans[0].push(Comp {
        order: 0.0,
        rms: 10.0 / 2f64.sqrt(),
        phase: std::f64::consts::FRAC_PI_2,
    });
    for (dc_removal, expected) in [(false, (230.0f64 * 230.0 + 100.0).sqrt()), (true, 230.0)] {
        let mut cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
        cfg.dc_removal = dc_removal;
        let (reports, _) = run_f32(cfg, &sig, 8_192);
        let r = &reports[10];
        assert!(rel(r.u_rms[0] as f64, expected) < 1e-5, "{dc_removal}: {}", r.u_rms[0]);
        assert!((r.dc[0] - 10.0).abs() < 1e-3);
    }
}

#[test]
fn phase_correction_delay_restores_the_true_angle() {
    // The current channel's sensor leads by 0.73 samples; a delay of 0.73 samples removes it.
    let fs = 8_000.0;
    let lead = 0.73;
    let sig = balanced(Topology::SinglePhase, 50.0, 230.0, 5.0, 60.0, &[], &[]);
    let mut cfg = Config::new(Topology::SinglePhase, fs as f32, 50.0);
    let mut meter_raw: Meter = Meter::new(cfg).unwrap();
    cfg.calibration[1].delay_samples = lead as f32;
    let mut meter: Meter = Meter::new(cfg).unwrap();
    let (mut q_raw, mut q_fixed, mut p_fixed) = (0.0, 0.0, 0.0);
    for k in 0..16_000 {
        let t = k as f64 / fs;
        let frame = [sig.value(0, t) as f32, sig.value(1, t + lead / fs) as f32];
        if let Some(r) = meter_raw.process_f32(&frame) {
            q_raw = r.q_reactive[0];
        }
        if let Some(r) = meter.process_f32(&frame) {
            q_fixed = r.q_reactive[0];
            p_fixed = r.p_active[0];
        }
    }
    let q = sig.q_fund(0, 1);
    let p = sig.power(0, 1);
    assert!(rel(q_raw as f64, q) > 5e-3, "uncorrected Q {q_raw} should be off");
    assert!(rel(q_fixed as f64, q) < 1e-4, "corrected Q {q_fixed} vs {q}");
    assert!(rel(p_fixed as f64, p) < 1e-4, "corrected P {p_fixed} vs {p}");
}

#[test]
fn three_wire_aron_connection_measures_total_power() {
    let cfg = Config::new(Topology::ThreePhase3W, 10_240.0, 50.0);
    let sig = balanced(Topology::ThreePhase3W, 50.0, 230.0, 5.0, 36.87, &[], &[]);
    let (reports, _) = run_f32(cfg, &sig, 10_240);
    let r = &reports[10];
    let p = 3.0 * 230.0 * 5.0 * 0.8;
    let q = 3.0 * 230.0 * 5.0 * 0.6;
    assert!(rel(r.p_total as f64, p) < 1e-4, "P {}", r.p_total);
    assert!(rel(r.q_total as f64, q) < 1e-4, "Q {}", r.q_total);
    assert!(rel(r.u_rms[0] as f64, 230.0 * 3f64.sqrt()) < 1e-5);
}

#[test]
fn invalid_configurations_name_the_field() {
    let base = Config::new(Topology::SinglePhase, 8_000.0, 50.0);
    let cases: Vec<(Config, &str)> = vec![
        (Config { sample_rate_hz: 399.0, ..base }, "sample_rate_hz"),
        (Config { sample_rate_hz: 32_001.0, ..base }, "sample_rate_hz"),
        (Config { sample_rate_hz: f32::NAN, ..base }, "sample_rate_hz"),
        (Config { nominal_hz: 55.0, ..base }, "nominal_hz"),
        (Config { declared_voltage: -1.0, ..base }, "declared_voltage"),
        (Config { meter_constant_imp_per_kwh: 0, ..base }, "meter_constant_imp_per_kwh"),
        (Config { creep_current: f32::INFINITY, ..base }, "creep_current"),
        (
            Config { calibration: [ChannelCal { gain: 0.0, ..ChannelCal::default() }; 7], ..base },
            "calibration.gain",
        ),
        (
            Config {
                calibration: [ChannelCal { delay_samples: 2.5, ..ChannelCal::default() }; 7],
                ..base
            },
            "calibration.delay_samples",
        ),
    ];
    for (cfg, field) in cases {
        let err = Meter::<1024>::new(cfg).err().expect("must be rejected");
        assert_eq!(err, ConfigError::OutOfRange(field));
        assert!(err.to_string().contains(field));
    }
    let fast = Config::new(Topology::SinglePhase, 32_000.0, 50.0);
    assert!(matches!(Meter::<512>::new(fast), Err(ConfigError::RingTooSmall { .. })));
    assert!(Meter::<2048>::new(fast).is_ok());
}

#[test]
fn tracker_locks_again_after_hold_over_whatever_the_phase_of_the_returning_voltage() {
    // Silence, then a sine whose crossings fall just after the hold-over boundaries (which run
    // at the nominal period): the tracker must lock within a few cycles for every phase.
    for phase_deg in (0..360).step_by(15) {
        let fs = 20_000.0;
        let cfg = Config::new(Topology::SinglePhase, fs as f32, 50.0);
        let mut meter: Box<Meter<2048, 2048>> = Box::new(Meter::new(cfg).unwrap());
        let mut flags = Vec::new();
        for k in 0..40_000 {
            let t = k as f64 / fs;
            let u = if t < 0.1 {
                0.0
            } else {
                325.0 * (std::f64::consts::TAU * 50.0 * t + (phase_deg as f64).to_radians()).sin()
            };
            if let Some(r) = meter.process_f32(&[u as f32, 0.0]) {
                flags.push(r.flags);
            }
        }
        let locked =
            flags.iter().rev().take(80).all(|f| !f.intersects(Flags::HOLDOVER | Flags::RESYNC));
        assert!(locked, "phase {phase_deg}: {:?}", &flags[flags.len() - 5..]);
    }
}

/// 3P4W codes at `fs` and 50.2 Hz with harmonics, a dip to 50 % from 0.3 s to 0.5 s and another
/// from 1.93 s to the end of the stream (`n` samples).
fn codes_with_dips(fs: f32, n: usize) -> (Config, Vec<i32>) {
    let cfg = Config::new(Topology::ThreePhase4W, fs, 50.0);
    let sig =
        balanced(Topology::ThreePhase4W, 50.2, 230.0, 5.0, 25.0, &[(5.0, 6.0)], &[(3.0, 30.0)]);
    let mut data = codes(&cfg, &sig, n);
    for (k, frame) in data.chunks_mut(7).enumerate() {
        let t = k as f64 / fs as f64;
        if (0.3..0.5).contains(&t) || t >= 1.93 {
            for v in &mut frame[..3] {
                *v /= 2;
            }
        }
    }
    (cfg, data)
}

#[test]
fn the_sink_path_hands_out_the_last_cycles_with_their_harmonics_and_every_output_at_finish() {
    // Stream ends across one cycle: each leaves the held report (a pending cycle is closed as
    // soon as its boundary is placed, the tracker's delay being longer than the resampler's
    // look-ahead).
    for n in (16_000..16_160).step_by(5) {
        let (cfg, data) = codes_with_dips(8_000.0, n);
        // Pull path: per frame, with the takes after each report and after `finish`.
        let mut a: Meter = Meter::new(cfg).unwrap();
        let mut pulled = Vec::new();
        let (mut intervals, mut events) = (0, 0);
        for f in data.chunks(7) {
            if let Some(r) = a.process(f) {
                pulled.push((r, format!("{:?}", a.cycle_spectrum())));
                intervals += a.take_interval().is_some() as usize;
                while a.take_event().is_some() {
                    events += 1;
                }
            }
        }
        let last: Vec<_> = a.finish().collect();
        let last_spectrum = format!("{:?}", a.cycle_spectrum());
        intervals += a.take_interval().is_some() as usize;
        while a.take_event().is_some() {
            events += 1;
        }
        // Push path: blocks and `finish_with`, everything through one sink.
        let mut b: Meter = Meter::new(cfg).unwrap();
        let mut pushed = Vec::new();
        let (mut b_intervals, mut b_events, mut open_at_end) = (0, 0, 0);
        let mut sink = |o: Output<'_>| match o {
            Output::Cycle(r, s) => pushed.push((*r, s.index, s.thd_pct, format!("{s:?}"))),
            Output::Interval(_) => b_intervals += 1,
            Output::Event(e) => {
                b_events += 1;
                open_at_end += e.open_at_end as usize;
            }
            _ => {}
        };
        for chunk in data.chunks(1_001) {
            b.process_block_with(chunk, &mut sink);
        }
        b.finish_with(&mut sink);

        assert_eq!(pushed.len(), pulled.len() + last.len(), "n = {n}");
        assert!(!last.is_empty(), "n = {n}");
        for (k, (r, index, thd, spectrum)) in pushed.iter().enumerate() {
            // Every cycle, the last two included, comes with its own harmonics.
            assert_eq!(*index, r.index, "n = {n}, cycle {k}");
            assert_eq!(format!("{thd:?}"), format!("{:?}", r.thd_pct), "n = {n}, cycle {k}");
            if let Some((p, ps)) = pulled.get(k) {
                assert!(bits_equal(r, p), "n = {n}, cycle {k}");
                assert_eq!(spectrum, ps, "n = {n}, cycle {k}");
            } else {
                assert!(bits_equal(r, &last[k - pulled.len()]), "n = {n}, cycle {k}");
            }
        }
        assert_eq!(&pushed.last().unwrap().3, &last_spectrum, "n = {n}");
        assert_eq!(b_intervals, intervals, "n = {n}");
        assert_eq!(b_events, events, "n = {n}");
        assert!(b_events >= 2 && open_at_end >= 1, "n = {n}: both dips, the last open at the end");
        assert_eq!(a.energy(), b.energy(), "n = {n}");
    }
}
