//! Engine accuracy against closed-form truth: per-cycle rms, frequency, power, energy.

mod common;
use common::*;
use percycle_engine::{Config, Flags, Topology};

/// (order, % of fundamental) pairs.
type Harmonics<'a> = &'a [(f64, f64)];

fn steady(r: &percycle_engine::CycleReport) -> bool {
    !r.flags.intersects(Flags::SETTLING | Flags::HOLDOVER | Flags::RESYNC) && r.index >= 3
}

#[test]
fn cycle_rms_and_frequency_match_closed_form_across_rates_and_frequencies() {
    let cases = [
        (8_000.0, 50.0, [45.0, 47.5, 50.0, 52.5, 55.0].as_slice()),
        (10_240.0, 50.0, &[45.0, 47.5, 50.0, 52.5, 55.0]),
        (12_800.0, 50.0, &[45.0, 50.0, 55.0]),
        (9_600.0, 60.0, &[54.0, 60.0, 66.0]),
        (12_288.0, 60.0, &[57.0, 60.0, 63.0]),
        (15_360.0, 60.0, &[54.0, 60.0, 66.0]),
    ];
    let mut worst_rms = 0f64;
    let mut worst_f = 0f64;
    for (fs, f0, freqs) in cases {
        for &f in freqs {
            let cfg = Config::new(Topology::ThreePhase4W, fs, f0);
            let sig = balanced(
                Topology::ThreePhase4W,
                f,
                230.0,
                5.0,
                30.0,
                &[(3.0, 5.0), (5.0, 10.0), (7.0, 5.0), (11.0, 3.5), (13.0, 3.0), (50.0, 0.5)],
                &[(3.0, 20.0), (5.0, 40.0), (7.0, 10.0)],
            );
            let (reports, _) = run_f32(cfg, &sig, (fs * 0.5) as usize);
            let steady: Vec<_> = reports.iter().filter(|r| steady(r)).collect();
            assert!(steady.len() >= 15, "fs {fs} f {f}: {} steady cycles", steady.len());
            for r in steady {
                for p in 0..3 {
                    let eu = rel(r.u_rms[p] as f64, sig.rms(p));
                    let ei = rel(r.i_rms[p] as f64, sig.rms(3 + p));
                    worst_rms = worst_rms.max(eu).max(ei);
                    assert!(
                        eu < 1e-4,
                        "fs {fs} f {f} U{} rms {} vs {}",
                        p + 1,
                        r.u_rms[p],
                        sig.rms(p)
                    );
                    assert!(
                        ei < 1e-4,
                        "fs {fs} f {f} I{} rms {} vs {}",
                        p + 1,
                        r.i_rms[p],
                        sig.rms(3 + p)
                    );
                }
                let ef = (r.frequency as f64 - f).abs();
                worst_f = worst_f.max(ef);
                assert!(ef < 1e-3, "fs {fs} f {f}: cycle frequency {}", r.frequency);
            }
        }
    }
    println!(
        "worst relative rms error {worst_rms:.2e}, worst frequency error {:.3} mHz",
        worst_f * 1e3
    );
}

#[test]
fn power_and_fundamental_reactive_power_match_closed_form_in_all_quadrants() {
    for angle in [0.0, 30.0, 60.0, 120.0, 150.0, 180.0, 210.0, 240.0, 300.0, 330.0, -36.87] {
        let cfg = Config::new(Topology::ThreePhase4W, 10_240.0, 50.0);
        let sig = balanced(
            Topology::ThreePhase4W,
            50.0,
            230.0,
            5.0,
            angle,
            &[(5.0, 10.0)],
            &[(5.0, 40.0)],
        );
        let (reports, _) = run_f32(cfg, &sig, 5_120);
        for r in reports.iter().filter(|r| steady(r)) {
            for p in 0..3 {
                let pt = sig.power(p, 3 + p);
                let qt = sig.q_fund(p, 3 + p);
                let s = sig.rms(p) * sig.rms(3 + p);
                assert!(
                    (r.p_active[p] as f64 - pt).abs() < 1e-4 * s,
                    "angle {angle}: P {} vs {pt}",
                    r.p_active[p]
                );
                assert!(
                    (r.q_reactive[p] as f64 - qt).abs() < 1e-4 * s,
                    "angle {angle}: Q {} vs {qt}",
                    r.q_reactive[p]
                );
                assert!(rel(r.s_apparent[p] as f64, s) < 1e-4);
            }
            let ull = 230.0 * 3f64.sqrt() * (1.0f64 + 0.01).sqrt();
            // 5th harmonic is negative sequence: its line-to-line value is also √3 larger.
            assert!(rel(r.u_ll_rms[0] as f64, ull) < 1e-4, "U12 {}", r.u_ll_rms[0]);
            assert!(r.in_rms < 1e-3, "balanced IN {}", r.in_rms);
        }
    }
}

/// IEC 62053-22 style test points: current 1 %..120 % In, PF 1 / 0.5 ind / 0.8 cap, U 80..115 %,
/// f 47.5..52.5 Hz, pure and with 10 % 5th in U and 40 % 5th in I.
#[test]
fn active_energy_is_within_0_01_percent_at_iec_62053_22_test_points() {
    let mut worst = 0f64;
    let fs = 10_240.0;
    for &i_pct in &[1.0, 5.0, 10.0, 50.0, 100.0, 120.0] {
        for &angle in &[0.0, 60.0, -36.87] {
            for &u_pct in &[80.0, 100.0, 115.0] {
                for &f in &[47.5, 50.0, 52.5] {
                    for harmonics in [false, true] {
                        let (uh, ih): (Harmonics, Harmonics) =
                            if harmonics { (&[(5.0, 10.0)], &[(5.0, 40.0)]) } else { (&[], &[]) };
                        let cfg = Config::new(Topology::ThreePhase4W, fs as f32, 50.0);
                        let sig = balanced(
                            Topology::ThreePhase4W,
                            f,
                            2.3 * u_pct,
                            0.05 * i_pct,
                            angle,
                            uh,
                            ih,
                        );
                        let n = 4_096;
                        let (_, meter) = run_f32(cfg, &sig, n);
                        let e = meter.energy();
                        // Engine convention: sample k stands for [k−½, k+½)/fs.
                        let (t0, t1) = (-0.5 / fs, (n as f64 - 0.5) / fs);
                        let truth_wh: f64 =
                            (0..3).map(|p| sig.energy(p, 3 + p, t0, t1)).sum::<f64>() / 3600.0;
                        let wh = e.total.to_wh();
                        let got = wh[0] - wh[1];
                        let err = rel(got, truth_wh);
                        worst = worst.max(err);
                        assert!(
                            err < 1e-4,
                            "I {i_pct}% angle {angle} U {u_pct}% f {f} h {harmonics}: {got} Wh vs {truth_wh} Wh ({err:.2e})"
                        );
                    }
                }
            }
        }
    }
    println!("worst relative active energy error {worst:.2e}");
}

#[test]
fn quadrant_registers_follow_the_signs_of_p_and_q() {
    // (load angle, expected quadrant index)
    for (angle, quadrant) in [(30.0, 0usize), (150.0, 1), (210.0, 2), (330.0, 3)] {
        let cfg = Config::new(Topology::SinglePhase, 10_240.0, 50.0);
        let sig = balanced(Topology::SinglePhase, 50.0, 230.0, 5.0, angle, &[], &[]);
        let (_, meter) = run_f32(cfg, &sig, 10_240);
        let t = meter.energy().total;
        let p_import = quadrant == 0 || quadrant == 3;
        let q_pos = quadrant <= 1;
        assert_eq!(t.a_plus > 0, p_import, "angle {angle}: {t:?}");
        assert_eq!(t.a_minus > 0, !p_import, "angle {angle}: {t:?}");
        assert_eq!(t.r_plus > 0, q_pos, "angle {angle}: {t:?}");
        assert_eq!(t.r_minus > 0, !q_pos, "angle {angle}: {t:?}");
        for (k, &v) in t.r_quadrant.iter().enumerate() {
            assert_eq!(v > 0, k == quadrant, "angle {angle}: R{} = {v}", k + 1);
        }
        // |Q|·duration over one second, in µvar·s.
        let q = 230.0 * 5.0 * f64::sin(f64::to_radians(angle)).abs() * 1.0e6;
        let r = t.r_quadrant[quadrant] as f64;
        assert!(rel(r, q) < 2e-3, "angle {angle}: R{} {r} vs {q}", quadrant + 1);
        assert_eq!(t.r_plus + t.r_minus, t.r_quadrant.iter().sum::<u64>());
    }
}

#[test]
fn no_load_at_115_percent_voltage_registers_nothing_and_emits_no_pulse() {
    let cfg = Config::new(Topology::ThreePhase4W, 10_240.0, 50.0);
    let sig = balanced(Topology::ThreePhase4W, 50.0, 230.0 * 1.15, 0.0, 0.0, &[], &[]);
    // ADC noise of a few LSB on the current channels must not creep either.
    let mut data = codes(&cfg, &sig, 10_240 * 3);
    let mut state = 0x2545_f491_u32;
    for (k, v) in data.iter_mut().enumerate() {
        if (3..7).contains(&(k % 7)) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *v += (state % 9) as i32 - 4;
        }
    }
    let mut meter: percycle_engine::Meter = percycle_engine::Meter::new(cfg).unwrap();
    let mut reports = 0;
    meter.process_block(&data, |r| {
        reports += 1;
        assert!(r.flags.contains(Flags::CREEP) || r.flags.contains(Flags::SETTLING));
    });
    let _ = meter.finish();
    assert!(reports > 140);
    let e = meter.energy();
    assert_eq!(e.total, Default::default(), "{:?}", e.total);
    assert_eq!(e.pulses, Default::default());
}

#[test]
fn pulses_match_the_register_at_the_meter_constant() {
    let mut cfg = Config::new(Topology::ThreePhase4W, 8_000.0, 50.0);
    cfg.meter_constant_imp_per_kwh = 100_000;
    let sig = balanced(Topology::ThreePhase4W, 50.0, 230.0, 10.0, 0.0, &[], &[]);
    let (_, meter) = run_f32(cfg, &sig, 8_000 * 4);
    let e = meter.energy();
    // 6.9 kW for 4 s = 7.667 Wh = 766.7 pulses at 100 000 imp/kWh.
    let per_pulse_uws = 3_600_000_000_000 / 100_000;
    let expected = e.total.a_plus / per_pulse_uws;
    assert_eq!(e.pulses.a_plus, expected);
    assert!((760..=770).contains(&e.pulses.a_plus), "{}", e.pulses.a_plus);
}

#[test]
fn computed_neutral_current_matches_the_measured_one_and_the_closed_form() {
    // Triplen harmonics add up in the neutral: IN = 3·I3 + 3·I9 for a balanced load.
    let cfg = Config::new(Topology::ThreePhase4W, 10_240.0, 50.0);
    let sig = balanced(
        Topology::ThreePhase4W,
        50.0,
        230.0,
        4.0,
        20.0,
        &[],
        &[(3.0, 60.0), (5.0, 30.0), (9.0, 10.0)],
    );
    let (reports, _) = run_f32(cfg, &sig, 5_120);
    let truth = 3.0 * 4.0 * (0.6f64.powi(2) + 0.1f64.powi(2)).sqrt();
    for r in reports.iter().filter(|r| steady(r)) {
        assert!(rel(r.in_rms as f64, truth) < 1e-4, "measured IN {} vs {truth}", r.in_rms);
        assert!(
            rel(r.in_computed_rms as f64, truth) < 1e-4,
            "computed IN {} vs {truth}",
            r.in_computed_rms
        );
    }
}
