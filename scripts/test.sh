#!/usr/bin/env bash
# Every check a change must pass: install the pinned toolchain pieces, then format, lint, no_std
# builds for the Cortex-M4F target, tests, documentation and bench compilation.
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

install() {
    if ! command -v rustup >/dev/null 2>&1; then
        if [[ -f "$HOME/.cargo/env" ]]; then
            # shellcheck disable=SC1091
            . "$HOME/.cargo/env"
        fi
    fi
    if ! command -v rustup >/dev/null 2>&1; then
        echo "rustup not found: installing it (toolchain from rust-toolchain.toml)"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
            sh -s -- -y --profile minimal --default-toolchain none
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    # The pinned toolchain of rust-toolchain.toml, installed only when missing (installing an
    # installed toolchain downloads it again).
    local channel
    channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
    if ! rustup toolchain list | grep "^${channel}-" >/dev/null; then
        rustup toolchain install --no-self-update
    fi
    rustup target add "$TARGET"
    rustup component add rustfmt clippy llvm-tools

    # QEMU for the board tests (the emulated mps2-an386 Cortex-M4F board).
    if ! command -v qemu-system-arm >/dev/null 2>&1; then
        local sudo=""
        [[ $(id -u) -ne 0 ]] && sudo="sudo"
        $sudo apt-get update
        $sudo apt-get install -y --no-install-recommends qemu-system-arm
    fi
}

firmware() {
    (cd hil/firmware && cargo build --release && cargo build --release --no-default-features --features netduinoplus2 --target-dir target/netduinoplus2)
}

run "install" install
run "cargo fmt --all --check" cargo fmt --all --check
run "clippy (workspace, all targets)" cargo clippy --workspace --all-targets -- -D warnings
run "clippy (engine, $TARGET)" cargo clippy -p percycle-engine --target "$TARGET" -- -D warnings
run "build (engine, $TARGET, debug)" cargo build -p percycle-engine --target "$TARGET"
run "build (engine, $TARGET, release)" cargo build -p percycle-engine --target "$TARGET" --release
run "cargo fmt --check (hil/firmware)" cargo fmt --manifest-path hil/firmware/Cargo.toml --check
run "firmware release builds (mps2-an386, netduinoplus2)" firmware
run "cargo test --workspace" cargo test --workspace
run "cargo doc --workspace --no-deps" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
run "cargo bench --workspace --no-run" cargo bench --workspace --no-run

echo "$passed passed, 0 failed"
