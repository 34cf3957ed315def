//! The engine's aggregation stage (IEC 61000-4-30 §4.5, §4.7) against values recomputed here
//! from the engine's own basic intervals by the rules of the standard: clock windows of the
//! anchored time, the 90 % completeness rule, rms of the held values, flags as the union, the
//! 150/180-cycle blocks restarted at each tick.

use percycle_engine::{
    AggregateKind, AggregateReport, Config, Flags, IntervalReport, Meter, Output, Topology,
};
use std::f64::consts::PI;

const FS: f64 = 10_240.0;

struct Run {
    intervals: Vec<IntervalReport>,
    aggregates: Vec<AggregateReport>,
    incomplete: u32,
}

/// `seconds` of 3P4W 50 Hz at 230 V (L1 × `l1(t)`), aggregation window `window_s`, anchor
/// `anchor_s`.
fn run(seconds: f64, window_s: f32, anchor_s: f64, l1: impl Fn(f64) -> f64) -> Run {
    let mut cfg = Config::new(Topology::ThreePhase4W, FS as f32, 50.0);
    cfg.aggregation.window_s = window_s;
    cfg.aggregation.anchor_s = anchor_s;
    let mut meter: Box<Meter> = Box::new(Meter::new(cfg).unwrap());
    let n = (seconds * FS) as usize;
    let mut r = Run { intervals: vec![], aggregates: vec![], incomplete: 0 };
    let mut block = Vec::with_capacity(7 * 4096);
    for k0 in (0..n).step_by(4096) {
        block.clear();
        for k in k0..(k0 + 4096).min(n) {
            let t = k as f64 / FS;
            for p in 0..3 {
                let a = 2.0 * PI * 50.0 * t - 2.0 * PI * p as f64 / 3.0;
                let s = if p == 0 { l1(t) } else { 1.0 };
                block.push((s * 325.27 * a.sin()) as f32);
            }
            for p in 0..3 {
                let a = 2.0 * PI * 50.0 * t - 2.0 * PI * p as f64 / 3.0;
                block.push((7.07 * a.sin()) as f32);
            }
            block.push(0.0);
        }
        meter.process_f32_block_with(&block, |o| match o {
            Output::Interval(iv) => r.intervals.push(*iv),
            Output::Aggregate(a) => r.aggregates.push(*a),
            _ => {}
        });
    }
    let _ = meter.finish();
    while let Some(a) = meter.take_aggregate() {
        r.aggregates.push(a);
    }
    r.incomplete = meter.incomplete_windows();
    r
}

fn of_kind(r: &Run, k: AggregateKind) -> Vec<AggregateReport> {
    r.aggregates.iter().filter(|a| a.kind == k).copied().collect()
}

/// rms over values.
fn rms(v: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = v.fold((0.0, 0), |(s, n), x| (s + x * x, n + 1));
    (s / n as f64).sqrt()
}

#[test]
fn ten_minute_values_are_the_rms_of_the_intervals_of_each_complete_clock_window() {
    let r = run(14.0, 6.0, 0.0, |_| 1.0);
    let ten = of_kind(&r, AggregateKind::TenMinute);
    // [0, 6) and [6, 12) are complete (≥ 27 of 30 intervals); [12, 14) is not.
    assert_eq!(ten.len(), 2, "{ten:?}");
    assert_eq!(r.incomplete, 1);
    for (k, a) in ten.iter().enumerate() {
        let (lo, hi) = (6.0 * k as f64, 6.0 * (k + 1) as f64);
        let held: Vec<&IntervalReport> = r
            .intervals
            .iter()
            .filter(|iv| (lo..hi).contains(&iv.start.seconds(FS as f32)))
            .collect();
        assert_eq!(a.values as usize, held.len());
        assert!(held.len() >= 27);
        assert_eq!((a.start_s, a.length_s, a.window), (lo, 6.0, k as u64));
        for c in 0..7 {
            let want = rms(held.iter().map(|iv| iv.rms[c] as f64));
            assert!((a.rms[c] as f64 - want).abs() <= 1e-6 * want.max(1e-3), "ch {c}");
        }
        let f = held.iter().map(|iv| iv.frequency as f64).sum::<f64>() / held.len() as f64;
        assert!((a.frequency as f64 - f).abs() < 1e-5);
        assert!((a.rms[0] - 230.0).abs() < 0.023, "U1 {}", a.rms[0]);
        assert_eq!(a.flags, held.iter().fold(Flags::empty(), |f, iv| f | iv.flags));
    }
    // One 2-h window holding both 10-min values, reported at the end of the stream.
    let two = of_kind(&r, AggregateKind::TwoHour);
    assert_eq!(two.len(), 1);
    assert_eq!((two[0].values, two[0].length_s), (2, 72.0));
    let want = rms(ten.iter().map(|a| a.rms[0] as f64));
    assert!((two[0].rms[0] as f64 - want).abs() < 1e-6 * want);
}

#[test]
fn windows_follow_the_anchored_clock() {
    // Sample 0 at clock time 3 s: windows at clock 0, 6, 12 s are at stream −3, 3, 9 s.
    let r = run(14.0, 6.0, 3.0, |_| 1.0);
    let ten = of_kind(&r, AggregateKind::TenMinute);
    let starts: Vec<f64> = ten.iter().map(|a| a.start_s).collect();
    assert_eq!(starts, [3.0], "{ten:?}");
    assert_eq!(ten[0].window, 1);
    // [−3, 3) holds 15 of 30 intervals: incomplete, as is the last one [9, 15) with 25.
    assert_eq!(r.incomplete, 2);
}

#[test]
fn three_second_blocks_restart_at_each_tick_and_the_running_one_completes() {
    // Anchor 1 s: ticks at stream 5 s and 11 s, inside running blocks.
    let r = run(15.0, 6.0, 1.0, |_| 1.0);
    let blocks = of_kind(&r, AggregateKind::ThreeSecond);
    assert!(blocks.iter().all(|b| b.values == 15));
    let starts: Vec<f64> = blocks.iter().map(|b| b.start_s).collect();
    // A block starts at the first interval, every 15 intervals after, and at the first interval
    // of each window (5 s, 11 s); the block running at a tick completes.
    let first = r.intervals[0].start.seconds(FS as f32);
    let tick = |t: f64| {
        r.intervals.iter().map(|iv| iv.start.seconds(FS as f32)).find(|&s| s >= t).unwrap()
    };
    assert!((starts[0] - first).abs() < 1e-9);
    assert!(starts.iter().any(|&s| (s - tick(5.0)).abs() < 1e-9), "{starts:?}");
    assert!(starts.iter().any(|&s| (s - tick(11.0)).abs() < 1e-9), "{starts:?}");
    // Overlap: the block running at 5 s started before it and completes after it.
    assert!(blocks.iter().any(|b| b.start_s < tick(5.0) && b.start_s + b.length_s > tick(5.0)));
}

#[test]
fn a_dip_flags_the_values_that_hold_it_and_no_other() {
    let r = run(14.0, 6.0, 0.0, |t| if (7.0..7.1).contains(&t) { 0.5 } else { 1.0 });
    let ten = of_kind(&r, AggregateKind::TenMinute);
    assert_eq!(ten.len(), 2);
    assert!(!ten[0].flags.contains(Flags::EVENT));
    assert!(ten[1].flags.contains(Flags::EVENT));
    assert!(of_kind(&r, AggregateKind::TwoHour)[0].flags.contains(Flags::EVENT));
    for b in of_kind(&r, AggregateKind::ThreeSecond) {
        let holds = b.start_s < 7.2 && b.start_s + b.length_s > 6.9;
        if !holds {
            assert!(!b.flags.contains(Flags::EVENT), "block at {} s", b.start_s);
        }
    }
}

#[test]
fn windows_shorter_than_a_block_do_not_restart_the_blocks() {
    // With 1-s windows every tick would restart the 3-s blocks and none would complete: they run
    // back to back instead, and every 10-min value of 5 intervals is complete.
    let r = run(7.0, 1.0, 0.0, |_| 1.0);
    let blocks = of_kind(&r, AggregateKind::ThreeSecond);
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert!((blocks[1].start_s - (blocks[0].start_s + blocks[0].length_s)).abs() < 1e-6);
    let ten = of_kind(&r, AggregateKind::TenMinute);
    assert!(ten.len() >= 5 && ten.iter().all(|a| a.values == 5), "{ten:?}");
}

#[test]
fn values_not_taken_on_the_per_frame_path_are_counted_when_lost() {
    let mut cfg = Config::new(Topology::SinglePhase, FS as f32, 50.0);
    cfg.aggregation.window_s = 0.2;
    let mut meter: Box<Meter> = Box::new(Meter::new(cfg).unwrap());
    for k in 0..(2.0 * FS) as usize {
        let u = (325.27 * (2.0 * PI * 50.0 * k as f64 / FS).sin()) as f32;
        meter.process_f32(&[u, 0.0]);
    }
    // About nine 10-min values and a 2-h value completed; three are kept.
    assert!(meter.aggregates_dropped() >= 5, "{}", meter.aggregates_dropped());
    let kept = std::iter::from_fn(|| meter.take_aggregate()).count();
    assert_eq!(kept, 3);
}

#[test]
fn a_ten_minute_window_of_600_s_holds_3000_intervals_and_their_rms_against_the_closed_form() {
    // Twenty minutes with the clock 1 s ahead of the stream: ticks at stream 599 s and 1199 s,
    // inside running 150/180-cycle blocks. L1 alternates between 230 V and 220.8 V every 30 s
    // (whole cycles), so any span of whole minutes has the mean square (1 + 0.96²)/2 · 230²,
    // whatever its phase; the window [599, 1199) holds 3000 intervals, ten minutes of them.
    let r = run(1200.0, 600.0, 1.0, |t| if (t / 30.0) as u64 % 2 == 0 { 1.0 } else { 0.96 });
    let ten = of_kind(&r, AggregateKind::TenMinute);
    assert_eq!(ten.len(), 2, "{ten:?}");
    let a = &ten[1];
    assert_eq!((a.start_s, a.length_s, a.window, a.values), (599.0, 600.0, 1, 3000));
    assert_eq!(a.flags, Flags::empty());
    let truth = 230.0 * ((1.0 + 0.96f64 * 0.96) / 2.0).sqrt();
    assert!((a.rms[0] as f64 - truth).abs() < 0.023, "U1 {} for {truth}", a.rms[0]);
    for c in 1..3 {
        assert!((a.rms[c] - 230.0).abs() < 0.023, "U{} {}", c + 1, a.rms[c]);
    }
    assert!((a.frequency - 50.0).abs() < 1e-4, "{}", a.frequency);
    // The first window [−1, 599) holds the 2995 intervals from the stream's start (90 %: 2700);
    // the last, [1199, 1799), is incomplete.
    assert_eq!(ten[0].values, 2995);
    assert_eq!(r.incomplete, 1);
    // At the tick a new block starts with the first interval of the window; the block running
    // across the tick completes its 15 intervals.
    let blocks = of_kind(&r, AggregateKind::ThreeSecond);
    let first = r.intervals.iter().map(|iv| iv.start.seconds(FS as f32)).find(|&s| s >= 599.0);
    assert!(blocks.iter().any(|b| Some(b.start_s) == first), "{first:?}");
    assert!(blocks.iter().any(|b| b.start_s < 599.0 && b.start_s + b.length_s > 599.0));
    assert!(blocks.iter().all(|b| b.values == 15));
}
