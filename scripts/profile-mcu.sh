#!/usr/bin/env bash
# Instruction profile of the engine on the emulated board: streams a foundation vector through
# the firmware on QEMU mps2-an386 with every executed instruction logged, and prints the
# functions and source lines that ran the most instructions (benches/mcu/profile.py).
#
# Usage: scripts/profile-mcu.sh [SECONDS] [VECTOR]     (0.4 s of 3p4w_en50160_mix by default)
# The full job of `percycle hil cost` is profiled; its log goes to
# target/profile/qemu.log (about 60 bytes per instruction). PERCYCLE_PROFILE_JOB names another
# job of the table (e.g. core).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-0.4}
vector=${2:-3p4w_en50160_mix}
out=target/profile
mkdir -p "$out"
elf=hil/firmware/target/thumbv7em-none-eabihf/release/percycle-firmware
(cd hil/firmware && cargo build --release)
cargo build --release -p percycle-cli
PERCYCLE_QEMU_ARGS="-singlestep -d exec,nochain -D $out/qemu.log" \
    target/release/percycle hil cost --vector "$vector" --seconds "$seconds" --jobs "${PERCYCLE_PROFILE_JOB:-full}"
python3 benches/mcu/profile.py "$elf" "$out/qemu.log" 45
