//! The analysis switches: harmonics and power quality can be turned off, they then produce
//! nothing, and the per-cycle core (rms, powers, phasors, energy registers) is bit for bit the
//! same with and without them.

use percycle_engine::{
    Analysis, Config, CycleReport, CycleSpectrum, EnergyRegisters, Flags, IntervalReport, Meter,
    Output, Topology,
};
use percycle_vectors::{synthesize, Recipe, Step};

/// Everything one stream produced.
#[derive(Default)]
struct Run {
    cycles: Vec<CycleReport>,
    spectra: Vec<CycleSpectrum>,
    intervals: usize,
    interval_reports: Vec<IntervalReport>,
    events: usize,
    frequencies: usize,
    snapshots: usize,
    energy: EnergyRegisters,
    dips: u32,
}

/// 3P4W at 10.24 kHz with harmonics and a 100 ms dip to 50 % on L1, blocks of 64 frames.
fn run(analysis: Analysis, sliding_reference: bool) -> Run {
    let recipe = Recipe::new("switches", percycle_vectors::Topology::ThreePhase4W)
        .with_sample_rate(10_240.0)
        .with_duration(1.5)
        .with_load_angle(30.0)
        .with_u_harmonic(5, 6.0, 0.0)
        .with_i_harmonic(3, 30.0, 10.0)
        .with_step(Step::dip(0.6, 0.1, &[0], 0.5));
    let v = synthesize(&recipe).unwrap();
    let w = &v.waveform;
    let mut cfg = Config::new(Topology::ThreePhase4W, 10_240.0, 50.0);
    cfg.analysis = analysis;
    cfg.events.sliding_reference = sliding_reference;
    let mut meter: Box<Meter> = Box::new(Meter::new(cfg).unwrap());
    let data: Vec<f32> =
        (0..w.samples[0].len()).flat_map(|k| w.samples.iter().map(move |c| c[k] as f32)).collect();
    let mut r = Run::default();
    for block in data.chunks(64 * 7) {
        meter.process_f32_block_with(block, |o| match o {
            Output::Cycle(c, s) => {
                r.cycles.push(*c);
                r.spectra.push(*s);
            }
            Output::Interval(iv) => {
                r.intervals += 1;
                r.interval_reports.push(*iv);
            }
            Output::Event(_) => r.events += 1,
            Output::Frequency(_) => r.frequencies += 1,
            Output::Snapshot(_) => r.snapshots += 1,
            _ => {}
        });
    }
    r.cycles.extend(meter.finish());
    while meter.take_event().is_some() {
        r.events += 1;
    }
    r.energy = *meter.energy();
    r.dips = meter.counters().dips.iter().flatten().sum();
    r
}

const ALL: Analysis = Analysis { harmonics: true, power_quality: true, cycle_spectra: true };
const CORE: Analysis = Analysis { harmonics: false, power_quality: false, cycle_spectra: false };

/// The core numbers of a cycle report as bits (the flags without EVENT, which power quality sets).
fn core_bits(r: &CycleReport) -> Vec<u32> {
    let mut v = vec![r.index as u32, (r.index >> 32) as u32, r.start.sample as u32];
    let mut f = vec![r.start.frac, r.duration_samples, r.frequency];
    for a in [r.u_rms, r.u_ll_rms, r.i_rms, r.p_active, r.q_reactive, r.s_apparent, r.power_factor]
    {
        f.extend(a);
    }
    f.extend([r.in_rms, r.in_computed_rms, r.p_total, r.q_total, r.s_total, r.pf_total]);
    for p in r.u_fund.iter().chain(&r.i_fund) {
        f.extend([p.re, p.im]);
    }
    f.extend(r.dc);
    v.extend(f.iter().map(|x| x.to_bits()));
    v.push((r.flags.0 & !Flags::EVENT.0) as u32);
    v
}

#[test]
fn core_numbers_and_energy_are_bit_identical_whatever_the_switches() {
    let all = run(ALL, false);
    assert!(all.cycles.len() >= 70);
    for analysis in [
        CORE,
        Analysis { harmonics: true, power_quality: false, cycle_spectra: true },
        Analysis { harmonics: false, power_quality: true, cycle_spectra: false },
        Analysis { harmonics: true, power_quality: true, cycle_spectra: false },
    ] {
        let other = run(analysis, false);
        assert_eq!(other.cycles.len(), all.cycles.len(), "{analysis:?}");
        for (a, b) in all.cycles.iter().zip(&other.cycles) {
            assert_eq!(core_bits(a), core_bits(b), "{analysis:?}: cycle {}", a.index);
        }
        assert_eq!(other.energy, all.energy, "{analysis:?}: energy registers");
    }
}

#[test]
fn harmonics_off_leaves_the_spectrum_zero_and_produces_no_interval() {
    let on = run(ALL, false);
    assert!(on.intervals >= 6);
    assert!(on.cycles.iter().skip(5).all(|c| c.thd_pct[0] > 1.0 && c.thd_pct[3] > 10.0));

    let off = run(Analysis { harmonics: false, power_quality: true, cycle_spectra: false }, false);
    assert_eq!(off.intervals, 0);
    assert!(off.cycles.iter().all(|c| c.thd_pct == [0.0; 7]));
    assert!(off.spectra.iter().all(|s| *s == CycleSpectrum::default()));
    // Power quality is untouched.
    assert_eq!(off.events, on.events);
    assert_eq!(off.snapshots, on.snapshots);
    for (a, b) in on.cycles.iter().zip(&off.cycles) {
        assert_eq!(a.u_rms_half, b.u_rms_half);
        assert_eq!(a.flags, b.flags);
    }
}

#[test]
fn per_cycle_spectra_off_leaves_them_zero_and_the_intervals_bit_identical() {
    let on = run(ALL, false);
    let off = run(Analysis { cycle_spectra: false, ..ALL }, false);
    assert!(on.intervals >= 6);
    assert!(on.cycles.iter().skip(5).all(|c| c.thd_pct[0] > 1.0));
    assert!(off.cycles.iter().all(|c| c.thd_pct == [0.0; 7]));
    assert!(off.spectra.iter().all(|s| *s == CycleSpectrum::default()));
    assert_eq!(off.interval_reports.len(), on.interval_reports.len());
    for (a, b) in on.interval_reports.iter().zip(&off.interval_reports) {
        let bits = |r: &IntervalReport| {
            let mut v: Vec<u32> = r.subgroups.iter().flatten().map(|x| x.to_bits()).collect();
            v.extend(r.interharmonic_subgroups.iter().flatten().map(|x| x.to_bits()));
            v.extend(r.thds_pct.iter().map(|x| x.to_bits()));
            v
        };
        assert!(a.subgroups[0][5] > 1.0, "interval {}: no 5th harmonic", a.index);
        assert_eq!(bits(a), bits(b), "interval {}", a.index);
    }
    assert_eq!(off.events, on.events);
}

#[test]
fn harmonics_off_still_feeds_the_sliding_reference_of_the_event_detectors() {
    let on = run(ALL, true);
    let off = run(Analysis { harmonics: false, power_quality: true, cycle_spectra: false }, true);
    assert!(on.events > 0);
    assert_eq!(off.events, on.events);
    assert_eq!(off.dips, on.dips);
    for (a, b) in on.cycles.iter().zip(&off.cycles) {
        assert_eq!(a.u_rms_half, b.u_rms_half);
    }
}

#[test]
fn power_quality_off_produces_no_event_frequency_snapshot_or_half_cycle_rms() {
    let on = run(ALL, false);
    assert!(on.events > 0 && on.snapshots > 0 && on.frequencies == 0 && on.dips == 1);
    assert!(on.cycles.iter().any(|c| c.flags.contains(Flags::EVENT)));
    assert!(on.cycles.iter().skip(3).all(|c| c.u_rms_half[1][0] > 100.0));

    let off = run(Analysis { harmonics: true, power_quality: false, cycle_spectra: true }, false);
    assert_eq!((off.events, off.snapshots, off.frequencies, off.dips), (0, 0, 0, 0));
    assert!(off.cycles.iter().all(|c| c.u_rms_half == [[0.0; 3]; 2]));
    assert!(off.cycles.iter().all(|c| !c.flags.contains(Flags::EVENT)));
    // Harmonics are untouched.
    assert_eq!(off.intervals, on.intervals);
    for (a, b) in on.spectra.iter().zip(&off.spectra) {
        assert_eq!(a, b);
    }
}

#[test]
fn power_quality_off_produces_no_ten_second_frequency() {
    let cfg = |analysis| {
        let mut cfg = Config::new(Topology::SinglePhase, 4_000.0, 50.0);
        cfg.analysis = analysis;
        cfg
    };
    let count = |analysis| {
        let mut meter: Meter = Meter::new(cfg(analysis)).unwrap();
        let mut n = 0;
        let data: Vec<f32> = (0..4_000 * 21)
            .flat_map(|k| {
                let x = (2.0 * std::f64::consts::PI * 50.0 * k as f64 / 4_000.0).sin();
                [(325.0 * x) as f32, (7.0 * x) as f32]
            })
            .collect();
        meter.process_f32_block_with(&data, |o| {
            if let Output::Frequency(_) = o {
                n += 1
            }
        });
        n
    };
    assert_eq!(count(ALL), 2);
    assert_eq!(count(Analysis { harmonics: true, power_quality: false, cycle_spectra: true }), 0);
}
