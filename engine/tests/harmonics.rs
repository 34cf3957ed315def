//! Harmonics against closed-form truth: per-cycle spectrum and IEC 61000-4-7 interval groups.
#![allow(clippy::needless_range_loop)] // orders index several parallel arrays
//!
//! Required accuracy (1/10 of IEC 61000-4-7 Class I): harmonic subgroups within 0.5 % of reading
//! when at least 1 % of nominal and within 0.005 % of nominal below; THD within 0.05 percentage
//! points.

mod common;
use common::*;
use percycle_engine::{
    Config, Flags, IntervalReport, Meter, Output, Topology, DEFAULT_RING, DEFAULT_WINDOW, MAX_ORDER,
};

const UN: f64 = 230.0;

/// Run `sig` (single phase) and collect the intervals and the per-cycle spectra after settling.
fn run(
    cfg: Config,
    sig: &Signal,
    seconds: f64,
) -> (Vec<IntervalReport>, Vec<percycle_engine::CycleSpectrum>) {
    run_sized::<DEFAULT_WINDOW>(cfg, sig, seconds)
}

/// [`run`] with an interval window of `W` points.
fn run_sized<const W: usize>(
    cfg: Config,
    sig: &Signal,
    seconds: f64,
) -> (Vec<IntervalReport>, Vec<percycle_engine::CycleSpectrum>) {
    let mut meter: Box<Meter<DEFAULT_RING, W>> = Box::new(Meter::new(cfg).unwrap());
    let fs = cfg.sample_rate_hz as f64;
    let nch = cfg.topology.channels();
    let n = (fs * seconds) as usize;
    let mut data = Vec::with_capacity(n * nch);
    for k in 0..n {
        let t = k as f64 / fs;
        for c in 0..nch {
            data.push(sig.value(c, t) as f32);
        }
    }
    let (mut intervals, mut cycles) = (Vec::new(), Vec::new());
    meter.process_f32_block_with(&data, |o| match o {
        Output::Cycle(r, s) if r.index >= 3 => cycles.push(*s),
        Output::Interval(iv) => intervals.push(*iv),
        _ => {}
    });
    let _ = meter.finish();
    intervals.extend(meter.take_interval().copied());
    (intervals, cycles)
}

/// Check one measured group value against its truth with the Class I/10 rule.
fn check(what: &str, got: f64, truth: f64, nominal: f64) -> Result<(), String> {
    let ok = if truth >= 0.01 * nominal {
        (got - truth).abs() <= 0.005 * truth
    } else {
        (got - truth).abs() <= 0.000_05 * nominal
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{what}: {got:.6} vs {truth:.6}"))
    }
}

fn single(f: f64, comps: &[(f64, f64, f64)]) -> Signal {
    // comps: (order or frequency ratio, % of fundamental, phase rad)
    let mut u = vec![Comp { order: 1.0, rms: UN, phase: 0.3 }];
    for &(order, pct, phase) in comps {
        u.push(Comp { order, rms: UN * pct / 100.0, phase });
    }
    let i = vec![Comp { order: 1.0, rms: 5.0, phase: 0.0 }];
    Signal { f, chans: vec![u, i] }
}

fn truth_subgroups(sig: &Signal) -> [f64; MAX_ORDER + 1] {
    let mut g = [0.0f64; MAX_ORDER + 1];
    for c in &sig.chans[0] {
        if c.order.fract() == 0.0 && (c.order as usize) <= MAX_ORDER {
            g[c.order as usize] = (g[c.order as usize].powi(2) + c.rms * c.rms).sqrt();
        }
    }
    g
}

fn thd(g: &[f64; MAX_ORDER + 1], top: usize) -> f64 {
    100.0 * (2..=top).map(|h| g[h] * g[h]).sum::<f64>().sqrt() / g[1]
}

#[test]
fn single_harmonics_at_every_order_are_within_class_i_over_10_at_8_and_10_24_khz() {
    let mut worst = (0.0f64, 0usize, 0.0f64);
    let mut failures = Vec::new();
    // 8 and 9.6 kHz take the 16-tap interpolator, 10.24 kHz at 50 Hz the 12-tap one.
    for (nominal, f, fs) in [
        (50.0, 42.5, 8_000.0),
        (50.0, 50.0, 8_000.0),
        (50.0, 57.5, 8_000.0),
        (60.0, 60.0, 9_600.0),
        (50.0, 42.5, 10_240.0),
        (50.0, 57.5, 10_240.0),
    ] {
        for pct in [1.0, 10.0] {
            for h in 2..=MAX_ORDER {
                let cfg = Config::new(Topology::SinglePhase, fs as f32, nominal as f32);
                let sig = single(f, &[(h as f64, pct, 0.7)]);
                let (intervals, cycles) = run(cfg, &sig, 0.4);
                assert!(!intervals.is_empty() && !cycles.is_empty());
                let g = truth_subgroups(&sig);
                for iv in &intervals {
                    for k in 0..=MAX_ORDER {
                        let got = iv.subgroups[0][k] as f64;
                        if let Err(e) =
                            check(&format!("f {f} h {h} {pct}%: subgroup {k}"), got, g[k], UN)
                        {
                            failures.push(e);
                        }
                    }
                    let e = (got_rel(iv.subgroups[0][h] as f64, g[h])).abs();
                    if e > worst.0 {
                        worst = (e, h, f);
                    }
                    let dt = (iv.thds_pct[0] as f64 - thd(&g, 50)).abs();
                    if dt > 0.05 {
                        failures.push(format!(
                            "f {f} h {h} {pct}%: THDS {} vs {}",
                            iv.thds_pct[0],
                            thd(&g, 50)
                        ));
                    }
                }
                for s in &cycles {
                    let got = s.harmonics[0][h].magnitude() as f64;
                    if let Err(e) =
                        check(&format!("f {f} h {h} {pct}%: cycle harmonic"), got, g[h], UN)
                    {
                        failures.push(e);
                    }
                    if (s.thd_pct[0] as f64 - thd(&g, 50)).abs() > 0.05 {
                        failures.push(format!(
                            "f {f} h {h} {pct}%: cycle THD {} vs {}",
                            s.thd_pct[0],
                            thd(&g, 50)
                        ));
                    }
                }
            }
        }
    }
    println!(
        "worst relative subgroup error {:.2e} at order {} and {} Hz",
        worst.0, worst.1, worst.2
    );
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

fn got_rel(got: f64, truth: f64) -> f64 {
    (got - truth) / truth
}

#[test]
fn en50160_limit_spectrum_is_within_class_i_over_10_from_42_5_to_57_5_hz() {
    let mut comps = vec![
        (2.0, 2.0),
        (3.0, 5.0),
        (4.0, 1.0),
        (5.0, 6.0),
        (7.0, 5.0),
        (9.0, 1.5),
        (11.0, 3.5),
        (13.0, 3.0),
        (15.0, 0.5),
        (17.0, 2.0),
        (19.0, 1.5),
        (21.0, 0.5),
        (23.0, 1.5),
        (25.0, 1.5),
    ];
    for h in (6..=24).step_by(2) {
        comps.push((h as f64, 0.5));
    }
    for h in 26..=50 {
        comps.push((h as f64, 0.5));
    }
    let comps: Vec<(f64, f64, f64)> =
        comps.iter().enumerate().map(|(k, &(h, p))| (h, p, 0.37 * k as f64)).collect();
    for (nominal, f, fs) in [
        (50.0, 42.5, 8_000.0),
        (50.0, 47.5, 8_000.0),
        (50.0, 50.0, 10_240.0),
        (50.0, 52.5, 12_800.0),
        (50.0, 57.5, 8_000.0),
        (60.0, 60.0, 15_360.0),
        (60.0, 57.0, 9_600.0),
    ] {
        let cfg = Config::new(Topology::SinglePhase, fs as f32, nominal as f32);
        let sig = single(f, &comps);
        let (intervals, cycles) = run(cfg, &sig, 0.6);
        let g = truth_subgroups(&sig);
        assert!(intervals.len() >= 2);
        for iv in &intervals {
            for k in 0..=MAX_ORDER {
                check(&format!("{f} Hz subgroup {k}"), iv.subgroups[0][k] as f64, g[k], UN)
                    .unwrap();
            }
            assert!(
                (iv.thds_pct[0] as f64 - thd(&g, 50)).abs() < 0.05,
                "{f} Hz THDS {}",
                iv.thds_pct[0]
            );
            assert!(
                (iv.thds40_pct[0] as f64 - thd(&g, 40)).abs() < 0.05,
                "{f} Hz THDS40 {}",
                iv.thds40_pct[0]
            );
            let rms = sig.rms(0);
            assert!(
                rel(iv.rms[0] as f64, rms) < 1e-4,
                "{f} Hz interval rms {} vs {rms}",
                iv.rms[0]
            );
        }
        for s in &cycles {
            for (h, &gh) in g.iter().enumerate().skip(1) {
                check(
                    &format!("{f} Hz cycle order {h}"),
                    s.harmonics[0][h].magnitude() as f64,
                    gh,
                    UN,
                )
                .unwrap();
            }
            assert!((s.thd40_pct[0] as f64 - thd(&g, 40)).abs() < 0.05);
        }
    }
}

#[test]
fn an_interharmonic_at_175_hz_appears_only_in_centred_interharmonic_subgroup_3() {
    let cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
    // 175 Hz = 3.5 × 50 Hz: an order of 3.5 in the generator.
    let sig = single(50.0, &[(3.5, 1.0, 0.2)]);
    let (intervals, _) = run(cfg, &sig, 0.6);
    for iv in &intervals {
        let ih = iv.interharmonic_subgroups[0];
        assert!(rel(ih[3] as f64, 2.3) < 0.005, "C_isg,3 = {}", ih[3]);
        for (h, &v) in ih.iter().enumerate() {
            if h != 3 {
                assert!((v as f64) < 0.000_05 * UN, "C_isg,{h} = {v}");
            }
        }
        for h in [3, 4] {
            assert!(
                (iv.subgroups[0][h] as f64) < 0.000_05 * UN,
                "G_sg,{h} = {}",
                iv.subgroups[0][h]
            );
        }
    }
}

#[test]
fn a_midpoint_interharmonic_at_125_hz_falls_in_centred_subgroup_2() {
    let cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
    let sig = single(50.0, &[(2.5, 2.0, 1.1)]);
    let (intervals, _) = run(cfg, &sig, 0.6);
    for iv in &intervals {
        assert!(rel(iv.interharmonic_subgroups[0][2] as f64, 4.6) < 0.005);
        assert!(
            (iv.subgroups[0][2] as f64) < 0.000_05 * UN
                && (iv.subgroups[0][3] as f64) < 0.000_05 * UN
        );
    }
}

#[test]
fn rectifier_current_with_thd_over_100_percent_is_measured_on_every_channel() {
    let cfg = Config::new(Topology::ThreePhase4W, 10_240.0, 50.0);
    let spectrum = [
        (3.0, 85.0),
        (5.0, 60.0),
        (7.0, 38.0),
        (9.0, 20.0),
        (11.0, 10.0),
        (13.0, 7.0),
        (15.0, 5.0),
    ];
    let sig = balanced(Topology::ThreePhase4W, 50.0, 230.0, 2.0, 10.0, &[(5.0, 3.0)], &spectrum);
    let mut meter: Box<Meter> = Box::new(Meter::new(cfg).unwrap());
    let mut intervals = Vec::new();
    let data: Vec<f32> = (0..10_240)
        .flat_map(|k| {
            let t = k as f64 / 10_240.0;
            (0..7).map(move |c| (c, t))
        })
        .map(|(c, t)| sig.value(c, t) as f32)
        .collect();
    meter.process_f32_block_with(&data, |o| {
        if let Output::Interval(iv) = o {
            intervals.push(*iv)
        }
    });
    let thd_true =
        100.0 * spectrum.iter().map(|(_, p)| (p / 100.0) * (p / 100.0)).sum::<f64>().sqrt();
    assert!(thd_true > 100.0);
    assert!(intervals.len() >= 4);
    for iv in &intervals {
        for c in 3..6 {
            assert!(
                (iv.thds_pct[c] as f64 - thd_true).abs() < 0.05,
                "I{} THDS {}",
                c - 2,
                iv.thds_pct[c]
            );
            for &(h, p) in &spectrum {
                let truth = 2.0 * p / 100.0;
                check(
                    &format!("I{} order {h}", c - 2),
                    iv.subgroups[c][h as usize] as f64,
                    truth,
                    2.0,
                )
                .unwrap();
            }
        }
        // Triplen harmonics add up in the neutral: IN carries 3× the 3rd, 9th and 15th.
        let in3 = 3.0 * 2.0 * 0.85;
        check("IN order 3", iv.subgroups[6][3] as f64, in3, 2.0).unwrap();
        assert!((iv.subgroups[6][1] as f64) < 1e-3, "IN fundamental {}", iv.subgroups[6][1]);
    }
}

#[test]
fn block_path_gives_the_same_spectra_and_intervals_as_per_frame_path() {
    let cfg = Config::new(Topology::ThreePhase4W, 8_000.0, 50.0);
    let sig = balanced(
        Topology::ThreePhase4W,
        49.7,
        230.0,
        5.0,
        20.0,
        &[(5.0, 6.0), (11.0, 3.0)],
        &[(3.0, 30.0)],
    );
    let data = codes(&cfg, &sig, 8_000);
    let mut a: Box<Meter> = Box::new(Meter::new(cfg).unwrap());
    let mut expected = Vec::new();
    for f in data.chunks(7) {
        if let Some(r) = a.process(f) {
            expected.push(format!("{:?}{:?}", r, a.cycle_spectrum()));
            if let Some(iv) = a.take_interval() {
                expected.push(format!("{iv:?}"));
            }
        }
    }
    for split in [1usize, 5, 333, 4_000] {
        let mut b: Box<Meter> = Box::new(Meter::new(cfg).unwrap());
        let mut got = Vec::new();
        for chunk in data.chunks(split) {
            b.process_block_with(chunk, |o| match o {
                Output::Cycle(r, s) => got.push(format!("{r:?}{s:?}")),
                Output::Interval(iv) => got.push(format!("{iv:?}")),
                _ => {}
            });
        }
        assert_eq!(got, expected, "split {split}");
    }
    assert!(expected.len() > 45);
}

#[test]
fn content_between_order_64_and_nyquist_does_not_alias_into_the_interval_groups() {
    // At 10.24 kHz and 50 Hz the signal reaches order 102. A window of 128 points per cycle
    // would fold order 97 onto order 31 (128 − 97); the interval's window (204.8 points per
    // cycle) holds it above order 50, so every group up to 50 stays at its truth (zero).
    let cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
    for order in [77.0, 89.0, 97.0] {
        let sig = single(50.0, &[(order, 5.0, 0.4)]);
        let (intervals, _) = run(cfg, &sig, 0.5);
        assert!(!intervals.is_empty());
        for iv in &intervals {
            for h in 2..=MAX_ORDER {
                let what = format!("order {order} at 5 %: subgroup {h}");
                check(&what, iv.subgroups[0][h] as f64, 0.0, UN).unwrap();
                let what = format!("order {order} at 5 %: interharmonic subgroup {h}");
                if h < MAX_ORDER {
                    check(&what, iv.interharmonic_subgroups[0][h] as f64, 0.0, UN).unwrap();
                }
            }
        }
    }
}

/// Subgroups 2..=50 of the first channel of every interval against the truth of `sig`.
fn check_groups(what: &str, intervals: &[IntervalReport], sig: &Signal) {
    let truth = truth_subgroups(sig);
    assert!(!intervals.is_empty(), "{what}: no interval");
    for iv in intervals {
        for h in 2..=MAX_ORDER {
            check(&format!("{what}: subgroup {h}"), iv.subgroups[0][h] as f64, truth[h], UN)
                .unwrap();
        }
    }
}

#[test]
fn a_1536_point_window_serves_50_and_60_hz_and_flags_the_intervals_that_may_fold() {
    let comps =
        [(3.0, 5.0, 0.2), (5.0, 6.0, 1.1), (29.0, 1.5, 0.4), (49.0, 1.0, 2.0), (50.0, 0.5, 0.9)];
    // 50 Hz at 10.24 kHz: 153.6 points per cycle, input content up to order 102.4 folds no lower
    // than order 51.2, above every group.
    let sig = single(50.0, &comps);
    let (intervals, _) =
        run_sized::<1536>(Config::new(Topology::SinglePhase, 10_240.0, 50.0), &sig, 0.5);
    check_groups("1536 points, 50 Hz, 10.24 kHz", &intervals, &sig);
    assert!(intervals.iter().all(|iv| !iv.flags.contains(Flags::ALIASED)));
    // 60 Hz at 7.68 kHz: 128 points per cycle, as many as the input has samples.
    let sig = single(60.0, &comps);
    let (intervals, _) =
        run_sized::<1536>(Config::new(Topology::SinglePhase, 7_680.0, 60.0), &sig, 0.5);
    check_groups("1536 points, 60 Hz, 7.68 kHz", &intervals, &sig);
    assert!(intervals.iter().all(|iv| !iv.flags.contains(Flags::ALIASED)));

    // 60 Hz at 10.24 kHz: the input reaches order 85, the window's Nyquist order is 64, and order
    // 80 folds onto order 48 (128 − 80). The interval says so; 2048 points (170.7 per cycle)
    // keep it apart and are not flagged.
    let cfg = Config::new(Topology::SinglePhase, 10_240.0, 60.0);
    let sig = single(60.0, &[(80.0, 5.0, 0.4)]);
    let (folded, _) = run_sized::<1536>(cfg, &sig, 0.5);
    assert!(!folded.is_empty());
    for iv in &folded {
        assert!(iv.flags.contains(Flags::ALIASED), "interval {} not flagged", iv.index);
        assert!(iv.subgroups[0][48] as f64 > 0.01 * UN, "order 80 should fold onto 48 here");
    }
    let (clean, _) = run_sized::<2048>(cfg, &sig, 0.5);
    check_groups("2048 points, 60 Hz, 10.24 kHz, order 80", &clean, &single(60.0, &[]));
    assert!(clean.iter().all(|iv| !iv.flags.contains(Flags::ALIASED)));

    // 25.6 kHz at 50 Hz: the input reaches order 256, past the 2048-point window's 102.4.
    let (fast, _) =
        run(Config::new(Topology::SinglePhase, 25_600.0, 50.0), &single(50.0, &[]), 0.5);
    assert!(!fast.is_empty() && fast.iter().all(|iv| iv.flags.contains(Flags::ALIASED)));
}
