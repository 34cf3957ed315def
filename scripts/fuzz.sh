#!/usr/bin/env bash
# Fuzzes the readers and the wire decoder with libFuzzer (cargo-fuzz targets in fuzz/): builds
# the targets, writes their seeds (fuzz/seed.sh), runs each for SECONDS in bounded memory, and
# prints per target the executions, executions per second, peak memory and the outcome.
# Exits non-zero when a target crashed (a panic included), leaked, ran out of memory or hung,
# naming the target and the input that did it (under fuzz/artifacts/<target>/).
#
# Usage: scripts/fuzz.sh SECONDS [TARGET...]      (all targets by default: cargo fuzz list)
#
# The toolchain is the stable one of rust-toolchain.toml: cargo-fuzz and libfuzzer-sys ask
# rustc for unstable flags (sanitizer, coverage instrumentation options), which
# RUSTC_BOOTSTRAP=1 lets a stable compiler take. cargo-fuzz is installed when missing.
# A crash is replayed with: fuzz/target/x86_64-unknown-linux-gnu/release/<target> <artifact>
#
# Environment:
#   PERCYCLE_FUZZ_SANITIZER  leak (default: LeakSanitizer, which also lets libFuzzer refuse a
#                            single allocation over the memory limit, at little cost), address
#                            (AddressSanitizer: also memory errors in dependencies' unsafe code,
#                            3 to 6 times slower; the project's own code has no unsafe), none
#   PERCYCLE_FUZZ_ENGINE_FRAMES  frames of each recording also run through the whole analysis
#                            (default 0: the readers alone; instrumented, the engine takes
#                            milliseconds per recording, a hundredth of the readers' pace)
#   PERCYCLE_FUZZ_RECORDED   the shared recordings (default ../shared/vectors/recorded)
#   PERCYCLE_FUZZ_TARGET_DIR the build folder (default fuzz/target)
#   PERCYCLE_FUZZ_RSS_MB     memory limit of a target, MB (default 512)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ || $1 -lt 1 ]]; then
    echo "usage: scripts/fuzz.sh SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift

export RUSTC_BOOTSTRAP=1
sanitizer=${PERCYCLE_FUZZ_SANITIZER:-leak}
rss_mb=${PERCYCLE_FUZZ_RSS_MB:-512}
target_dir=${PERCYCLE_FUZZ_TARGET_DIR:-$PWD/fuzz/target}
export PERCYCLE_FUZZ_TARGET_DIR=$target_dir
bin=$target_dir/x86_64-unknown-linux-gnu/release

# Longest input per target, bytes: a few frames of the wire, a few hundred frames of a recording.
max_len() {
    case $1 in
    wire | wav | csv) echo 8192 ;;
    pqdif) echo 32768 ;;
    *) echo 16384 ;;
    esac
}

# shellcheck source=scripts/setup.sh
. scripts/setup.sh
install_cargo_fuzz

mapfile -t all < <(cargo fuzz list)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=("${all[@]}")
fi
for t in "${targets[@]}"; do
    if [[ ! " ${all[*]} " == *" $t "* ]]; then
        echo "scripts/fuzz.sh: no target $t (targets: ${all[*]})" >&2
        exit 2
    fi
done

build=(--sanitizer "$sanitizer" --debug-assertions --target-dir "$target_dir")
echo "==> building ${targets[*]} (sanitizer $sanitizer, debug assertions)"
if [[ ${#targets[@]} -eq ${#all[@]} ]]; then
    cargo fuzz build "${build[@]}"
else
    for t in "${targets[@]}"; do
        cargo fuzz build "${build[@]}" "$t"
    done
fi

echo "==> seeds"
fuzz/seed.sh "${targets[@]}"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
report=()
failed=()
for t in "${targets[@]}"; do
    echo "==> $t: ${seconds} s"
    mkdir -p "fuzz/artifacts/$t"
    log=$logs/$t.log
    rc=0
    # -timeout: an input taking longer is a hang; -rss_limit_mb and -malloc_limit_mb bound
    # memory; the corpus grows in fuzz/corpus/<target> across runs.
    "$bin/$t" "fuzz/corpus/$t" \
        -artifact_prefix="fuzz/artifacts/$t/" \
        -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" \
        -max_len="$(max_len "$t")" -print_final_stats=1 >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    kind=$(grep -o -m 1 -E 'SUMMARY: [A-Za-z]+: [a-z-]+|ERROR: libFuzzer: [a-z-]+|detected memory leaks' "$log" || true)
    if [[ $rc -ne 0 || -n "$artifact" ]]; then
        outcome="FAILED (${kind:-exit $rc})"
        failed+=("$t")
        echo "--- $t: last lines of its log"
        tail -n 40 "$log"
        echo "--- $t: ${kind:-exit $rc}: input ${artifact:-(none written)}"
    else
        outcome="ok, 0 crashes"
    fi
    line=$(printf '%-10s %12s execs %8s exec/s %6s MB peak %6s corpus  %s' \
        "$t" "${runs:-?}" "${speed:-?}" "${rss:-?}" "$corpus" "$outcome")
    echo "$line"
    report+=("$line")
done

echo "==> fuzzing summary (${seconds} s per target, sanitizer $sanitizer)"
printf '%s\n' "${report[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "scripts/fuzz.sh: ${failed[*]} failed; inputs in fuzz/artifacts/<target>/" >&2
    exit 1
fi
