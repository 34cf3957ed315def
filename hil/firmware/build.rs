//! Copies the board's memory map to `memory.x` in OUT_DIR (cortex-m-rt's link.x includes it).

use std::path::PathBuf;

fn main() {
    let on = |f: &str| std::env::var_os(format!("CARGO_FEATURE_{f}")).is_some();
    let board = if on("MPS2_AN386") {
        "memory-mps2-an386.x"
    } else if on("NETDUINOPLUS2") {
        "memory-netduinoplus2.x"
    } else if on("NUCLEO_F446RE") {
        "memory-nucleo-f446re.x"
    } else {
        "memory-mps2-an386.x"
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::copy(board, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={board}");
    println!("cargo:rerun-if-changed=build.rs");
}
