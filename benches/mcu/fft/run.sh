#!/bin/sh
# Builds the harness and prints the Cortex-M4F instruction count of each real FFT, counted by
# QEMU mps2-an386 single-stepping between calls of mark(). Each count includes the call and the
# return of the transform and the two instructions of mark() itself.
set -eu
cd "$(dirname "$0")"
cargo build --release --quiet
target="${CARGO_TARGET_DIR:-target}"
elf="$target/thumbv7em-none-eabihf/release/fft-mcu"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
timeout 5 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -kernel "$elf" -singlestep -d exec,nochain -D "$log" || true
# A transform's count: trace lines from one entry into mark() to the next, less mark's own.
awk '/^Trace/ { n++ }
     / mark$/ { if (!inmark) { if (entries++) printf "%d\n", n - last - body; last = n }; inmark = 1; next }
     { if (inmark && !body) body = n - last; inmark = 0 }' "$log" |
    paste -d' ' - - - - - - |
    {
        read -r a b c d e f
        printf '%-20s %12s\n' transform instructions \
            "engine rfft_128" "$a" "engine rfft_1280" "$b" "engine rfft_1536" "$c" \
            "microfft rfft_128" "$d" "microfft rfft_1024" "$e" "microfft rfft_2048" "$f"
    }
