//! percycle engine: per-mains-cycle metrology for electricity meters and power-quality monitors.
//!
//! `#![no_std]`, no allocator, no I/O: frames of ADC codes (or volts and amperes) go in, one
//! [`CycleReport`] per mains cycle and integer [`EnergyRegisters`] come out. The same source runs
//! on a Cortex-M4F and on the host and gives the same numbers: transcendental functions come only
//! from `libm`, per-sample accumulation is in integers, and everything else is IEEE-754 f32
//! arithmetic in a fixed order.
//!
//! Data flow: calibration (offset, fractional-sample phase delay) → fundamental tracker (filtered
//! zero crossings of the reference voltage) → per-cycle integrals → report → energy registers
//! and pulse outputs.
//!
#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

mod aggregate;
mod conditions;
mod config;
mod delay;
pub mod en50160;
mod energy;
#[doc(hidden)]
pub mod fft;
mod front;
mod interval;
mod kernels;
mod math;
mod meter;
mod pq;
mod report;
mod resample;
mod segments;
#[cfg(feature = "serde")]
mod serde_arrays;
mod spectrum;
mod tracker;
mod types;
mod unbalance;
mod urms_half;

pub use aggregate::{AggregateKind, AggregateReport, AggregationConfig, AGGREGATE_ORDERS};
pub use config::{
    Analysis, ChannelCal, Config, ConfigError, EventConfig, Topology, CODE_LIMIT, CODE_MISSING,
    DEFAULT_INPUT_LIMIT_LSB, MAX_CHANNELS, MAX_DELAY_SAMPLES,
};
pub use delay::BASE_DELAY;
pub use energy::{EnergyRegisters, Pulses, Registers};
pub use meter::{Finished, Meter, Output, DEFAULT_RING, DEFAULT_WINDOW};
pub use pq::{
    EventKind, FrequencyReport, PqCounters, Snapshot, VoltageEvent, SNAPSHOT_NAMES, SNAPSHOT_VALUES,
};
pub use report::CycleReport;
pub use spectrum::{CycleSpectrum, IntervalReport, CYCLE_POINTS, MAX_ORDER};
pub use types::{Flags, Phasor, SampleTime};
