//! Writers of an analysis: they only write. [`FileWriters`] streams every record into its CSV
//! file as it comes; [`write_summary`] writes what exists only at the end (registers, counters,
//! the EN 50160 report).

use crate::aggregate::Aggregate;
use crate::drive::{Record, Sink, Summary};
use crate::en50160::{self, En50160Report};
use anyhow::{Context, Result};
use percycle_engine::{
    AggregateKind, Config, CycleReport, CycleSpectrum, EventKind, Flags, IntervalReport, Registers,
    Topology, VoltageEvent, MAX_ORDER,
};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Header of `cycles.csv`.
pub const CYCLES_HEADER: &str = "cycle,start_s,frequency_hz,u1_rms,u2_rms,u3_rms,i1_rms,i2_rms,i3_rms,in_rms,\
p1_w,p2_w,p3_w,q1_var,q2_var,q3_var,s1_va,s2_va,s3_va,pf1,pf2,pf3,p_total_w,q_total_var,s_total_va,pf_total,\
u12_rms,u23_rms,u31_rms,u1_half_rms,u2_half_rms,u3_half_rms,in_computed_rms,flags";

/// Header of `intervals.csv`.
pub const INTERVALS_HEADER: &str = "interval,start_s,frequency_hz,\
u1_rms,u2_rms,u3_rms,i1_rms,i2_rms,i3_rms,in_rms,\
thd_u1_pct,thd_u2_pct,thd_u3_pct,thd_i1_pct,thd_i2_pct,thd_i3_pct,thd_in_pct,\
thd40_u1_pct,thd40_u2_pct,thd40_u3_pct,thd40_i1_pct,thd40_i2_pct,thd40_i3_pct,thd_top_order,flags";

const AGGREGATES_HEADER: &str = "start_s,length_s,values,flagged,frequency_hz,u1_rms,u2_rms,\
u3_rms,i1_rms,i2_rms,i3_rms,u2_unbalance_pct,u0_unbalance_pct,thd40_u1_pct,thd40_u2_pct,\
thd40_u3_pct";

/// Names of the set flags, joined by `|` (the engine's [`Flags::NAMES`]).
pub fn flag_names(f: Flags) -> String {
    let set: Vec<&str> =
        Flags::NAMES.iter().filter(|(fl, _)| f.contains(*fl)).map(|(_, n)| *n).collect();
    set.join("|")
}

/// One `cycles.csv` row.
pub fn cycle_row(r: &CycleReport, fs: f32) -> String {
    // A cycle without a measured period of a locked fundamental has no frequency to print.
    let mut s = if r.flags.frequency_valid() {
        format!("{},{:.9},{:.6}", r.index, r.start_s(fs), r.frequency)
    } else {
        format!("{},{:.9},", r.index, r.start_s(fs))
    };
    let groups: [&[f32]; 14] = [
        &r.u_rms,
        &r.i_rms,
        std::slice::from_ref(&r.in_rms),
        &r.p_active,
        &r.q_reactive,
        &r.s_apparent,
        &r.power_factor,
        std::slice::from_ref(&r.p_total),
        std::slice::from_ref(&r.q_total),
        std::slice::from_ref(&r.s_total),
        std::slice::from_ref(&r.pf_total),
        &r.u_ll_rms,
        &r.u_rms_half[0],
        std::slice::from_ref(&r.in_computed_rms),
    ];
    for v in groups.iter().flat_map(|g| g.iter()) {
        let _ = write!(s, ",{v}");
    }
    let _ = write!(s, ",{}", flag_names(r.flags));
    s
}

/// Frame channel of each column slot U1..U3, I1..I3, IN (`None` where the topology has none).
fn slots(t: Topology) -> [Option<usize>; 7] {
    match t {
        Topology::SinglePhase => [Some(0), None, None, Some(1), None, None, None],
        Topology::ThreePhase4W => [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)],
        Topology::ThreePhase3W => [Some(0), None, Some(1), Some(2), None, Some(3), None],
    }
}

/// One `intervals.csv` row: rms and THDS (subgroups, orders 2..=50; `thd40` over 2..=40), each
/// up to the configuration's top order (`thd_top_order`, [`Config::max_order`]).
pub fn interval_row(r: &IntervalReport, config: &Config) -> String {
    let (topology, fs) = (config.topology, config.sample_rate_hz);
    let slot = slots(topology);
    let pick = |v: &[f32; 7], k: usize| slot[k].map_or(0.0, |c| v[c]);
    let mut s = format!("{},{:.9},{:.6}", r.index, r.start.seconds(fs), r.frequency);
    for k in 0..7 {
        let _ = write!(s, ",{}", pick(&r.rms, k));
    }
    for k in 0..7 {
        let _ = write!(s, ",{}", pick(&r.thds_pct, k));
    }
    for k in 0..6 {
        let _ = write!(s, ",{}", pick(&r.thds40_pct, k));
    }
    let _ = write!(s, ",{},{}", config.max_order(), flag_names(r.flags));
    s
}

/// One aggregates row (3-s, 10-min or 2-h value).
fn aggregate_row(v: &Aggregate) -> String {
    let pick = |x: &[f64], k: usize| x.get(k).copied().unwrap_or(0.0);
    format!(
        "{},{},{},{},{:.6},{},{},{},{},{},{},{:.4},{:.4},{:.4},{:.4},{:.4}",
        v.start_s,
        v.length_s,
        v.values,
        v.flagged,
        v.frequency_hz,
        pick(&v.u_rms, 0),
        pick(&v.u_rms, 1),
        pick(&v.u_rms, 2),
        pick(&v.i_rms, 0),
        pick(&v.i_rms, 1),
        pick(&v.i_rms, 2),
        v.u2_pct,
        v.u0_pct,
        pick(&v.thd40_pct, 0),
        pick(&v.thd40_pct, 1),
        pick(&v.thd40_pct, 2)
    )
}

/// Phases of an event's bit mask as `L1|L3`.
fn phase_names(mask: u8) -> String {
    (0..3)
        .filter(|p| mask & (1 << p) != 0)
        .map(|p| format!("L{}", p + 1))
        .collect::<Vec<_>>()
        .join("|")
}

/// One `events.csv` row.
fn event_row(e: &VoltageEvent, config: &Config) -> String {
    let fs = config.sample_rate_hz;
    let pct = 100.0 * e.extreme_v as f64 / config.declared_voltage as f64;
    let d = e.duration_s(fs);
    // The cell is the engine's (the extreme in % of the event's reference), as counted.
    let of_reference = e.extreme_pct() as f64;
    let (kind, cell) = match e.kind {
        EventKind::Dip => ("dip", en50160::dip_cell(of_reference, d).unwrap_or("")),
        EventKind::Swell => ("swell", en50160::swell_cell(of_reference, d).unwrap_or("")),
        EventKind::Interruption => {
            ("interruption", if en50160::interruption_is_short(d) { "short" } else { "long" })
        }
        EventKind::Rvc => ("rvc", ""),
        EventKind::MissingPhase => ("missing_phase", ""),
        EventKind::BrokenNeutral => ("broken_neutral", ""),
        EventKind::PhaseSequence => ("phase_sequence", ""),
        EventKind::LowVoltage => ("low_voltage", ""),
        _ => ("other", ""),
    };
    format!(
        "{kind},{:.6},{:.6},{},{pct:.4},{cell},{}",
        e.start.seconds(fs),
        d,
        phase_names(e.phases),
        e.open_at_end
    )
}

/// One CSV file being written, under `<name>.partial` until it is finished: a run that fails
/// half way leaves no file that looks complete, and keeps an earlier complete one.
struct Csv {
    path: PathBuf,
    partial: PathBuf,
    out: Option<std::io::BufWriter<std::fs::File>>,
}

impl Csv {
    fn create(dir: &Path, name: &str, header: &str) -> Result<Self> {
        let path = dir.join(name);
        let partial = dir.join(format!("{name}.partial"));
        let file = std::fs::File::create(&partial)
            .with_context(|| format!("creating {}", partial.display()))?;
        let mut csv =
            Self { path, partial, out: Some(std::io::BufWriter::with_capacity(1 << 16, file)) };
        csv.line(header)?;
        Ok(csv)
    }

    fn line(&mut self, s: &str) -> Result<()> {
        let out = self.out.as_mut().context("writing after finish")?;
        writeln!(out, "{s}").with_context(|| format!("writing {}", self.partial.display()))
    }

    fn finish(mut self) -> Result<()> {
        if let Some(mut out) = self.out.take() {
            out.flush().with_context(|| format!("writing {}", self.partial.display()))?;
        }
        std::fs::rename(&self.partial, &self.path).with_context(|| {
            format!("renaming {} to {}", self.partial.display(), self.path.display())
        })
    }
}

impl Drop for Csv {
    fn drop(&mut self) {
        // Not finished: the run failed, and its partial file goes.
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Every record of an analysis streamed into its file in `dir` as it comes: `cycles.csv`,
/// `intervals.csv`, `harmonics.csv`, `events.csv`, `snapshots.csv`, `frequency_10s.csv`,
/// `aggregates_3s.csv`, `aggregates_10min.csv`, `aggregates_2h.csv` and, when asked,
/// `cycle_harmonics.csv`. Each is written as `<name>.partial` and takes its name at
/// [`FileWriters::finish`]; dropped unfinished (the run failed), the partial files are removed.
pub struct FileWriters {
    config: Config,
    cycles: Csv,
    cycle_harmonics: Option<Csv>,
    cycles_without_harmonics: Vec<u64>,
    intervals: Csv,
    harmonics: Csv,
    events: Csv,
    snapshots: Csv,
    frequency: Csv,
    aggregates: [Csv; 3],
}

impl FileWriters {
    /// Create the files in `dir` (created if needed) for an engine configured with `config`.
    ///
    /// # Errors
    /// I/O errors naming the directory or the file.
    pub fn create(dir: &Path, config: &Config, per_cycle_harmonics: bool) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating output directory {}", dir.display()))?;
        let snapshot_header =
            format!("trigger,cycle,start_s,{}", percycle_engine::SNAPSHOT_NAMES.join(","));
        Ok(Self {
            config: *config,
            cycles: Csv::create(dir, "cycles.csv", CYCLES_HEADER)?,
            cycle_harmonics: if per_cycle_harmonics {
                Some(Csv::create(
                    dir,
                    "cycle_harmonics.csv",
                    "cycle,channel,order,rms,phase_deg,pct_of_fundamental",
                )?)
            } else {
                None
            },
            cycles_without_harmonics: Vec::new(),
            intervals: Csv::create(dir, "intervals.csv", INTERVALS_HEADER)?,
            harmonics: Csv::create(
                dir,
                "harmonics.csv",
                "interval,channel,order,rms,pct_of_fundamental,interharmonic_rms",
            )?,
            events: Csv::create(
                dir,
                "events.csv",
                "kind,start_s,duration_s,phases,extreme_pct_of_declared,class_cell,open_at_end",
            )?,
            snapshots: Csv::create(dir, "snapshots.csv", &snapshot_header)?,
            frequency: Csv::create(dir, "frequency_10s.csv", "start_s,frequency_hz,cycles,flags")?,
            aggregates: [
                Csv::create(dir, "aggregates_3s.csv", AGGREGATES_HEADER)?,
                Csv::create(dir, "aggregates_10min.csv", AGGREGATES_HEADER)?,
                Csv::create(dir, "aggregates_2h.csv", AGGREGATES_HEADER)?,
            ],
        })
    }

    /// Orders above the top order are absent: their fields are empty.
    fn cycle_harmonics(
        out: &mut Csv,
        config: &Config,
        r: &CycleReport,
        s: &CycleSpectrum,
    ) -> Result<()> {
        let top = config.max_order();
        for (c, name) in config.topology.channel_names().iter().enumerate() {
            let fund = s.harmonics[c][1].magnitude();
            for (h, p) in s.harmonics[c].iter().enumerate() {
                if h > top {
                    out.line(&format!("{},{name},{h},,,", r.index))?;
                    continue;
                }
                let m = if h == 0 { p.re.abs() } else { p.magnitude() };
                let phase = if h == 0 { 0.0 } else { p.im.atan2(p.re).to_degrees() };
                let pct = if fund > 0.0 { 100.0 * m / fund } else { 0.0 };
                out.line(&format!("{},{name},{h},{m},{phase},{pct}", r.index))?;
            }
        }
        Ok(())
    }

    /// Flush every file. Returns the cycles whose harmonics could not be written (the last
    /// two of a stream, which the engine hands out without them), for a note.
    ///
    /// # Errors
    /// The first I/O error, naming the file.
    pub fn finish(self) -> Result<Vec<u64>> {
        let Self {
            cycles,
            cycle_harmonics,
            cycles_without_harmonics,
            intervals,
            harmonics,
            events,
            snapshots,
            frequency,
            aggregates,
            ..
        } = self;
        cycles.finish()?;
        let written = cycle_harmonics.is_some();
        if let Some(c) = cycle_harmonics {
            c.finish()?;
        }
        for csv in [intervals, harmonics, events, snapshots, frequency] {
            csv.finish()?;
        }
        for csv in aggregates {
            csv.finish()?;
        }
        Ok(if written { cycles_without_harmonics } else { Vec::new() })
    }
}

impl Sink for FileWriters {
    fn record(&mut self, r: Record<'_>) -> Result<()> {
        let fs = self.config.sample_rate_hz;
        let topology = self.config.topology;
        match r {
            Record::Cycle(c, spectrum) => {
                self.cycles.line(&cycle_row(c, fs))?;
                if let Some(out) = &mut self.cycle_harmonics {
                    match spectrum {
                        Some(s) => Self::cycle_harmonics(out, &self.config, c, s)?,
                        None => self.cycles_without_harmonics.push(c.index),
                    }
                }
            }
            Record::Interval(iv) => {
                self.intervals.line(&interval_row(iv, &self.config))?;
                // Orders above the top order are absent (empty); so is the interharmonic
                // subgroup of the top order, which reaches past it.
                let top = self.config.max_order();
                for (c, name) in topology.channel_names().iter().enumerate() {
                    let g = &iv.subgroups[c];
                    for h in 0..=MAX_ORDER {
                        let ih = if h < top {
                            iv.interharmonic_subgroups[c][h].to_string()
                        } else {
                            String::new()
                        };
                        let line = if h <= top {
                            let pct = if g[1] > 0.0 { 100.0 * g[h] / g[1] } else { 0.0 };
                            format!("{},{name},{h},{},{pct},{ih}", iv.index, g[h])
                        } else {
                            format!("{},{name},{h},,,", iv.index)
                        };
                        self.harmonics.line(&line)?;
                    }
                }
            }
            Record::Event(e) => self.events.line(&event_row(e, &self.config))?,
            Record::Snapshot(snap) => {
                let values: Vec<String> = snap.values.iter().map(|v| v.to_string()).collect();
                self.snapshots.line(&format!(
                    "{:?},{},{:.6},{}",
                    snap.trigger,
                    snap.cycle,
                    snap.start.seconds(fs),
                    values.join(",")
                ))?;
            }
            Record::Frequency(f) => self.frequency.line(&format!(
                "{},{:.6},{},{}",
                10 * f.interval,
                f.frequency,
                f.cycles,
                flag_names(f.flags)
            ))?,
            Record::Aggregate(x) => {
                let k = match x.kind {
                    AggregateKind::ThreeSecond => 0,
                    AggregateKind::TenMinute => 1,
                    _ => 2,
                };
                self.aggregates[k].line(&aggregate_row(&Aggregate::of(x, &self.config)))?;
            }
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct RegistersJson {
    a_plus_wh: f64,
    a_minus_wh: f64,
    r_plus_varh: f64,
    r_minus_varh: f64,
    r1_varh: f64,
    r2_varh: f64,
    r3_varh: f64,
    r4_varh: f64,
}

impl From<&Registers> for RegistersJson {
    fn from(r: &Registers) -> Self {
        let [a_plus_wh, a_minus_wh, r_plus_varh, r_minus_varh, r1_varh, r2_varh, r3_varh, r4_varh] =
            r.to_wh();
        Self {
            a_plus_wh,
            a_minus_wh,
            r_plus_varh,
            r_minus_varh,
            r1_varh,
            r2_varh,
            r3_varh,
            r4_varh,
        }
    }
}

#[derive(Serialize)]
struct EnergyJson {
    #[serde(flatten)]
    total: RegistersJson,
    phases: Vec<RegistersJson>,
    pulses: percycle_engine::Pulses,
    meter_constant_imp_per_kwh: u32,
    resolution: &'static str,
    raw_total_uws: Registers,
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .with_context(|| format!("encoding {}", path.display()))?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// Write what exists only at the end of a stream into `dir`: `energy.json` (registers and
/// pulses), `pq_counters.json` (the meter's occurrence counters and what it could not queue)
/// and `en50160.json`.
///
/// # Errors
/// I/O errors naming the file.
pub fn write_summary(dir: &Path, summary: &Summary, en50160: &En50160Report) -> Result<()> {
    let phases = match summary.config.topology {
        Topology::SinglePhase => 1,
        _ => 3,
    };
    let e = &summary.energy;
    write_json(
        &dir.join("energy.json"),
        &EnergyJson {
            total: (&e.total).into(),
            phases: e.phase[..phases].iter().map(Into::into).collect(),
            pulses: e.pulses,
            meter_constant_imp_per_kwh: summary.config.meter_constant_imp_per_kwh,
            resolution: "1 µW·s (µvar·s) per register unit",
            raw_total_uws: e.total,
        },
    )?;
    let c = &summary.counters;
    write_json(
        &dir.join("pq_counters.json"),
        &serde_json::json!({
            "dips": c.dips,
            "dips_unclassified": c.dips_unclassified,
            "swells": c.swells,
            "swells_unclassified": c.swells_unclassified,
            "short_interruptions": c.short_interruptions,
            "long_interruptions": c.long_interruptions,
            "rvc": c.rvc,
            "events_dropped": summary.events_dropped,
            "aggregates_dropped": summary.aggregates_dropped,
            "incomplete_10min_windows": summary.incomplete_windows,
        }),
    )?;
    write_json(&dir.join("en50160.json"), en50160)
}
