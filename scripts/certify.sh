#!/usr/bin/env bash
# Generate a standard vector suite, run it through the engine and print a pass/fail table against
# the analytic truth. Exits non-zero when any check fails.
#
#   scripts/certify.sh [SUITE] [extra `percycle certify` options]
#
# SUITE defaults to `foundation`; results go to target/certify.
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

exec cargo run --release -p percycle-hil --bin percycle -- \
    certify --suite "${1:-foundation}" --out target/certify "${@:2}"
