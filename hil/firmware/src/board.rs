//! The board layer: one UART per board behind [`Serial`]. A real eval board is one more module.
//!
//! This is the only module with `unsafe`: volatile accesses to memory-mapped UART registers.

/// A byte-wide serial port: polled for bytes, with an optional sleep until the next one.
pub trait Serial {
    /// A received byte, if one is waiting.
    fn read(&mut self) -> Option<u8>;
    /// Wait for the next received byte (or any other interrupt) where the port can sleep
    /// until then; return at once where it cannot (the caller polls [`Serial::read`] again).
    fn idle(&mut self) {}
    /// Send one byte, waiting for room in the transmitter.
    fn write(&mut self, byte: u8);
    /// Send bytes.
    fn write_all(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write(b);
        }
    }
}

#[inline(always)]
fn rd(addr: usize) -> u32 {
    // SAFETY: `addr` is a UART register of the selected board, always mapped.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

#[inline(always)]
fn wr(addr: usize, v: u32) {
    // SAFETY: as for `rd`.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

/// CMSDK APB UART0 of the MPS2 boards (QEMU `mps2-an386`).
#[cfg(feature = "mps2-an386")]
pub struct Uart;

#[cfg(feature = "mps2-an386")]
impl Uart {
    const BASE: usize = 0x4000_4000;
    const DATA: usize = Self::BASE;
    const STATE: usize = Self::BASE + 0x04;
    const CTRL: usize = Self::BASE + 0x08;
    const BAUDDIV: usize = Self::BASE + 0x10;

    const INTSTATUS: usize = Self::BASE + 0x0C;
    /// UART0 receive interrupt line of the MPS2 boards (IRQ 0).
    const RX_IRQ: u32 = 0;
    /// NVIC interrupt set-enable register 0.
    const NVIC_ISER0: usize = 0xE000_E100;

    /// Enable transmitter, receiver and the receive interrupt (25 MHz / 217 ≈ 115 200 Bd on
    /// the real board; QEMU ignores the rate). The interrupt only wakes the core from `WFI`
    /// in [`Serial::idle`]: its handler acknowledges it and the main loop reads the byte.
    pub fn init() -> Self {
        wr(Self::BAUDDIV, 217);
        wr(Self::CTRL, 0b1011);
        wr(Self::NVIC_ISER0, 1 << Self::RX_IRQ);
        Uart
    }

    /// Acknowledge the receive interrupt (write one to clear); the byte stays in the data
    /// register.
    pub fn acknowledge() {
        wr(Self::INTSTATUS, 0b10);
    }
}

#[cfg(feature = "mps2-an386")]
impl Serial for Uart {
    fn read(&mut self) -> Option<u8> {
        if rd(Self::STATE) & 0b10 != 0 {
            Some(rd(Self::DATA) as u8)
        } else {
            None
        }
    }

    /// Sleep until a byte arrives: with interrupts masked, check the receive buffer and `WFI`
    /// (a pending interrupt wakes it even masked, so a byte that arrives between the check
    /// and the `WFI` is not missed); unmasked again, the handler acknowledges the interrupt.
    /// Under QEMU the core then waits without polling the UART, which would contend with the
    /// emulator's delivery of the next byte.
    fn idle(&mut self) {
        cortex_m::interrupt::free(|_| {
            if rd(Self::STATE) & 0b10 == 0 {
                cortex_m::asm::wfi();
            }
        });
    }

    fn write(&mut self, byte: u8) {
        while rd(Self::STATE) & 0b01 != 0 {}
        wr(Self::DATA, byte as u32);
    }
}

/// Name of the board in the firmware identification.
#[cfg(feature = "mps2-an386")]
pub const BOARD: &str = "mps2-an386";

/// Core (and SysTick) clock, Hz.
#[cfg(feature = "mps2-an386")]
pub const CORE_CLOCK_HZ: u32 = 25_000_000;
/// Bytes of encoded engine outputs one reply may hold (the code RAM is 4 MiB).
#[cfg(feature = "mps2-an386")]
pub const RECORD_BYTES: usize = 16 * 1024;
/// Engine sample ring per channel: up to 25.6 kHz at 50 Hz.
#[cfg(feature = "mps2-an386")]
pub const RING: usize = 1024;
/// Interval FFT length: 2048 serves 50 and 60 Hz.
#[cfg(feature = "mps2-an386")]
pub const WINDOW: usize = 2048;

/// An STM32F4 USART at `BASE` (the same registers on every F4), polled.
#[cfg(any(feature = "netduinoplus2", feature = "nucleo-f446re"))]
pub struct Usart<const BASE: usize>;

#[cfg(any(feature = "netduinoplus2", feature = "nucleo-f446re"))]
impl<const BASE: usize> Usart<BASE> {
    const SR: usize = BASE;
    const DR: usize = BASE + 0x04;
    const BRR: usize = BASE + 0x08;
    const CR1: usize = BASE + 0x0C;

    /// 115 200 Bd from a 16 MHz bus clock, transmitter and receiver on (the caller has
    /// clocked the USART and its pins).
    fn enable() -> Self {
        wr(Self::BRR, 0x8B);
        wr(Self::CR1, 1 << 13 | 1 << 3 | 1 << 2);
        Usart
    }
}

#[cfg(any(feature = "netduinoplus2", feature = "nucleo-f446re"))]
impl<const BASE: usize> Serial for Usart<BASE> {
    fn read(&mut self) -> Option<u8> {
        if rd(Self::SR) & 1 << 5 != 0 {
            Some(rd(Self::DR) as u8)
        } else {
            None
        }
    }

    fn write(&mut self, byte: u8) {
        while rd(Self::SR) & 1 << 7 == 0 {}
        wr(Self::DR, byte as u32);
    }
}

/// USART1 of the STM32F405 (QEMU `netduinoplus2`).
#[cfg(all(feature = "netduinoplus2", not(feature = "mps2-an386")))]
pub type Uart = Usart<0x4001_1000>;

#[cfg(all(feature = "netduinoplus2", not(feature = "mps2-an386")))]
impl Uart {
    const RCC_APB2ENR: usize = 0x4002_3844;

    /// Clock the USART, 115 200 Bd from 16 MHz HSI, enable it with transmitter and receiver.
    pub fn init() -> Self {
        wr(Self::RCC_APB2ENR, rd(Self::RCC_APB2ENR) | 1 << 4);
        Self::enable()
    }
}

/// Name of the board in the firmware identification.
#[cfg(all(feature = "netduinoplus2", not(feature = "mps2-an386")))]
pub const BOARD: &str = "netduinoplus2";

/// Core (and SysTick) clock, Hz (QEMU's STM32F405 model).
#[cfg(all(feature = "netduinoplus2", not(feature = "mps2-an386")))]
pub const CORE_CLOCK_HZ: u32 = 168_000_000;
/// Bytes of encoded engine outputs one reply may hold (128 KiB of RAM in all).
#[cfg(all(feature = "netduinoplus2", not(feature = "mps2-an386")))]
pub const RECORD_BYTES: usize = 8 * 1024;
/// Engine sample ring per channel: up to 25.6 kHz at 50 Hz, as on mps2-an386 (512 samples
/// would stop just short of 12.8 kHz, which needs 515).
#[cfg(all(feature = "netduinoplus2", not(feature = "mps2-an386")))]
pub const RING: usize = 1024;
/// Interval FFT length: 1536 serves 50 and 60 Hz (153.6 and 128 points per cycle); at 10.24 kHz
/// and 50 Hz nothing folds onto the groups from 49.5 Hz up, and an interval that may fold says
/// so ([`percycle_engine::Flags::ALIASED`]).
#[cfg(all(feature = "netduinoplus2", not(feature = "mps2-an386")))]
pub const WINDOW: usize = 1536;

/// USART2 of the STM32F446RE on a Nucleo-64 board: PA2 (TX) and PA3 (RX) wired to the
/// ST-LINK's virtual COM port, so the bench reaches the board over the USB cable that flashes it.
#[cfg(all(feature = "nucleo-f446re", not(any(feature = "mps2-an386", feature = "netduinoplus2"))))]
pub type Uart = Usart<0x4000_4400>;

#[cfg(all(feature = "nucleo-f446re", not(any(feature = "mps2-an386", feature = "netduinoplus2"))))]
impl Uart {
    const RCC_AHB1ENR: usize = 0x4002_3830;
    const RCC_APB1ENR: usize = 0x4002_3840;
    const GPIOA_MODER: usize = 0x4002_0000;
    const GPIOA_AFRL: usize = 0x4002_0020;

    /// Clock GPIOA and USART2, put PA2/PA3 on alternate function 7 (USART2), 115 200 Bd from
    /// the 16 MHz HSI (APB1 undivided after reset), transmitter and receiver on.
    pub fn init() -> Self {
        wr(Self::RCC_AHB1ENR, rd(Self::RCC_AHB1ENR) | 1);
        wr(Self::RCC_APB1ENR, rd(Self::RCC_APB1ENR) | 1 << 17);
        let moder = rd(Self::GPIOA_MODER) & !(0b1111 << 4);
        wr(Self::GPIOA_MODER, moder | 0b1010 << 4);
        let afrl = rd(Self::GPIOA_AFRL) & !(0xFF << 8);
        wr(Self::GPIOA_AFRL, afrl | 0x77 << 8);
        Self::enable()
    }
}

/// Name of the board in the firmware identification.
#[cfg(all(feature = "nucleo-f446re", not(any(feature = "mps2-an386", feature = "netduinoplus2"))))]
pub const BOARD: &str = "nucleo-f446re";

/// Core clock, Hz: the 16 MHz HSI the chip starts on (no PLL set up; the engine's cost is
/// counted in core cycles by the DWT, which do not depend on the clock).
#[cfg(all(feature = "nucleo-f446re", not(any(feature = "mps2-an386", feature = "netduinoplus2"))))]
pub const CORE_CLOCK_HZ: u32 = 16_000_000;
/// Bytes of encoded engine outputs one reply may hold (128 KiB of RAM in all).
#[cfg(all(feature = "nucleo-f446re", not(any(feature = "mps2-an386", feature = "netduinoplus2"))))]
pub const RECORD_BYTES: usize = 8 * 1024;
/// Engine sample ring per channel, as on the STM32F405 build.
#[cfg(all(feature = "nucleo-f446re", not(any(feature = "mps2-an386", feature = "netduinoplus2"))))]
pub const RING: usize = 1024;
/// Interval FFT length, as on the STM32F405 build: 50 and 60 Hz in 128 KiB.
#[cfg(all(feature = "nucleo-f446re", not(any(feature = "mps2-an386", feature = "netduinoplus2"))))]
pub const WINDOW: usize = 1536;

/// A real board times the engine with the DWT cycle counter (CPU cycles); the emulated boards
/// with SysTick (under QEMU's `-icount`, instructions).
pub const DWT_CYCLES: bool = cfg!(all(
    feature = "nucleo-f446re",
    not(any(feature = "mps2-an386", feature = "netduinoplus2"))
));

extern "C" {
    static __stext: u8;
    static __etext: u8;
}

/// The firmware's code as a byte slice (`.text`), for its CRC-32 identification.
pub fn code() -> &'static [u8] {
    // SAFETY: the linker script defines both symbols around `.text`, which is mapped and
    // never written.
    unsafe {
        let start = core::ptr::addr_of!(__stext);
        let end = core::ptr::addr_of!(__etext);
        core::slice::from_raw_parts(start, end as usize - start as usize)
    }
}

extern "C" {
    /// End of `.bss` (cortex-m-rt's linker script): the stack grows down towards it.
    static __ebss: u32;
}

/// Pattern written over the free stack at boot; words still holding it were never used.
const STACK_PAINT: u32 = 0xC0FF_EE55;

/// Lowest painted stack region size, in words (64 KiB on a 4 MiB board: enough to see the
/// deepest use without painting all of RAM at every boot).
const PAINT_WORDS: usize = 16 * 1024;

/// Paint the free stack below the current stack pointer (leaving 256 bytes for this call).
pub fn paint_stack() {
    let sp = cortex_m::register::msp::read() as usize - 256;
    let (low, _) = paint_range(sp);
    let mut p = low;
    while p < sp {
        // SAFETY: [low, sp) lies between the end of .bss and the live stack: free RAM.
        unsafe { core::ptr::write_volatile(p as *mut u32, STACK_PAINT) };
        p += 4;
    }
}

/// The painted range `[low, sp)`: at most PAINT_WORDS words below `sp`, above `.bss`.
fn paint_range(sp: usize) -> (usize, usize) {
    let ebss = core::ptr::addr_of!(__ebss) as usize;
    let low = sp.saturating_sub(4 * PAINT_WORDS).max(ebss).next_multiple_of(4);
    (low, sp)
}

/// Bytes of stack used so far: from the top of RAM down to the deepest word no longer
/// holding the paint (a lower bound if the stack ever went below the painted region).
pub fn stack_used() -> u32 {
    extern "C" {
        static _stack_start: u32;
    }
    let top = core::ptr::addr_of!(_stack_start) as usize;
    let ebss = core::ptr::addr_of!(__ebss) as usize;
    let low = top.saturating_sub(4 * PAINT_WORDS + 256 + 4096).max(ebss).next_multiple_of(4);
    let mut p = low;
    // SAFETY: [low, top) is RAM between .bss and the top of the stack.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == STACK_PAINT {
        p += 4;
    }
    (top - p) as u32
}
