//! The streaming driver: blocks from a [`Source`] into the engine as they arrive, every record
//! out to a [`Sink`] as it comes, progress on the way. Memory does not grow with the recording.

use crate::setup::Setup;
use crate::source::Source;
use anyhow::{anyhow, Result};
use percycle_engine::{
    AggregateReport, Config, CycleReport, CycleSpectrum, EnergyRegisters, FrequencyReport,
    IntervalReport, Meter, Output, PqCounters, Snapshot, VoltageEvent,
};
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

/// The engine state used for files: 2048 samples of ring cover every rate up to 32 kHz.
pub type FileMeter = Meter<2048>;

/// Frames handed to the engine per block.
pub const BLOCK_FRAMES: usize = 8192;

/// A sample in V or A as the engine's f32 path takes it: a finite value beyond the f32 range
/// becomes the largest f32 of its sign (so it is clipped, not missing); NaN and ±∞ stay
/// missing samples.
#[inline]
pub fn engine_value(x: f64) -> f32 {
    if x.is_finite() {
        x.clamp(-f32::MAX as f64, f32::MAX as f64) as f32
    } else {
        x as f32
    }
}

/// One record of the engine, as the driver hands it out.
#[derive(Clone, Copy, Debug)]
pub enum Record<'a> {
    /// A cycle's report, with its harmonics (`None` where the source has none: a board's
    /// reports over the wire).
    Cycle(&'a CycleReport, Option<&'a CycleSpectrum>),
    /// A 10/12-cycle interval.
    Interval(&'a IntervalReport),
    /// A dip, swell, interruption, RVC or voltage condition, once it ended.
    Event(&'a VoltageEvent),
    /// A 10-s power-frequency value.
    Frequency(&'a FrequencyReport),
    /// A grid snapshot taken when an event started.
    Snapshot(&'a Snapshot),
    /// A 150/180-cycle, 10-min or 2-h value.
    Aggregate(&'a AggregateReport),
}

impl<'a> Record<'a> {
    /// The record of an engine output (`None` for a kind this version does not know).
    pub fn of(o: Output<'a>) -> Option<Self> {
        Some(match o {
            Output::Cycle(r, s) => Record::Cycle(r, Some(s)),
            Output::Interval(x) => Record::Interval(x),
            Output::Event(x) => Record::Event(x),
            Output::Frequency(x) => Record::Frequency(x),
            Output::Snapshot(x) => Record::Snapshot(x),
            Output::Aggregate(x) => Record::Aggregate(x),
            _ => return None,
        })
    }
}

/// Receives every record of an analysis, in order.
pub trait Sink {
    /// One record.
    ///
    /// # Errors
    /// A write error (the analysis stops at the end of the block).
    fn record(&mut self, r: Record<'_>) -> Result<()>;
}

/// Every record to each of several sinks, in order.
pub struct Tee<'a>(pub Vec<&'a mut dyn Sink>);

impl Sink for Tee<'_> {
    fn record(&mut self, r: Record<'_>) -> Result<()> {
        self.0.iter_mut().try_for_each(|s| s.record(r))
    }
}

/// The state at the end of a stream.
#[derive(Clone, Debug)]
pub struct Summary {
    /// The configuration the engine ran with.
    pub config: Config,
    /// Frames read from the source.
    pub frames: u64,
    /// Registers after the whole stream.
    pub energy: EnergyRegisters,
    /// The engine's event occurrence counters.
    pub counters: PqCounters,
    /// Events the engine could not queue (reported, never silent).
    pub events_dropped: u32,
    /// Aggregated values the engine could not queue.
    pub aggregates_dropped: u32,
    /// 10-min windows left out for holding fewer than 90 % of their intervals.
    pub incomplete_windows: u32,
    /// Notes of the setup and of the source.
    pub notes: Vec<String>,
}

/// Progress of a long analysis on stderr: bytes read, rate and time left, from the first byte.
/// On a terminal a bar; otherwise a plain line every [`Progress::PLAIN_EVERY`] (or every
/// `PERCYCLE_PROGRESS_EVERY_S` seconds when that is set in the environment); nothing when quiet.
pub struct Progress {
    name: String,
    total: u64,
    start: Instant,
    last: Instant,
    every: Duration,
    bar: Option<indicatif::ProgressBar>,
    plain: bool,
}

impl Progress {
    /// Time between two plain progress lines.
    pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

    /// The time between plain lines: `PERCYCLE_PROGRESS_EVERY_S` when it is a number of
    /// seconds from 0 to one day, else [`Progress::PLAIN_EVERY`].
    fn period() -> Duration {
        std::env::var("PERCYCLE_PROGRESS_EVERY_S")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| (0.0..=86_400.0).contains(s))
            .map_or(Self::PLAIN_EVERY, Duration::from_secs_f64)
    }

    /// Progress of reading `total` bytes of `name`; `quiet` shows nothing.
    pub fn new(name: &str, total: u64, quiet: bool) -> Self {
        let terminal = !quiet && std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {percent:>3}% {bytes}/{total_bytes}, {bytes_per_sec}, eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        let now = Instant::now();
        Self {
            name: name.to_string(),
            total,
            start: now,
            last: now,
            every: Self::period(),
            bar,
            plain: !quiet && !terminal,
        }
    }

    /// `done` bytes of the total have been read.
    pub fn update(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        } else if self.plain && self.last.elapsed() >= self.every {
            self.last = Instant::now();
            eprintln!("{}", self.line(done));
        }
    }

    /// The plain progress line after `done` bytes.
    pub fn line(&self, done: u64) -> String {
        let s = self.start.elapsed().as_secs_f64().max(1e-9);
        let rate = done as f64 / s;
        let left = self.total.saturating_sub(done) as f64 / rate.max(1.0);
        format!(
            "{}: {:.1} of {:.1} MB ({:.1} %), {:.1} MB/s, about {:.0} s left",
            self.name,
            done as f64 / 1e6,
            self.total as f64 / 1e6,
            100.0 * done as f64 / (self.total.max(1)) as f64,
            rate / 1e6,
            left
        )
    }

    /// The end: the bar cleared.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Run a source through the engine set up by `setup`, block by block; every record goes to
/// `sink` as it comes. Samples reach the engine in V and A through its f32 path, quantised to
/// each channel's range (never to the data's peak); a missing sample stays missing.
///
/// # Errors
/// A read error of the source (naming the file and line), or the sink's first error.
pub fn run(
    source: &mut dyn Source,
    setup: &Setup,
    mut progress: Option<&mut Progress>,
    sink: &mut dyn Sink,
) -> Result<Summary> {
    let mut meter =
        Box::new(FileMeter::new(setup.config).map_err(|e| anyhow!("engine configuration: {e}"))?);
    let nsrc = source.info().channels.len();
    let nch = setup.mapping.len();
    let mut block = Vec::with_capacity(BLOCK_FRAMES * nsrc);
    let mut frames32: Vec<f32> = Vec::with_capacity(BLOCK_FRAMES * nch);
    let mut frames = 0u64;
    let mut failed: Option<anyhow::Error> = None;
    loop {
        let n = source.read(&mut block, BLOCK_FRAMES)?;
        if n == 0 {
            break;
        }
        frames += n as u64;
        frames32.clear();
        for frame in block.chunks_exact(nsrc) {
            // A channel the source does not have is zero (and the engine flags it).
            frames32
                .extend(setup.mapping.iter().map(|m| m.map_or(0.0, |k| engine_value(frame[k]))));
        }
        meter.process_f32_block_with(&frames32, |o| {
            if let (None, Some(r)) = (&failed, Record::of(o)) {
                if let Err(e) = sink.record(r) {
                    failed = Some(e);
                }
            }
        });
        if let Some(e) = failed.take() {
            return Err(e);
        }
        if let Some(p) = progress.as_deref_mut() {
            p.update(source.position().0);
        }
    }
    meter.finish_with(|o| {
        if let (None, Some(r)) = (&failed, Record::of(o)) {
            if let Err(e) = sink.record(r) {
                failed = Some(e);
            }
        }
    });
    if let Some(e) = failed.take() {
        return Err(e);
    }
    if let Some(p) = progress {
        p.finish();
    }
    let mut notes = setup.notes.clone();
    notes.extend(source.notes());
    if frames == 0 {
        notes.push(format!("{}: no samples", source.info().path.display()));
    }
    Ok(Summary {
        config: setup.config,
        frames,
        energy: *meter.energy(),
        counters: *meter.counters(),
        events_dropped: meter.events_dropped(),
        aggregates_dropped: meter.aggregates_dropped(),
        incomplete_windows: meter.incomplete_windows(),
        notes,
    })
}
