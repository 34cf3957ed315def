//! # percycle reference firmware
//!
//! The percycle engine on a Cortex-M4F board, behind the `percycle-wire` protocol on the UART.
//!
//! ## Features
//!
//! * `mps2-an386` (default): QEMU's Cortex-M4F board, CMSDK UART0.
//! * `netduinoplus2`: STM32F405, USART1 (the real F4 peripheral under QEMU).
//! * `nucleo-f446re`: a real board, the STM32F446RE Nucleo-64: USART2 to the ST-LINK's virtual
//!   COM port, the engine timed in CPU cycles by the DWT cycle counter (`scripts/flash.sh`).
//!
//! ## Settings
//!
//! The host sends `Configure` (topology, sample rate, nominal frequency, declared voltage,
//! calibration); until then sample blocks are refused with `NotConfigured`.
//!
//! ## Telemetry
//!
//! For every `Samples` block the board answers with one `Cycle` summary per closed cycle, the
//! engine's outputs as `Record`s (cycle, interval, event, 10-s frequency and snapshot reports,
//! postcard-encoded engine types) and a final `Done`; `Finish` ends the stream (last cycle, the
//! events still open, `Energy`, the registers and event counters as records); `Identify` returns the
//! firmware identification (version, build id, CRC-32 of the code and of the configuration).
//! All memory is static: the engine state, the sample buffer and the reply store are `static`s
//! initialised at compile time (`.bss`), each taken once; nothing is allocated.
#![no_std]
#![no_main]

mod board;

/// A `&'static mut` to a `static` of type `$ty` initialised at compile time to `$init`, handed
/// out once (`None` after). Unlike `cortex_m::singleton!`, which builds its value at run time
/// on the stack and copies it in, nothing is built on the stack, and an all-zero value lands in
/// `.bss` with no image in flash (the board test checks `.data` is empty).
macro_rules! take_static {
    ($ty:ty = $init:expr) => {{
        use core::sync::atomic::{AtomicBool, Ordering};
        static mut VALUE: $ty = $init;
        static TAKEN: AtomicBool = AtomicBool::new(false);
        if TAKEN.swap(true, Ordering::AcqRel) {
            None
        } else {
            // SAFETY: `TAKEN` lets exactly one caller through, so this is the only reference
            // to `VALUE` ever made.
            Some(unsafe { &mut *core::ptr::addr_of_mut!(VALUE) })
        }
    }};
}

/// A 64-bit tick counter from SysTick (core clock) and its wrap interrupt.
mod clock {
    use core::sync::atomic::{AtomicU32, Ordering};
    use cortex_m::peripheral::syst::SystClkSource;
    use cortex_m::peripheral::SYST;
    use cortex_m_rt::exception;

    static WRAPS: AtomicU32 = AtomicU32::new(0);
    const RELOAD: u32 = 0x00FF_FFFF;

    /// Start SysTick on the core clock, wrapping every 2^24 ticks; on a real board also the
    /// DWT cycle counter, which then gives the time.
    pub fn start() {
        if let Some(mut p) = cortex_m::Peripherals::take() {
            let mut syst = p.SYST;
            syst.set_clock_source(SystClkSource::Core);
            syst.set_reload(RELOAD);
            syst.clear_current();
            syst.enable_interrupt();
            syst.enable_counter();
            if crate::board::DWT_CYCLES {
                p.DCB.enable_trace();
                p.DWT.enable_cycle_counter();
            }
        }
    }

    /// Ticks since `start`: CPU cycles from the DWT counter on a real board, SysTick ticks at
    /// the core clock on an emulated one.
    pub fn now() -> u64 {
        if crate::board::DWT_CYCLES {
            return dwt_cycles();
        }
        loop {
            let before = WRAPS.load(Ordering::Acquire);
            let current = SYST::get_current();
            if WRAPS.load(Ordering::Acquire) == before {
                return ((before as u64) << 24) + (RELOAD - current) as u64;
            }
        }
    }

    /// The 32-bit DWT cycle counter extended to 64 bits: SysTick interrupts every 2^24 cycles,
    /// so a wrap of the counter (every 2^32) is always seen by `SysTick` or here.
    fn dwt_cycles() -> u64 {
        cortex_m::interrupt::free(|_| {
            let now = cortex_m::peripheral::DWT::cycle_count();
            let (high, last) = (DWT_HIGH.load(Ordering::Relaxed), DWT_LAST.load(Ordering::Relaxed));
            let high = if now < last { high + 1 } else { high };
            DWT_HIGH.store(high, Ordering::Relaxed);
            DWT_LAST.store(now, Ordering::Relaxed);
            (high as u64) << 32 | now as u64
        })
    }

    static DWT_HIGH: AtomicU32 = AtomicU32::new(0);
    static DWT_LAST: AtomicU32 = AtomicU32::new(0);

    #[exception]
    fn SysTick() {
        WRAPS.fetch_add(1, Ordering::AcqRel);
        if crate::board::DWT_CYCLES {
            dwt_cycles();
        }
    }
}

use board::Serial;
use core::fmt::Write as _;
use cortex_m_rt::{entry, exception, ExceptionFrame};
use percycle_engine::{Meter, Output};
use percycle_wire::{
    crc32, decode_message, encode_message, unpack_block, Body, CostCounters, Dedup, Envelope,
    ErrorCode, FrameDecoder, Identity, RecordKind, Records, WireCycle, WireEnergy,
    MAX_ENCODED_FRAME, MAX_FRAME,
};

/// Encoded engine outputs of one reply: a 40-frame block closes at most one cycle and one
/// interval (about 4.6 kB encoded); `Finish` adds the events still open, the registers and the
/// counters.
type ReplyRecords = Records<{ board::RECORD_BYTES }, 32>;

/// Engine state, sized by the board (see [`board::RING`] and [`board::WINDOW`]).
type BoardMeter = Meter<{ board::RING }, { board::WINDOW }>;

/// Largest sample block in one message, in codes (delta-packed blocks carry up to about 4 codes
/// per 8 bytes of a frame at the residual widths of mains signals).
const MAX_CODES: usize = MAX_FRAME;

/// Build id: changes with every build of different code (the code CRC is the stable id).
const BUILD_ID: u32 = 1;

/// The serial line and the buffers of one outgoing message: its encoding (room past
/// [`MAX_FRAME`], so that a message too long for a frame is refused by the framing, not by the
/// encoder) and its frame on the wire.
struct Link<S: Serial> {
    serial: S,
    scratch: [u8; MAX_FRAME + 64],
    frame: [u8; MAX_ENCODED_FRAME],
}

impl<S: Serial> Link<S> {
    fn send(&mut self, seq: u16, body: Body<'_>) {
        let env = Envelope { seq, body };
        if let Ok(n) = encode_message(&env, &mut self.scratch, &mut self.frame) {
            let Self { serial, frame, .. } = self;
            serial.write_all(&frame[..n]);
        }
    }
}

#[entry]
fn main() -> ! {
    // The engine state is a static in `.bss` (`Meter::UNCONFIGURED` is all zero bytes), taken
    // once; `Configure` sets it up in place (a second copy of it would not fit a 128 KiB
    // board). Until the host configures it, sample blocks are refused.
    let meter = take_static!(BoardMeter = BoardMeter::UNCONFIGURED).unwrap();
    let mut configured = false;
    board::paint_stack();
    clock::start();
    let mut cost = CostCounters {
        cycles: 0,
        core_ticks_total: 0,
        core_ticks_max_block: 0,
        core_clock_hz: board::CORE_CLOCK_HZ,
        stack_bytes: 0,
    };
    let codes = take_static!([i32; MAX_CODES] = [0; MAX_CODES]).unwrap();
    let mut link = Link {
        serial: board::Uart::init(),
        scratch: [0; MAX_FRAME + 64],
        frame: [0; MAX_ENCODED_FRAME],
    };
    // Buffers sized to the protocol: a frame carries at most MAX_FRAME payload bytes.
    let mut decoder: FrameDecoder<MAX_FRAME> = FrameDecoder::new();
    let mut dedup = Dedup::default();
    let mut config_crc = 0u32;
    let mut payload = [0u8; MAX_FRAME];
    // Replies to the last request, kept for a retransmitted request: its cycles, its energy
    // and the final reply.
    let mut last_done: Option<(u16, u32)> = None;
    let mut last_cycles: [Option<WireCycle>; 8] = [None; 8];
    let mut last_energy: Option<WireEnergy> = None;
    let records = take_static!(ReplyRecords = ReplyRecords::new()).unwrap();

    loop {
        let Some(byte) = link.serial.read() else {
            link.serial.idle();
            continue;
        };
        let len = match decoder.push(byte) {
            None => continue,
            Some(Err(percycle_wire::WireError::Empty)) => continue,
            Some(Err(_)) => {
                link.send(0, Body::Error { seq: 0, code: ErrorCode::Malformed });
                continue;
            }
            Some(Ok(p)) => {
                let n = p.len();
                payload[..n].copy_from_slice(p);
                n
            }
        };
        let env = match decode_message(&payload[..len]) {
            Ok(env) => env,
            Err(_) => {
                link.send(0, Body::Error { seq: 0, code: ErrorCode::Malformed });
                continue;
            }
        };
        let seq = env.seq;
        if let Body::Ping { nonce } = env.body {
            // A ping starts a new session (the host's sync): sequence numbers start afresh.
            dedup = Dedup::default();
            last_done = None;
            last_cycles = [None; 8];
            last_energy = None;
            records.clear();
            link.send(seq, Body::Pong { nonce });
            continue;
        }
        if !dedup.is_new(seq) {
            // A retransmission: the work is done; repeat the final reply.
            match last_done {
                Some((s, cycles)) if s == seq => {
                    for c in last_cycles.iter().flatten() {
                        link.send(seq, Body::Cycle(*c));
                    }
                    if let Some(e) = last_energy {
                        link.send(seq, Body::Energy(e));
                    }
                    for part in records.parts() {
                        link.send(seq, part);
                    }
                    let n = records.len() as u32;
                    link.send(seq, Body::Done { seq, cycles, records: n });
                }
                _ => link.send(seq, Body::Ack { seq }),
            }
            continue;
        }
        match env.body {
            Body::Identify => {
                let mut name = [0u8; 16];
                for (d, s) in name.iter_mut().zip(board::BOARD.bytes()) {
                    *d = s;
                }
                let id = Identity {
                    protocol: percycle_wire::PROTOCOL_VERSION,
                    version: [0, 1, 0],
                    build_id: BUILD_ID,
                    code_crc32: crc32(board::code()),
                    config_crc32: config_crc,
                    board: name,
                    ring: board::RING as u16,
                    window: board::WINDOW as u16,
                };
                link.send(seq, Body::Identity(id));
            }
            Body::Configure(w) => {
                let cfg = w.to_config();
                match meter.configure(cfg) {
                    Ok(()) => {
                        configured = true;
                        cost.cycles = 0;
                        cost.core_ticks_total = 0;
                        cost.core_ticks_max_block = 0;
                        config_crc = w.crc32();
                        link.send(seq, Body::Ack { seq });
                    }
                    Err(_) => link.send(seq, Body::Error { seq, code: ErrorCode::BadConfig }),
                }
            }
            Body::Samples { channels, encoding, data, .. } => {
                if !configured {
                    link.send(seq, Body::Error { seq, code: ErrorCode::NotConfigured });
                    continue;
                }
                let m = &mut *meter;
                let n = match unpack_block(data, encoding, m.channels(), &mut codes[..]) {
                    Ok(n) if channels as usize == m.channels() && n % m.channels() == 0 => n,
                    _ => {
                        link.send(seq, Body::Error { seq, code: ErrorCode::BadSamples });
                        continue;
                    }
                };
                let mut cycles = 0u32;
                last_cycles = [None; 8];
                last_energy = None;
                records.clear();
                // The engine's work is timed alone: the reports are sent afterwards, and the
                // time spent encoding them inside the engine's callback is taken off. A block
                // of MAX_CODES codes closes far fewer than eight cycles at any supported rate.
                let mut encoding = 0u64;
                let t0 = clock::now();
                m.process_block_with(&codes[..n], |o| {
                    let e0 = clock::now();
                    if let Output::Cycle(r, _) = o {
                        if let Some(slot) = last_cycles.get_mut(cycles as usize) {
                            *slot = Some(WireCycle::from(r));
                        }
                        cycles += 1;
                    }
                    record(records, &o);
                    encoding += clock::now().wrapping_sub(e0);
                });
                let spent = clock::now().wrapping_sub(t0).saturating_sub(encoding);
                cost.cycles += cycles;
                cost.core_ticks_total += spent;
                cost.core_ticks_max_block = cost.core_ticks_max_block.max(spent as u32);
                if records.overflowed() {
                    // Never a silent loss: the host restarts the stream.
                    last_done = None;
                    link.send(seq, Body::Error { seq, code: ErrorCode::Overflow });
                    continue;
                }
                for c in last_cycles.iter().flatten() {
                    link.send(seq, Body::Cycle(*c));
                }
                for part in records.parts() {
                    link.send(seq, part);
                }
                last_done = Some((seq, cycles));
                let n = records.len() as u32;
                link.send(seq, Body::Done { seq, cycles, records: n });
            }
            Body::Finish => {
                if !configured {
                    link.send(seq, Body::Error { seq, code: ErrorCode::NotConfigured });
                    continue;
                }
                let m = &mut *meter;
                let mut cycles = 0;
                last_cycles = [None; 8];
                records.clear();
                m.finish_with(|o| {
                    if let Output::Cycle(r, _) = o {
                        let c = WireCycle::from(r);
                        if let Some(slot) = last_cycles.get_mut(cycles as usize) {
                            *slot = Some(c);
                        }
                        cycles += 1;
                        link.send(seq, Body::Cycle(c));
                    }
                    record(records, &o);
                });
                let _ = records.push(RecordKind::Energy, m.energy());
                let _ = records.push_pair(RecordKind::Counters, m.counters(), &m.events_dropped());
                if records.overflowed() {
                    last_done = None;
                    link.send(seq, Body::Error { seq, code: ErrorCode::Overflow });
                    continue;
                }
                let e = WireEnergy::from(m.energy());
                link.send(seq, Body::Energy(e));
                last_energy = Some(e);
                for part in records.parts() {
                    link.send(seq, part);
                }
                last_done = Some((seq, cycles));
                let n = records.len() as u32;
                link.send(seq, Body::Done { seq, cycles, records: n });
            }
            Body::Reset => {
                meter.reset();
                meter.clear_energy();
                link.send(seq, Body::Ack { seq });
            }
            Body::Counters => {
                cost.stack_bytes = board::stack_used();
                link.send(seq, Body::CounterValues(cost))
            }
            _ => link.send(seq, Body::Error { seq, code: ErrorCode::UnknownMessage }),
        }
    }
}

/// Encode one engine output into the reply's records (an overflow is flagged by the store).
fn record(records: &mut ReplyRecords, o: &Output<'_>) {
    let _ = match o {
        Output::Cycle(r, _) => records.push(RecordKind::Cycle, *r),
        Output::Interval(iv) => records.push(RecordKind::Interval, *iv),
        Output::Event(e) => records.push(RecordKind::Event, *e),
        Output::Frequency(f) => records.push(RecordKind::Frequency, *f),
        Output::Snapshot(s) => records.push(RecordKind::Snapshot, *s),
        Output::Aggregate(a) => records.push(RecordKind::Aggregate, *a),
        _ => Ok(()),
    };
}

/// Writes to the UART through `core::fmt`.
struct Text<'a, S: Serial>(&'a mut S);

impl<S: Serial> core::fmt::Write for Text<'_, S> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.write_all(s.as_bytes());
        Ok(())
    }
}

/// Every device interrupt: on the MPS2 boards the only one enabled is the UART's receive
/// interrupt, which [`board::Serial::idle`] sleeps on; acknowledge it.
#[exception]
unsafe fn DefaultHandler(_irqn: i16) {
    #[cfg(feature = "mps2-an386")]
    board::Uart::acknowledge();
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    let mut uart = board::Uart::init();
    let _ = write!(
        Text(&mut uart),
        "\n\0HARDFAULT pc={:#010x} lr={:#010x}\n\0",
        frame.pc(),
        frame.lr()
    );
    loop {
        cortex_m::asm::nop();
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut uart = board::Uart::init();
    let _ = write!(Text(&mut uart), "\n\0PANIC {info}\n\0");
    loop {
        cortex_m::asm::nop();
    }
}
