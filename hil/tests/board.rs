//! The emulated boards (QEMU mps2-an386 and netduinoplus2 running hil/firmware) against the host
//! build: every per-cycle report bit-identical, energy registers equal, through a clean link and
//! through a link that drops, duplicates and flips bytes; a board reset mid-run; a board that
//! stops answering; the engine's instruction counts and the firmware's memory.
//!
//! Needs `qemu-system-arm` and the firmware built (`scripts/test.sh` does both); skips with a
//! printed reason when either is absent outside CI, and fails in CI (`CI=true`).

use percycle_hil::bench::{self, Board, Faulty, HostTarget, Outputs, Qemu, Report, Stream, Target};
use percycle_vectors::{suite, synthesize};
use percycle_wire::WireConfig;
use percycle_wire::{CostCounters, Identity, WireEnergy};
mod common;
use common::{firmware, firmware_at};
use std::path::PathBuf;
use std::time::Duration;

/// The firmware built for the STM32F405 (`netduinoplus2`, 128 KiB of RAM).
fn firmware_stm32f4() -> Option<PathBuf> {
    firmware_at("hil/firmware/target/netduinoplus2/thumbv7em-none-eabihf/release/percycle-firmware")
}

/// Codes and configuration of a foundation vector.
fn vector(name: &str, seconds: f64) -> (WireConfig, Vec<i32>, usize) {
    let recipe = suite("foundation")
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap()
        .with_duration(seconds);
    let v = synthesize(&recipe).unwrap();
    bench::wire_synthesised(&v).unwrap()
}

/// Every cycle summary and every engine report (cycles, intervals, events, registers,
/// counters) bit-identical, and the intervals really there.
fn compare(board: &bench::Run, host: &bench::Run) {
    assert_eq!(board.cycles.len(), host.cycles.len());
    let diffs = bench::compare_runs(board, host);
    assert!(diffs.is_empty(), "{} differences, first: {}", diffs.len(), diffs[0]);
    assert_eq!(format!("{:?}", board.energy), format!("{:?}", host.energy));
    let intervals = board.reports.iter().filter(|r| matches!(r, Report::Interval(_))).count();
    assert!(intervals >= 1, "{intervals} interval reports");
    assert!(matches!(board.reports.last(), Some(Report::Counters(..))));
}

#[test]
fn board_reports_are_bit_identical_to_the_host_build_even_through_a_damaged_link() {
    let Some(elf) = firmware() else { return };
    let mut qemu = Qemu::start("mps2-an386", &elf).expect("QEMU board");
    let id = qemu.identify().unwrap();
    assert_eq!(&id.board[..10], b"mps2-an386");
    assert_ne!(id.code_crc32, 0);
    for name in ["3p4w_en50160_mix", "1p_8000hz_pf1", "3p4w_dip50pct_l1"] {
        let (mut cfg, codes, nch) = vector(name, 0.6);
        // One basic interval per "10-min" window: the engine's aggregated values are compared
        // bit for bit as well.
        cfg.aggregation_window_s = 0.2;
        let host = bench::stream(&mut HostTarget::default(), &cfg, &codes, nch, 40).unwrap();
        let board = bench::stream(&mut qemu, &cfg, &codes, nch, 40).unwrap();
        assert!(host.cycles.len() >= 25, "{name}: {} cycles", host.cycles.len());
        compare(&board, &host);
        let aggregates = board.reports.iter().filter(|r| matches!(r, Report::Aggregate(_))).count();
        assert!(aggregates >= 2, "{name}: {aggregates} aggregated values");
        println!("{name}: {} cycles bit-identical", board.cycles.len());
    }
    let clean = qemu.stats();
    assert_eq!(clean.retransmitted, 0);

    // The same through a link that damages 0.3 % of the bytes each way.
    let (cfg, codes, nch) = vector("3p4w_50hz_q2_150deg", 0.4);
    let host = bench::stream(&mut HostTarget::default(), &cfg, &codes, nch, 40).unwrap();
    let Qemu { board, .. } = &mut qemu;
    let port = board_port(board);
    let rate: f64 = std::env::var("FAULT_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(0.0003);
    let mut faulty = Board::new(Faulty::new(port, rate, 7), "faulty link");
    faulty.sync(Duration::from_secs(5)).unwrap();
    let run = bench::stream(&mut faulty, &cfg, &codes, nch, 40).unwrap();
    compare(&run, &host);
    let s = faulty.stats();
    println!("damaged link: {s:?}");
    assert!(s.retransmitted > 0 && s.frames_rejected > 0, "{s:?}");
}

/// The QEMU board with its power cut (the process killed) at sample block `after` of a stream,
/// `cuts` times.
struct PowerCut {
    qemu: Qemu,
    after: usize,
    blocks: usize,
    cuts: u32,
}

impl Target for PowerCut {
    fn identify(&mut self) -> anyhow::Result<Identity> {
        self.qemu.identify()
    }
    fn configure(&mut self, cfg: &WireConfig) -> anyhow::Result<()> {
        self.blocks = 0;
        self.qemu.configure(cfg)
    }
    fn samples(&mut self, first: u64, channels: u8, codes: &[i32]) -> anyhow::Result<Outputs> {
        self.blocks += 1;
        if self.blocks == self.after && self.cuts > 0 {
            self.cuts -= 1;
            self.qemu.kill();
        }
        self.qemu.samples(first, channels, codes)
    }
    fn finish(&mut self) -> anyhow::Result<(Outputs, WireEnergy)> {
        self.qemu.finish()
    }
    fn cost(&mut self) -> anyhow::Result<CostCounters> {
        self.qemu.cost()
    }
    fn recover(&mut self, error: &anyhow::Error) -> anyhow::Result<bool> {
        self.qemu.recover(error)
    }
}

#[test]
fn a_board_reset_in_the_middle_of_a_vector_loses_and_duplicates_nothing() {
    let Some(elf) = firmware() else { return };
    let (cfg, codes, nch) = vector("3p4w_en50160_mix", 0.5);
    let host = bench::stream(&mut HostTarget::default(), &cfg, &codes, nch, 40).unwrap();
    let qemu = Qemu::start("mps2-an386", &elf).expect("QEMU board");
    // Cut the power a third of the way through the vector.
    let blocks = codes.len() / nch / bench::BLOCK_FRAMES;
    let mut cut = PowerCut { qemu, after: blocks / 3, blocks: 0, cuts: 1 };
    let (run, restarts) =
        bench::stream_recovering(&mut cut, &cfg, &codes, nch, "3p4w_en50160_mix", true).unwrap();
    assert_eq!(restarts, 1);
    assert_eq!(cut.qemu.restarts, 1);
    compare(&run, &host);
    println!(
        "power cut at block {} of {blocks}: {} cycles, all once",
        blocks / 3,
        run.cycles.len()
    );

    // A board that dies in every attempt: the bench restarts it MAX_RESTARTS times, then fails
    // naming the vector and the block where it was cut.
    let mut dead = PowerCut { qemu: cut.qemu, after: 2, blocks: 0, cuts: u32::MAX };
    let e = bench::stream_recovering(&mut dead, &cfg, &codes, nch, "cut_every_time", false)
        .unwrap_err();
    let text = format!("{e:#}");
    let frame = format!("frame {}", bench::BLOCK_FRAMES);
    assert!(text.contains("cut_every_time") && text.contains(&frame), "{text}");
    assert_eq!(dead.qemu.restarts, 1 + bench::MAX_RESTARTS);
}

/// A second handle on the board's port (the fault proxy wraps it).
fn board_port(
    board: &mut Board<Box<dyn serialport::SerialPort>>,
) -> Box<dyn serialport::SerialPort> {
    board.stream_clone().expect("cloning the pty handle")
}

/// A stream that never answers.
struct Silent;

impl std::io::Read for Silent {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        std::thread::sleep(Duration::from_millis(5));
        Err(std::io::ErrorKind::TimedOut.into())
    }
}

impl std::io::Write for Silent {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Stream for Silent {
    fn set_timeout(&mut self, _: Duration) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_board_that_stops_answering_is_a_clear_error() {
    let mut b = Board::new(Silent, "/dev/ttyTEST");
    b.set_reply_timeout(Duration::from_millis(50));
    let e = b.sync(Duration::from_millis(400)).unwrap_err().to_string();
    assert!(e.contains("/dev/ttyTEST") && e.contains("did not answer"), "{e}");
    let e = b.identify().unwrap_err().to_string();
    assert!(e.contains("no reply") && e.contains("/dev/ttyTEST"), "{e}");
}

#[test]
fn instructions_per_mains_cycle_are_counted_repeatably_under_icount() {
    let Some(elf) = firmware() else { return };
    let a = bench::cost(&elf, "3p4w_en50160_mix", 0.3, 3).unwrap();
    let b = bench::cost(&elf, "3p4w_en50160_mix", 0.3, 3).unwrap();
    let core = bench::cost(&elf, "3p4w_en50160_mix", 0.3, 0).unwrap();
    // The core alone (no harmonics, no power quality) costs less than the full job.
    assert!(core.instructions_per_cycle < 0.9 * a.instructions_per_cycle, "{core:?} vs {a:?}");
    assert!(a.stack_bytes > 1024, "{a:?}");
    println!("{a:?}");
    assert_eq!(a.cycles, b.cycles);
    assert!(a.cycles >= 12, "{a:?}");
    // Repeatable to the SysTick granularity (a few instructions per block).
    let rel =
        (a.instructions_per_cycle - b.instructions_per_cycle).abs() / a.instructions_per_cycle;
    assert!(rel < 1e-3, "{a:?} vs {b:?}");
    // 7 channels of rms, power, resampling and two FFTs: tens of thousands of instructions
    // per mains cycle, not hundreds and not tens of millions.
    assert!(a.instructions_per_cycle > 10_000.0 && a.instructions_per_cycle < 5_000_000.0, "{a:?}");
}

#[test]
fn the_stm32f4_build_fits_its_128_kib_and_matches_its_host_build() {
    let Some(elf) = firmware_stm32f4() else { return };
    let (mut target, name) = bench::open_target("qemu:netduinoplus2", &elf).expect("QEMU board");
    let id = target.identify().unwrap();
    assert_eq!(id.board_name(), "netduinoplus2", "{name}");
    // The small board runs a 1536-point interval window, for 50 and 60 Hz.
    assert_eq!((id.ring, id.window), (1024, 1536));
    let (cfg, codes, nch) = vector("3p4w_en50160_mix", 0.6);
    let host = bench::stream(&mut HostTarget::like(&id).unwrap(), &cfg, &codes, nch, 40).unwrap();
    let board = bench::stream(target.as_mut(), &cfg, &codes, nch, 40).unwrap();
    compare(&board, &host);
    // The default host build (2048-point window) gives other interval spectra: the comparison
    // above really used the board's sizes.
    let large = bench::stream(&mut HostTarget::default(), &cfg, &codes, nch, 40).unwrap();
    assert!(!bench::compare_runs(&board, &large).is_empty());
    // 60 Hz runs on the same build, bit for bit as its host twin.
    let (cfg60, codes60, nch60) = vector("3p4w_60hz_15360hz", 0.4);
    let host =
        bench::stream(&mut HostTarget::like(&id).unwrap(), &cfg60, &codes60, nch60, 40).unwrap();
    let board = bench::stream(target.as_mut(), &cfg60, &codes60, nch60, 40).unwrap();
    compare(&board, &host);
    // Static memory and the deepest stack of the whole run fit the 128 KiB of SRAM.
    let size = bench::elf_size(&elf).unwrap();
    let stack = target.cost().unwrap().stack_bytes as u64;
    println!("netduinoplus2: {size:?}, stack {stack} B");
    assert_eq!(size.data, 0, "{size:?}");
    assert!(stack > 1024 && size.bss + stack <= 128 * 1024, "{size:?}, stack {stack}");
}

#[test]
fn the_engine_state_is_zero_initialised_static_memory() {
    // `Meter::UNCONFIGURED` is all zero bytes: the firmware's meter lands in `.bss`, with no
    // initial image in flash and no second copy built on the stack.
    let Some(elf) = firmware() else { return };
    let size = bench::elf_size(&elf).unwrap();
    assert_eq!(size.data, 0, "{size:?}");
}

#[test]
fn the_nucleo_build_fits_its_chip_with_the_memory_of_the_stm32f405_build() {
    // The real-board build cannot run here (no QEMU model of the STM32F446RE): it shares the
    // engine sizes and the code of the STM32F405 build, whose run above bounds its stack, and
    // differs in its UART and its DWT clock only.
    let Some(nucleo) = firmware_at(
        "hil/firmware/target/nucleo-f446re/thumbv7em-none-eabihf/release/percycle-firmware",
    ) else {
        return;
    };
    let Some(f405) = firmware_stm32f4() else { return };
    let (a, b) = (bench::elf_size(&nucleo).unwrap(), bench::elf_size(&f405).unwrap());
    println!("nucleo-f446re: {a:?}; netduinoplus2: {b:?}");
    assert_eq!(a.data, 0, "{a:?}");
    assert!(a.text <= 512 * 1024, "{a:?}");
    assert!(a.bss <= b.bss + 64, "{a:?} vs {b:?}");
}
