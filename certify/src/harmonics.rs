//! The `harmonics` suite: IEC 61000-4-7 harmonic and interharmonic subgroups of the 10/12-cycle
//! intervals against the closed-form spectrum of the synthesised signal, judged against the
//! Class I limits (standards.md §3):
//!
//! | quantity | limit |
//! |---|---|
//! | voltage subgroup ≥ 1 % Unom | ±5 % of reading |
//! | voltage subgroup < 1 % Unom | ±0.05 % of Unom |
//! | current subgroup ≥ 3 % Inom | ±5 % of reading |
//! | current subgroup < 3 % Inom | ±0.15 % of Inom |
//! | THDS of a current above 100 % (the engine's bound) | ±0.05 percentage points |
//!
//! Cases: the EN 50160 limit spectrum (orders 2-25 at their limits) at 42.5, 47.5, 50, 52.5 and
//! 57.5 Hz and at 60 Hz; each order 2-50 alone, at 10 % in the voltages with 1 % in the currents
//! and the other way round; interharmonics at 175 Hz (inside the interharmonic subgroup 3) and
//! 125 Hz (the midpoint between orders 2 and 3, inside subgroup 2), 1 % each; a rectifier
//! current with THD ≈ 136 %. Every subgroup of orders 0-50 of the six phase channels is judged
//! in every unflagged interval (absent content against 0), and each case's row gives the worst.

use crate::energy::run_recipe;
use crate::report::{Chart, Section, TestPoint};
use anyhow::Result;
use percycle_analysis::analyze::Analysis;
use percycle_engine::en50160::harmonic_limit_pct;
use percycle_engine::IntervalReport;
use percycle_hil::bench::Target;
use percycle_vectors::{Harmonic, Interharmonic, Recipe, Topology};
use std::path::Path;

/// Nominal voltage and current.
const UNOM: f64 = 230.0;
const INOM: f64 = 5.0;
/// Orders judged (0 = DC and sub-harmonic group).
const ORDERS: usize = 51;
/// Phase channels judged: U1-U3, I1-I3 (the neutral is their sum).
const CHANNELS: usize = 6;

/// The rectifier current, % of the fundamental per odd order (THD ≈ 136 %).
const RECTIFIER: [(u32, f64); 6] =
    [(3, 90.0), (5, 75.0), (7, 55.0), (9, 35.0), (11, 20.0), (13, 10.0)];

fn base(name: &str, f: f64) -> Recipe {
    Recipe::new(name, Topology::ThreePhase4W)
        .with_frequency(f)
        .with_nominal(if f == 60.0 { 60.0 } else { 50.0 })
        .with_duration(0.6)
        .with_quantisation(24, 500.0, 20.0)
}

/// The recipes of the suite.
pub fn cases() -> Vec<Recipe> {
    let mut v = Vec::new();
    for f in [42.5, 47.5, 50.0, 52.5, 57.5, 60.0] {
        let mut r = base(&format!("h_en50160_{}hz", f.to_string().replace('.', "p")), f);
        for h in 2..=25u32 {
            if let Some(pct) = harmonic_limit_pct(h as usize) {
                r = r.with_u_harmonic(h, pct, 0.0);
            }
        }
        v.push(r);
    }
    for h in 2..=50u32 {
        v.push(
            base(&format!("h_single_{h:02}_u10_i1"), 50.0)
                .with_u_harmonic(h, 10.0, 0.0)
                .with_i_harmonic(h, 1.0, 0.0),
        );
        v.push(
            base(&format!("h_single_{h:02}_u1_i10"), 50.0)
                .with_u_harmonic(h, 1.0, 0.0)
                .with_i_harmonic(h, 10.0, 0.0),
        );
    }
    for (name, hz) in [("h_interharmonic_175hz", 175.0), ("h_interharmonic_125hz", 125.0)] {
        let mut r = base(name, 50.0);
        for p in &mut r.phases {
            p.u_interharmonics.push(Interharmonic { freq_hz: hz, pct: 1.0, phase_deg: 0.0 });
        }
        v.push(r);
    }
    let mut r = base("h_rectifier_current", 50.0);
    for p in &mut r.phases {
        p.i_harmonics = RECTIFIER.iter().map(|&(h, pct)| Harmonic::new(h, pct, 0.0)).collect();
    }
    v.push(r);
    v
}

/// True subgroup values (rms) per phase channel and order: harmonic subgroups and centred
/// interharmonic subgroups. Interharmonics of a steady recipe fall in the subgroup between the
/// orders around them.
fn truth(r: &Recipe) -> ([[f64; ORDERS]; CHANNELS], [[f64; ORDERS]; CHANNELS]) {
    let mut h = [[0.0; ORDERS]; CHANNELS];
    let mut ih = [[0.0; ORDERS]; CHANNELS];
    let f0 = r.frequency.f0_hz;
    for (p, ph) in r.phases.iter().enumerate() {
        h[p][1] = ph.u_rms_v;
        h[3 + p][1] = ph.i_rms_a;
        for x in &ph.u_harmonics {
            h[p][x.order as usize] = ph.u_rms_v * x.pct / 100.0;
        }
        for x in &ph.i_harmonics {
            h[3 + p][x.order as usize] = ph.i_rms_a * x.pct / 100.0;
        }
        for x in &ph.u_interharmonics {
            ih[p][(x.freq_hz / f0).floor() as usize] = ph.u_rms_v * x.pct / 100.0;
        }
    }
    (h, ih)
}

/// The Class I limit for a true value of channel `c`: (limit in the channel's unit, true when
/// relative to the reading).
fn class_i(c: usize, truth: f64) -> (f64, bool) {
    if c < 3 {
        if truth >= 0.01 * UNOM {
            (0.05 * truth, true)
        } else {
            (0.0005 * UNOM, false)
        }
    } else if truth >= 0.03 * INOM {
        (0.05 * truth, true)
    } else {
        (0.0015 * INOM, false)
    }
}

/// The worst subgroup of the channels `chans` over the intervals: (error, limit, unit, where).
fn worst(
    intervals: &[&IntervalReport],
    chans: std::ops::Range<usize>,
    truth: &[[f64; ORDERS]; CHANNELS],
    inter: bool,
) -> (f64, f64, String, String) {
    let mut best = (f64::NAN, 1.0, String::new(), String::from("no unflagged interval"));
    let mut ratio = -1.0;
    for iv in intervals {
        for c in chans.clone() {
            let measured = if inter { &iv.interharmonic_subgroups[c] } else { &iv.subgroups[c] };
            for (h, (&m, &t)) in measured.iter().zip(&truth[c]).enumerate() {
                let m = m as f64;
                let (lim, rel) = class_i(c, t);
                let r = (m - t).abs() / lim;
                if r > ratio {
                    ratio = r;
                    let name = ["U1", "U2", "U3", "I1", "I2", "I3"][c];
                    let what = format!(
                        "{name} {}order {h}",
                        if inter { "interharmonic subgroup after " } else { "" }
                    );
                    best = if rel {
                        (100.0 * (m - t) / t, 5.0, "% of reading".into(), what)
                    } else {
                        let nom = if c < 3 { UNOM } else { INOM };
                        let l = 100.0 * lim / nom;
                        (
                            100.0 * (m - t) / nom,
                            l,
                            format!("% of {}nom", if c < 3 { "U" } else { "I" }),
                            what,
                        )
                    };
                }
            }
        }
    }
    best
}

/// Run the suite; returns its report section.
///
/// # Errors
/// A vector that cannot be written, read back or run (a refusal by the target is a failed row).
pub fn run(
    out: &Path,
    progress: bool,
    mut target: Option<&mut (dyn Target + '_)>,
) -> Result<Section> {
    let dir = out.join("vectors");
    std::fs::create_dir_all(&dir)?;
    let recipes = cases();
    let mut points = Vec::new();
    let mut charts = Vec::new();
    for (k, r) in recipes.iter().enumerate() {
        if progress {
            eprintln!("[{}/{}] {}", k + 1, recipes.len(), r.name);
        }
        let (t, ti) = truth(r);
        let conditions = format!(
            "{}: 3P4W 230 V / 5 A at {} Hz (nominal {} Hz)",
            r.name,
            r.frequency.f0_hz,
            r.nominal_frequency_hz()
        );
        let analysis: Option<Analysis> = match run_recipe(r, &dir, target.as_deref_mut(), progress)?
        {
            Ok((_, a)) => Some(a),
            Err(why) => {
                points.push(TestPoint::judged(
                    format!("HS-{}", r.name),
                    "IEC 61000-4-7 Class I",
                    conditions.clone(),
                    "subgroups",
                    (f64::NAN, f64::NAN, ""),
                    (f64::NAN, 1.0, "%"),
                    format!("not run: {why}"),
                ));
                None
            }
        };
        let Some(a) = analysis else { continue };
        let clean: Vec<&IntervalReport> =
            a.intervals.iter().filter(|iv| iv.flags == percycle_engine::Flags::empty()).collect();
        let note = format!("{} unflagged intervals of {}", clean.len(), a.intervals.len());
        for (tag, chans, inter, quantity) in [
            ("U", 0..3, false, "voltage harmonic subgroups 0-50, worst"),
            ("I", 3..6, false, "current harmonic subgroups 0-50, worst"),
            ("UI", 0..3, true, "voltage interharmonic subgroups 0-50, worst"),
        ] {
            let truth = if inter { &ti } else { &t };
            let (e, l, unit, what) = worst(&clean, chans, truth, inter);
            points.push(TestPoint::judged(
                format!("HS-{}-{tag}", r.name),
                "IEC 61000-4-7 Class I",
                conditions.clone(),
                quantity,
                (f64::NAN, f64::NAN, ""),
                (e, l, &unit),
                format!("{what}; {note}"),
            ));
        }
        if r.name == "h_rectifier_current" {
            let thd_true =
                100.0 * RECTIFIER.iter().map(|&(_, p)| (p / 100.0).powi(2)).sum::<f64>().sqrt();
            let worst_thd = clean
                .iter()
                .flat_map(|iv| (3..6).map(move |c| iv.thds_pct[c] as f64))
                .map(|m| m - thd_true)
                .fold(f64::NAN, |w: f64, e| if w.is_nan() || e.abs() > w.abs() { e } else { w });
            points.push(TestPoint::judged(
                format!("HS-{}-THD", r.name),
                "IEC 61000-4-7 THDS (engine bound)",
                conditions.clone(),
                "current THDS (orders 2-50), worst",
                (thd_true + worst_thd, thd_true, "%"),
                (worst_thd, 0.05, "pp"),
                note.clone(),
            ));
        }
        if r.name == "h_en50160_50hz" || r.name == "h_en50160_57p5hz" {
            if let Some(iv) = clean.first() {
                let pts = (2..=25)
                    .map(|h| {
                        let tv = t[0][h];
                        (h as f64, tv, iv.subgroups[0][h] as f64, class_i(0, tv).0)
                    })
                    .collect();
                charts.push(Chart::Spectrum {
                    title: format!(
                        "U1 harmonic subgroups at {} Hz, EN 50160 limit spectrum: measured and truth with the Class I band",
                        r.frequency.f0_hz
                    ),
                    points: pts,
                    y_label: "V rms".into(),
                });
            }
        }
    }
    Ok(Section {
        key: "harmonics".into(),
        title: "Harmonics and interharmonics (IEC 61000-4-7 Class I)".into(),
        intro: "Harmonic and centred interharmonic subgroups of every unflagged 10/12-cycle interval against the closed-form spectrum, each against the Class I limit (5 % of reading above 1 % Unom or 3 % Inom, else 0.05 % Unom or 0.15 % Inom); each row is the worst subgroup of its channels.".into(),
        points,
        charts,
    })
}
