//! The hostile suite: input a meter must measure right or flag, with truth derived in closed form
//! from each recipe, never from an analyzer's output.
//!
//! "Right or flagged": a value may be wrong only when a flag says so. These cases feed the
//! engine what a real front end delivers on a bad day (a record starting anywhere in the cycle,
//! a supply far off nominal, noise, DC or nothing at all, missing samples, a spike, a saturated
//! ADC, dips right next to the EN 50160 grid edges) and say, per case, which events must appear
//! and which cycles must carry which flags ([`HostileTruth`]).
//!
//! # ADC and files
//!
//! Every case is quantised by a 24-bit ADC ([`ADC_BITS`]) with a voltage full scale of
//! [`U_FULL_SCALE_V`] (400 V) and a current full scale of [`I_FULL_SCALE_A`] (10 A), except
//! `noise_only` (2000 V, so that 230 V rms of Gaussian noise stays 8.7 σ from the rails) and
//! `clipping_300ms` (330 V, just above the 325.3 V peak of 230 V). A sample beyond full scale is
//! stored as the rail code ([`crate::quantise`]), which only a format that carries the full scale
//! (WAV with its sidecar) lets a reader recognise. Missing samples are NaN in the waveform and
//! [`crate::MISSING_CODE`] in the codes; WAV `i16`/`i24` cannot carry them and are refused for
//! the gap cases (see [`crate::formats`]). [`write_hostile_vector`] writes the waveform,
//! `<name>.truth.json` (the per-cycle truth of the continuous, noise-free model, as for every
//! suite), `<name>.recipe.json` and `<name>.hostile.json` ([`HostileTruth`]).
//!
//! # Truth
//!
//! * Events: the dips, swells and interruptions of [`expected_events`] (Class A stamps), none
//!   when the supply is unlocked.
//! * Flag spans: `invalid_input` over the samples of every [`crate::Gap`]; `clipped` over every
//!   sample that reaches a rail, which for the noise-free model is known in closed form: a channel
//!   between step edges is `a·sin(2π(f0·t + c0)) + d`, and it reaches the rail where
//!   `|x| ≥ L = full_scale·(1 − 0.5/(2^(bits−1) − 1))`, i.e. `sin ψ ≥ (L − d)/a` or
//!   `sin ψ ≤ (−L − d)/a`, intervals bounded by `asin` ([`rail_samples`]); plus every spike
//!   whose value is beyond `L`. A gap wins over a clipped sample (the sample is missing).
//! * Unlocked: from the instant the fundamental leaves the measuring range of its nominal
//!   frequency (42.5–57.5 Hz at 50 Hz, 51–69 Hz at 60 Hz, IEC 61000-4-30; [`measuring_range_hz`]),
//!   or from the start when no phase has a fundamental (noise, DC, silence).
//! * Condition events (missing phase, broken neutral, phase sequence) are forbidden unless a
//!   phase goes below [`MISSING_PHASE_PCT`] of the declared voltage, where a missing phase is a
//!   right answer.
//!
//! # Cases
//!
//! Three-phase four-wire, 230 V, 5 A at PF 1, 10.24 kHz, 50 Hz unless stated. Dips are on L1,
//! start [`LEAD_S`] (0.2 s) in and the record ends [`TAIL_S`] (0.2 s) after them. `T` = 20 ms.
//!
//! | case | signal | truth |
//! |---|---|---|
//! | `start_phase_000deg` … `start_phase_330deg` | clean, U1 starting at 0°, 30°, …, 330°, 0.5 s | no event, no flag once settled |
//! | `dip60_onset{0,45,90}deg` | L1 × 0.6 for 150 ms, onset 0°, 45°, 90° of L1, 0.6 s | one dip, 60 %, C1 |
//! | `supply_30hz`, `supply_70hz` | 30 Hz and 70 Hz on a 50 Hz meter, 0.6 s | unlocked from 0, no event |
//! | `noise_only` | white Gaussian noise, 230 V rms, no mains, no current, 0.6 s | unlocked from 0, no event |
//! | `dc_only` | 325 V DC on every phase, no current, 0.6 s | unlocked from 0, no event |
//! | `silence` | every channel 0, 0.6 s | unlocked from 0, no event |
//! | `nan_run_100` | 100 missing samples from sample 6000 (0.586 s), 0.8 s | `invalid_input` on the cycle holding them, no event |
//! | `nan_run_at_boundary` | 100 missing samples from the rising L1 crossing at 0.5 s, 0.8 s | `invalid_input` on the cycles holding them, no event |
//! | `spike_5kv` | one 5000 V sample on U1 at 0.505 s (stored as the 400 V rail), 0.8 s | `clipped` on that cycle and on the one before (the spike lies within the tracker's reach of their boundary), no event |
//! | `clipping_300ms` | L1 × 1.025 (peak 333.4 V) for 300 ms on a 330 V ADC, 1 s | `clipped` on the cycles holding rail samples and on the cycle on either side (the first and last rail samples lie within the tracker's reach of the boundaries around them), no event |
//! | `dip_cell_edge_u90p5` | L1 at 90.5 % for 100 ms | no event |
//! | `dip_cell_edge_u89p5`, `_u80p5` | L1 at 89.5 %, 80.5 % for 100 ms | dip, A1 |
//! | `dip_cell_edge_u79p5`, `_u70p5` | L1 at 79.5 %, 70.5 % for 100 ms | dip, B1 |
//! | `dip_cell_edge_u69p5`, `_u40p5` | L1 at 69.5 %, 40.5 % for 100 ms | dip, C1 |
//! | `dip_cell_edge_u39p5`, `_u5p5` | L1 at 39.5 %, 5.5 % for 100 ms | dip, D1 |
//! | `dip_cell_edge_u4p5` | L1 at 4.5 % for 100 ms | dip, X1 |
//! | `dip_cell_edge_200ms_in`, `_out` | L1 × 0.6 for 180 ms, 210 ms | dip, C1, C2 |
//! | `dip_cell_edge_500ms_in`, `_out` | L1 × 0.6 for 480 ms, 510 ms | dip, C2, C3 |
//! | `dip_cell_edge_1s_in`, `_out` | L1 × 0.6 for 980 ms, 1010 ms | dip, C3, C4 |
//! | `dip_cell_edge_5s_in`, `_out` | L1 × 0.6 for 4980 ms, 5010 ms (records of 5.4 s, 5.5 s) | dip, C4, C5 |
//!
//! ## Dip grid edges
//!
//! Residuals sit 0.5 % (of the declared voltage) on either side of each row edge (90, 80, 70,
//! 40, 5 %), with a 100 ms step, far inside column 1.
//!
//! Durations are designed on the Class A half-cycle lattice (standards.md §2.2, "Event time
//! stamps"): Event IN is the start of the first Urms(1/2) window (one cycle, refreshed every half
//! cycle, on the rising and falling crossings of L1) below 90 %, Event OUT the start of the first
//! window at or above 92 % on every phase. A step to 60 % that starts at a rising crossing and
//! lasts a whole number `D` of half cycles is seen by the window that starts half a cycle before
//! it (half of it at 60 % gives 82.5 %), and ends with the first window entirely after it: its
//! Class A duration is `D + T/2`. The steps are `D = E − T` (inside column edge `E`: duration
//! `E − T/2`) and `D = E + T/2` (outside: duration `E + T`), so the true duration is at least
//! half a cycle from the edge on the intended side. A detector that stamps the step edges
//! themselves measures `D`, which lands on the same side (one cycle, and half a cycle, from the
//! edge).
//!
//! Not covered: the 10 ms lower edge of column 1 (Class A durations at 50 Hz are whole half
//! cycles, 10 ms, so nothing lies between no event and the edge itself, and a one-half-cycle dip
//! is never seen at its true residual), and the 60 s upper edge of column 5 (records of more than
//! 6 s are kept out of this suite). The 5 s edge needs records of 5.4 s and 5.5 s; every other
//! case is at most 1.5 s, and the suite holds about 36 s of signal. Records of dip cases are
//! rounded up to a multiple of 0.1 s.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::formats::{self, FormatError};
use crate::pq_suite::{expected_events, phase_level_pct, ExpectedEvent, DECLARED_VOLTAGE_V};
use crate::suites::{write_vector, FileKind};
use crate::synth::{max_code, ChannelKind, Gap, Quantisation, Recipe, Step, Topology, Vector};

/// Flag of a cycle holding a missing sample.
pub const FLAG_INVALID_INPUT: &str = "invalid_input";
/// Flag of a cycle holding a sample at an ADC rail.
pub const FLAG_CLIPPED: &str = "clipped";
/// Flags that say a cycle or interval has no locked fundamental near nominal: at least one of
/// them must be on every cycle and every 10/12-cycle interval of an unlocked supply.
pub const UNLOCKED_FLAGS: [&str; 4] = ["no_lock", "off_nominal", "holdover", "no_reference"];
/// A phase below this level (% of the declared voltage) may rightly be reported missing.
pub const MISSING_PHASE_PCT: f64 = 10.0;
/// ADC resolution of every case, bits.
pub const ADC_BITS: u32 = 24;
/// Voltage full scale of the ADC (peak), V, unless a case says otherwise.
pub const U_FULL_SCALE_V: f64 = 400.0;
/// Current full scale of the ADC (peak), A.
pub const I_FULL_SCALE_A: f64 = 10.0;
/// Sample rate of every case, Hz.
pub const SAMPLE_RATE_HZ: f64 = 10_240.0;
/// Time before the first step of a dip case, s (a whole number of cycles).
pub const LEAD_S: f64 = 0.2;
/// Time after the last step of a dip case, s.
pub const TAIL_S: f64 = 0.2;
/// From this instant a clean, locked supply's cycles carry no flag (see
/// [`HostileTruth::settled_by_s`]), s.
pub const SETTLED_BY_S: f64 = 0.1;
/// Distance from flag spans and events, in nominal periods, beyond which a settled cycle must be
/// quiet (see [`HostileTruth::quiet_margin_s`]).
pub const QUIET_MARGIN_PERIODS: f64 = 2.0;

/// A time span of samples that flags every cycle overlapping it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlagSpan {
    /// Flag name as in the engine's CSV: `invalid_input` or `clipped`.
    pub flag: String,
    /// Time of the first sample of the span, s.
    pub start_s: f64,
    /// Time of the sample after the last one of the span, s: the span holds the samples `n` with
    /// `start_s ≤ n / sample_rate < end_s`.
    pub end_s: f64,
}

/// What an analysis of a hostile case must find, derived from its recipe in closed form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostileTruth {
    /// Dips/swells/interruptions expected, Class A stamps ([`expected_events`]); empty for most
    /// cases, and whenever the supply is unlocked.
    pub events: Vec<ExpectedEvent>,
    /// Time spans of samples that must flag every cycle overlapping them with `flag`
    /// (`invalid_input` for gaps, `clipped` for spikes and clipping); a cycle overlapping no span
    /// of a flag must not carry it. A cycle overlaps a span when it holds one of its samples.
    pub flag_spans: Vec<FlagSpan>,
    /// From this instant on, every cycle and every 10/12-cycle interval must carry at least one
    /// of `unlocked_flags` (no locked fundamental, or one off nominal): 30 Hz, 70 Hz, noise, DC,
    /// silence. `None` when the supply is normal.
    pub unlocked_from_s: Option<f64>,
    /// The flags that mark an unlocked cycle or interval ([`UNLOCKED_FLAGS`]).
    pub unlocked_flags: Vec<String>,
    /// No missing_phase, broken_neutral or phase_sequence event may appear (no locked
    /// fundamental, or a healthy supply). `false` when a phase goes below
    /// [`MISSING_PHASE_PCT`], where such a condition is a right answer (not checked then).
    pub no_condition_events: bool,
    /// Voltage level of each phase where undisturbed, % of the declared voltage (rms of the
    /// model with noise at its expected value, no step active), for a check that clean cycles
    /// far from the disturbances still measure right.
    pub level_pct: Vec<f64>,
    /// Nominal frequency the meter is set for, Hz.
    pub nominal_hz: f64,
    /// Declared voltage Udin, V; the percentages refer to it.
    pub declared_voltage_v: f64,
    /// For a locked supply: every cycle that starts at or after this instant, ends before
    /// `unlocked_from_s` (if any) and lies more than `quiet_margin_s` from every flag span and
    /// every expected event (start to end) must carry no flag except `creep`. `None` when the
    /// supply is unlocked from the start.
    pub settled_by_s: Option<f64>,
    /// See `settled_by_s`, s.
    pub quiet_margin_s: f64,
    /// What the case exercises.
    pub notes: String,
}

/// A hostile recipe and its truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostileCase {
    /// What to synthesise (its name is the case name).
    pub recipe: Recipe,
    /// What an analysis of it must find.
    pub truth: HostileTruth,
}

/// The frequency measuring range of a nominal frequency, Hz: nominal ± 15 %, i.e. 42.5–57.5 Hz
/// at 50 Hz and 51–69 Hz at 60 Hz (IEC 61000-4-30, standards.md §2.2).
///
/// # Examples
///
/// ```
/// use percycle_vectors::hostile_suite::measuring_range_hz;
/// assert_eq!(measuring_range_hz(50.0), (42.5, 57.5));
/// assert_eq!(measuring_range_hz(60.0), (51.0, 69.0));
/// ```
pub fn measuring_range_hz(nominal_hz: f64) -> (f64, f64) {
    // Percent over 100 keeps the decimal edges exact (57.5, not 57.49999999999999).
    (nominal_hz * 85.0 / 100.0, nominal_hz * 115.0 / 100.0)
}

/// The instant from which a recipe's supply has no lockable fundamental near nominal: 0 when no
/// phase has a fundamental or `f0` is outside the measuring range of the nominal frequency,
/// the instant a frequency ramp leaves that range, or `None`.
pub fn unlocked_from_s(recipe: &Recipe) -> Option<f64> {
    if recipe.phases.iter().all(|p| p.u_rms_v == 0.0) {
        return Some(0.0);
    }
    let (lo, hi) = measuring_range_hz(recipe.nominal_frequency_hz());
    let f0 = recipe.frequency.f0_hz;
    if !(lo..=hi).contains(&f0) {
        return Some(0.0);
    }
    let ramp = recipe.frequency.ramp_hz_per_s.unwrap_or(0.0);
    let edge = if ramp > 0.0 {
        hi
    } else if ramp < 0.0 {
        lo
    } else {
        return None;
    };
    let t = (edge - f0) / ramp;
    (t < recipe.duration_s).then_some(t)
}

/// Sample level at which the ADC of `recipe` gives the rail code for a channel kind: the
/// quantiser rounds `x / full_scale · max_code` to `max_code` from `max_code − ½` on.
fn rail_level(recipe: &Recipe, kind: ChannelKind) -> Option<f64> {
    let q = recipe.quantisation?;
    Some(q.full_scale(kind) * (1.0 - 0.5 / max_code(q.bits)))
}

/// A complex amplitude: `Im(z · e^{j2πθ})` is the sine `|z|·sin(2πθ + arg z)`.
#[derive(Clone, Copy, Debug, Default)]
struct Sine {
    re: f64,
    im: f64,
    dc: f64,
}

impl Sine {
    fn new(peak: f64, phase_cycles: f64, dc: f64) -> Self {
        let a = std::f64::consts::TAU * phase_cycles;
        Sine { re: peak * a.cos(), im: peak * a.sin(), dc }
    }

    fn add(self, o: Sine) -> Sine {
        Sine { re: self.re + o.re, im: self.im + o.im, dc: self.dc + o.dc }
    }

    fn neg(self) -> Sine {
        Sine { re: -self.re, im: -self.im, dc: -self.dc }
    }
}

/// Indices of the samples at an ADC rail of the recipe's noise-free model, in closed form (module
/// docs), as sorted, disjoint ranges over all channels; empty without quantisation. Spikes, gaps
/// and noise are not included. `None` when a channel is not a pure sine plus DC between step
/// edges: harmonics, interharmonics or a frequency ramp.
///
/// # Examples
///
/// ```
/// use percycle_vectors::{hostile_suite::rail_samples, Recipe, Topology};
/// // 230 V rms peaks at 325.3 V: a 300 V ADC clips 2 × 25 samples per cycle around the peaks.
/// let r = Recipe::new("c", Topology::SinglePhase)
///     .with_duration(0.02)
///     .with_quantisation(24, 300.0, 10.0);
/// let runs = rail_samples(&r).unwrap();
/// assert_eq!(runs.len(), 2);
/// ```
pub fn rail_samples(recipe: &Recipe) -> Option<Vec<std::ops::Range<usize>>> {
    let simple = recipe.phases.iter().all(|p| {
        p.u_harmonics.is_empty()
            && p.i_harmonics.is_empty()
            && p.u_interharmonics.is_empty()
            && p.i_interharmonics.is_empty()
    });
    if !simple || recipe.frequency.ramp_hz_per_s.is_some_and(|r| r != 0.0) {
        return None;
    }
    let n = recipe.sample_count();
    let fs = recipe.sample_rate_hz;
    let f0 = recipe.frequency.f0_hz;
    let (Some(lu), Some(li)) =
        (rail_level(recipe, ChannelKind::Voltage), rail_level(recipe, ChannelKind::Current))
    else {
        return Some(Vec::new());
    };
    let mut edges = vec![0.0, recipe.duration_s];
    for s in &recipe.events {
        edges.extend([s.start_s, s.start_s + s.duration_s]);
    }
    edges.retain(|&t| (0.0..=recipe.duration_s).contains(&t));
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let mut runs = Vec::new();
    for w in edges.windows(2) {
        let (ta, tb) = (w[0], w[1]);
        // The state of every phase on [ta, tb).
        let u: Vec<Sine> = recipe
            .phases
            .iter()
            .enumerate()
            .map(|(p, ph)| {
                let (mut factor, mut jump) = (1.0, 0.0);
                for s in recipe.events.iter().filter(|s| {
                    s.phases.contains(&p) && s.start_s <= ta && ta < s.start_s + s.duration_s
                }) {
                    factor *= s.u_factor;
                    jump += s.phase_jump_deg / 360.0;
                }
                Sine::new(
                    factor * std::f64::consts::SQRT_2 * ph.u_rms_v,
                    ph.u_phase_deg / 360.0 + jump,
                    factor * ph.u_dc_v.unwrap_or(0.0),
                )
            })
            .collect();
        let mut i: Vec<Sine> = recipe
            .phases
            .iter()
            .map(|ph| {
                Sine::new(
                    std::f64::consts::SQRT_2 * ph.i_rms_a,
                    (ph.u_phase_deg - ph.load_angle_deg) / 360.0,
                    ph.i_dc_a.unwrap_or(0.0),
                )
            })
            .collect();
        let channels: Vec<(Sine, f64)> = match recipe.topology {
            Topology::SinglePhase => vec![(u[0], lu), (i[0], li)],
            Topology::ThreePhase4W => vec![
                (u[0], lu),
                (u[1], lu),
                (u[2], lu),
                (i[0], li),
                (i[1], li),
                (i[2], li),
                (i[0].add(i[1]).add(i[2]), li),
            ],
            Topology::ThreePhase3W => {
                i[1] = i[0].add(i[2]).neg();
                vec![(u[0].add(u[1].neg()), lu), (u[2].add(u[1].neg()), lu), (i[0], li), (i[2], li)]
            }
        };
        for (x, level) in channels {
            sine_rail_runs(x, level, f0, ta, tb, fs, n, &mut runs);
        }
    }
    Some(merge(runs))
}

/// Appends the sample ranges in `[ta, tb)` where `|x(t)| ≥ level`, `x = Im(z·e^{j2π·f0·t}) + dc`.
#[allow(clippy::too_many_arguments)] // one private call site
fn sine_rail_runs(
    x: Sine,
    level: f64,
    f0: f64,
    ta: f64,
    tb: f64,
    fs: f64,
    n: usize,
    out: &mut Vec<std::ops::Range<usize>>,
) {
    // Samples with ta ≤ k/fs < tb.
    let first = ((ta * fs).ceil().max(0.0) as usize).min(n);
    let end = ((tb * fs).ceil().max(0.0) as usize).min(n);
    if first >= end {
        return;
    }
    let a = x.re.hypot(x.im);
    if a == 0.0 {
        if x.dc.abs() >= level {
            out.push(first..end);
        }
        return;
    }
    let c0 = x.im.atan2(x.re) / std::f64::consts::TAU;
    // Intervals of the phase ψ/2π (cycles) where the condition holds, within one cycle; the
    // positive side is sin ψ ≥ cp, the negative side sin ψ ≤ cn.
    let mut within: Vec<(f64, f64)> = Vec::new();
    let asin_cycles = |c: f64| c.asin() / std::f64::consts::TAU;
    let cp = (level - x.dc) / a;
    if cp <= -1.0 {
        within.push((0.0, 1.0));
    } else if cp <= 1.0 {
        let s = asin_cycles(cp);
        within.push((s, 0.5 - s));
    }
    let cn = (-level - x.dc) / a;
    if cn >= 1.0 {
        within.push((0.0, 1.0));
    } else if cn >= -1.0 {
        let s = asin_cycles(cn);
        within.push((0.5 - s, 1.0 + s));
    }
    let m0 = (f0 * ta + c0).floor() - 1.0;
    let m1 = (f0 * tb + c0).ceil() + 1.0;
    let mut m = m0;
    while m <= m1 {
        for &(lo, hi) in &within {
            let (u, v) = ((m + lo - c0) / f0, (m + hi - c0) / f0);
            let k0 = ((u * fs).ceil().max(0.0) as usize).max(first);
            let k1 = ((v * fs).floor() + 1.0).max(0.0) as usize;
            let k1 = k1.min(end);
            if k0 < k1 {
                out.push(k0..k1);
            }
        }
        m += 1.0;
    }
}

/// Sorted, disjoint union of ranges (touching ranges joined).
fn merge(mut runs: Vec<std::ops::Range<usize>>) -> Vec<std::ops::Range<usize>> {
    runs.sort_by_key(|r| r.start);
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for r in runs {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The runs of `true` in a mask.
fn runs_of(mask: &[bool]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < mask.len() {
        if mask[k] {
            let start = k;
            while k < mask.len() && mask[k] {
                k += 1;
            }
            out.push(start..k);
        } else {
            k += 1;
        }
    }
    out
}

/// The flag spans of a recipe (module docs): `invalid_input` over its gaps, `clipped` over its
/// rail samples and over its spikes beyond the rail level, gaps winning; in time order, gaps
/// first at equal starts.
///
/// # Panics
///
/// If the recipe is outside the closed form of [`rail_samples`].
pub fn flag_spans(recipe: &Recipe) -> Vec<FlagSpan> {
    let n = recipe.sample_count();
    let fs = recipe.sample_rate_hz;
    let mut missing = vec![false; n];
    for g in &recipe.gaps {
        let r = g.sample_range(fs);
        missing[r.start.min(n)..r.end.min(n)].fill(true);
    }
    let mut clipped = vec![false; n];
    for r in rail_samples(recipe).expect("a recipe of pure sines and DC") {
        clipped[r].fill(true);
    }
    for s in &recipe.spikes {
        let kind = ChannelKind::of(&s.channel).expect("validated channel");
        if rail_level(recipe, kind).is_some_and(|l| s.value.abs() >= l) {
            clipped[s.sample_index(fs)] = true;
        }
    }
    for (c, m) in clipped.iter_mut().zip(&missing) {
        *c &= !m;
    }
    let span = |flag: &str, r: std::ops::Range<usize>| FlagSpan {
        flag: flag.to_string(),
        start_s: r.start as f64 / fs,
        end_s: r.end as f64 / fs,
    };
    let mut spans: Vec<FlagSpan> = runs_of(&missing)
        .into_iter()
        .map(|r| span(FLAG_INVALID_INPUT, r))
        .chain(runs_of(&clipped).into_iter().map(|r| span(FLAG_CLIPPED, r)))
        .collect();
    spans.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    spans
}

/// The truth of a recipe (module docs), with `notes`.
///
/// # Panics
///
/// If the recipe is outside the closed form of [`rail_samples`].
pub fn hostile_truth(recipe: &Recipe, notes: &str) -> HostileTruth {
    let unlocked = unlocked_from_s(recipe);
    let nominal = recipe.nominal_frequency_hz();
    let level_pct: Vec<f64> =
        (0..recipe.phases.len()).map(|p| phase_level_pct(recipe, p)).collect();
    let lowest = level_pct
        .iter()
        .enumerate()
        .map(|(p, &level)| {
            let deepest = recipe
                .events
                .iter()
                .filter(|s| s.phases.contains(&p))
                .map(|s| s.u_factor)
                .fold(1.0, f64::min);
            level * deepest
        })
        .fold(f64::INFINITY, f64::min);
    HostileTruth {
        events: if unlocked.is_some() { Vec::new() } else { expected_events(recipe) },
        flag_spans: flag_spans(recipe),
        unlocked_from_s: unlocked,
        unlocked_flags: UNLOCKED_FLAGS.iter().map(|s| s.to_string()).collect(),
        no_condition_events: unlocked.is_some() || lowest >= MISSING_PHASE_PCT,
        level_pct,
        nominal_hz: nominal,
        declared_voltage_v: DECLARED_VOLTAGE_V,
        settled_by_s: if unlocked == Some(0.0) { None } else { Some(SETTLED_BY_S) },
        quiet_margin_s: QUIET_MARGIN_PERIODS / nominal,
        notes: notes.to_string(),
    }
}

/// A 3P4W, 230 V, 10.24 kHz, 50 Hz recipe on the suite's ADC.
fn base(name: &str, duration_s: f64) -> Recipe {
    Recipe::new(name, Topology::ThreePhase4W)
        .with_sample_rate(SAMPLE_RATE_HZ)
        .with_voltage(DECLARED_VOLTAGE_V)
        .with_duration(duration_s)
        .with_quantisation(ADC_BITS, U_FULL_SCALE_V, I_FULL_SCALE_A)
}

/// No voltage fundamental and no current.
fn no_mains(name: &str, duration_s: f64) -> Recipe {
    base(name, duration_s).with_voltage(0.0).with_current(0.0)
}

fn case(recipe: Recipe, notes: &str) -> HostileCase {
    let truth = hostile_truth(&recipe, notes);
    HostileCase { recipe, truth }
}

/// An L1 dip case: `factor` for `duration_s` from `LEAD_S + onset`.
fn dip_case(name: &str, onset_s: f64, duration_s: f64, factor: f64, notes: &str) -> HostileCase {
    let start = LEAD_S + onset_s;
    // Rounded up to 0.1 s (f64 sums of decimal times are not exact).
    let record = ((start + duration_s + TAIL_S) * 10.0 - 1e-9).ceil() / 10.0;
    case(base(name, record).with_step(Step::dip(start, duration_s, &[0], factor)), notes)
}

/// Every case of the suite, in the order of the module docs' table.
///
/// # Examples
///
/// ```
/// let cases = percycle_vectors::hostile_suite::hostile_cases();
/// let spike = cases.iter().find(|c| c.recipe.name == "spike_5kv").unwrap();
/// assert_eq!(spike.truth.flag_spans.len(), 1);
/// assert!(spike.truth.events.is_empty());
/// ```
pub fn hostile_cases() -> Vec<HostileCase> {
    let period = 1.0 / 50.0;
    let mut cases = Vec::new();
    for deg in (0..360).step_by(30) {
        let mut r = base(&format!("start_phase_{deg:03}deg"), 0.5);
        for (p, ph) in r.phases.iter_mut().enumerate() {
            ph.u_phase_deg = f64::from(deg) + [0.0, -120.0, 120.0][p];
        }
        cases.push(case(
            r,
            &format!("clean supply, U1 starting at {deg}°: no event, no flag once settled"),
        ));
    }
    for deg in [0, 45, 90] {
        cases.push(dip_case(
            &format!("dip60_onset{deg}deg"),
            f64::from(deg) / 360.0 * period,
            0.150,
            0.6,
            &format!("L1 to 60 % for 150 ms, onset {deg}° of L1: one dip, Class A stamps"),
        ));
    }
    for hz in [30, 70] {
        cases.push(case(
            base(&format!("supply_{hz}hz"), 0.6).with_frequency(f64::from(hz)).with_nominal(50.0),
            &format!(
                "{hz} Hz supply on a 50 Hz meter (outside 42.5-57.5 Hz): unlocked from the \
                 start, no event"
            ),
        ));
    }
    let mut noise = no_mains("noise_only", 0.6).with_noise(DECLARED_VOLTAGE_V, 0.0).with_seed(230);
    noise.quantisation = noise.quantisation.map(|q| Quantisation { u_full_scale_v: 2000.0, ..q });
    cases.push(case(
        noise,
        "white Gaussian noise of 230 V rms on every voltage, no mains, no current (2000 V ADC \
         full scale, 8.7 sigma): unlocked from the start, no event",
    ));
    let mut dc = no_mains("dc_only", 0.6);
    for ph in &mut dc.phases {
        ph.u_dc_v = Some(325.0);
    }
    cases.push(case(dc, "325 V DC on every phase, no current: unlocked from the start, no event"));
    cases.push(case(
        no_mains("silence", 0.6),
        "every channel zero: unlocked from the start, no event",
    ));
    cases.push(case(
        base("nan_run_100", 0.8).with_gap(Gap::samples(6000, 100, SAMPLE_RATE_HZ)),
        "100 missing samples (NaN) on every channel from sample 6000 (0.586 s, inside the cycle \
         0.58-0.60 s): invalid_input on the cycle holding them, no event",
    ));
    cases.push(case(
        base("nan_run_at_boundary", 0.8).with_gap(Gap::samples(5120, 100, SAMPLE_RATE_HZ)),
        "100 missing samples (NaN) on every channel from the rising L1 crossing at 0.5 s \
         (sample 5120): invalid_input on the cycles holding them, no event",
    ));
    cases.push(case(
        base("spike_5kv", 0.8).with_spike(0.505, "U1", 5000.0),
        "one sample of 5000 V on U1 at 0.505 s (the L1 peak), stored as the 400 V rail: clipped \
         on that cycle, no event",
    ));
    let mut clip = base("clipping_300ms", 1.0).with_step(Step::dip(0.4, 0.3, &[0], 1.025));
    clip.quantisation = clip.quantisation.map(|q| Quantisation { u_full_scale_v: 330.0, ..q });
    cases.push(case(
        clip,
        "L1 raised 2.5 % (peak 333.4 V) for 300 ms on a 330 V ADC: the rails cut every peak; \
         clipped on the cycles holding rail samples, no event (2.5 % is below the swell \
         threshold and the 3 % RVC threshold)",
    ));
    for (edge, above, below, cell_above, cell_below) in [
        (90.0, "u90p5", "u89p5", "no event", "A1"),
        (80.0, "u80p5", "u79p5", "A1", "B1"),
        (70.0, "u70p5", "u69p5", "B1", "C1"),
        (40.0, "u40p5", "u39p5", "C1", "D1"),
        (5.0, "u5p5", "u4p5", "D1", "X1"),
    ] {
        for (suffix, pct, cell) in
            [(above, edge + 0.5, cell_above), (below, edge - 0.5, cell_below)]
        {
            cases.push(dip_case(
                &format!("dip_cell_edge_{suffix}"),
                0.0,
                0.100,
                pct / 100.0,
                &format!("L1 at {pct} % for 100 ms, 0.5 % from the {edge} % row edge: {cell}"),
            ));
        }
    }
    for (edge_s, label, cell_in, cell_out) in [
        (0.2, "200ms", "C1", "C2"),
        (0.5, "500ms", "C2", "C3"),
        (1.0, "1s", "C3", "C4"),
        (5.0, "5s", "C4", "C5"),
    ] {
        let inside = edge_s - period;
        let outside = edge_s + period / 2.0;
        cases.push(dip_case(
            &format!("dip_cell_edge_{label}_in"),
            0.0,
            inside,
            0.6,
            &format!(
                "L1 at 60 % for {:.0} ms from a rising crossing: Class A duration {:.0} ms, half \
                 a cycle inside the {label} column edge: {cell_in}",
                inside * 1e3,
                (inside + period / 2.0) * 1e3
            ),
        ));
        cases.push(dip_case(
            &format!("dip_cell_edge_{label}_out"),
            0.0,
            outside,
            0.6,
            &format!(
                "L1 at 60 % for {:.0} ms from a rising crossing: Class A duration {:.0} ms, a \
                 cycle past the {label} column edge: {cell_out}",
                outside * 1e3,
                (outside + period / 2.0) * 1e3
            ),
        ));
    }
    cases
}

/// Writes a hostile truth as pretty JSON.
///
/// # Errors
///
/// [`FormatError`] when the file cannot be written.
pub fn write_hostile_truth(
    path: impl AsRef<Path>,
    truth: &HostileTruth,
) -> Result<(), FormatError> {
    formats::write_json(path.as_ref(), truth)
}

/// Reads a hostile truth from JSON.
///
/// # Errors
///
/// [`FormatError`] naming the file, and line and column of a JSON error.
pub fn read_hostile_truth(path: impl AsRef<Path>) -> Result<HostileTruth, FormatError> {
    formats::read_json(path.as_ref())
}

/// Writes a hostile vector like [`write_vector`] (waveform, `<name>.truth.json`,
/// `<name>.recipe.json`) plus `<name>.hostile.json`, and returns the waveform file's path.
///
/// # Errors
///
/// [`FormatError`] naming the file that could not be written; a vector with missing samples as
/// WAV `i16` or `i24` is refused, naming the recipe and the format.
pub fn write_hostile_vector(
    dir: impl AsRef<Path>,
    vector: &Vector,
    truth: &HostileTruth,
    kind: FileKind,
) -> Result<PathBuf, FormatError> {
    let dir = dir.as_ref();
    let path = write_vector(dir, vector, kind)?;
    write_hostile_truth(dir.join(format!("{}.hostile.json", vector.recipe.name)), truth)?;
    Ok(path)
}
