//! `percycle hil run --vectors FILE`: a recording streamed through a target and through the host
//! build of the same engine sizes, block by block, in bounded memory.
//!
//! A recording has no analytic truth, so what is judged is what can be: every report of the
//! target equal, bit for bit, to the host build's for the same codes; the energy registers
//! equal; cycle indices in order with none missing or repeated; and every value of every cycle
//! report finite (the engine flags what it cannot measure, it never hands out NaN). The
//! target's reports are written as `percycle analyze` writes its files, and the cycles carrying
//! each flag are counted.
//!
//! The source is set up as `percycle analyze` sets it up ([`percycle_analysis::setup::setup`]),
//! and each sample reaches the target as the code the engine's f32 path would make of it:
//! `round(x · 1/gain)` in f32 at its channel's range, a missing sample as [`percycle_engine::CODE_MISSING`].

use crate::bench::{code, Outputs, Report, Target, BLOCK_FRAMES};
use crate::bench::{differences, HostTarget};
use anyhow::{bail, Context, Result};
use percycle_analysis::analyze::{prepare, Prepared};
use percycle_analysis::drive::{engine_value, Record, Sink, Summary, Tee};
use percycle_analysis::evaluate::Evaluation;
use percycle_analysis::read::ReadOptions;
use percycle_analysis::setup::{self, Options};
use percycle_analysis::write::{self, FileWriters};
use percycle_engine::{CycleReport, Flags};
use percycle_wire::WireConfig;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Differences kept in a report (the count is complete).
pub const MISMATCHES_KEPT: usize = 20;

/// Frames read from the recording per step (then sent in blocks of [`BLOCK_FRAMES`]).
const READ_FRAMES: usize = 4096;

/// The outcome of one recording on a target.
#[derive(Clone, Debug, Serialize)]
pub struct RecordingRun {
    /// The file.
    pub path: String,
    /// Frames streamed.
    pub frames: u64,
    /// Cycles reported by the target.
    pub cycles: u64,
    /// Reports received from the target (cycles, intervals, events, 10-s values, snapshots,
    /// aggregates, registers, counters).
    pub reports: u64,
    /// Reports that differ from the host build's in any bit, the first [`MISMATCHES_KEPT`].
    pub mismatches: Vec<String>,
    /// Every difference counted.
    pub mismatch_count: u64,
    /// Energy registers equal to the host build's.
    pub energy_equal: bool,
    /// Cycle reports holding a value that is not finite (the first few, by index).
    pub non_finite: Vec<u64>,
    /// Cycles carrying each flag.
    pub flagged_cycles: BTreeMap<String, u64>,
    /// Cycles without any flag.
    pub clean_cycles: u64,
    /// Notes of the setup and the reader.
    pub notes: Vec<String>,
    /// Bit-identical to the host build, energy equal, every value finite.
    pub pass: bool,
}

/// Where two reports' exact decimal forms first differ: the report's kind and index and the
/// differing field, e.g. `Cycle index 3: target i_rms: [5.167…] vs host i_rms: [5.156…]`.
pub fn first_difference(target: &str, host: &str) -> String {
    let at = target.bytes().zip(host.bytes()).take_while(|(a, b)| a == b).count();
    // Back to the start of the field (after the last ", " or "{ " before the difference).
    let start = target[..at].rfind([',', '{']).map_or(0, |k| k + 2).min(at);
    let field = |s: &str| {
        let rest = &s[start.min(s.len())..];
        let end = rest.find("], ").map(|k| k + 1).or_else(|| rest.find(", ")).unwrap_or(rest.len());
        rest[..end.min(80)].to_string()
    };
    let head: String = target.chars().take_while(|c| !matches!(c, '{' | '(')).collect();
    let index = target
        .find("index: ")
        .map(|k| target[k + 7..].chars().take_while(char::is_ascii_digit).collect::<String>())
        .unwrap_or_default();
    format!(
        "{}{}: target {} vs host {}",
        head.trim_end(),
        if index.is_empty() { String::new() } else { format!(" index {index}") },
        field(target),
        field(host)
    )
}

/// Whether every value of a cycle report is finite.
fn finite(c: &CycleReport) -> bool {
    let groups: [&[f32]; 10] = [
        &c.u_rms,
        &c.i_rms,
        &c.p_active,
        &c.q_reactive,
        &c.s_apparent,
        &c.power_factor,
        &c.u_ll_rms,
        &c.u_rms_half[0],
        &[c.in_rms, c.p_total, c.q_total, c.s_total],
        &[c.pf_total, c.frequency, c.in_computed_rms],
    ];
    groups.iter().flat_map(|g| g.iter()).all(|v| v.is_finite())
}

/// The judgement of a run as it streams.
struct Judge {
    run: RecordingRun,
    next_cycle: u64,
}

impl Judge {
    fn compare(&mut self, got: &Outputs, host: &Outputs) {
        let note = |s: String, run: &mut RecordingRun| {
            run.mismatch_count += 1;
            if run.mismatches.len() < MISMATCHES_KEPT {
                run.mismatches.push(s);
            }
        };
        for (a, b) in got.cycles.iter().zip(&host.cycles) {
            for d in differences(a, b) {
                note(d, &mut self.run);
            }
        }
        if got.cycles.len() != host.cycles.len() {
            note(
                format!(
                    "{} cycles from the target, {} from the host in one block",
                    got.cycles.len(),
                    host.cycles.len()
                ),
                &mut self.run,
            );
        }
        for (a, b) in got.reports.iter().zip(&host.reports) {
            let (fa, fb) = (format!("{a:?}"), format!("{b:?}"));
            if fa != fb {
                note(first_difference(&fa, &fb), &mut self.run);
            }
        }
        if got.reports.len() != host.reports.len() {
            note(
                format!(
                    "{} reports from the target, {} from the host in one block",
                    got.reports.len(),
                    host.reports.len()
                ),
                &mut self.run,
            );
        }
    }

    /// The target's reports: judged, then written.
    fn take(&mut self, got: &Outputs, sink: &mut dyn Sink, summary: &mut Summary) -> Result<()> {
        self.run.reports += got.reports.len() as u64;
        for r in &got.reports {
            match r {
                Report::Cycle(c) => {
                    if c.index != self.next_cycle {
                        bail!(
                            "cycle report {} missing or repeated (received index {} in its place)",
                            self.next_cycle,
                            c.index
                        );
                    }
                    self.next_cycle += 1;
                    self.run.cycles += 1;
                    if !finite(c) && self.run.non_finite.len() < MISMATCHES_KEPT {
                        self.run.non_finite.push(c.index);
                    }
                    if c.flags == Flags::default() {
                        self.run.clean_cycles += 1;
                    }
                    for (flag, name) in Flags::NAMES {
                        if c.flags.contains(flag) {
                            *self.run.flagged_cycles.entry(name.to_string()).or_default() += 1;
                        }
                    }
                    sink.record(Record::Cycle(c, None))?;
                }
                Report::Interval(x) => sink.record(Record::Interval(x))?,
                Report::Event(x) => sink.record(Record::Event(x))?,
                Report::Frequency(x) => sink.record(Record::Frequency(x))?,
                Report::Snapshot(x) => sink.record(Record::Snapshot(x))?,
                Report::Aggregate(x) => sink.record(Record::Aggregate(x))?,
                Report::Energy(e) => summary.energy = *e,
                Report::Counters(c, dropped) => {
                    summary.counters = *c;
                    summary.events_dropped = *dropped;
                }
            }
        }
        Ok(())
    }
}

/// Stream a recording through `target` and through the host build with the target's engine
/// sizes, compare every report, judge, and write the target's reports into `out` as
/// `percycle analyze` does. Memory does not grow with the recording.
///
/// # Errors
/// An option out of range or not applying to the file, a read error naming the file and line,
/// a configuration the target refuses, a target error, or a write error naming the file.
pub fn run_recording(
    target: &mut dyn Target,
    path: &Path,
    read_opts: &ReadOptions,
    opts: &Options,
    out: &Path,
    quiet: bool,
) -> Result<RecordingRun> {
    let Prepared { mut source, setup, mut progress } = prepare(path, read_opts, opts, out, quiet)?;
    let cfg = WireConfig::from_config(&setup.config);
    let id = target.identify()?;
    let mut host = HostTarget::like(&id)?;
    host.configure(&cfg)?;
    target.configure(&cfg)?;

    let nsrc = source.info().channels.len();
    let nch = setup.mapping.len();
    let inv: Vec<f32> = setup.config.calibration[..nch].iter().map(|c| 1.0 / c.gain).collect();
    let mut files = FileWriters::create(out, &setup.config, false)?;
    let mut evaluation = Evaluation::new(&setup.config);
    let mut summary = Summary {
        config: setup.config,
        frames: 0,
        energy: Default::default(),
        counters: Default::default(),
        events_dropped: 0,
        aggregates_dropped: 0,
        incomplete_windows: 0,
        notes: setup.notes.clone(),
    };
    let mut judge = Judge {
        run: RecordingRun {
            path: path.display().to_string(),
            frames: 0,
            cycles: 0,
            reports: 0,
            mismatches: Vec::new(),
            mismatch_count: 0,
            energy_equal: false,
            non_finite: Vec::new(),
            flagged_cycles: BTreeMap::new(),
            clean_cycles: 0,
            notes: Vec::new(),
            pass: false,
        },
        next_cycle: 0,
    };
    let mut block = Vec::new();
    let mut codes: Vec<i32> = Vec::with_capacity(READ_FRAMES * nch);
    let mut frame = 0u64;
    let name = path.display().to_string();
    loop {
        let n = source.read(&mut block, READ_FRAMES)?;
        if n == 0 {
            break;
        }
        codes.clear();
        for f in block.chunks_exact(nsrc) {
            for (c, m) in setup.mapping.iter().enumerate() {
                let x = m.map_or(0.0, |k| engine_value(f[k]));
                codes.push(code(x, inv[c]));
            }
        }
        for chunk in codes.chunks(BLOCK_FRAMES * nch) {
            let got = target
                .samples(frame, nch as u8, chunk)
                .with_context(|| format!("{name}: frame {frame}"))?;
            let twin = host.samples(frame, nch as u8, chunk)?;
            judge.compare(&got, &twin);
            judge.take(&got, &mut Tee(vec![&mut files, &mut evaluation]), &mut summary)?;
            frame += (chunk.len() / nch) as u64;
        }
        progress.update(source.position().0);
    }
    let (last, energy) = target.finish().with_context(|| format!("{name}: at the end"))?;
    let (twin, host_energy) = host.finish()?;
    judge.compare(&last, &twin);
    judge.take(&last, &mut Tee(vec![&mut files, &mut evaluation]), &mut summary)?;
    progress.finish();
    files.finish()?;
    summary.frames = frame;
    summary.notes.extend(source.notes());
    let report = evaluation.report(&setup::en50160_config(&setup.config, opts))?;
    write::write_summary(out, &summary, &report)?;
    let mut run = judge.run;
    run.frames = frame;
    run.energy_equal = format!("{energy:?}") == format!("{host_energy:?}");
    run.notes = summary.notes;
    run.pass = run.mismatch_count == 0 && run.energy_equal && run.non_finite.is_empty();
    Ok(run)
}
