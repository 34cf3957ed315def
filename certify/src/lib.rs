#![doc = include_str!("../README.md")]
//!
//! Certification: the vector suites, synthesised with analytic truth, through the engine on the
//! host or on a target, each value judged against its limit: the foundation suites
//! ([`energy`]), the EN 50160 events ([`pq`]) and the hostile signals ([`hostile`]); and a suite
//! streamed through the bench with every report compared to the host build ([`hil_suite`]).

pub mod against_host;
pub mod aggregation;
pub mod all;
pub mod class;
pub mod classa;
pub mod energy;
pub mod harmonics;
pub mod hil_suite;
pub mod hostile;
pub mod negative;
pub mod pq;
pub mod report;
pub mod typetest;
