//! Runs each forward real FFT once between two calls of `mark()`, so that an instruction trace
//! of QEMU (`-singlestep -d exec,nochain`) counts the instructions of each transform: the
//! engine's 128, 1024, 1280, 1536 and 2048 points, then microfft's 128, 1024 and 2048 points. Every input is
//! prepared before the first mark. After the last mark the core sleeps.

#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m_rt::entry;
use percycle_engine::fft;

/// The boundary between two measured transforms, found by name in the trace.
#[inline(never)]
#[no_mangle]
pub extern "C" fn mark() {
    cortex_m::asm::nop();
}

/// A fundamental, a 5th harmonic and a little noise, as a mains signal.
fn input<const N: usize>() -> [f32; N] {
    let mut s = 0x1234_5678u32;
    let mut phase = 0.0f32;
    let step = 6.283_185_5 / 128.0;
    core::array::from_fn(|_| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        phase += step;
        let p = phase - 6.283_185_5 * (phase / 6.283_185_5) as i32 as f32;
        // A parabola stands in for the sine: the transform's cost does not depend on the values.
        let v = p * (6.283_185_5 - p) * 0.1;
        v + (s >> 16) as f32 * 1e-6
    })
}

#[entry]
fn main() -> ! {
    let mut e128 = input::<128>();
    let mut e1024 = input::<1024>();
    let mut e1280 = input::<1280>();
    let mut e1536 = input::<1536>();
    let mut e2048 = input::<2048>();
    let mut m128 = input::<128>();
    let mut m1024 = input::<1024>();
    let mut m2048 = input::<2048>();

    mark();
    fft::rfft_128(black_box(&mut e128));
    mark();
    fft::rfft_1024(black_box(&mut e1024));
    mark();
    fft::rfft_1280(black_box(&mut e1280));
    mark();
    fft::rfft_1536(black_box(&mut e1536));
    mark();
    fft::rfft_2048(black_box(&mut e2048));
    mark();
    black_box(microfft::real::rfft_128(black_box(&mut m128)));
    mark();
    black_box(microfft::real::rfft_1024(black_box(&mut m1024)));
    mark();
    black_box(microfft::real::rfft_2048(black_box(&mut m2048)));
    mark();

    black_box((&e128, &e1024, &e1280, &e1536, &e2048, &m128, &m1024, &m2048));
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
