#!/usr/bin/env bash
# Every check a change must pass: install the pinned toolchain pieces, then format, lint, no_std
# builds for the Cortex-M4F target, tests, documentation, bench compilation and a short run of
# every fuzz target.
# CI calls this through .ci/run. Steps run one after another (CI machines have 2 cores) and the
# script stops at the first failure, naming the step.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=thumbv7em-none-eabihf
passed=0
current=""

# On any failure inside a step (set -e exits the script), name the step and print the tally.
on_exit() {
    local rc=$?
    if [[ $rc -ne 0 && -n "$current" ]]; then
        echo "$current FAILED (exit $rc)"
        echo "$passed passed, 1 failed"
        exit 1
    fi
}
trap on_exit EXIT

# run NAME COMMAND...: announce the step, run it, count it as passed.
run() {
    current=$1
    shift
    echo "==> $current"
    "$@"
    passed=$((passed + 1))
    current=""
}

# shellcheck source=scripts/setup.sh
. scripts/setup.sh

install() {
    percycle_setup
    install_cargo_fuzz
}

firmware() {
    (cd hil/firmware && cargo build --release &&
        cargo build --release --no-default-features --features netduinoplus2 --target-dir target/netduinoplus2 &&
        cargo build --release --no-default-features --features nucleo-f446re --target-dir target/nucleo-f446re)
}

run "install" install
run "cargo fmt --all --check" cargo fmt --all --check
run "clippy (workspace, all targets)" cargo clippy --workspace --all-targets -- -D warnings
run "clippy (engine, $TARGET)" cargo clippy -p percycle-engine --target "$TARGET" -- -D warnings
run "build (engine, $TARGET, debug)" cargo build -p percycle-engine --target "$TARGET"
run "build (engine, $TARGET, release)" cargo build -p percycle-engine --target "$TARGET" --release
run "cargo fmt --check (hil/firmware)" cargo fmt --manifest-path hil/firmware/Cargo.toml --check
run "firmware release builds (mps2-an386, netduinoplus2, nucleo-f446re)" firmware
run "cargo test --workspace" cargo test --workspace
run "cargo doc --workspace --no-deps" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
run "cargo bench --workspace --no-run" cargo bench --workspace --no-run
run "fuzz smoke (every target 5 s from its seeds)" scripts/fuzz.sh 5

echo "$passed passed, 0 failed"
