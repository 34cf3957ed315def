//! Copies the board's memory map to `memory.x` in OUT_DIR (cortex-m-rt's link.x includes it).

use std::path::PathBuf;

fn main() {
    let board = if std::env::var_os("CARGO_FEATURE_NETDUINOPLUS2").is_some() {
        "memory-netduinoplus2.x"
    } else {
        "memory-mps2-an386.x"
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::copy(board, out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={board}");
    println!("cargo:rerun-if-changed=build.rs");
}
