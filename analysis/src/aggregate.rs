//! The engine's IEC 61000-4-30 aggregated values (`percycle_engine::AggregateReport`: 150/180
//! cycles, 10 min, 2 h, computed in the engine so that a meter has the same values) by phase,
//! and their mapping into the EN 50160 evaluator's inputs.
//!
//! A value counts as flagged when it carries a flag of [`Flags::UNRELIABLE`] (a dip, swell or
//! interruption; missing or clipped samples; no locked fundamental or a frequency off the
//! measuring range; settling): the engine gives every aggregate the union of the flags of what
//! it holds, so flagged values and every aggregate containing them are left out of the EN 50160
//! statistics. 10-s frequency values come from the engine ([`FrequencyReport`]) and are flagged
//! the same way.

use crate::en50160::{EventKind, TenMinuteValue, TenSecondFrequency, VoltageEvent as EnEvent};
use percycle_engine::{
    AggregateKind, AggregateReport, Config, EventKind as EngineKind, Flags, FrequencyReport,
    Topology, VoltageEvent,
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
    /// Voltage harmonic subgroups per phase in % of the fundamental, orders 0..=25 up to the
    /// configuration's top order (the rows are shorter when it is below 25).
    pub harmonics_pct: Vec<Vec<f64>>,
    /// The highest harmonic order measured ([`percycle_engine::Config::max_order`]); THD covers
    /// orders 2 up to it (at most 40).
    pub top_order: usize,
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

impl Aggregate {
    /// The engine's value with its channels by phase: voltages and currents of the topology,
    /// and the voltage phase slots' THD and harmonic ratios up to the configuration's top order.
    pub fn of(r: &AggregateReport, config: &Config) -> Self {
        let topology = config.topology;
        let top = config.max_order();
        let (u, i) = phases(topology);
        let slots: Vec<usize> = topology_slots(topology);
        Self {
            start_s: r.start_s,
            length_s: r.length_s,
            values: r.values as usize,
            flagged: r.flags.intersects(Flags::UNRELIABLE),
            frequency_hz: r.frequency as f64,
            u_rms: u.iter().map(|&c| r.rms[c] as f64).collect(),
            i_rms: i.iter().map(|&c| r.rms[c] as f64).collect(),
            u2_pct: r.u2_pct as f64,
            u0_pct: r.u0_pct as f64,
            thd40_pct: slots.iter().map(|&p| r.thd40_pct[p] as f64).collect(),
            harmonics_pct: slots
                .iter()
                .map(|&p| r.harmonics_pct[p].iter().take(top + 1).map(|&x| x as f64).collect())
                .collect(),
            top_order: top,
        }
    }
}

/// Phase slots of the voltage channels (3P3W: U12 in slot 0, U32 in slot 2).
fn topology_slots(t: Topology) -> Vec<usize> {
    match t {
        Topology::SinglePhase => vec![0],
        Topology::ThreePhase4W => vec![0, 1, 2],
        Topology::ThreePhase3W => vec![0, 2],
    }
}

impl Aggregates {
    /// The engine's aggregated values (`Output::Aggregate`, in the order they completed),
    /// sorted by kind, and its count of incomplete windows.
    pub fn of(reports: &[AggregateReport], config: &Config, incomplete_windows: u32) -> Self {
        let pick = |k: AggregateKind| {
            reports.iter().filter(|r| r.kind == k).map(|r| Aggregate::of(r, config)).collect()
        };
        Self {
            three_s: pick(AggregateKind::ThreeSecond),
            ten_min: pick(AggregateKind::TenMinute),
            two_hour: pick(AggregateKind::TwoHour),
            incomplete_windows: incomplete_windows as usize,
        }
    }
}

/// The evaluator's input of one 10-min value. THD goes to the evaluator only when the top order
/// reaches 40 (EN 50160's range): with fewer orders it is not evaluated, nor are the harmonic
/// orders above the top order.
pub fn ten_minute_value(v: &Aggregate) -> TenMinuteValue {
    TenMinuteValue {
        start_s: v.start_s,
        flagged: v.flagged,
        u_rms_v: v.u_rms.clone(),
        u2_unbalance_pct: (v.u_rms.len() == 3).then_some(v.u2_pct),
        thd_pct: if v.top_order >= 40 { v.thd40_pct.clone() } else { Vec::new() },
        harmonics_pct: v.harmonics_pct.clone(),
    }
}

/// The evaluator's 10-min inputs.
pub fn ten_minute_values(a: &Aggregates) -> Vec<TenMinuteValue> {
    a.ten_min.iter().map(ten_minute_value).collect()
}

/// The evaluator's input of one 10-s frequency value.
pub fn frequency_value(r: &FrequencyReport) -> TenSecondFrequency {
    TenSecondFrequency {
        start_s: 10.0 * r.interval as f64,
        frequency_hz: r.frequency as f64,
        flagged: r.flags.intersects(Flags::UNRELIABLE),
    }
}

/// The evaluator's 10-s frequency inputs.
pub fn frequency_values(f: &[FrequencyReport]) -> Vec<TenSecondFrequency> {
    f.iter().map(frequency_value).collect()
}

/// The evaluator's input of one event: dips, swells, interruptions and RVCs, with the extreme
/// in % of the event's reference voltage (the declared voltage, or the sliding reference when
/// the engine uses one), as the engine classifies them; `None` for the other kinds.
pub fn event(v: &VoltageEvent, fs: f32) -> Option<EnEvent> {
    let kind = match v.kind {
        EngineKind::Dip => EventKind::Dip,
        EngineKind::Swell => EventKind::Swell,
        EngineKind::Interruption => EventKind::Interruption,
        EngineKind::Rvc => EventKind::Rvc,
        _ => return None,
    };
    Some(EnEvent {
        kind,
        start_s: v.start.seconds(fs),
        duration_s: v.duration_s(fs),
        extreme_pct: v.extreme_pct() as f64,
    })
}

/// The evaluator's events (see [`event`]).
pub fn events(e: &[VoltageEvent], fs: f32) -> Vec<EnEvent> {
    e.iter().filter_map(|v| event(v, fs)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_order_40_thd_and_the_absent_orders_go_unevaluated() {
        let report = AggregateReport::ZERO;
        for (fs, top, thd) in [(1200.0, 10, false), (4000.0, 34, false), (10_240.0, 50, true)] {
            let cfg = Config::new(Topology::ThreePhase4W, fs, 50.0);
            let v = ten_minute_value(&Aggregate::of(&report, &cfg));
            assert_eq!(v.thd_pct.len(), if thd { 3 } else { 0 }, "{fs}");
            // Orders 0..=min(25, top): the evaluator has no value above the top order.
            assert!(v.harmonics_pct.iter().all(|row| row.len() == top.min(25) + 1), "{fs}");
        }
    }
}
