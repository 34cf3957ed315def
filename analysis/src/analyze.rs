//! `percycle analyze`: a recording streamed through the engine into its files
//! ([`analyze_file`]), and the same analysis held in memory for vectors and tests
//! ([`analyze_waveform`], [`Analysis`]).

use crate::drive::{self, Progress, Record, Sink, Summary, Tee};
use crate::evaluate::Evaluation;
use crate::read::{self, ReadOptions};
use crate::setup::{self, Options, Setup};
use crate::source::{Source, WaveformSource};
use crate::write::{self, FileWriters};
use anyhow::{Context, Result};
use percycle_engine::{
    AggregateReport, Config, CycleReport, EnergyRegisters, FrequencyReport, IntervalReport,
    PqCounters, Snapshot, VoltageEvent,
};
use percycle_vectors::Waveform;
use std::path::Path;

/// Everything an analysis produced, in memory.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The configuration the engine ran with.
    pub config: Config,
    /// Every cycle report, in order.
    pub cycles: Vec<CycleReport>,
    /// Every 10/12-cycle interval, in order.
    pub intervals: Vec<IntervalReport>,
    /// Every event, in the order it ended.
    pub events: Vec<VoltageEvent>,
    /// Every 10-s power-frequency value.
    pub frequency: Vec<FrequencyReport>,
    /// Grid snapshots taken when events started.
    pub snapshots: Vec<Snapshot>,
    /// The engine's 150/180-cycle, 10-min and 2-h values, in the order they completed.
    pub aggregates: Vec<AggregateReport>,
    /// The engine's event occurrence counters at the end.
    pub counters: PqCounters,
    /// Events the engine could not queue (should be zero: reported, never silent).
    pub events_dropped: u32,
    /// Aggregated values the engine could not queue.
    pub aggregates_dropped: u32,
    /// 10-min windows the engine left out for holding fewer than 90 % of their intervals.
    pub incomplete_windows: u32,
    /// The options the analysis ran with.
    pub options: Options,
    /// Registers after the whole recording.
    pub energy: EnergyRegisters,
    /// Source channel of each engine channel (frame order); `None` where the source has none.
    pub mapping: Vec<Option<usize>>,
    /// Notes for the user (absent and ignored channels, ranges assumed).
    pub notes: Vec<String>,
}

impl Analysis {
    /// An empty analysis of an engine configured with `config`.
    pub fn new(config: Config, options: Options, mapping: Vec<Option<usize>>) -> Self {
        Self {
            config,
            cycles: Vec::new(),
            intervals: Vec::new(),
            events: Vec::new(),
            frequency: Vec::new(),
            snapshots: Vec::new(),
            aggregates: Vec::new(),
            counters: PqCounters::default(),
            events_dropped: 0,
            aggregates_dropped: 0,
            incomplete_windows: 0,
            options,
            energy: EnergyRegisters::default(),
            mapping,
            notes: Vec::new(),
        }
    }

    /// The end-of-stream state of this analysis.
    pub fn summary(&self) -> Summary {
        Summary {
            config: self.config,
            frames: 0,
            energy: self.energy,
            counters: self.counters,
            events_dropped: self.events_dropped,
            aggregates_dropped: self.aggregates_dropped,
            incomplete_windows: self.incomplete_windows,
            notes: self.notes.clone(),
        }
    }

    /// Every record held, in the order of a stream's kinds (for the writers).
    fn replay(&self, sink: &mut dyn Sink) -> Result<()> {
        for c in &self.cycles {
            sink.record(Record::Cycle(c, None))?;
        }
        for x in &self.intervals {
            sink.record(Record::Interval(x))?;
        }
        for x in &self.events {
            sink.record(Record::Event(x))?;
        }
        for x in &self.snapshots {
            sink.record(Record::Snapshot(x))?;
        }
        for x in &self.frequency {
            sink.record(Record::Frequency(x))?;
        }
        for x in &self.aggregates {
            sink.record(Record::Aggregate(x))?;
        }
        Ok(())
    }
}

impl Sink for Analysis {
    fn record(&mut self, r: Record<'_>) -> Result<()> {
        match r {
            Record::Cycle(c, _) => self.cycles.push(*c),
            Record::Interval(x) => self.intervals.push(*x),
            Record::Event(x) => self.events.push(*x),
            Record::Frequency(x) => self.frequency.push(*x),
            Record::Snapshot(x) => self.snapshots.push(*x),
            Record::Aggregate(x) => self.aggregates.push(*x),
        }
        Ok(())
    }
}

/// Run a waveform held in memory through the engine: its channels at the full scales given
/// (one per channel, V or A peak at the converter's rail), or at the fixed default ranges of
/// [`crate::setup`] when `None`.
///
/// # Errors
/// An option out of range, channel names that fit no topology, or a configuration the engine
/// refuses (the message names the field, e.g. a sample rate outside 4..32 kHz).
pub fn analyze_waveform(
    w: &Waveform,
    full_scale: Option<&[f64]>,
    opts: &Options,
) -> Result<Analysis> {
    analyze_source(&mut WaveformSource::new(w, full_scale)?, opts)
}

/// Run a source through the engine, every record kept in memory (for vectors and tests; a
/// long recording goes through [`analyze_file`]).
///
/// # Errors
/// As [`analyze_waveform`], and the source's read errors.
pub fn analyze_source(source: &mut dyn Source, opts: &Options) -> Result<Analysis> {
    let setup = setup::setup(source.info(), opts)?;
    let mut a = Analysis::new(setup.config, opts.clone(), setup.mapping.clone());
    let summary = drive::run(source, &setup, None, &mut a)?;
    a.energy = summary.energy;
    a.counters = summary.counters;
    a.events_dropped = summary.events_dropped;
    a.aggregates_dropped = summary.aggregates_dropped;
    a.incomplete_windows = summary.incomplete_windows;
    a.notes = summary.notes;
    Ok(a)
}

/// Write every file of an analysis held in memory into `dir` (as [`analyze_file`] does while
/// streaming), `cycle_harmonics.csv` excepted.
///
/// # Errors
/// I/O errors naming the file, or an evaluation error.
pub fn write_outputs(dir: &Path, a: &Analysis) -> Result<()> {
    let mut files = FileWriters::create(dir, &a.config, false)?;
    let mut evaluation = Evaluation::new(&a.config);
    a.replay(&mut Tee(vec![&mut files, &mut evaluation]))?;
    files.finish()?;
    let report = evaluation.report(&setup::en50160_config(&a.config, &a.options))?;
    write::write_summary(dir, &a.summary(), &report)
}

/// What [`analyze_file`] did.
#[derive(Clone, Debug)]
pub struct FileAnalysis {
    /// The engine setup.
    pub setup: Setup,
    /// The end-of-stream state.
    pub summary: Summary,
    /// Cycles written.
    pub cycles: u64,
    /// Intervals written.
    pub intervals: u64,
}

/// Counts cycles and intervals as they pass.
#[derive(Default)]
struct Count {
    cycles: u64,
    intervals: u64,
}

impl Sink for Count {
    fn record(&mut self, r: Record<'_>) -> Result<()> {
        match r {
            Record::Cycle(..) => self.cycles += 1,
            Record::Interval(_) => self.intervals += 1,
            _ => {}
        }
        Ok(())
    }
}

/// A recording ready to stream.
pub struct Prepared {
    /// The opened recording.
    pub source: Box<dyn Source>,
    /// The engine setup of what it states.
    pub setup: Setup,
    /// Progress on stderr, started before the first byte was read.
    pub progress: Progress,
}

/// Everything before the first sample, in the order that reports a mistake earliest: the
/// options checked (those of the analysis, then whether each reading option applies to the
/// input), `out` created, progress started, the recording opened, the engine set up.
///
/// # Errors
/// The first of those that fails, naming the option or the file.
pub fn prepare(
    input: &Path,
    read_opts: &ReadOptions,
    opts: &Options,
    out: &Path,
    quiet: bool,
) -> Result<Prepared> {
    prepare_with(input, read_opts, opts, out, quiet, || Ok(read::open(input, read_opts)?))
}

/// As [`prepare`], with the recording opened by `open` (one observation of a PQDIF file).
fn prepare_with(
    input: &Path,
    read_opts: &ReadOptions,
    opts: &Options,
    out: &Path,
    quiet: bool,
    open: impl FnOnce() -> Result<Box<dyn Source>>,
) -> Result<Prepared> {
    setup::check_options(opts)?;
    read::check_options(input, read_opts)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("option --out {}: cannot create it", out.display()))?;
    let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let progress = Progress::new(&input.display().to_string(), size, quiet);
    let source = open()?;
    let setup = setup::setup(source.info(), opts)?;
    Ok(Prepared { source, setup, progress })
}

/// `percycle analyze`: check the options, create `out`, open the recording, then stream it
/// through the engine into the files of `out` (see the crate's README for the list), with
/// progress on stderr unless `quiet`. Memory does not grow with the recording.
///
/// # Errors
/// An option out of range or not applying to the input (named), `out` that cannot be created
/// (before anything is read), a read error naming the file and line, a write error naming the
/// file.
pub fn analyze_file(
    input: &Path,
    read_opts: &ReadOptions,
    opts: &Options,
    out: &Path,
    per_cycle_harmonics: bool,
    quiet: bool,
) -> Result<FileAnalysis> {
    run_prepared(prepare(input, read_opts, opts, out, quiet)?, opts, out, per_cycle_harmonics)
}

/// The folder of a PQDIF observation: its index and its name, spaces and signs as `_`.
pub fn observation_folder(index: usize, name: &str) -> String {
    let clean: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("{index:02}_{}", clean.trim_matches('_'))
}

/// `percycle analyze` of any recording: [`analyze_file`] into `out`, except a PQDIF file, whose
/// observations that hold waveforms are each analysed into their own folder of `out`
/// ([`observation_folder`]). Returns each folder with what was done there.
///
/// # Errors
/// As [`analyze_file`], naming the observation for PQDIF.
pub fn analyze_recording(
    input: &Path,
    read_opts: &ReadOptions,
    opts: &Options,
    out: &Path,
    per_cycle_harmonics: bool,
    quiet: bool,
) -> Result<Vec<(std::path::PathBuf, FileAnalysis)>> {
    let is_pqdif = input.extension().is_some_and(|e| e.eq_ignore_ascii_case("pqd"));
    if !is_pqdif {
        let done = analyze_file(input, read_opts, opts, out, per_cycle_harmonics, quiet)?;
        return Ok(vec![(out.to_path_buf(), done)]);
    }
    setup::check_options(opts)?;
    read::check_options(input, read_opts)?;
    let mut done = Vec::new();
    for obs in read::pqdif::observations(input)?.into_iter().filter(|o| o.has_waveforms) {
        let dir = out.join(observation_folder(obs.index, &obs.name));
        let what = || format!("observation {} ({})", obs.index, obs.name);
        let prepared = prepare_with(input, read_opts, opts, &dir, quiet, || {
            Ok(Box::new(read::PqdifSource::open(input, obs.index, read_opts.channels.as_deref())?))
        })
        .with_context(what)?;
        let a = run_prepared(prepared, opts, &dir, per_cycle_harmonics).with_context(what)?;
        done.push((dir, a));
    }
    if done.is_empty() {
        anyhow::bail!("{}: no observation holds waveforms", input.display());
    }
    Ok(done)
}

/// Stream a prepared recording into the files of `out`.
fn run_prepared(
    prepared: Prepared,
    opts: &Options,
    out: &Path,
    per_cycle_harmonics: bool,
) -> Result<FileAnalysis> {
    let Prepared { mut source, setup, mut progress } = prepared;
    let mut files = FileWriters::create(out, &setup.config, per_cycle_harmonics)?;
    let mut evaluation = Evaluation::new(&setup.config);
    let mut count = Count::default();
    let mut summary = drive::run(
        source.as_mut(),
        &setup,
        Some(&mut progress),
        &mut Tee(vec![&mut files, &mut evaluation, &mut count]),
    )?;
    let missing = files.finish()?;
    if !missing.is_empty() {
        summary.notes.push(format!(
            "cycle_harmonics.csv: the last {} cycles ({}) have no harmonics (the engine hands \
             them out at the end of the stream without a spectrum)",
            missing.len(),
            missing.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    let report = evaluation.report(&setup::en50160_config(&setup.config, opts))?;
    write::write_summary(out, &summary, &report)?;
    Ok(FileAnalysis { setup, summary, cycles: count.cycles, intervals: count.intervals })
}
