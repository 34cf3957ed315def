#![doc = include_str!("../README.md")]
//!
//! The analyst's library. A recording is a [`source::Source`] (the streaming readers of
//! [`read`]); [`setup::setup`] turns what it states into the engine's configuration;
//! [`drive::run`] streams it through the engine and hands every record to a [`drive::Sink`]:
//! the writers of [`write`](mod@write), the EN 50160 [`evaluate::Evaluation`], or an in-memory
//! [`analyze::Analysis`]. [`analyze::analyze_file`] is `percycle analyze` end to end.

pub mod aggregate;
pub mod analyze;
pub mod calendar;
pub mod drive;
pub mod en50160;
pub mod evaluate;
pub mod read;
pub mod setup;
pub mod source;
pub mod write;
