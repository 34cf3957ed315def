#!/usr/bin/env bash
# Writes the seed corpora, fuzz/corpus/<target>/seed-*, of the targets named (all by default):
# each target's binary writes its own seeds (fuzz/src/seeds.rs) from the project's writers and
# from cut-down copies of the shared recordings, then exits. Nothing written here is committed.
#
# Usage: fuzz/seed.sh [TARGET...]
# The targets must be built first (scripts/fuzz.sh builds them, then calls this).
# PERCYCLE_FUZZ_RECORDED: the recordings' folder (default ../shared/vectors/recorded from the
# repository root; left out when absent). PERCYCLE_FUZZ_TARGET_DIR: the build folder (default
# fuzz/target).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
recorded=${PERCYCLE_FUZZ_RECORDED:-$root/../shared/vectors/recorded}
bin=${PERCYCLE_FUZZ_TARGET_DIR:-$root/fuzz/target}/x86_64-unknown-linux-gnu/release

if [[ ! -d "$recorded" ]]; then
    echo "seed.sh: no recordings at $recorded: seeds from the writers only" >&2
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo fuzz list)
fi
for t in "${targets[@]}"; do
    if [[ ! -x "$bin/$t" ]]; then
        echo "seed.sh: $bin/$t is not built (scripts/fuzz.sh builds the targets)" >&2
        exit 1
    fi
    mkdir -p "corpus/$t"
    PERCYCLE_FUZZ_SEEDS="corpus/$t" PERCYCLE_FUZZ_RECORDED="$recorded" "$bin/$t"
done
