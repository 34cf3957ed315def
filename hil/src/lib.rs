#![doc = include_str!("../README.md")]
//!
//! The bench: targets that run the engine (the host build, the firmware under QEMU, a board on a
//! serial port), the board protocol with retransmission, the fault proxy, the bit-for-bit
//! comparison of a target's reports with the host build's, and the cost of the engine on the
//! emulated board.

pub mod bench;
pub mod recording;
