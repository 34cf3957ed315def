#!/usr/bin/env bash
# Install what building, testing and certifying need, each only when missing: rustup and the
# toolchain pinned in rust-toolchain.toml, the Cortex-M4F target and components, and QEMU
# (qemu-system-arm, for the emulated board); and cargo-fuzz for scripts/fuzz.sh
# (install_cargo_fuzz). Sourced by test.sh, certify.sh and fuzz.sh, or run alone.
set -euo pipefail

# cargo-fuzz, for scripts/fuzz.sh (a pinned version; built from crates.io when missing).
CARGO_FUZZ_VERSION=0.13.2

install_cargo_fuzz() {
    if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
        cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
    fi
}

percycle_setup() {
    local target=thumbv7em-none-eabihf
    if ! command -v rustup >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    if ! command -v rustup >/dev/null 2>&1; then
        echo "rustup not found: installing it (toolchain from rust-toolchain.toml)"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
            sh -s -- -y --profile minimal --default-toolchain none
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    # The pinned toolchain, installed only when missing (installing an installed toolchain
    # downloads it again).
    local channel
    channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
    if ! rustup toolchain list | grep "^${channel}-" >/dev/null; then
        rustup toolchain install --no-self-update
    fi
    rustup target add "$target"
    rustup component add rustfmt clippy llvm-tools

    # QEMU for the emulated mps2-an386 Cortex-M4F board.
    if ! command -v qemu-system-arm >/dev/null 2>&1; then
        local sudo=""
        [[ $(id -u) -ne 0 ]] && sudo="sudo"
        $sudo apt-get update
        $sudo apt-get install -y --no-install-recommends qemu-system-arm
    fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    cd "$(dirname "$0")/.."
    percycle_setup
    install_cargo_fuzz
fi
