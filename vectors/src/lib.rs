#![doc = include_str!("../README.md")]

mod model;

pub mod formats;
pub mod hostile_suite;
pub mod pq_suite;
pub mod reference;
pub mod suites;
pub mod synth;
pub mod truth;

pub use formats::{
    read_recipe, read_truth, write_csv, write_recipe, write_truth, write_wav, FormatError,
    WavChannelMap, WavFormat, WavSidecar,
};
pub use hostile_suite::{hostile_cases, FlagSpan, HostileCase, HostileTruth};
pub use pq_suite::{en50160_suite, ExpectedEvent, ExpectedKind, PqCase, PqTruth};
pub use reference::{
    crossings, cycles, intervals, ChannelSpectrum, ReferenceConfig, ReferenceError, SpectrumWindow,
};
pub use suites::{default_full_scale, suite, suite_names, write_vector, FileKind};
pub use synth::{
    dequantise, quantise, synthesize, ChannelKind, FrequencySpec, Gap, Harmonic, Interharmonic,
    Noise, PhaseSpec, Quantisation, Recipe, Spike, Step, SynthError, Topology, Vector, Waveform,
    MISSING_CODE,
};
pub use truth::{
    active_energy_wh, compute_truth, CycleTruth, EnergyRegisters, EnergyTruth, Phasor, Truth,
};
