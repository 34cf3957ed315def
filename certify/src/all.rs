//! `percycle certify --suite all`: every suite on one target, and the type-test report that
//! brings them together (see [`crate::report`]): the energy type test ([`crate::typetest`]), the
//! engine's own accuracy on the foundation vectors ([`crate::energy`]), the EN 50160 events
//! ([`crate::pq`]), frequency, magnitude and unbalance at Class A test points
//! ([`crate::classa`]), aggregation and flagging ([`crate::aggregation`]), the harmonic subgroups ([`crate::harmonics`]) and right-or-flagged on
//! hostile input ([`crate::hostile`]).

use crate::against_host::{AgainstHost, Compared};
use crate::class::Classes;
use crate::report::{self, Chart, Firmware, Header, Report, Section, TestPoint};
use crate::{aggregation, classa, energy, harmonics, hostile, pq, typetest};
use anyhow::Result;
use percycle_analysis::setup::Options;
use percycle_engine::en50160::{
    dip_cell, swell_cell, DIP_COLUMN_LABELS, DIP_ROW_LABELS, SWELL_COLUMN_LABELS, SWELL_ROW_LABELS,
};
use percycle_hil::bench::{wire_vector, Target};
use percycle_vectors::{default_full_scale, synthesize, ExpectedKind};
use std::path::Path;

/// The parts of the type-test report, in its order: `percycle certify --suite all` runs each,
/// `--suite PART` one of them.
pub const PARTS: [&str; 6] = ["energy", "foundation", "en50160", "classa", "harmonics", "hostile"];

/// A vector suite of [`percycle_vectors::suite_names`] that is not a part of its own (e.g.
/// `smoke`): it runs as the `foundation` part does, judged at the engine's own bounds.
fn vector_suite(name: &str) -> bool {
    !PARTS.contains(&name) && percycle_vectors::suite_names().contains(&name)
}

/// Run the suites `parts` (each of the [`PARTS`], all of them for `--suite all`, or a vector
/// suite that is not one of them, `smoke`, judged as the foundation vectors are) on one
/// target; writes each suite's own results under `out/<suite>` and the type-test report
/// (`report.html`, `report.json`, `report.md`, `tables/*.csv`) under `out`.
///
/// # Errors
/// A file that cannot be written or read back, a target that fails beyond recovery, or a name
/// that is neither a part nor a vector suite (named, with the names known).
pub fn run_parts(
    out: &Path,
    parts: &[&str],
    classes: Classes,
    target_name: &str,
    command: &str,
    progress: bool,
    target: Option<&mut (dyn Target + '_)>,
) -> Result<Report> {
    if let Some(p) = parts.iter().find(|p| !PARTS.contains(p) && !vector_suite(p)) {
        let extra = percycle_vectors::suite_names().iter().filter(|s| vector_suite(s));
        let known: Vec<&str> = ["all"].into_iter().chain(PARTS).chain(extra.copied()).collect();
        anyhow::bail!("unknown suite `{p}` (suites: {})", known.join(", "));
    }
    let want = |p: &str| parts.contains(&p);
    // A board runs beside its host twin: every vector is also compared bit for bit.
    let mut against = match target {
        Some(t) => Some(AgainstHost::new(t)?),
        None => None,
    };
    let mut target = against.as_mut().map(|t| t as &mut dyn Target);
    // The reference configuration: that of the energy test point at In, PF 1.
    let reference = synthesize(&typetest::reference_recipe())?;
    let full_scale = default_full_scale(&reference);
    let opts = Options { nominal_hz: Some(50.0), ..Options::default() };
    let (reference_cfg, _, _) = wire_vector(&reference.waveform, Some(&full_scale), &opts)?;
    let firmware = match target.as_deref_mut() {
        Some(t) => {
            // Configured with the reference, the board reports that configuration's CRC.
            t.configure(&reference_cfg)?;
            let id = t.identify()?;
            let v = id.version;
            Some(Firmware {
                board: id.board_name().to_string(),
                version: format!("{}.{}.{}", v[0], v[1], v[2]),
                build_id: id.build_id,
                code_crc32: format!("{:08x}", id.code_crc32),
                config_crc32: format!("{:08x}", id.config_crc32),
                sizes: format!("Meter<{}, {}>", id.ring, id.window),
            })
        }
        None => None,
    };
    let phase = |name: &str| {
        if progress {
            eprintln!("==> {name}");
        }
    };
    let mut sections = Vec::new();
    if want("energy") {
        phase("energy type test");
        sections = typetest::run(&out.join("energy"), classes, progress, target.as_deref_mut())?;
    }
    let tightest = typetest::tightest(&sections);
    for &name in parts.iter().filter(|&&p| p == "foundation" || vector_suite(p)) {
        phase(name);
        let results = energy::certify(name, &out.join(name), progress, target.as_deref_mut())?;
        sections.push(foundation_section(name, &results));
    }
    if want("en50160") {
        phase("en50160");
        let events = pq::run_suite(&out.join("en50160"), progress, target.as_deref_mut())?;
        sections.push(events_section(&events));
    }
    if want("classa") {
        phase("class A");
        sections.push(classa::run(&out.join("classa"), progress, target.as_deref_mut())?);
        let dir = out.join("aggregation");
        sections.push(aggregation::run(&dir, progress, target.as_deref_mut())?);
    }
    if want("harmonics") {
        phase("harmonics");
        sections.push(harmonics::run(&out.join("harmonics"), progress, target.as_deref_mut())?);
    }
    if want("hostile") {
        phase("hostile");
        let hostile = hostile::run_suite(&out.join("hostile"), progress, target)?;
        sections.push(hostile_section(&hostile));
    }
    if let Some(a) = against {
        sections.push(board_section(&a.compared));
    }
    let header = Header {
        target: target_name.to_string(),
        firmware,
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        engine_config: serde_json::to_string(&reference_cfg.to_config())?,
        engine_config_crc32: format!("{:08x}", reference_cfg.crc32()),
        date: report::utc_now(),
        command: command.to_string(),
        classes: classes.to_string(),
        scope: report::SCOPE.to_string(),
    };
    let report = Report::new(header, sections, tightest);
    report.write(out)?;
    Ok(report)
}

/// The engine's own bounds on the foundation vectors: a tenth of the Class A and class 0.1S
/// budgets (design.md).
fn foundation_section(suite: &str, results: &[energy::VectorResult]) -> Section {
    let clause = "engine bound (1/10 of IEC 61000-4-30 Class A, IEC 62053-22 0.1S)";
    let mut points = Vec::new();
    for r in results {
        let note = if r.failures.is_empty() { String::new() } else { r.failures.join("; ") };
        let conditions = format!("vector {}, {} cycles compared", r.name, r.cycles_compared);
        let rows = [
            (
                "RMS",
                "per-cycle U and I rms, worst",
                r.rms_rel_err * 100.0,
                energy::RMS_LIMIT * 100.0,
                "% of the true rms",
            ),
            (
                "F",
                "per-cycle frequency, worst",
                r.freq_err_hz * 1e3,
                energy::FREQ_LIMIT_HZ * 1e3,
                "mHz",
            ),
            (
                "PQ",
                "per-cycle P and Q per phase, worst",
                r.power_rel_err * 100.0,
                energy::POWER_LIMIT * 100.0,
                "% of S",
            ),
            ("E", "active energy", r.energy_rel_err * 100.0, energy::ENERGY_LIMIT * 100.0, "%"),
        ];
        for (tag, quantity, error, limit, unit) in rows {
            points.push(TestPoint::judged(
                format!("F-{}-{tag}", r.name),
                clause,
                conditions.clone(),
                quantity,
                (f64::NAN, f64::NAN, ""),
                (error, limit, unit),
                note.clone(),
            ));
        }
        points.push(TestPoint::judged(
            format!("F-{}-QUADRANTS", r.name),
            clause,
            conditions,
            "quadrant registers used where the truth's are",
            (f64::NAN, f64::NAN, ""),
            (if r.registers_ok { 0.0 } else { 1.0 }, 0.0, "registers wrong"),
            note,
        ));
    }
    Section {
        key: suite.into(),
        title: format!("Engine accuracy on the {suite} vectors"),
        intro: "Per-cycle rms, frequency, P and Q and the energy registers against the analytic truth, at the engine's own bounds (a tenth of the class budgets, so that sensors and the analogue front end keep the rest).".into(),
        points,
        charts: Vec::new(),
    }
}

/// The EN 50160 events: Event IN and OUT stamps, residual or maximum, the grid cell, and the
/// 10-s frequency, each against its bound.
fn events_section(results: &[pq::PqResult]) -> Section {
    let mut points = Vec::new();
    let mut dips = Vec::new();
    let mut swells = Vec::new();
    let clause = "IEC 61000-4-30 Class A 5.4, EN 50160";
    for r in results {
        for (k, e) in r.judged.events.iter().enumerate() {
            let x = &e.expected;
            let kind = format!("{:?}", x.kind).to_lowercase();
            let conditions = format!(
                "{}: {kind} {:.1} % for {:.3} s on phases {:03b}",
                r.name, x.extreme_pct, x.duration_s, x.phases
            );
            let id = format!("PQ-{}-{}", r.name, k + 1);
            let measured = e.measured.as_ref();
            let cyc = 1.0 / 50.0;
            let rows = [
                (
                    "IN",
                    "Event IN stamp",
                    e.start_err_s.map(|s| s / cyc),
                    pq::START_LIMIT_CYCLES,
                    "cycles",
                ),
                (
                    "OUT",
                    "Event OUT stamp",
                    e.end_err_s.map(|s| s / cyc),
                    pq::END_LIMIT_CYCLES,
                    "cycles",
                ),
                (
                    "EXT",
                    "residual (dip, interruption) or maximum (swell)",
                    e.extreme_err_pct,
                    pq::EXTREME_LIMIT_PCT,
                    "% Udin",
                ),
            ];
            for (tag, quantity, err, limit, unit) in rows {
                points.push(TestPoint::judged(
                    format!("{id}-{tag}"),
                    clause,
                    conditions.clone(),
                    quantity,
                    (f64::NAN, f64::NAN, ""),
                    (err.unwrap_or(f64::NAN), limit, unit),
                    if measured.is_none() { "no event measured" } else { "" },
                ));
            }
            let truth_cell = match x.kind {
                ExpectedKind::Dip => dip_cell(x.extreme_pct, x.duration_s),
                ExpectedKind::Swell => swell_cell(x.extreme_pct, x.duration_s),
                _ => None,
            };
            if let Some(tc) = truth_cell {
                let mc = measured.and_then(|m| match x.kind {
                    ExpectedKind::Dip => dip_cell(m.extreme_pct, m.duration_s),
                    _ => swell_cell(m.extreme_pct, m.duration_s),
                });
                if x.kind == ExpectedKind::Dip {
                    dips.push((tc, mc));
                } else {
                    swells.push((tc, mc));
                }
                points.push(TestPoint::judged(
                    format!("{id}-CELL"),
                    "EN 50160 (dip and swell tables)",
                    conditions,
                    "EN 50160 table cell",
                    (f64::NAN, f64::NAN, ""),
                    (if mc == Some(tc) { 0.0 } else { 1.0 }, 0.0, "cells off"),
                    "",
                ));
            }
        }
        if let Some(err) = r.frequency_err_hz {
            points.push(TestPoint::judged(
                format!("PQ-{}-F10S", r.name),
                "IEC 61000-4-30 Class A 5.1 (engine bound 1/10 of ±10 mHz)",
                format!("{}: {} 10-s values", r.name, r.frequency_values),
                "10-s power frequency, worst",
                (f64::NAN, f64::NAN, ""),
                (err * 1e3, pq::FREQUENCY_LIMIT_HZ * 1e3, "mHz"),
                "",
            ));
        }
    }
    let labels = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let charts = vec![
        Chart::Cells {
            title: "EN 50160 dip table: true cell (dot) and measured cell (arrow end) per dip"
                .into(),
            rows: labels(&DIP_ROW_LABELS),
            cols: labels(&DIP_COLUMN_LABELS),
            cases: dips,
        },
        Chart::Cells {
            title: "EN 50160 swell table: true cell and measured cell per swell".into(),
            rows: labels(&SWELL_ROW_LABELS),
            cols: labels(&SWELL_COLUMN_LABELS),
            cases: swells,
        },
    ];
    Section {
        key: "events".into(),
        title: "Power quality: dips, swells, interruptions, 10-s frequency".into(),
        intro: "The EN 50160 suite: Event IN and OUT against the Class A ±½ cycle, the residual or maximum against the engine's bound (0.02 % Udin, a tenth of Class A's 0.2 %), the EN 50160 cell of the measured event against the true cell, and the 10-s frequency.".into(),
        points,
        charts,
    }
}

/// Board against host: per vector, bit-identical or the first difference.
fn board_section(compared: &[Compared]) -> Section {
    let points = compared
        .iter()
        .enumerate()
        .map(|(k, c)| {
            TestPoint::judged(
                format!("BH-{:03}-{}", k + 1, c.name),
                "board against its host build (design: the same bits on both)",
                format!("{}: {} cycles, {} reports", c.name, c.cycles, c.reports),
                "records differing in any bit",
                (f64::NAN, f64::NAN, ""),
                (c.differences as f64, 0.0, "records"),
                c.first_difference.clone().unwrap_or_else(|| "bit-identical".into()),
            )
        })
        .collect();
    Section {
        key: "board-vs-host".into(),
        title: "Board against host".into(),
        intro: "Every vector of every section also ran through the host build of the board's engine sizes; each row is one vector: bit-identical reports and registers, or the first difference.".into(),
        points,
        charts: Vec::new(),
    }
}

/// Right or flagged: each hostile case's failures (none allowed).
fn hostile_section(results: &[hostile::HostileResult]) -> Section {
    let points = results
        .iter()
        .map(|r| {
            TestPoint::judged(
                format!("H-{}", r.name),
                "right or flagged (IEC 61000-4-30 4.7 flagging)",
                format!("{}: {} cycles, {} flagged", r.name, r.cycles, r.cycles_flagged),
                "values wrong without a flag, missing flags, missed or spurious events",
                (f64::NAN, f64::NAN, ""),
                (r.failures.len() as f64, 0.0, "findings"),
                r.failures.join("; "),
            )
        })
        .collect();
    Section {
        key: "hostile".into(),
        title: "Right or flagged: hostile input".into(),
        intro: "Noise, DC, silence, missing and clipped samples, spikes, off-nominal supplies and dips at the grid's edges: every value is right or carries the flag that says why not.".into(),
        points,
        charts: Vec::new(),
    }
}
