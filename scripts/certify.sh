#!/usr/bin/env bash
# Generate the standard vector suites, run them through the engine and print a pass/fail table
# against the analytic truth for each. Exits non-zero when any check fails.
#
#   scripts/certify.sh [SUITE] [extra `percycle certify` options]
#
# Without SUITE it runs `foundation` (per-cycle values, energy) and `en50160` (power-quality
# events, unbalance, 10-s frequency); results go to target/certify/<suite>.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install Rust with rustup (https://rustup.rs) or run scripts/test.sh," >&2
    echo "which installs the toolchain pinned in rust-toolchain.toml" >&2
    exit 127
fi

cargo build --release -p percycle-hil --bin percycle
suites=("${1:-foundation}")
[[ $# -eq 0 ]] && suites=(foundation en50160)
status=0
for suite in "${suites[@]}"; do
    echo "==> suite ${suite}"
    target/release/percycle certify --suite "${suite}" --out "target/certify/${suite}" "${@:2}" || status=1
done
exit "${status}"
