//! `percycle`: analyze waveform files and certify the engine against vector suites.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use percycle_analysis::analyze;
use percycle_analysis::en50160::Verdict;
use percycle_analysis::read::ReadOptions;
use percycle_analysis::setup::Options;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "percycle",
    version,
    about = "per-cycle metrology engine: analysis and certification"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Stream a recording (WAV, CSV, MAT, COMTRADE, PQDIF) through the engine into DIR: cycles,
    /// intervals, harmonics, events, aggregates, energy registers and the EN 50160 report (each
    /// PQDIF waveform observation into its own folder DIR/NN_NAME).
    Analyze {
        /// Input file: .wav with a JSON sidecar (or --channels and --full-scale), .csv with a
        /// header `t,U1,...` (or `U1,...` and --sample-rate), a MATLAB v5 .mat, a COMTRADE .cfg
        /// (with its .dat) or .cff, or a PQDIF .pqd.
        input: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        recording: RecordingArgs,
        /// Also write cycle_harmonics.csv: orders 0..50 of every channel for every cycle.
        #[arg(long)]
        per_cycle_harmonics: bool,
        /// Length of the aggregation window for the 10-min values, s (shorten it to let a short
        /// recording stand for a long one).
        #[arg(long, default_value_t = 600.0)]
        aggregate_s: f64,
        /// EN 50160 observation period, s (default one week).
        #[arg(long, default_value_t = 604_800.0)]
        observation_s: f64,
        /// No progress on stderr (by default a bar on a terminal, else a line every 10 s).
        #[arg(long)]
        quiet: bool,
    },
    /// Hardware-in-the-loop: stream a vector suite through a target and compare every report
    /// with the host build.
    Hil {
        #[command(subcommand)]
        command: HilCommand,
    },
    /// Print the EN 50160 verdict table of an analysis directory (its en50160.json).
    ///
    /// Exit status: 0 PASS, 1 FAIL, 3 NOT EVALUATED (some parameter had too few valid values
    /// and none failed), 2 error.
    En50160 {
        /// Directory written by `percycle analyze`.
        dir: PathBuf,
    },
    /// Run a vector suite through the engine and judge it against analytic truth.
    Certify {
        /// Suite name: `all` (every part below, one type-test report `report.html`) or one part
        /// alone in that report: `energy` (the IEC 62053 test points), `foundation` (per-cycle
        /// values and energy at the engine's bounds), `en50160` (power-quality events, 10-s
        /// frequency), `classa` (Class A frequency, magnitude, unbalance, RVC, aggregation and
        /// flagging), `harmonics` (IEC 61000-4-7 Class I), `hostile` (right or flagged), or
        /// another vector suite of `percycle-vectors list` (`smoke`, judged as `foundation`).
        #[arg(long, default_value = "foundation")]
        suite: String,
        /// Accuracy classes the type-test report judges against: ACTIVE or ACTIVE,REACTIVE, active one
        /// of 0.2S, 0.5S (IEC 62053-22), 1, 2 (IEC 62053-21), reactive 2 or 3 (IEC 62053-23).
        #[arg(long, default_value = "0.5S,2")]
        class: percycle_certify::class::Classes,
        /// Output directory for vectors, results and the report.
        #[arg(long, default_value = "target/certify")]
        out: PathBuf,
        /// Where the engine runs: `host` (in this process), `qemu` or `qemu:MACHINE` (the
        /// emulated board running the firmware: `mps2-an386`, the default, or `netduinoplus2`) or
        /// `serial:PATH[@BAUD]` (a real board).
        #[arg(long, default_value = "host")]
        target: String,
        /// Firmware ELF for a QEMU target [default: the release build of hil/firmware for the
        /// target's machine].
        #[arg(long)]
        firmware: Option<PathBuf>,
    },
}

/// How a recording is read and what the engine is told about the supply.
#[derive(clap::Args)]
struct RecordingArgs {
    /// WAV without sidecar: the channel names in file order, e.g. U1,U2,U3,I1,I2,I3,IN.
    /// COMTRADE and PQDIF: the engine inputs by channel name or 1-based index, `-` for the
    /// opposite sign, e.g. U1=VA_G1,U2=VB_G1,U3=VC_G1,I1=IA_G1,I2=IB_G1,I3=IC_G1 (default: the
    /// one complete circuit of the phase and unit fields).
    #[arg(long)]
    channels: Option<String>,
    /// Converter full scale per kind or channel, e.g. U=325,I=10,I1=20: the peak value of a
    /// sample at the rail (WAV without sidecar; CSV and MAT: the range of each channel, default
    /// 4 x 1.414 x Udin for U and 1000 A for I; COMTRADE states its own).
    #[arg(long)]
    full_scale: Option<String>,
    /// CSV sample rate in Hz when the file has no `t` column.
    #[arg(long)]
    sample_rate: Option<f64>,
    /// Nominal mains frequency, Hz (50 or 60) [default: the file's line frequency (COMTRADE),
    /// else 50].
    #[arg(long)]
    nominal_hz: Option<f32>,
    /// Declared supply voltage Udin, V (default 230, or 400 for 3P3W).
    #[arg(long)]
    declared_voltage: Option<f32>,
}

impl RecordingArgs {
    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            channels: self.channels.clone(),
            full_scale: self.full_scale.clone(),
            sample_rate_hz: self.sample_rate,
        }
    }

    fn options(&self) -> Options {
        Options {
            nominal_hz: self.nominal_hz,
            declared_voltage: self.declared_voltage,
            ..Options::default()
        }
    }
}

#[derive(Subcommand)]
enum HilCommand {
    /// Stream vector suites or recordings through `--target qemu|host|serial:/dev/ttyACM0` and
    /// through the host build; every report compared bit for bit. Writes the analysis files of
    /// each vector or recording under `DIR/<name>/` and `DIR/hil.json`.
    Run {
        /// `qemu` or `qemu:MACHINE` (`mps2-an386`, the default, or `netduinoplus2`, running
        /// hil/firmware), `host`, or `serial:PATH[@BAUD]`.
        #[arg(long, default_value = "qemu")]
        target: String,
        /// Suite names (`smoke`, `foundation`, ...) or recordings (.wav, .csv, .mat), any mix.
        #[arg(long, num_args = 1.., default_value = "smoke")]
        vectors: Vec<String>,
        /// How recordings are read and set up.
        #[command(flatten)]
        recording: RecordingArgs,
        /// No progress on stderr.
        #[arg(long)]
        quiet: bool,
        /// Shorten every vector to this many seconds.
        #[arg(long)]
        seconds: Option<f64>,
        /// Firmware ELF for a QEMU target [default: the release build of hil/firmware for the
        /// target's machine].
        #[arg(long)]
        firmware: Option<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "target/hil")]
        out: PathBuf,
    },
    /// The engine's cost per mains cycle, and the firmware's flash and RAM: instructions (not
    /// CPU cycles) on the emulated board, CPU cycles from the DWT cycle counter on a real board.
    Cost {
        /// Where to measure: `qemu` (mps2-an386 under `-icount`: instructions) or
        /// `serial:PATH[@BAUD]` (a real board flashed with the given firmware: CPU cycles).
        #[arg(long, default_value = "qemu")]
        target: String,
        /// Firmware ELF.
        #[arg(
            long,
            default_value = "hil/firmware/target/thumbv7em-none-eabihf/release/percycle-firmware"
        )]
        firmware: PathBuf,
        /// Foundation vector to run (3P4W at 10.24 kHz by default).
        #[arg(long, default_value = "3p4w_en50160_mix")]
        vector: String,
        /// Seconds of signal.
        #[arg(long, default_value_t = 1.0)]
        seconds: f64,
        /// Also write the table as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Only these jobs (comma-separated names from the table; all by default).
        #[arg(long, value_delimiter = ',')]
        jobs: Vec<String>,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    match Cli::parse().command {
        Command::Analyze {
            input,
            out,
            recording,
            per_cycle_harmonics,
            aggregate_s,
            observation_s,
            quiet,
        } => {
            let opts = Options {
                aggregate_s: Some(aggregate_s),
                observation_s: Some(observation_s),
                ..recording.options()
            };
            let read_opts = recording.read_options();
            let done = analyze::analyze_recording(
                &input,
                &read_opts,
                &opts,
                &out,
                per_cycle_harmonics,
                quiet,
            )?;
            for (dir, a) in &done {
                for note in &a.summary.notes {
                    eprintln!("note: {note}");
                }
                let e = a.summary.energy.total.to_wh();
                println!(
                    "{}: {:?} at {} Hz, {} samples, {} cycles, {} intervals -> {}",
                    input.display(),
                    a.setup.config.topology,
                    a.setup.config.sample_rate_hz,
                    a.summary.frames,
                    a.cycles,
                    a.intervals,
                    dir.display()
                );
                println!(
                    "A+ {:.6} Wh, A- {:.6} Wh, R+ {:.6} varh, R- {:.6} varh",
                    e[0], e[1], e[2], e[3]
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Hil {
            command: HilCommand::Run { target, vectors, seconds, firmware, out, recording, quiet },
        } => {
            use percycle_hil::bench;
            // Every name is a suite or a readable recording, and the options are in range,
            // before the target starts.
            let suites = percycle_vectors::suite_names();
            let opts = recording.options();
            let read_opts = recording.read_options();
            let mut files = Vec::new();
            for v in &vectors {
                if !suites.contains(&v.as_str()) {
                    let path = PathBuf::from(v);
                    if !path.is_file() {
                        anyhow::bail!(
                            "--vectors {v}: neither a suite ({}) nor a file",
                            suites.join(", ")
                        );
                    }
                    percycle_analysis::setup::check_options(&opts)?;
                    percycle_analysis::read::check_options(&path, &read_opts)?;
                    files.push(v.clone());
                }
            }
            let firmware = bench::firmware_for(&target, firmware)?;
            let (mut t, name) = bench::open_target(&target, &firmware)?;
            std::fs::create_dir_all(&out)
                .with_context(|| format!("option --out {}: cannot create it", out.display()))?;
            let mut pass = true;
            let mut doc = serde_json::Map::new();
            for v in &vectors {
                if files.contains(v) {
                    let path = PathBuf::from(v);
                    let stem = path.file_stem().map_or("recording".into(), |s| s.to_string_lossy());
                    let r = percycle_hil::recording::run_recording(
                        t.as_mut(),
                        &path,
                        &read_opts,
                        &opts,
                        &out.join(stem.as_ref()),
                        quiet,
                    )?;
                    print_recording(&r);
                    pass &= r.pass;
                    doc.insert(v.clone(), serde_json::to_value(&r)?);
                    continue;
                }
                let report = percycle_certify::hil_suite::run_suite(
                    t.as_mut(),
                    &name,
                    v,
                    seconds,
                    !quiet,
                    Some(&out),
                )?;
                print_suite(&report);
                pass &= report.pass;
                doc.insert(v.clone(), serde_json::to_value(&report)?);
            }
            let path = out.join("hil.json");
            std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(if pass { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Hil {
            command: HilCommand::Cost { target, firmware, vector, seconds, json, jobs: only },
        } => {
            use percycle_wire::WireConfig;
            use WireConfig as W;
            // Stage by stage: each row adds one stage to the row before (the interval, then the
            // per-cycle spectra), so the differences between rows are the stages' costs.
            let all = [
                ("core", 0),
                ("core + Urms(1/2), events", W::POWER_QUALITY),
                ("core + PQ + interval", W::POWER_QUALITY | W::HARMONICS),
                ("full", W::POWER_QUALITY | W::HARMONICS | W::CYCLE_SPECTRA),
            ];
            let names: Vec<&str> = all.iter().map(|j| j.0).collect();
            for j in &only {
                if !names.contains(&j.as_str()) {
                    anyhow::bail!("--jobs: no job `{j}` (jobs: {})", names.join(", "));
                }
            }
            let jobs = all.iter().filter(|j| only.is_empty() || only.iter().any(|o| o == j.0));
            // A real board: opened once, its cost counters restart with each configuration.
            let mut board = if target == "qemu" || target == "qemu:mps2-an386" {
                None
            } else if target.starts_with("serial:") {
                let (b, name) = percycle_hil::bench::open_target(&target, &firmware)?;
                Some((b, name))
            } else {
                anyhow::bail!("--target {target}: qemu or serial:PATH[@BAUD]");
            };
            match &board {
                None => println!(
                    "engine cost on QEMU mps2-an386 (-icount), {vector}, {seconds} s: INSTRUCTIONS, \
                     not CPU cycles"
                ),
                Some((_, name)) => println!(
                    "engine cost on {name}, {vector}, {seconds} s: CPU CYCLES (DWT cycle counter)"
                ),
            }
            println!(
                "{:<24} {:>16} {:>14} {:>16}",
                "job", "per mains cycle", "per channel", "largest block"
            );
            let mut rows = Vec::new();
            let mut stack = 0;
            for &(name, analysis) in jobs {
                let c = match board.as_mut() {
                    None => percycle_hil::bench::cost(&firmware, &vector, seconds, analysis)?,
                    Some((b, _)) => percycle_hil::bench::cost_on(
                        b.as_mut(),
                        &vector,
                        seconds,
                        analysis,
                        percycle_hil::bench::CostClock::Cycles,
                    )?,
                };
                println!(
                    "{name:<24} {:>16.0} {:>14.0} {:>16.0}",
                    c.instructions_per_cycle,
                    c.instructions_per_cycle_per_channel,
                    c.instructions_max_block
                );
                stack = stack.max(c.stack_bytes);
                rows.push(serde_json::json!({
                    "name": name,
                    "mains_cycles": c.cycles,
                    "instructions_per_mains_cycle": c.instructions_per_cycle,
                    "instructions_per_mains_cycle_per_channel": c.instructions_per_cycle_per_channel,
                    "instructions_max_block": c.instructions_max_block,
                }));
            }
            let size = percycle_hil::bench::elf_size(&firmware)?;
            println!(
                "firmware {}: flash {} B (.text {} + .data {}), static RAM {} B (.data {} + .bss {}), \
                 deepest stack {} B",
                firmware.display(),
                size.text + size.data,
                size.text,
                size.data,
                size.data + size.bss,
                size.data,
                size.bss,
                stack
            );
            if let Some(path) = json {
                let unit = if board.is_some() {
                    "CPU cycles (DWT cycle counter)"
                } else {
                    "instructions (QEMU -icount), not CPU cycles"
                };
                let doc = serde_json::json!({
                    "unit": unit,
                    "vector": vector,
                    "seconds": seconds,
                    "rows": rows,
                    "text_bytes": size.text,
                    "data_bytes": size.data,
                    "bss_bytes": size.bss,
                    "stack_bytes": stack,
                });
                std::fs::write(&path, serde_json::to_string_pretty(&doc)? + "\n")
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::En50160 { dir } => {
            let path = dir.join("en50160.json");
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!("reading {} (run `percycle analyze` first)", path.display())
            })?;
            let report: percycle_analysis::en50160::En50160Report = serde_json::from_str(&text)
                .with_context(|| {
                    format!(
                        "{} is not an EN 50160 report of this version (run `percycle analyze` \
                         again)",
                        path.display()
                    )
                })?;
            print!("{}", percycle_analysis::en50160::verdict_table(&report));
            Ok(match report.verdict {
                Verdict::Pass => ExitCode::SUCCESS,
                Verdict::Fail => ExitCode::FAILURE,
                Verdict::NotEvaluated => ExitCode::from(3),
            })
        }
        Command::Certify { suite, out, target, firmware, class } => {
            let firmware = percycle_hil::bench::firmware_for(&target, firmware)?;
            let mut t = (target != "host")
                .then(|| percycle_hil::bench::open_target(&target, &firmware))
                .transpose()?;
            if let Some((_, name)) = &t {
                eprintln!("engine on {name}");
            }
            let t = t.as_mut().map(|(t, _)| t.as_mut() as &mut dyn percycle_hil::bench::Target);
            // The type-test report: every part, or one part or vector suite.
            let parts = match suite.as_str() {
                "all" => percycle_certify::all::PARTS.to_vec(),
                one => vec![one],
            };
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let report =
                percycle_certify::all::run_parts(&out, &parts, class, &target, &command, true, t)?;
            let s = &report.summary;
            println!("{} test points: {} passed, {} failed", s.points, s.passed, s.failed.len());
            for t in &s.tightest {
                println!("{t}");
            }
            for f in &s.failed {
                println!("FAILED: {f}");
            }
            println!("report: {}", out.join("report.html").display());
            Ok(if report.pass() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

/// The table of a suite run.
fn print_suite(report: &percycle_certify::hil_suite::HilReport) {
    for v in &report.vectors {
        let verdict = if v.mismatches.is_empty() && v.energy_equal {
            "identical to host"
        } else {
            "DIFFERENT from host"
        };
        let truth = if v.truth.pass { "truth: pass" } else { "truth: FAIL" };
        println!(
            "{:<28} {:>5} cycles {:>6} reports  {verdict}, {truth}{}",
            v.name,
            v.cycles,
            v.reports,
            if v.restarts > 0 { format!(" ({} restarts)", v.restarts) } else { String::new() }
        );
        for m in v.mismatches.iter().take(5) {
            println!("    {m}");
        }
        for f in &v.truth.failures {
            println!("    truth: {f}");
        }
    }
    println!(
        "{}: {} ; {:.2}x real time; {:?}",
        report.target, report.firmware, report.speed_x_real_time, report.link
    );
}

/// The lines of a recording run.
fn print_recording(r: &percycle_hil::recording::RecordingRun) {
    let verdict = if r.mismatch_count == 0 && r.energy_equal {
        "identical to host".to_string()
    } else {
        format!("DIFFERENT from host ({} differences)", r.mismatch_count)
    };
    println!(
        "{}: {} frames, {} cycles ({} without a flag), {} reports  {verdict}{}",
        r.path,
        r.frames,
        r.cycles,
        r.clean_cycles,
        r.reports,
        if r.non_finite.is_empty() {
            String::new()
        } else {
            format!(", NON-FINITE values in cycles {:?}", r.non_finite)
        }
    );
    for m in r.mismatches.iter().take(5) {
        println!("    {m}");
    }
    for (flag, n) in &r.flagged_cycles {
        println!("    {flag}: {n} cycles");
    }
    for note in &r.notes {
        eprintln!("note: {note}");
    }
}
