//! Configuration in place: `Meter::UNCONFIGURED` (the zero state a firmware keeps in `.bss`)
//! does nothing with samples, `Meter::configure` gives a meter that behaves bit for bit as one
//! built by `Meter::new`, whatever ran before, and a refused configuration changes nothing.

use percycle_engine::{Config, ConfigError, Meter, Output, Topology};
use percycle_vectors::{synthesize, Recipe, Step};

/// Interleaved volts and amperes of a 3P4W vector with harmonics and a dip on L1.
fn stream(f0: f64, seconds: f64) -> Vec<f32> {
    let recipe = Recipe::new("configure", percycle_vectors::Topology::ThreePhase4W)
        .with_sample_rate(10_240.0)
        .with_frequency(f0)
        .with_duration(seconds)
        .with_load_angle(25.0)
        .with_u_harmonic(5, 5.0, 0.0)
        .with_i_harmonic(3, 20.0, 15.0)
        .with_step(Step::dip(0.5, 0.1, &[0], 0.4));
    let w = synthesize(&recipe).unwrap().waveform;
    (0..w.samples[0].len()).flat_map(|k| w.samples.iter().map(move |c| c[k] as f32)).collect()
}

/// Every output of a stream (and the end-of-stream reports, registers and counters), printed.
fn outputs(meter: &mut Meter, data: &[f32]) -> Vec<String> {
    let mut out = Vec::new();
    for block in data.chunks(97 * 7) {
        meter.process_f32_block_with(block, |o| match o {
            Output::Cycle(c, s) => out.push(format!("{c:?} {s:?}")),
            other => out.push(format!("{other:?}")),
        });
    }
    out.push(format!("{:?}", meter.finish().collect::<Vec<_>>()));
    while let Some(e) = meter.take_event() {
        out.push(format!("{e:?}"));
    }
    out.push(format!("{:?} {:?} {}", meter.energy(), meter.counters(), meter.events_dropped()));
    out
}

fn config(f0: f32) -> Config {
    Config::new(Topology::ThreePhase4W, 10_240.0, f0)
}

#[test]
fn an_unconfigured_meter_takes_samples_without_a_report_or_a_panic() {
    let mut meter: Box<Meter> = Box::new(Meter::UNCONFIGURED);
    assert_eq!(meter.channels(), 0);
    let mut seed = 0x2545_f491_u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let codes: Vec<i32> = (0..7 * 4096).map(|_| next() as i32 >> 6).collect();
    let floats: Vec<f32> = codes.iter().map(|&c| c as f32 * 1e-3).collect();
    let mut outputs = 0;
    meter.process_block_with(&codes, |_| outputs += 1);
    meter.process_f32_block_with(&floats, |_| outputs += 1);
    for frame in codes.chunks(7).take(500) {
        assert!(meter.process(frame).is_none());
    }
    for frame in floats.chunks(3).take(500) {
        assert!(meter.process_f32(frame).is_none());
    }
    assert_eq!(outputs, 0);
    assert!(meter.finish().next().is_none());
    assert!(meter.take_event().is_none());
    assert!(meter.take_snapshot().is_none());
    assert!(meter.take_frequency().is_none());
    assert!(meter.take_interval().is_none());
    assert_eq!(meter.energy().total.a_plus, 0);
    meter.reset();
    assert!(meter.process(&codes[..7]).is_none());
}

#[test]
fn configuring_in_place_equals_a_new_meter_whatever_ran_before() {
    let first = stream(60.0, 1.3);
    let second = stream(50.0, 1.6);
    let mut fresh: Box<Meter> = Box::new(Meter::new(config(50.0)).unwrap());
    let expected = outputs(&mut fresh, &second);
    assert!(expected.iter().any(|o| o.starts_with("Interval")), "no interval report");
    assert!(expected.iter().any(|o| o.starts_with("Event")), "no event report");

    // A meter that ran another stream at another frequency, cut mid-cycle and mid-event.
    let mut reused: Box<Meter> = Box::new(Meter::new(config(60.0)).unwrap());
    let cut = first.len() / 2 + 3;
    reused.process_f32_block(&first[..cut], |_| {});
    reused.configure(config(50.0)).unwrap();
    assert_eq!(outputs(&mut reused, &second), expected);

    // And the zero state, configured.
    let mut zero: Box<Meter> = Box::new(Meter::UNCONFIGURED);
    zero.configure(config(50.0)).unwrap();
    assert_eq!(outputs(&mut zero, &second), expected);
}

#[test]
fn a_refused_configuration_leaves_the_running_meter_untouched() {
    let data = stream(50.0, 1.2);
    let mut plain: Box<Meter> = Box::new(Meter::new(config(50.0)).unwrap());
    let expected = outputs(&mut plain, &data);

    let mut meter: Box<Meter> = Box::new(Meter::new(config(50.0)).unwrap());
    let cut = 7 * 5_001 + 2;
    let mut out = Vec::new();
    meter.process_f32_block_with(&data[..cut], |o| match o {
        Output::Cycle(c, s) => out.push(format!("{c:?} {s:?}")),
        other => out.push(format!("{other:?}")),
    });
    let mut bad = config(50.0);
    bad.sample_rate_hz = 100.0;
    assert!(matches!(meter.configure(bad), Err(ConfigError::OutOfRange(_))));
    // A configuration too large for the meter's ring is refused by its sizes.
    let mut small: Box<Meter<64, 1024>> = Box::new(Meter::UNCONFIGURED);
    assert!(matches!(small.configure(config(50.0)), Err(ConfigError::RingTooSmall { .. })));
    assert_eq!(small.channels(), 0);
    let rest = outputs(&mut meter, &data[cut..]);
    out.extend(rest);
    assert_eq!(out, expected);
}
