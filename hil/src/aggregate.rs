//! IEC 61000-4-30 aggregation of the engine's basic intervals, with flagging, and the mapping
//! into the EN 50160 evaluator's inputs.
//!
//! * 10-min values: every 10/12-cycle interval whose start lies in the clock window
//!   `[k·600 s, (k+1)·600 s)` (stream time) is aggregated by root-mean-square (rms voltage,
//!   unbalance, THD, harmonic ratios). A window is reported when it has at least 90 % of the
//!   intervals its length calls for; the incomplete window at the end of a recording is reported
//!   as well when it reaches that share, and otherwise left out and counted in
//!   [`Aggregates::incomplete_windows`].
//! * 2-h values: rms of the twelve 10-min values of each 2-h clock window (even when some are
//!   missing; `values` says how many).
//! * Flagging: a value is flagged when any interval in it carries a flag of
//!   [`Flags::UNRELIABLE`] (a dip, swell or interruption; missing or clipped samples; no locked
//!   fundamental or a frequency off the measuring range; settling), so flagged values and every
//!   aggregate containing them are excluded from the EN 50160 statistics.
//! * 10-s frequency values come from the engine ([`FrequencyReport`]) and are flagged the same way.
//!
//! The window length is a parameter (600 s by default) so that a short synthetic recording can
//! stand for a week.

use crate::en50160::{EventKind, TenMinuteValue, TenSecondFrequency, VoltageEvent as EnEvent};
use percycle_engine::{
    EventKind as EngineKind, Flags, FrequencyReport, IntervalReport, Topology, VoltageEvent,
};
use serde::Serialize;

/// One aggregated value over a clock window.
#[derive(Clone, Debug, Serialize)]
pub struct Aggregate {
    /// Window start, s of stream time.
    pub start_s: f64,
    /// Window length, s.
    pub length_s: f64,
    /// Basic intervals (or 10-min values, for 2-h) aggregated.
    pub values: usize,
    /// Contains a dip, swell or interruption.
    pub flagged: bool,
    /// Mean frequency of the basic intervals, Hz.
    pub frequency_hz: f64,
    /// rms voltage per phase, V.
    pub u_rms: Vec<f64>,
    /// rms current per phase, A.
    pub i_rms: Vec<f64>,
    /// Voltage unbalance u2, % (3P4W).
    pub u2_pct: f64,
    /// Zero-sequence voltage unbalance u0, % (3P4W).
    pub u0_pct: f64,
    /// Voltage THD per phase, orders 2..=40 (subgroups), %.
    pub thd40_pct: Vec<f64>,
    /// Voltage harmonic subgroups per phase in % of the fundamental, orders 0..=25.
    pub harmonics_pct: Vec<Vec<f64>>,
}

/// The aggregates of a recording.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Aggregates {
    /// 150/180-cycle values (15 basic intervals, about 3 s), restarted at each 10-min tick.
    pub three_s: Vec<Aggregate>,
    /// 10-min values (or the configured window).
    pub ten_min: Vec<Aggregate>,
    /// 2-h values (twelve windows).
    pub two_hour: Vec<Aggregate>,
    /// Windows left out for having fewer than 90 % of their intervals.
    pub incomplete_windows: usize,
}

fn phases(t: Topology) -> (Vec<usize>, Vec<usize>) {
    match t {
        Topology::SinglePhase => (vec![0], vec![1]),
        Topology::ThreePhase4W => (vec![0, 1, 2], vec![3, 4, 5]),
        Topology::ThreePhase3W => (vec![0, 1], vec![2, 3]),
    }
}

/// Root-mean-square of an iterator (0 when empty).
fn rms(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for v in values {
        s += v * v;
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        (s / n as f64).sqrt()
    }
}

fn combine(start_s: f64, length_s: f64, parts: &[&Aggregate]) -> Aggregate {
    let n_u = parts.first().map_or(0, |p| p.u_rms.len());
    let n_i = parts.first().map_or(0, |p| p.i_rms.len());
    let per = |f: &dyn Fn(&Aggregate) -> f64| rms(parts.iter().map(|p| f(p)));
    Aggregate {
        start_s,
        length_s,
        values: parts.len(),
        flagged: parts.iter().any(|p| p.flagged),
        frequency_hz: parts.iter().map(|p| p.frequency_hz).sum::<f64>() / parts.len().max(1) as f64,
        u_rms: (0..n_u).map(|k| per(&|p| p.u_rms[k])).collect(),
        i_rms: (0..n_i).map(|k| per(&|p| p.i_rms[k])).collect(),
        u2_pct: per(&|p| p.u2_pct),
        u0_pct: per(&|p| p.u0_pct),
        thd40_pct: (0..n_u).map(|k| per(&|p| p.thd40_pct[k])).collect(),
        harmonics_pct: (0..n_u)
            .map(|k| (0..=25).map(|h| per(&|p| p.harmonics_pct[k][h])).collect())
            .collect(),
    }
}

/// Aggregate basic intervals into clock windows of `window_s` (600 s for 10-min values) and
/// those into 2-h values (12 windows).
pub fn aggregate(
    intervals: &[IntervalReport],
    topology: Topology,
    fs: f32,
    nominal_hz: f32,
    window_s: f64,
) -> Aggregates {
    let (u, i) = phases(topology);
    // Each basic interval as a one-value aggregate.
    let basic: Vec<Aggregate> = intervals
        .iter()
        .map(|iv| Aggregate {
            start_s: iv.start.seconds(fs),
            length_s: iv.duration_samples as f64 / fs as f64,
            values: 1,
            flagged: iv.flags.intersects(Flags::UNRELIABLE),
            frequency_hz: iv.frequency as f64,
            u_rms: u.iter().map(|&c| iv.rms[c] as f64).collect(),
            i_rms: i.iter().map(|&c| iv.rms[c] as f64).collect(),
            u2_pct: iv.u2_pct as f64,
            u0_pct: iv.u0_pct as f64,
            thd40_pct: u.iter().map(|&c| iv.thds40_pct[c] as f64).collect(),
            harmonics_pct: u
                .iter()
                .map(|&c| {
                    let g = &iv.subgroups[c];
                    (0..=25)
                        .map(|h| if g[1] > 0.0 { 100.0 * g[h] as f64 / g[1] as f64 } else { 0.0 })
                        .collect()
                })
                .collect(),
        })
        .collect();
    // Basic intervals a full window holds at the nominal frequency: 3000 per 10 min (10 cycles
    // of 20 ms, or 12 of 16.7 ms).
    let interval_s = (0.2 * nominal_hz as f64).round().max(1.0) / nominal_hz as f64;
    let expected = (window_s / interval_s).max(1.0);
    let mut out = Aggregates { three_s: three_second(&basic, window_s), ..Aggregates::default() };
    let mut k = 0;
    while k < basic.len() {
        let w = (basic[k].start_s / window_s).floor();
        let parts: Vec<&Aggregate> =
            basic[k..].iter().take_while(|b| (b.start_s / window_s).floor() == w).collect();
        k += parts.len();
        if parts.len() as f64 >= 0.9 * expected {
            out.ten_min.push(combine(w * window_s, window_s, &parts));
        } else {
            out.incomplete_windows += 1;
        }
    }
    let two_h = 12.0 * window_s;
    let mut k = 0;
    while k < out.ten_min.len() {
        let w = (out.ten_min[k].start_s / two_h).floor();
        let parts: Vec<&Aggregate> =
            out.ten_min[k..].iter().take_while(|b| (b.start_s / two_h).floor() == w).collect();
        k += parts.len();
        let agg = combine(w * two_h, two_h, &parts);
        out.two_hour.push(agg);
    }
    out
}

/// 150/180-cycle values: blocks of 15 consecutive basic intervals. At each 10-min tick (the
/// first interval starting in a new window) a new block starts; a block already running
/// completes its 15 intervals, so consecutive blocks overlap there (IEC 61000-4-30
/// resynchronisation). A block still incomplete at the end of the recording is left out.
fn three_second(basic: &[Aggregate], window_s: f64) -> Vec<Aggregate> {
    const BLOCK: usize = 15;
    let mut done = Vec::new();
    let mut open: Vec<Vec<&Aggregate>> = Vec::new();
    let mut tick = None;
    for b in basic {
        let w = (b.start_s / window_s).floor();
        let new_tick = tick.is_some_and(|t| t != w);
        tick = Some(w);
        if open.is_empty() || new_tick {
            open.push(Vec::with_capacity(BLOCK));
        }
        for block in &mut open {
            block.push(b);
        }
        open.retain(|block| {
            if block.len() == BLOCK {
                let len: f64 = block.iter().map(|p| p.length_s).sum();
                done.push(combine(block[0].start_s, len, block));
                false
            } else {
                true
            }
        });
    }
    done
}

/// The evaluator's 10-min inputs.
pub fn ten_minute_values(a: &Aggregates) -> Vec<TenMinuteValue> {
    a.ten_min
        .iter()
        .map(|v| TenMinuteValue {
            start_s: v.start_s,
            flagged: v.flagged,
            u_rms_v: v.u_rms.clone(),
            u2_unbalance_pct: (v.u_rms.len() == 3).then_some(v.u2_pct),
            thd_pct: v.thd40_pct.clone(),
            harmonics_pct: v.harmonics_pct.clone(),
        })
        .collect()
}

/// The evaluator's 10-s frequency inputs.
pub fn frequency_values(f: &[FrequencyReport]) -> Vec<TenSecondFrequency> {
    f.iter()
        .map(|r| TenSecondFrequency {
            start_s: 10.0 * r.interval as f64,
            frequency_hz: r.frequency as f64,
            flagged: r.flags.intersects(Flags::UNRELIABLE),
        })
        .collect()
}

/// The evaluator's events, with the extreme in % of the event's reference voltage (the declared
/// voltage, or the sliding reference when the engine uses one), as the engine classifies them.
pub fn events(e: &[VoltageEvent], fs: f32) -> Vec<EnEvent> {
    e.iter()
        .filter_map(|v| {
            let kind = match v.kind {
                EngineKind::Dip => EventKind::Dip,
                EngineKind::Swell => EventKind::Swell,
                EngineKind::Interruption => EventKind::Interruption,
                EngineKind::Rvc => EventKind::Rvc,
                _ => return None,
            };
            Some((kind, v))
        })
        .map(|(kind, v)| EnEvent {
            kind,
            start_s: v.start.seconds(fs),
            duration_s: v.duration_s(fs),
            extreme_pct: v.extreme_pct() as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(n: usize, flagged_at: Option<usize>) -> Vec<Aggregate> {
        (0..n)
            .map(|k| Aggregate {
                start_s: 0.2 * k as f64,
                length_s: 0.2,
                values: 1,
                flagged: flagged_at == Some(k),
                frequency_hz: 50.0,
                u_rms: vec![230.0 + (k % 2) as f64],
                i_rms: vec![5.0],
                u2_pct: 0.0,
                u0_pct: 0.0,
                thd40_pct: vec![1.0],
                harmonics_pct: vec![vec![0.0; 26]],
            })
            .collect()
    }

    #[test]
    fn three_second_blocks_restart_at_each_tick_and_overlap_the_running_one() {
        // Ticks every 4 s (20 intervals): blocks start at 0 s, 3 s (after the first 15
        // intervals), 4 s (tick; the 3-s block runs on to 6 s), 7 s, 8 s, ...
        let b = basic(60, None);
        let blocks = three_second(&b, 4.0);
        let starts: Vec<f64> = blocks.iter().map(|a| (a.start_s * 10.0).round() / 10.0).collect();
        assert_eq!(starts, [0.0, 3.0, 4.0, 7.0, 8.0]);
        assert!(blocks.iter().all(|a| a.values == 15 && (a.length_s - 3.0).abs() < 1e-9));
        // rms of alternating 230 / 231 V over 15 values (8 of one, 7 of the other).
        let rms = ((8.0 * 230.0f64.powi(2) + 7.0 * 231.0f64.powi(2)) / 15.0).sqrt();
        assert!((blocks[0].u_rms[0] - rms).abs() < 1e-9);
    }

    #[test]
    fn a_flagged_interval_flags_every_aggregate_that_contains_it() {
        let b = basic(3000 * 2, Some(3100));
        let three = three_second(&b, 600.0);
        let flagged: Vec<usize> =
            three.iter().enumerate().filter(|(_, a)| a.flagged).map(|(k, _)| k).collect();
        assert_eq!(flagged, [206]);
        let mut out = Aggregates::default();
        // Two 10-min windows of 3000 intervals; the second holds interval 3100.
        let mut k = 0;
        while k < b.len() {
            let parts: Vec<&Aggregate> = b[k..k + 3000].iter().collect();
            out.ten_min.push(combine(b[k].start_s, 600.0, &parts));
            k += 3000;
        }
        assert_eq!(out.ten_min.iter().map(|a| a.flagged).collect::<Vec<_>>(), [false, true]);
        let two_h = combine(0.0, 7200.0, &out.ten_min.iter().collect::<Vec<_>>());
        assert!(two_h.flagged);
    }
}
