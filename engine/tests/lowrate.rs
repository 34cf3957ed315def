//! Records at 0.4-4 kHz (relay and disturbance-recorder rates): rms, power, frequency and
//! harmonics up to the highest order below Nyquist, against closed-form values of synthesised
//! signals; the orders above are absent.

use percycle_engine::{Config, CycleReport, IntervalReport, Meter, Output, Topology, MAX_ORDER};
use std::f64::consts::PI;

struct Run {
    cycles: Vec<CycleReport>,
    intervals: Vec<IntervalReport>,
    frequency: Vec<f32>,
}

/// Single phase at `fs`: U = 230 V at `f0` with `h5` of 5th and `h3` of 3rd harmonic, I = 5 A
/// lagging 30°, for `seconds`.
fn run(fs: f64, f0: f64, h3: f64, h5: f64, seconds: f64) -> Run {
    let cfg = Config::new(Topology::SinglePhase, fs as f32, 50.0);
    let mut meter: Box<Meter> = Box::new(Meter::new(cfg).unwrap());
    let mut data = Vec::new();
    for k in 0..(fs * seconds) as usize {
        let w = 2.0 * PI * f0 * k as f64 / fs;
        let u = 230.0 * 2f64.sqrt() * (w.sin() + h3 * (3.0 * w).sin() + h5 * (5.0 * w).sin());
        data.push(u as f32);
        data.push((5.0 * 2f64.sqrt() * (w - PI / 6.0).sin()) as f32);
    }
    let mut r = Run { cycles: Vec::new(), intervals: Vec::new(), frequency: Vec::new() };
    meter.process_f32_block_with(&data, |o| match o {
        Output::Cycle(c, _) => r.cycles.push(*c),
        Output::Interval(iv) => r.intervals.push(*iv),
        Output::Frequency(f) => r.frequency.push(f.frequency),
        _ => {}
    });
    r
}

#[test]
fn the_top_order_is_the_last_below_nyquist_over_the_measuring_range() {
    let top = |fs: f32, f0: f32| Config::new(Topology::SinglePhase, fs, f0).max_order();
    // h · 57.5 Hz < fs/2 (50 Hz), h · 69 Hz < fs/2 (60 Hz).
    assert_eq!(top(400.0, 50.0), 3);
    assert_eq!(top(1200.0, 50.0), 10);
    assert_eq!(top(1200.0, 60.0), 8);
    assert_eq!(top(4000.0, 50.0), 34);
    assert_eq!(top(5750.0, 50.0), 49);
    assert_eq!(top(5760.0, 50.0), 50);
    assert_eq!(top(10_240.0, 50.0), MAX_ORDER);
    assert!(Config::new(Topology::SinglePhase, 399.0, 50.0).validate().is_err());
    assert!(Config::new(Topology::SinglePhase, 400.0, 50.0).validate().is_ok());
}

#[test]
fn at_1200_hz_rms_power_and_frequency_are_right_and_harmonics_stop_at_order_10() {
    let (f0, h5) = (50.02, 0.03);
    let r = run(1200.0, f0, 0.0, h5, 12.0);
    let clean: Vec<&CycleReport> = r.cycles.iter().filter(|c| c.flags.0 == 0).collect();
    assert!(clean.len() > 550, "{} clean cycles", clean.len());
    let u = 230.0 * (1.0 + h5 * h5).sqrt();
    let p = 230.0 * 5.0 * (PI / 6.0).cos();
    for c in &clean {
        assert!((c.u_rms[0] as f64 / u - 1.0).abs() < 5e-4, "U {}", c.u_rms[0]);
        assert!((c.i_rms[0] as f64 / 5.0 - 1.0).abs() < 5e-4, "I {}", c.i_rms[0]);
        assert!((c.p_active[0] as f64 / p - 1.0).abs() < 5e-4, "P {}", c.p_active[0]);
        assert!((c.frequency as f64 - f0).abs() < 2e-3, "f {}", c.frequency);
        // THD over orders 2..=10: the 5th alone.
        assert!((c.thd_pct[0] as f64 - 100.0 * h5).abs() < 0.01, "THD {}", c.thd_pct[0]);
    }
    assert!(r.frequency.iter().all(|f| (*f as f64 - f0).abs() < 1e-3), "{:?}", r.frequency);
    let iv = r.intervals.iter().find(|iv| iv.flags.0 == 0).expect("a clean interval");
    let g = iv.subgroups[0];
    assert!((g[5] as f64 / g[1] as f64 - h5).abs() < 5e-4, "{}", g[5] / g[1]);
    assert!(g[11..].iter().all(|&x| x == 0.0), "{:?}", &g[11..]);
    assert!(iv.interharmonic_subgroups[0][10..].iter().all(|&x| x == 0.0));
    assert!((iv.thds_pct[0] as f64 - 100.0 * h5).abs() < 0.05, "THDS {}", iv.thds_pct[0]);
}

#[test]
fn at_400_hz_the_frequency_tracks_and_only_orders_up_to_3_are_measured() {
    for f0 in [49.96, 50.0, 50.04] {
        let r = run(400.0, f0, 0.03, 0.0, 12.0);
        let clean: Vec<&CycleReport> = r.cycles.iter().filter(|c| c.flags.0 == 0).collect();
        assert!(clean.len() > 550, "{f0}: {} clean cycles", clean.len());
        for c in &clean {
            assert!((c.frequency as f64 - f0).abs() < 5e-3, "{f0}: f {}", c.frequency);
            assert!((c.u_rms[0] as f64 / (230.0 * 1.0009f64.sqrt()) - 1.0).abs() < 5e-4);
        }
        assert!(r.frequency.iter().all(|f| (*f as f64 - f0).abs() < 1e-3), "{:?}", r.frequency);
        let iv = r.intervals.iter().find(|iv| iv.flags.0 == 0).expect("a clean interval");
        assert!(iv.subgroups[0][4..].iter().all(|&x| x == 0.0));
    }
}

#[test]
fn a_three_phase_record_at_1200_hz_gives_rms_power_and_frequency() {
    let (fs, f0) = (1200.0, 49.97);
    let cfg = Config::new(Topology::ThreePhase4W, fs as f32, 50.0);
    let mut meter: Box<Meter> = Box::new(Meter::new(cfg).unwrap());
    let mut data = Vec::new();
    let (u, i, phi) = ([230.0, 225.0, 235.0], [5.0, 4.0, 6.0], [0.5, -0.3, 0.1]);
    for k in 0..(fs * 12.0) as usize {
        let w = 2.0 * PI * f0 * k as f64 / fs;
        let mut frame = [0.0f32; 7];
        for p in 0..3 {
            let a = w - 2.0 * PI * p as f64 / 3.0;
            frame[p] = (u[p] * 2f64.sqrt() * (a.sin() + 0.02 * (5.0 * a).sin())) as f32;
            frame[p + 3] = (i[p] * 2f64.sqrt() * (a - phi[p]).sin()) as f32;
        }
        frame[6] = -(frame[3] + frame[4] + frame[5]);
        data.extend_from_slice(&frame);
    }
    let mut cycles = Vec::new();
    meter.process_f32_block_with(&data, |o| {
        if let Output::Cycle(c, _) = o {
            cycles.push(*c);
        }
    });
    let clean: Vec<&CycleReport> = cycles.iter().filter(|c| c.flags.0 == 0).collect();
    assert!(clean.len() > 550, "{} clean cycles", clean.len());
    for c in &clean {
        assert!((c.frequency as f64 - f0).abs() < 2e-3, "f {}", c.frequency);
        for p in 0..3 {
            let urms = u[p] * (1.0 + 0.02f64 * 0.02).sqrt();
            assert!((c.u_rms[p] as f64 / urms - 1.0).abs() < 5e-4, "U{} {}", p + 1, c.u_rms[p]);
            assert!((c.i_rms[p] as f64 / i[p] - 1.0).abs() < 5e-4, "I{} {}", p + 1, c.i_rms[p]);
            let pw = u[p] * i[p] * phi[p].cos();
            assert!((c.p_active[p] as f64 / pw - 1.0).abs() < 5e-4, "P{} {}", p + 1, c.p_active[p]);
        }
    }
}
