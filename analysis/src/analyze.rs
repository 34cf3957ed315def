//! `percycle analyze`: a waveform file through the engine, per-cycle table and energy registers out.

use crate::aggregate;
use crate::en50160::{self, En50160Config};
use anyhow::{bail, Context, Result};
use percycle_engine::{
    ChannelCal, Config, ConfigError, CycleReport, CycleSpectrum, EnergyRegisters, Flags,
    IntervalReport, Meter, Output, Registers, Topology, DEFAULT_INPUT_LIMIT_LSB, MAX_ORDER,
};
use percycle_engine::{EventKind, FrequencyReport, VoltageEvent};
use percycle_vectors::Waveform;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// The engine state used for files: 2048 samples of ring cover every rate up to 32 kHz.
pub type FileMeter = Meter<2048>;

/// Headroom over a channel's largest sample when choosing its quantisation step.
const HEADROOM: f64 = 1.05;

/// Options of an analysis; `None` picks the default.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Nominal mains frequency (50 or 60 Hz); default 50.
    pub nominal_hz: Option<f32>,
    /// Declared voltage Udin, V; default 230 (400 for 3P3W).
    pub declared_voltage: Option<f32>,
    /// Show a progress bar on stderr (only drawn on a terminal).
    pub progress: bool,
    /// Aggregation window for the "10-min" values, s; default 600.
    pub aggregate_s: Option<f64>,
    /// EN 50160 observation period, s; default one week.
    pub observation_s: Option<f64>,
    /// Full scale of the converter of each waveform channel (in the waveform's channel order):
    /// the value of a sample at its rail, V or A peak. When given, each engine channel is
    /// calibrated to it ([`ChannelCal::for_full_scale`]) and the engine's input limit is the
    /// rail of that code range ([`DEFAULT_INPUT_LIMIT_LSB`], `2^23 − 1`), so a sample stored at
    /// the converter's rail is flagged clipped. When `None`, each channel's range spans its own
    /// largest sample with 5 % headroom, which cannot recognise clipping.
    pub full_scale: Option<Vec<f64>>,
}

/// Receives each cycle's report with its harmonics while the file is processed.
pub type CycleSink<'a> = &'a mut dyn FnMut(&CycleReport, &CycleSpectrum);

/// What an analysis produced.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The configuration the engine ran with.
    pub config: Config,
    /// Every cycle report, in order.
    pub cycles: Vec<CycleReport>,
    /// Every 10/12-cycle interval, in order.
    pub intervals: Vec<IntervalReport>,
    /// Every completed dip, swell and interruption, in order.
    pub events: Vec<VoltageEvent>,
    /// Every 10-s power-frequency value.
    pub frequency: Vec<FrequencyReport>,
    /// Grid snapshots taken when events started.
    pub snapshots: Vec<percycle_engine::Snapshot>,
    /// The engine's event occurrence counters at the end.
    pub counters: percycle_engine::PqCounters,
    /// Events the engine could not queue (should be zero: reported, never silent).
    pub events_dropped: u32,
    /// The engine's 150/180-cycle, 10-min and 2-h values, in the order they completed.
    pub aggregates: Vec<percycle_engine::AggregateReport>,
    /// 10-min windows the engine left out for holding fewer than 90 % of their intervals.
    pub incomplete_windows: u32,
    /// The options the analysis ran with.
    pub options: Options,
    /// Registers after the whole file.
    pub energy: EnergyRegisters,
    /// File channel index of each engine channel (frame order); `None` where the file has none.
    pub mapping: Vec<Option<usize>>,
    /// Notes for the user (absent channels, ignored channels).
    pub notes: Vec<String>,
}

/// Which engine topology a set of channel names fits, with the file index of each frame channel.
///
/// # Errors
/// When the names fit no topology; the message lists the names found and those expected.
pub fn map_channels(names: &[String]) -> Result<(Topology, Vec<Option<usize>>, Vec<String>)> {
    let upper: Vec<String> = names.iter().map(|n| n.trim().to_ascii_uppercase()).collect();
    let find = |n: &str| upper.iter().position(|x| x == n);
    let has = |list: &[&str]| list.iter().all(|n| find(n).is_some());
    let topology = if has(&["U1", "U2", "U3", "I1", "I2", "I3"]) {
        Topology::ThreePhase4W
    } else if has(&["U12", "U32", "I1", "I3"]) {
        Topology::ThreePhase3W
    } else if has(&["U1"]) && find("U2").is_none() {
        Topology::SinglePhase
    } else {
        bail!(
            "channels [{}] fit no topology: expected U1,U2,U3,I1,I2,I3[,IN] (3P4W), \
             U12,U32,I1,I3 (3P3W) or U1[,I1] (single phase)",
            names.join(",")
        );
    };
    let wanted = topology.channel_names();
    let mapping: Vec<Option<usize>> = wanted.iter().map(|n| find(n)).collect();
    let mut notes = Vec::new();
    for (name, m) in wanted.iter().zip(&mapping) {
        if m.is_none() {
            notes.push(format!("channel {name} is not in the file: taken as zero"));
        }
    }
    for (k, n) in names.iter().enumerate() {
        if !mapping.contains(&Some(k)) {
            notes.push(format!("channel {n} is not used by the {topology:?} topology: ignored"));
        }
    }
    Ok((topology, mapping, notes))
}

/// Check the options that do not depend on the file, before any file is read: the engine's own
/// validation of the configuration they set, and the EN 50160 evaluator's of the observation
/// period; the error names the command-line option.
///
/// # Errors
/// The first option out of range, e.g. `--aggregate-s NaN`.
pub fn check_options(opts: &Options) -> Result<()> {
    let nominal_hz = opts.nominal_hz.unwrap_or(50.0);
    let mut config = Config::new(Topology::SinglePhase, 10_000.0, nominal_hz);
    if let Some(v) = opts.declared_voltage {
        config.declared_voltage = v;
        config.zc_hysteresis_v = 0.02 * v;
    }
    if let Some(w) = opts.aggregate_s {
        config.aggregation.window_s = w as f32;
    }
    if let Err(e) = config.validate() {
        let option = match e {
            ConfigError::OutOfRange("nominal_hz") => {
                format!("--nominal-hz {nominal_hz}: 50 or 60")
            }
            ConfigError::OutOfRange("declared_voltage" | "zc_hysteresis_v") => format!(
                "--declared-voltage {}: 1 to 1000000 V",
                opts.declared_voltage.unwrap_or_default()
            ),
            ConfigError::OutOfRange("aggregation.window_s") => {
                format!("--aggregate-s {}: 0.2 to 86400 s", opts.aggregate_s.unwrap_or_default())
            }
            other => format!("{other}"),
        };
        bail!("option {option}");
    }
    let en = En50160Config {
        nominal_hz: nominal_hz as f64,
        observation_s: opts.observation_s.unwrap_or(en50160::ONE_WEEK_S),
        aggregate_s: config.aggregation.window_s as f64,
        ..En50160Config::default()
    };
    if let Err(e) = en.validate() {
        bail!(
            "option --observation-s {}: {e}",
            opts.observation_s.map_or("(default)".to_string(), |v| v.to_string())
        );
    }
    Ok(())
}

/// Run a waveform through the engine.
///
/// # Errors
/// Channel names that fit no topology, or a configuration the engine rejects (the message names
/// the field, e.g. a sample rate outside 4..32 kHz).
pub fn analyze_waveform(w: &Waveform, opts: &Options) -> Result<Analysis> {
    analyze_waveform_with(w, opts, &mut |_, _| {})
}

/// As [`analyze_waveform`], handing every cycle's harmonics to `per_cycle` as they come.
///
/// # Errors
/// As [`analyze_waveform`].
pub fn analyze_waveform_with(
    w: &Waveform,
    opts: &Options,
    per_cycle: CycleSink<'_>,
) -> Result<Analysis> {
    let (topology, mapping, notes) = map_channels(&w.channels)?;
    let nominal_hz = opts.nominal_hz.unwrap_or(50.0);
    let mut config = Config::new(topology, w.sample_rate_hz as f32, nominal_hz);
    if let Some(v) = opts.declared_voltage {
        config.declared_voltage = v;
        config.zc_hysteresis_v = 0.02 * v;
    }
    if let Some(window) = opts.aggregate_s {
        config.aggregation.window_s = window as f32;
    }
    match &opts.full_scale {
        // The converter's own range: its rail is the engine's input limit.
        Some(full_scale) => {
            if full_scale.len() != w.channels.len()
                || !full_scale.iter().all(|f| f.is_finite() && *f > 0.0)
            {
                bail!(
                    "full scale {full_scale:?}: expected one positive value per channel of [{}]",
                    w.channels.join(",")
                );
            }
            for (c, m) in mapping.iter().enumerate() {
                let full = m.map_or(1.0, |k| full_scale[k]);
                config.calibration[c] = ChannelCal::for_full_scale(full as f32);
            }
            config.input_limit_lsb = DEFAULT_INPUT_LIMIT_LSB;
        }
        // No full scale known: quantise each channel with a step that spans its largest sample
        // (with headroom).
        None => {
            for (c, m) in mapping.iter().enumerate() {
                let peak = m
                    .map(|k| {
                        w.samples[k].iter().fold(0.0f64, |a, &x| {
                            if x.is_finite() {
                                a.max(x.abs())
                            } else {
                                a
                            }
                        })
                    })
                    .unwrap_or(0.0);
                let full = if peak > 0.0 { peak * HEADROOM } else { 1.0 };
                config.calibration[c] = ChannelCal::for_full_scale(full as f32);
            }
        }
    }
    let mut meter = Box::new(FileMeter::new(config).map_err(|e| {
        anyhow::anyhow!(
            "{e} (file: {} Hz sample rate, {} channels; nominal {nominal_hz} Hz)",
            w.sample_rate_hz,
            w.channels.len()
        )
    })?);

    let n = w.samples.first().map_or(0, Vec::len);
    let nch = topology.channels();
    let bar = if opts.progress && n as f64 / w.sample_rate_hz > 60.0 {
        let bar = indicatif::ProgressBar::new(n as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {percent:>3}% {pos}/{len} samples, eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let mut cycles = Vec::new();
    let mut intervals = Vec::new();
    let mut events = Vec::new();
    let mut frequency = Vec::new();
    let mut snapshots = Vec::new();
    let mut aggregates = Vec::new();
    const CHUNK: usize = 65_536;
    let mut block = Vec::with_capacity(CHUNK * nch);
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        block.clear();
        for k in start..end {
            for m in &mapping {
                block.push(m.map_or(0.0, |c| w.samples[c][k] as f32));
            }
        }
        meter.process_f32_block_with(&block, |o| match o {
            Output::Cycle(r, s) => {
                per_cycle(r, s);
                cycles.push(*r);
            }
            Output::Interval(iv) => intervals.push(*iv),
            Output::Event(e) => events.push(*e),
            Output::Frequency(f) => frequency.push(*f),
            Output::Snapshot(s) => snapshots.push(*s),
            Output::Aggregate(x) => aggregates.push(*x),
            _ => {}
        });
        if let Some(b) = &bar {
            b.set_position(end as u64);
        }
        start = end;
    }
    cycles.extend(meter.finish());
    if let Some(iv) = meter.take_interval() {
        intervals.push(*iv);
    }
    while let Some(e) = meter.take_event() {
        events.push(e);
    }
    while let Some(x) = meter.take_aggregate() {
        aggregates.push(x);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(Analysis {
        config,
        energy: *meter.energy(),
        cycles,
        intervals,
        events,
        frequency,
        events_dropped: meter.events_dropped(),
        aggregates,
        incomplete_windows: meter.incomplete_windows(),
        snapshots,
        counters: *meter.counters(),
        options: opts.clone(),
        mapping,
        notes,
    })
}

/// Header of `cycles.csv`.
pub const CYCLES_HEADER: &str = "cycle,start_s,frequency_hz,u1_rms,u2_rms,u3_rms,i1_rms,i2_rms,i3_rms,in_rms,\
p1_w,p2_w,p3_w,q1_var,q2_var,q3_var,s1_va,s2_va,s3_va,pf1,pf2,pf3,p_total_w,q_total_var,s_total_va,pf_total,\
u12_rms,u23_rms,u31_rms,u1_half_rms,u2_half_rms,u3_half_rms,in_computed_rms,flags";

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

/// Write `cycles.csv` and `energy.json` into `dir` (created if needed).
///
/// # Errors
/// I/O errors naming the file.
pub fn write_outputs(dir: &Path, a: &Analysis) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating output directory {}", dir.display()))?;
    let path = dir.join("cycles.csv");
    let file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let fs = a.config.sample_rate_hz;
    writeln!(out, "{CYCLES_HEADER}").with_context(|| format!("writing {}", path.display()))?;
    for r in &a.cycles {
        writeln!(out, "{}", cycle_row(r, fs))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    out.flush().with_context(|| format!("writing {}", path.display()))?;

    let phases = match a.config.topology {
        Topology::SinglePhase => 1,
        _ => 3,
    };
    let e = &a.energy;
    let json = EnergyJson {
        total: (&e.total).into(),
        phases: e.phase[..phases].iter().map(Into::into).collect(),
        pulses: e.pulses,
        meter_constant_imp_per_kwh: a.config.meter_constant_imp_per_kwh,
        resolution: "1 µW·s (µvar·s) per register unit",
        raw_total_uws: e.total,
    };
    let path = dir.join("energy.json");
    let text = serde_json::to_string_pretty(&json)?;
    std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    write_interval_outputs(dir, a)?;
    write_pq_outputs(dir, a)
}

/// Header of `intervals.csv`.
pub const INTERVALS_HEADER: &str = "interval,start_s,frequency_hz,\
u1_rms,u2_rms,u3_rms,i1_rms,i2_rms,i3_rms,in_rms,\
thd_u1_pct,thd_u2_pct,thd_u3_pct,thd_i1_pct,thd_i2_pct,thd_i3_pct,thd_in_pct,\
thd40_u1_pct,thd40_u2_pct,thd40_u3_pct,thd40_i1_pct,thd40_i2_pct,thd40_i3_pct,flags";

/// Frame channel of each column slot U1..U3, I1..I3, IN (`None` where the topology has none).
fn slots(t: Topology) -> [Option<usize>; 7] {
    match t {
        Topology::SinglePhase => [Some(0), None, None, Some(1), None, None, None],
        Topology::ThreePhase4W => [Some(0), Some(1), Some(2), Some(3), Some(4), Some(5), Some(6)],
        Topology::ThreePhase3W => [Some(0), None, Some(1), Some(2), None, Some(3), None],
    }
}

/// One `intervals.csv` row: rms and THDS (subgroups, orders 2..=50; `thd40` over 2..=40).
pub fn interval_row(r: &IntervalReport, topology: Topology, fs: f32) -> String {
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
    let _ = write!(s, ",{}", flag_names(r.flags));
    s
}

/// Write `intervals.csv` and `harmonics.csv` (long form: subgroups and centred interharmonic
/// subgroups of every channel and order 0..=50 of every interval).
///
/// # Errors
/// I/O errors naming the file.
pub fn write_interval_outputs(dir: &Path, a: &Analysis) -> Result<()> {
    let fs = a.config.sample_rate_hz;
    let names = a.config.topology.channel_names();
    let ctx = |p: &Path| format!("writing {}", p.display());
    let path = dir.join("intervals.csv");
    let file = std::fs::File::create(&path).with_context(|| ctx(&path))?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "{INTERVALS_HEADER}").with_context(|| ctx(&path))?;
    for r in &a.intervals {
        writeln!(out, "{}", interval_row(r, a.config.topology, fs)).with_context(|| ctx(&path))?;
    }
    out.flush().with_context(|| ctx(&path))?;

    let path = dir.join("harmonics.csv");
    let file = std::fs::File::create(&path).with_context(|| ctx(&path))?;
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "interval,channel,order,rms,pct_of_fundamental,interharmonic_rms")
        .with_context(|| ctx(&path))?;
    for r in &a.intervals {
        for (c, name) in names.iter().enumerate() {
            let g = &r.subgroups[c];
            for h in 0..=MAX_ORDER {
                let pct = if g[1] > 0.0 { 100.0 * g[h] / g[1] } else { 0.0 };
                let ih = r.interharmonic_subgroups[c][h];
                writeln!(out, "{},{name},{h},{},{pct},{ih}", r.index, g[h])
                    .with_context(|| ctx(&path))?;
            }
        }
    }
    out.flush().with_context(|| ctx(&path))?;
    Ok(())
}

/// One CSV of aggregates (3-s, 10-min or 2-h values).
fn write_aggregates(path: &Path, values: &[aggregate::Aggregate]) -> Result<()> {
    let ctx = || format!("writing {}", path.display());
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).with_context(ctx)?);
    writeln!(
        out,
        "start_s,length_s,values,flagged,frequency_hz,u1_rms,u2_rms,u3_rms,i1_rms,i2_rms,i3_rms,\
         u2_unbalance_pct,u0_unbalance_pct,thd40_u1_pct,thd40_u2_pct,thd40_u3_pct"
    )
    .with_context(ctx)?;
    for v in values {
        let pick = |x: &[f64], k: usize| x.get(k).copied().unwrap_or(0.0);
        writeln!(
            out,
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
        .with_context(ctx)?;
    }
    out.flush().with_context(ctx)
}

/// Phases of an event's bit mask as `L1|L3`.
fn phase_names(mask: u8) -> String {
    (0..3)
        .filter(|p| mask & (1 << p) != 0)
        .map(|p| format!("L{}", p + 1))
        .collect::<Vec<_>>()
        .join("|")
}

/// Write `events.csv`, `frequency_10s.csv`, `aggregates_10min.csv` and `en50160.json`.
///
/// # Errors
/// I/O errors naming the file, or an evaluation error.
pub fn write_pq_outputs(dir: &Path, a: &Analysis) -> Result<()> {
    let fs = a.config.sample_rate_hz;
    let declared = a.config.declared_voltage;
    let ctx = |p: &Path| format!("writing {}", p.display());

    let path = dir.join("events.csv");
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(&path).with_context(|| ctx(&path))?);
    writeln!(out, "kind,start_s,duration_s,phases,extreme_pct_of_declared,class_cell,open_at_end")
        .with_context(|| ctx(&path))?;
    for e in &a.events {
        let pct = 100.0 * e.extreme_v as f64 / declared as f64;
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
        writeln!(
            out,
            "{kind},{:.6},{:.6},{},{pct:.4},{cell},{}",
            e.start.seconds(fs),
            d,
            phase_names(e.phases),
            e.open_at_end
        )
        .with_context(|| ctx(&path))?;
    }
    out.flush().with_context(|| ctx(&path))?;

    let path = dir.join("snapshots.csv");
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(&path).with_context(|| ctx(&path))?);
    writeln!(out, "trigger,cycle,start_s,{}", percycle_engine::SNAPSHOT_NAMES.join(","))
        .with_context(|| ctx(&path))?;
    for snap in &a.snapshots {
        let values: Vec<String> = snap.values.iter().map(|v| v.to_string()).collect();
        writeln!(
            out,
            "{:?},{},{:.6},{}",
            snap.trigger,
            snap.cycle,
            snap.start.seconds(fs),
            values.join(",")
        )
        .with_context(|| ctx(&path))?;
    }
    out.flush().with_context(|| ctx(&path))?;
    let path = dir.join("pq_counters.json");
    let counters = serde_json::json!({
        "dips": a.counters.dips,
        "dips_unclassified": a.counters.dips_unclassified,
        "swells": a.counters.swells,
        "swells_unclassified": a.counters.swells_unclassified,
        "short_interruptions": a.counters.short_interruptions,
        "long_interruptions": a.counters.long_interruptions,
        "rvc": a.counters.rvc,
        "events_dropped": a.events_dropped,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&counters)? + "\n")
        .with_context(|| ctx(&path))?;

    let path = dir.join("frequency_10s.csv");
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(&path).with_context(|| ctx(&path))?);
    writeln!(out, "start_s,frequency_hz,cycles,flags").with_context(|| ctx(&path))?;
    for f in &a.frequency {
        writeln!(
            out,
            "{},{:.6},{},{}",
            10 * f.interval,
            f.frequency,
            f.cycles,
            flag_names(f.flags)
        )
        .with_context(|| ctx(&path))?;
    }
    out.flush().with_context(|| ctx(&path))?;

    let window = a.config.aggregation.window_s as f64;
    let agg = aggregate::Aggregates::of(&a.aggregates, a.config.topology, a.incomplete_windows);
    write_aggregates(&dir.join("aggregates_3s.csv"), &agg.three_s)?;
    write_aggregates(&dir.join("aggregates_10min.csv"), &agg.ten_min)?;
    write_aggregates(&dir.join("aggregates_2h.csv"), &agg.two_hour)?;

    let cfg = En50160Config {
        nominal_hz: a.config.nominal_hz as f64,
        declared_voltage: declared as f64,
        observation_s: a.options.observation_s.unwrap_or(en50160::ONE_WEEK_S),
        aggregate_s: window,
        ..En50160Config::default()
    };
    let report = en50160::try_evaluate(
        &cfg,
        &aggregate::frequency_values(&a.frequency),
        &aggregate::ten_minute_values(&agg),
        &aggregate::events(&a.events, fs),
    )?;
    let path = dir.join("en50160.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| ctx(&path))?;
    Ok(())
}

/// Streams per-cycle harmonics into `cycle_harmonics.csv` (long form, orders 0..=50).
pub struct CycleHarmonicsWriter {
    out: std::io::BufWriter<std::fs::File>,
    path: std::path::PathBuf,
    names: &'static [&'static str],
    error: Option<std::io::Error>,
}

impl CycleHarmonicsWriter {
    /// Create `dir/cycle_harmonics.csv` for a topology's channels.
    ///
    /// # Errors
    /// I/O errors naming the file.
    pub fn create(dir: &Path, topology: Topology) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating output directory {}", dir.display()))?;
        let path = dir.join("cycle_harmonics.csv");
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        writeln!(out, "cycle,channel,order,rms,phase_deg,pct_of_fundamental")
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Self { out, path, names: topology.channel_names(), error: None })
    }

    /// Append one cycle; an I/O error is kept for [`CycleHarmonicsWriter::finish`].
    pub fn write(&mut self, r: &CycleReport, s: &CycleSpectrum) {
        if self.error.is_some() {
            return;
        }
        for (c, name) in self.names.iter().enumerate() {
            let fund = s.harmonics[c][1].magnitude();
            for (h, p) in s.harmonics[c].iter().enumerate() {
                let m = if h == 0 { p.re.abs() } else { p.magnitude() };
                let phase = if h == 0 { 0.0 } else { p.im.atan2(p.re).to_degrees() };
                let pct = if fund > 0.0 { 100.0 * m / fund } else { 0.0 };
                if let Err(e) = writeln!(self.out, "{},{name},{h},{m},{phase},{pct}", r.index) {
                    self.error = Some(e);
                    return;
                }
            }
        }
    }

    /// Flush, reporting the first error met.
    ///
    /// # Errors
    /// The first I/O error, naming the file.
    pub fn finish(mut self) -> Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e).with_context(|| format!("writing {}", self.path.display()));
        }
        self.out.flush().with_context(|| format!("writing {}", self.path.display()))
    }
}

/// Read WAV, CSV or MATLAB v5 (`time`, `voltage`, `current`) by extension.
///
/// # Errors
/// Unknown extension, or the reader's error (which names the file and line).
pub fn read_input(
    path: &Path,
    channels: Option<&str>,
    full_scale: Option<&str>,
    sample_rate: Option<f64>,
) -> Result<Waveform> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("wav") => {
            let map = match (channels, full_scale) {
                (Some(c), Some(f)) => Some(percycle_vectors::WavChannelMap::from_cli(c, f)?),
                (None, None) => None,
                _ => bail!("--channels and --full-scale go together (for {})", path.display()),
            };
            Ok(percycle_vectors::read_wav(path, map)?)
        }
        Some("csv") => Ok(percycle_vectors::read_csv(path, sample_rate)?),
        Some("mat") => Ok(percycle_vectors::read_mat(path)?),
        _ => bail!("{}: unknown input format (expected .wav, .csv or .mat)", path.display()),
    }
}
