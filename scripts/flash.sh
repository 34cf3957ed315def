#!/usr/bin/env bash
# Build the firmware for a real board and flash it with probe-rs over the board's debug probe.
#
#   scripts/flash.sh [BOARD]        BOARD: nucleo-f446re (default)
#
# Installs probe-rs (probe-rs-tools) when it is missing. Exits 3, saying so, when no probe is
# attached. After flashing, the board answers on the probe's virtual COM port: e.g.
#   percycle certify --suite all --target serial:/dev/ttyACM0 --out target/certify/board
#   percycle hil cost --target serial:/dev/ttyACM0 \
#       --firmware hil/firmware/target/nucleo-f446re/thumbv7em-none-eabihf/release/percycle-firmware
set -euo pipefail
cd "$(dirname "$0")/.."

board="${1:-nucleo-f446re}"
case "$board" in
    nucleo-f446re) chip=STM32F446RETx ;;
    *)
        echo "unknown board \`$board\` (known: nucleo-f446re)" >&2
        exit 2
        ;;
esac

# shellcheck source=scripts/setup.sh
. scripts/setup.sh
percycle_setup

(cd hil/firmware && cargo build --release --no-default-features --features "$board" \
    --target-dir "target/$board")
elf="hil/firmware/target/$board/thumbv7em-none-eabihf/release/percycle-firmware"

if ! command -v probe-rs >/dev/null 2>&1; then
    echo "installing probe-rs (probe-rs-tools)" >&2
    cargo install --locked probe-rs-tools
fi

if ! probe-rs list 2>/dev/null | grep -q '^\['; then
    echo "no debug probe attached: connect the board's ST-LINK USB port and run again" >&2
    echo "(the firmware for $board is built: $elf)" >&2
    exit 3
fi

probe-rs download --chip "$chip" "$elf"
probe-rs reset --chip "$chip"
echo "flashed $elf to $board ($chip)"
