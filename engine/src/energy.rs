//! Energy registers (A+, A−, R+, R−, R1..R4 per phase and total) in integers, and pulse outputs.
//!
//! Resolution: one register unit is 1 µW·s (1 µJ, 1/3600 mWh) for active energy and 1 µvar·s for
//! reactive energy; a `u64` holds 5.1·10⁶ kWh (registers saturate rather than wrap). Each cycle's energy (power × cycle duration, f32)
//! is added with the fraction below one unit carried to the next cycle, so nothing is lost to
//! rounding and the registers never drift the way a growing float sum does.
//!
//! Sign conventions (IEC 62053-24, consumer's view, CT polarity as wired: current flowing into
//! the load is positive): P > 0 is import (A+), P < 0 export (A−). Reactive energy is the
//! fundamental reactive power Q1 = Im(U1·I1*): Q > 0 (inductive while importing) goes to R+, Q < 0
//! to R−. Quadrants by the signs of (P, Q): R1 (P ≥ 0, Q ≥ 0), R2 (P < 0, Q ≥ 0),
//! R3 (P < 0, Q < 0), R4 (P ≥ 0, Q < 0). Totals are registered from the sum of the phase powers of
//! each cycle (not from the phase registers), as a polyphase meter's total registers are.
//!
//! Pulse outputs follow the total A+, A−, R+ and R− registers at the meter constant k: a pulse is
//! issued each time the register has grown by 1/k kWh (kvarh), with the remainder carried exactly
//! in integers, so `pulses / k` equals the register to within one pulse.

/// µW·s (or µvar·s) per kWh (kvarh).
const UNITS_PER_KWH: u64 = 3_600_000_000_000;

/// One set of registers, in µW·s (active) and µvar·s (reactive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Registers {
    /// Active energy imported, µW·s.
    pub a_plus: u64,
    /// Active energy exported, µW·s.
    pub a_minus: u64,
    /// Reactive energy, positive Q, µvar·s.
    pub r_plus: u64,
    /// Reactive energy, negative Q, µvar·s.
    pub r_minus: u64,
    /// Reactive energy in quadrants 1..4, µvar·s.
    pub r_quadrant: [u64; 4],
}

impl Registers {
    /// All registers at zero.
    pub(crate) const ZERO: Self =
        Self { a_plus: 0, a_minus: 0, r_plus: 0, r_minus: 0, r_quadrant: [0; 4] };

    /// Register value converted to Wh or varh: `[a+, a-, r+, r-, r1, r2, r3, r4]`.
    pub fn to_wh(&self) -> [f64; 8] {
        let k = 1.0 / 3_600_000_000.0;
        [
            self.a_plus as f64 * k,
            self.a_minus as f64 * k,
            self.r_plus as f64 * k,
            self.r_minus as f64 * k,
            self.r_quadrant[0] as f64 * k,
            self.r_quadrant[1] as f64 * k,
            self.r_quadrant[2] as f64 * k,
            self.r_quadrant[3] as f64 * k,
        ]
    }
}

/// Pulse counts of the four outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Pulses {
    /// Active import pulses (LED / S0).
    pub a_plus: u64,
    /// Active export pulses.
    pub a_minus: u64,
    /// Reactive positive pulses.
    pub r_plus: u64,
    /// Reactive negative pulses.
    pub r_minus: u64,
}

/// All registers of a meter: three phases, total, and pulse outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct EnergyRegisters {
    /// Per-phase registers (phase slots as in [`crate::CycleReport`]).
    pub phase: [Registers; 3],
    /// Total registers, from the per-cycle sum of the phase powers.
    pub total: Registers,
    /// Pulse outputs on the total registers.
    pub pulses: Pulses,
}

/// Sub-unit remainders and pulse accumulators that belong to the registers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Energy {
    pub regs: EnergyRegisters,
    /// Carried fractions: [slot][a+, a-, r+, r-, r1..r4]; slot 3 is the total.
    carry: [[f32; 8]; 4],
    /// Pulse accumulators in units × k, for A+, A-, R+, R-.
    pulse_acc: [u64; 4],
}

impl Energy {
    /// Registers, remainders and pulse accumulators at zero.
    pub const ZERO: Self = Self {
        regs: EnergyRegisters {
            phase: [Registers::ZERO; 3],
            total: Registers::ZERO,
            pulses: Pulses { a_plus: 0, a_minus: 0, r_plus: 0, r_minus: 0 },
        },
        carry: [[0.0; 8]; 4],
        pulse_acc: [0; 4],
    };

    /// Register one interval: active `p_uws` and reactive `q_uvars` energy for `slot`
    /// (0..=2 phases, 3 total), both already multiplied by the interval's duration.
    pub fn register(&mut self, slot: usize, p_uws: f32, q_uvars: f32, meter_constant: u32) {
        let Some(carry) = self.carry.get_mut(slot) else {
            return;
        };
        let regs = match slot {
            0..=2 => &mut self.regs.phase[slot],
            _ => &mut self.regs.total,
        };
        let p = if p_uws.is_finite() { p_uws } else { 0.0 };
        let q = if q_uvars.is_finite() { q_uvars } else { 0.0 };
        let mut added = [0u64; 4];
        if p > 0.0 {
            added[0] = accumulate(&mut regs.a_plus, &mut carry[0], p);
        } else if p < 0.0 {
            added[1] = accumulate(&mut regs.a_minus, &mut carry[1], -p);
        }
        if q != 0.0 {
            let quadrant = match (p >= 0.0, q >= 0.0) {
                (true, true) => 0,
                (false, true) => 1,
                (false, false) => 2,
                (true, false) => 3,
            };
            let mag = if q > 0.0 { q } else { -q };
            if q > 0.0 {
                added[2] = accumulate(&mut regs.r_plus, &mut carry[2], mag);
            } else {
                added[3] = accumulate(&mut regs.r_minus, &mut carry[3], mag);
            }
            accumulate(&mut regs.r_quadrant[quadrant], &mut carry[4 + quadrant], mag);
        }
        if slot == 3 {
            let k = meter_constant as u64;
            let counts = [
                &mut self.regs.pulses.a_plus,
                &mut self.regs.pulses.a_minus,
                &mut self.regs.pulses.r_plus,
                &mut self.regs.pulses.r_minus,
            ];
            for ((acc, count), add) in self.pulse_acc.iter_mut().zip(counts).zip(added) {
                *acc = acc.saturating_add(add.saturating_mul(k));
                let n = *acc / UNITS_PER_KWH;
                *acc -= n * UNITS_PER_KWH;
                *count = count.saturating_add(n);
            }
        }
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// Add `value` (≥ 0, in register units) to `reg`, carrying the fraction; returns the whole units added.
#[inline]
fn accumulate(reg: &mut u64, carry: &mut f32, value: f32) -> u64 {
    let x = value + *carry;
    // `as u64` truncates toward zero and saturates; x >= 0 here.
    let whole = x as u64;
    *carry = x - whole as f32;
    if !(0.0..1.0).contains(carry) {
        *carry = 0.0;
    }
    *reg = reg.saturating_add(whole);
    whole
}
