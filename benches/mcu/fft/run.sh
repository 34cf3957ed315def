#!/bin/sh
# Builds the harness and prints the Cortex-M4F instruction count of each real FFT, counted by
# QEMU mps2-an386 single-stepping between calls of mark(): once as the firmware is built
# (release: opt-level "s", the engine and microfft at 3, fat LTO) and once with everything at
# opt-level 3 (profile o3, as performance.md §2.1). Each count includes the call and return of
# the transform.
set -eu
cd "$(dirname "$0")"
target="${CARGO_TARGET_DIR:-target}"
log="$(mktemp)"
trap 'rm -f "$log" "$log.release" "$log.o3"' EXIT

count() {
    cargo build --quiet --profile "$1"
    timeout 5 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
        -kernel "$target/thumbv7em-none-eabihf/$1/fft-mcu" -singlestep -d exec,nochain \
        -D "$log" 2>/dev/null || true
    # A transform's count: trace lines from one entry into mark() to the next, less mark's own.
    awk '/^Trace/ { n++ }
         / mark$/ { if (!inmark) { if (entries++) printf "%d\n", n - last - body; last = n }; inmark = 1; next }
         { if (inmark && !body) body = n - last; inmark = 0 }' "$log" >"$log.$1"
}

count release
count o3
printf '%-20s %12s %12s\n' transform firmware opt-level-3
printf '%s\n' "engine rfft_128" "engine rfft_1024" "engine rfft_1280" "engine rfft_1536" "engine rfft_2048" \
    "microfft rfft_128" "microfft rfft_1024" "microfft rfft_2048" |
    paste -d'|' - "$log.release" "$log.o3" |
    awk -F'|' '{ printf "%-20s %12s %12s\n", $1, $2, $3 }'
