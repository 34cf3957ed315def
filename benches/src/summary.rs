//! What every implementation of the pipeline reports, and the check that two of them did the
//! same work.

use crate::signal::{CHANNELS, CHANNEL_NAMES};
use serde::Serialize;

/// Means over a stream: the figures the engine, the naive pipeline and the peers all produce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Mains cycles measured.
    pub cycles: usize,
    /// 10-cycle (2048-point) harmonic windows measured.
    pub windows: usize,
    /// Mean of the per-cycle rms, per channel (U1, U2, U3, I1, I2, I3, IN), V or A.
    pub rms_mean: [f64; CHANNELS],
    /// Mean of the per-cycle active power, per phase, W.
    pub p_mean: [f64; 3],
    /// Mean of the per-window THD (harmonic subgroups 2..=50), per channel, % of the
    /// fundamental subgroup.
    pub thd_pct_mean: [f64; CHANNELS],
}

/// Running sums behind a [`Summary`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SummaryAcc {
    cycles: usize,
    windows: usize,
    rms: [f64; CHANNELS],
    p: [f64; 3],
    thd: [f64; CHANNELS],
}

impl SummaryAcc {
    /// Add one cycle's rms per channel and active power per phase.
    #[inline]
    pub fn cycle(&mut self, rms: [f32; CHANNELS], p: [f32; 3]) {
        self.cycles += 1;
        for (s, v) in self.rms.iter_mut().zip(rms) {
            *s += v as f64;
        }
        for (s, v) in self.p.iter_mut().zip(p) {
            *s += v as f64;
        }
    }

    /// Add one window's THD per channel, %.
    #[inline]
    pub fn window(&mut self, thd_pct: [f32; CHANNELS]) {
        self.windows += 1;
        for (s, v) in self.thd.iter_mut().zip(thd_pct) {
            *s += v as f64;
        }
    }

    /// The means (zero where nothing was counted).
    pub fn finish(&self) -> Summary {
        let mean = |s: f64, n: usize| if n > 0 { s / n as f64 } else { 0.0 };
        Summary {
            cycles: self.cycles,
            windows: self.windows,
            rms_mean: self.rms.map(|s| mean(s, self.cycles)),
            p_mean: self.p.map(|s| mean(s, self.cycles)),
            thd_pct_mean: self.thd.map(|s| mean(s, self.windows)),
        }
    }
}

/// Largest allowed differences between two summaries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Mean rms, relative.
    pub rms_rel: f64,
    /// Mean THD, percentage points (or `thd_rel` of the value, whichever is larger, so that a
    /// channel with a small fundamental and a THD of 100 % and more is judged fairly).
    pub thd_pp: f64,
    /// Mean THD, relative.
    pub thd_rel: f64,
    /// Mean active power per phase, relative.
    pub p_rel: f64,
    /// Which channels to judge (indices into the frame).
    pub channels: &'static [usize],
}

/// The benches' check of the same work, on every channel: rms and P within 10⁻³ relative, THD
/// within 0.1 pp (10⁻³ relative for THDs above 100 %, the neutral's).
pub const SAME_WORK: Tolerance = Tolerance {
    rms_rel: 1e-3,
    thd_pp: 0.1,
    thd_rel: 1e-3,
    p_rel: 1e-3,
    channels: &[0, 1, 2, 3, 4, 5, 6],
};

/// Differences of `b` from `a` that exceed `tol`, one line each (empty when they agree). THD is
/// judged only when both report windows.
pub fn disagreements(a: &Summary, b: &Summary, tol: &Tolerance) -> Vec<String> {
    let mut out = Vec::new();
    for &c in tol.channels {
        let (x, y) = (a.rms_mean[c], b.rms_mean[c]);
        let rel = (y - x).abs() / x.abs().max(1e-12);
        if !within(rel, tol.rms_rel) {
            out.push(format!(
                "{} rms mean: {x:.6} vs {y:.6} (relative difference {rel:.2e} > {:.0e})",
                CHANNEL_NAMES[c], tol.rms_rel
            ));
        }
        if a.windows > 0 && b.windows > 0 {
            let (x, y) = (a.thd_pct_mean[c], b.thd_pct_mean[c]);
            let limit = tol.thd_pp.max(tol.thd_rel * x.abs());
            if !within((y - x).abs(), limit) {
                out.push(format!(
                    "{} THD mean: {x:.4} % vs {y:.4} % (difference {:.4} pp > {limit:.3} pp)",
                    CHANNEL_NAMES[c],
                    (y - x).abs()
                ));
            }
        }
    }
    for p in 0..3 {
        let (x, y) = (a.p_mean[p], b.p_mean[p]);
        let rel = (y - x).abs() / x.abs().max(1e-12);
        if !within(rel, tol.p_rel) {
            out.push(format!(
                "P{} mean: {x:.4} vs {y:.4} (relative difference {rel:.2e} > {:.0e})",
                p + 1,
                tol.p_rel
            ));
        }
    }
    out
}

/// `d ≤ limit`, false for NaN (a NaN result is a disagreement).
pub fn within(d: f64, limit: f64) -> bool {
    d <= limit
}

/// Panics, naming `what`, unless the engine's and the baseline's summaries agree within
/// [`SAME_WORK`]: without that, timing them side by side would compare different work.
pub fn assert_same_work(what: &str, engine: &Summary, baseline: &Summary) {
    let d = disagreements(engine, baseline, &SAME_WORK);
    assert!(
        d.is_empty(),
        "{what}: the engine and the baseline disagree, so they do not do the same work:\n  {}\n\
         engine:   {engine:?}\nbaseline: {baseline:?}",
        d.join("\n  ")
    );
}
