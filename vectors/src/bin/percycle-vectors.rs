//! # percycle-vectors
//!
//! Writes test-vector suites to disk: per vector the waveform (WAV with a JSON sidecar, or CSV),
//! `<name>.truth.json` and `<name>.recipe.json`; the `hostile` suite adds `<name>.hostile.json`
//! (flags and events a meter must produce, see `percycle_vectors::hostile_suite`).
//!
//! ```text
//! percycle-vectors list
//! percycle-vectors generate --suite foundation --out DIR [--format wav|wav-i16|wav-i24|wav-i32|wav-f32|csv]
//! ```
//!
//! `wav` is 32-bit integer PCM. Vectors with missing samples (the `hostile` gap cases) need
//! `wav`, `wav-i32`, `wav-f32` or `csv`: 16- and 24-bit WAV cannot carry a missing sample.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use percycle_vectors::hostile_suite::write_hostile_vector;
use percycle_vectors::{
    hostile_cases, suite, suite_names, synthesize, write_vector, FileKind, HostileTruth, Recipe,
    WavFormat,
};

#[derive(Parser)]
#[command(name = "percycle-vectors", version, about = "Write percycle test-vector suites")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the suite names.
    List,
    /// Synthesise every vector of a suite and write it to a directory.
    Generate {
        /// Suite name (see `list`).
        #[arg(long)]
        suite: String,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Waveform file format.
        #[arg(long, value_enum, default_value_t = Format::Wav)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// WAV, 32-bit integer.
    Wav,
    /// WAV, 16-bit integer.
    WavI16,
    /// WAV, 24-bit integer.
    WavI24,
    /// WAV, 32-bit integer.
    WavI32,
    /// WAV, 32-bit float.
    WavF32,
    /// CSV with a time column.
    Csv,
}

impl Format {
    fn kind(self) -> FileKind {
        match self {
            Format::Wav | Format::WavI32 => FileKind::Wav(WavFormat::I32),
            Format::WavI16 => FileKind::Wav(WavFormat::I16),
            Format::WavI24 => FileKind::Wav(WavFormat::I24),
            Format::WavF32 => FileKind::Wav(WavFormat::F32),
            Format::Csv => FileKind::Csv,
        }
    }
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::List => {
            for name in suite_names() {
                println!("{name}");
            }
        }
        Command::Generate { suite: name, out, format } => {
            let cases: Vec<(Recipe, Option<HostileTruth>)> = if name == "hostile" {
                hostile_cases().into_iter().map(|c| (c.recipe, Some(c.truth))).collect()
            } else {
                suite(&name)
                    .with_context(|| {
                        format!("unknown suite {name:?}; known: {}", suite_names().join(", "))
                    })?
                    .into_iter()
                    .map(|r| (r, None))
                    .collect()
            };
            for (recipe, hostile) in &cases {
                let vector =
                    synthesize(recipe).with_context(|| format!("synthesising {}", recipe.name))?;
                let written = match hostile {
                    Some(truth) => write_hostile_vector(&out, &vector, truth, format.kind()),
                    None => write_vector(&out, &vector, format.kind()),
                };
                let path = written
                    .with_context(|| format!("writing {} to {}", recipe.name, out.display()))?;
                println!(
                    "{}: {} channels x {} samples at {} Hz, {} cycles",
                    path.display(),
                    vector.waveform.channels.len(),
                    vector.waveform.len(),
                    vector.waveform.sample_rate_hz,
                    vector.truth.cycles.len()
                );
            }
        }
    }
    Ok(())
}
