#![doc = include_str!("../README.md")]
//!
//! Library side of the `percycle` command: running recorded or synthesised waveforms through the
//! engine ([`analyze`]) and judging the engine against the vector suites' truth ([`certify`],
//! [`certify_pq`], [`certify_hostile`]).

pub mod aggregate;
pub mod analyze;
pub mod bench;
pub mod certify;
pub mod certify_hostile;
pub mod certify_pq;
pub mod en50160;
