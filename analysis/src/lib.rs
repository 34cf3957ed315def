#![doc = include_str!("../README.md")]
//!
//! The analyst's library: recorded waveforms through the engine ([`analyze`]), the engine's
//! aggregates as the evaluator reads them ([`aggregate`]) and the EN 50160 evaluation
//! ([`en50160`]).

pub mod aggregate;
pub mod read;
pub mod source;
pub mod analyze;
pub mod en50160;
