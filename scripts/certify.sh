#!/usr/bin/env bash
# Generate the standard vector suites, run them through the engine, judge every value against
# the analytic truth and print the summary of the type-test report. Exits non-zero when any
# check fails.
#
#   scripts/certify.sh [SUITE] [extra `percycle certify` options]
#
# Without SUITE it runs `all`: the energy type test (IEC 62053 test points against the class
# limits, `--class`, default 0.5S,2), `foundation` (per-cycle values, energy), `en50160`
# (power-quality events, 10-s frequency) and `hostile` (right or flagged), and writes the
# type-test report to target/certify/all (report.html with its charts, report.json, report.md,
# tables/*.csv). A named suite writes its results to target/certify/<suite>.
#
# The engine runs on the emulated board (QEMU mps2-an386 running hil/firmware, fed over its
# serial port) unless PERCYCLE_TARGET says otherwise: `qemu:netduinoplus2` (the STM32F405
# build), `host` (the engine in-process) or `serial:/dev/ttyACM0[@BAUD]` (a real board).
# Missing tools (toolchain, target, QEMU) are installed first.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/setup.sh
. scripts/setup.sh
percycle_setup

target="${PERCYCLE_TARGET:-qemu}"
cargo build --release -p percycle-cli --bin percycle
case "$target" in
    qemu | qemu:mps2-an386) (cd hil/firmware && cargo build --release) ;;
    qemu:*)
        machine=${target#qemu:}
        (cd hil/firmware && cargo build --release --no-default-features --features "$machine" \
            --target-dir "target/$machine")
        ;;
esac
suites=("${1:-all}")
status=0
for suite in "${suites[@]}"; do
    echo "==> suite ${suite} (engine on ${target})"
    target/release/percycle certify --suite "${suite}" --target "${target}" \
        --out "target/certify/${suite}" "${@:2}" || status=1
done
exit "${status}"
