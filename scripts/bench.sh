#!/usr/bin/env bash
# The benchmark suite (benches/README.md): criterion W1-W4, callgrind instruction counts of W3,
# the Python peers on the W3 signal, scaling across cores, the MCU instruction counts (W5), then
# one table judged against the goals of design.md / performance.md, printed and written to
# target/bench/report.md and target/bench/report.json.
#
# Usage: scripts/bench.sh
# Not part of CI (CI only compiles the benches). Takes about 10-20 minutes on 2 cores.
# Steps run one after another. A required step that fails stops the script, naming the step.
# An optional step (callgrind, peers, MCU) that fails or cannot run is recorded in
# target/bench/status/NAME.txt, and its rows in the table say "not run" and why.
# Progress goes to stderr, the table to stdout; full logs are in target/bench/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/bench
LOGS=$OUT/logs
STATUS=$OUT/status
current=""
failed_optional=()

on_exit() {
    local rc=$?
    if [[ $rc -ne 0 && -n "$current" ]]; then
        echo "bench.sh: step '$current' FAILED (exit $rc); log: $LOGS/$current.log" >&2
    fi
}
trap on_exit EXIT

# step NAME COMMAND...: a required step; output to stderr and to $LOGS/NAME.log.
step() {
    current=$1
    shift
    echo "==> $current" >&2
    "$@" 2>&1 | tee "$LOGS/$current.log" >&2
    current=""
}

# optional NAME KEY COMMAND...: as step, but a failure is written to $STATUS/KEY.txt (the reason
# the report shows for the missing KEY.json) and the script goes on.
optional() {
    local name=$1 key=$2
    shift 2
    echo "==> $name" >&2
    local rc=0
    "$@" 2>&1 | tee "$LOGS/$name.log" >&2 || rc=$?
    if [[ $rc -ne 0 ]]; then
        # The reason: the first error message ("error:", "error[E…]:", "ValueError:"), else the
        # last line of output.
        local why
        why=$(grep -E -m 1 '[Ee]rror(\[[A-Z0-9]+\])?:' "$LOGS/$name.log" ||
            grep -v '^[[:space:]]*$' "$LOGS/$name.log" | tail -n 1 || true)
        why=$(printf '%s' "$why" | cut -c1-160)
        echo "$name failed (exit $rc): ${why:-no output} (log: $LOGS/$name.log)" >"$STATUS/$key.txt"
        echo "==> $name failed (exit $rc); going on" >&2
        failed_optional+=("$name")
    fi
}

# skip KEY REASON: record why an optional input will be missing.
skip() {
    echo "$2" >"$STATUS/$1.txt"
    echo "==> skipped $1: $2" >&2
}

# Fresh outputs only: the report must not pick up a previous run's files. Other tools keep their
# own work directories under $OUT (venvs, MCU builds); those stay.
mkdir -p "$OUT" "$LOGS"
rm -rf "$STATUS" "$OUT"/report.md "$OUT"/report.json "$OUT"/callgrind.json "$OUT"/peers.json \
    "$OUT"/scaling.json "$OUT"/mcu_cmsis.json "$OUT"/mcu_engine.json "$OUT"/w3.engine.json
mkdir -p "$STATUS"
for group in fft_real cycle_kernels pipeline pipeline_dram; do
    rm -rf "target/criterion/$group"
done

# Toolchain, Cortex-M4F target and QEMU, each only when missing (shared with test.sh). Sourced
# and run here, not in a step's pipeline, so that a PATH it sets holds for the later steps.
# shellcheck source=scripts/setup.sh
. scripts/setup.sh
current=setup
echo "==> setup" >&2
percycle_setup >&2
current=""

build() {
    cargo build --release -p percycle-benches --bins
    cargo bench -p percycle-benches --no-run
}
step build build

# W1-W4 (criterion writes target/criterion/<group>/<function>/<value>/new/estimates.json).
step criterion cargo bench -p percycle-benches

# Instruction counts of one 10-s W3 run: a run with two iterations minus a run with none
# (signal synthesis only), halved.
have_valgrind() {
    command -v valgrind >/dev/null 2>&1 && return 0
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || return 1
        sudo="sudo -n"
    fi
    echo "valgrind not found: installing it with apt-get" >&2
    $sudo apt-get update >&2 && $sudo apt-get install -y --no-install-recommends valgrind >&2
}

# Instructions of `pipeline_once WHICH N`, from callgrind's summary line. Optional steps run
# with errexit suspended (they sit on the left of `||`), so each command checks its own status.
instructions() {
    local f=$OUT/callgrind.$1.$2.out
    valgrind --tool=callgrind --callgrind-out-file="$f" target/release/pipeline_once "$1" "$2" >&2 ||
        return
    sed -n 's/^summary: *//p' "$f"
}

callgrind() {
    local e0 e2 n0 n2
    e0=$(instructions engine 0) && e2=$(instructions engine 2) || return
    n0=$(instructions naive 0) && n2=$(instructions naive 2) || return
    if [[ -z $e0 || -z $e2 || -z $n0 || -z $n2 ]]; then
        echo "no summary line in callgrind's output"
        return 1
    fi
    local e=$(((e2 - e0) / 2)) n=$(((n2 - n0) / 2))
    printf '{"tool":"%s","signal_seconds":10.0,"engine":{"instructions_per_run":%d},"naive":{"instructions_per_run":%d}}\n' \
        "$(valgrind --version)" "$e" "$n" >"$OUT/callgrind.json" || return
    echo "instructions per 10-s run: engine $e, naive $n"
}
if have_valgrind; then
    optional callgrind callgrind callgrind
else
    skip callgrind "n/a: valgrind is not installed and could not be installed with apt-get"
fi

# W3 input of the peers, and the engine on the same f32 samples right before them.
step peer_input target/release/peer_input "$OUT/w3"

if [[ -f benches/peers/run.sh ]]; then
    optional peers peers bash benches/peers/run.sh "$OUT/w3" "$OUT/peers.json"
else
    skip peers "benches/peers/run.sh not found"
fi

step scaling target/release/scaling --json "$OUT/scaling.json"

if [[ -f benches/mcu/run.sh ]]; then
    optional mcu_cmsis mcu_cmsis bash benches/mcu/run.sh "$OUT/mcu_cmsis.json"
else
    skip mcu_cmsis "benches/mcu/run.sh not found"
fi

# The engine's instruction counts on the emulated board; the firmware is built first.
mcu_engine() {
    (cd hil/firmware && cargo build --release) || return
    cargo run --release -p percycle-cli -- hil cost --json "$OUT/mcu_engine.json"
}
if [[ -d hil/firmware ]]; then
    optional mcu_engine mcu_engine mcu_engine
else
    skip mcu_engine "hil/firmware not found"
fi

label="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+changes'), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
current=report
echo "==> report" >&2
target/release/bench_report --dir "$OUT" --label "$label"
current=""

if ((${#failed_optional[@]} > 0)); then
    echo "bench.sh: optional steps that failed: ${failed_optional[*]} (see $STATUS/)" >&2
fi
