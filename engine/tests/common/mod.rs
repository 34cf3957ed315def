//! Closed-form test signals for the engine's tests: sums of harmonics of one fundamental, with
//! analytic rms, power and energy over any interval.
#![allow(dead_code)]

use percycle_engine::{Config, CycleReport, Meter, Topology};
use std::f64::consts::PI;

/// One sinusoidal component: `√2·rms·sin(order·θ(t) + phase)`, θ(t) = 2π·f·t.
#[derive(Clone, Copy, Debug)]
pub struct Comp {
    pub order: f64,
    pub rms: f64,
    pub phase: f64,
}

/// A channel: a sum of components.
pub type Chan = Vec<Comp>;

/// A multichannel periodic signal at fundamental `f` Hz.
#[derive(Clone, Debug)]
pub struct Signal {
    pub f: f64,
    pub chans: Vec<Chan>,
}

impl Signal {
    pub fn value(&self, c: usize, t: f64) -> f64 {
        let w = 2.0 * PI * self.f;
        self.chans[c].iter().map(|k| 2f64.sqrt() * k.rms * (k.order * w * t + k.phase).sin()).sum()
    }

    /// True rms of channel c over whole fundamental periods.
    pub fn rms(&self, c: usize) -> f64 {
        self.chans[c].iter().map(|k| k.rms * k.rms).sum::<f64>().sqrt()
    }

    /// Mean of u·i over whole periods (same-order components only).
    pub fn power(&self, cu: usize, ci: usize) -> f64 {
        let mut p = 0.0;
        for a in &self.chans[cu] {
            for b in &self.chans[ci] {
                if a.order == b.order {
                    p += a.rms * b.rms * (a.phase - b.phase).cos();
                }
            }
        }
        p
    }

    /// Fundamental reactive power Im(U1·I1*) in the sine convention used here: positive when the
    /// current's fundamental lags the voltage's.
    pub fn q_fund(&self, cu: usize, ci: usize) -> f64 {
        let f = |c: usize| self.chans[c].iter().find(|k| k.order == 1.0).copied();
        match (f(cu), f(ci)) {
            (Some(a), Some(b)) => a.rms * b.rms * (a.phase - b.phase).sin(),
            _ => 0.0,
        }
    }

    /// Exact ∫ u·i dt over [t0, t1].
    pub fn energy(&self, cu: usize, ci: usize, t0: f64, t1: f64) -> f64 {
        let w = 2.0 * PI * self.f;
        let mut e = 0.0;
        for a in &self.chans[cu] {
            for b in &self.chans[ci] {
                // 2·A·B·sin(x)sin(y) = A·B·[cos(x−y) − cos(x+y)]
                let amp = a.rms * b.rms;
                let prim = |m: f64, ph: f64, t: f64| {
                    if m == 0.0 {
                        t * ph.cos()
                    } else {
                        (m * w * t + ph).sin() / (m * w)
                    }
                };
                let d = a.order - b.order;
                let s = a.order + b.order;
                e += amp
                    * ((prim(d, a.phase - b.phase, t1) - prim(d, a.phase - b.phase, t0))
                        - (prim(s, a.phase + b.phase, t1) - prim(s, a.phase + b.phase, t0)));
            }
        }
        e
    }
}

/// Balanced three-phase (or single-phase) signal in topology channel order.
pub fn balanced(
    topology: Topology,
    f: f64,
    u_rms: f64,
    i_rms: f64,
    load_angle_deg: f64,
    u_h: &[(f64, f64)],
    i_h: &[(f64, f64)],
) -> Signal {
    let phi = load_angle_deg.to_radians();
    let phases = match topology {
        Topology::SinglePhase => 1,
        _ => 3,
    };
    let mut us = Vec::new();
    let mut is = Vec::new();
    for p in 0..phases {
        let shift = -(p as f64) * 2.0 * PI / 3.0;
        let mut u = vec![Comp { order: 1.0, rms: u_rms, phase: shift }];
        let mut i = vec![Comp { order: 1.0, rms: i_rms, phase: shift - phi }];
        for &(h, pct) in u_h {
            u.push(Comp { order: h, rms: u_rms * pct / 100.0, phase: h * shift });
        }
        for &(h, pct) in i_h {
            i.push(Comp { order: h, rms: i_rms * pct / 100.0, phase: h * (shift - phi) });
        }
        us.push(u);
        is.push(i);
    }
    let mut chans = Vec::new();
    match topology {
        Topology::SinglePhase => {
            chans.push(us[0].clone());
            chans.push(is[0].clone());
        }
        Topology::ThreePhase4W => {
            chans.extend(us.iter().cloned());
            chans.extend(is.iter().cloned());
            // IN = i1 + i2 + i3, as a sum of the components (cancelling ones included).
            chans.push(is.iter().flatten().copied().collect());
        }
        Topology::ThreePhase3W => {
            let neg = |c: &Chan| -> Chan {
                c.iter().map(|k| Comp { phase: k.phase + PI, ..*k }).collect()
            };
            let mut u12 = us[0].clone();
            u12.extend(neg(&us[1]));
            let mut u32_ = us[2].clone();
            u32_.extend(neg(&us[1]));
            chans.push(u12);
            chans.push(u32_);
            chans.push(is[0].clone());
            chans.push(is[2].clone());
        }
    }
    Signal { f, chans }
}

/// Run `n` samples of `sig` through a meter via the f32 path; returns reports and the meter.
pub fn run_f32(cfg: Config, sig: &Signal, n: usize) -> (Vec<CycleReport>, Meter) {
    let mut meter: Meter = Meter::new(cfg).expect("valid config");
    let fs = cfg.sample_rate_hz as f64;
    let nch = cfg.topology.channels();
    let mut out = Vec::new();
    let mut frame = vec![0f32; nch];
    for k in 0..n {
        let t = k as f64 / fs;
        for (c, v) in frame.iter_mut().enumerate() {
            *v = sig.value(c, t) as f32;
        }
        if let Some(r) = meter.process_f32(&frame) {
            out.push(r);
        }
    }
    out.extend(meter.finish());
    (out, meter)
}

/// ADC codes of `n` samples of `sig` for the calibration in `cfg` (interleaved).
pub fn codes(cfg: &Config, sig: &Signal, n: usize) -> Vec<i32> {
    let fs = cfg.sample_rate_hz as f64;
    let nch = cfg.topology.channels();
    let mut v = Vec::with_capacity(n * nch);
    for k in 0..n {
        let t = k as f64 / fs;
        for c in 0..nch {
            let g = cfg.calibration[c].gain as f64;
            v.push((sig.value(c, t) / g).round() as i32 + cfg.calibration[c].offset_lsb);
        }
    }
    v
}

pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}
