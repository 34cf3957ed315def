//! Message types and framing shared by the board firmware and the bench.
//!
//! The wire protocol (postcard messages in COBS frames with a CRC) is specified in the HIL issue;
//! this crate holds only the shared constants until then.
#![no_std]

/// Protocol version spoken by this build of the bench and firmware.
pub const PROTOCOL_VERSION: u16 = 0;
