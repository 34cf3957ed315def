#!/usr/bin/env bash
# Run the Python peers of the percycle pipeline benchmark on one input.
#
#   benches/peers/run.sh INPUT_PREFIX OUT_JSON
#
# INPUT_PREFIX.json / INPUT_PREFIX.f32 is the benchmark input (7 interleaved float32 channels,
# see peer_input.py). OUT_JSON receives {"peers": [<numpy-vectorized>, <pqopen-lib>]}.
#
# The peers run in a venv at target/bench/venv (relative to the repo root), created when
# missing. requirements.txt is pip-installed only when it changed since the last install (a
# stamp file in the venv holds its hash). Progress goes to stderr.
#
# Exit status: non-zero if the input is missing or malformed, or the numpy peer fails. A
# pqopen-lib failure (install or run) does not abort: its entry becomes
# {"peer": "pqopen-lib", "error": "..."}.
#
# Environment: PYTHON (default python3) is the interpreter the venv is created from.
set -euo pipefail

say() { echo "peers: $*" >&2; }
die() { echo "peers: error: $*" >&2; exit 1; }

if [ $# -ne 2 ]; then
    echo "usage: $0 INPUT_PREFIX OUT_JSON" >&2
    exit 2
fi

# Resolve the arguments against the caller's directory before moving to the repo root.
abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
INPUT=$(abspath "$1")
OUT=$(abspath "$2")

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
PEERS=benches/peers
REQ=$PEERS/requirements.txt
# Keep the source tree free of __pycache__ directories.
export PYTHONDONTWRITEBYTECODE=1

# Fail early (before any venv work) on a missing input; the peers validate the contents.
[ -f "$INPUT.json" ] || die "input metadata file not found: $INPUT.json"
[ -f "$INPUT.f32" ] || die "input sample file not found: $INPUT.f32"
mkdir -p "$(dirname "$OUT")" || die "cannot create the directory of $OUT"

# --- venv -------------------------------------------------------------------------------
VENV=target/bench/venv
PY=$VENV/bin/python
STAMP=$VENV/.requirements.stamp
if ! { [ -x "$PY" ] && "$PY" -c 'import sys' 2>/dev/null; }; then
    say "creating venv $VENV"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "${PYTHON:-python3}" -m venv "$VENV" || die "cannot create the venv $VENV with ${PYTHON:-python3}"
fi

# The stamp is the hash of requirements.txt plus the venv's Python version.
WANT="$(sha256sum "$REQ" | cut -d' ' -f1) $("$PY" -c 'import platform; print(platform.python_version())')"
PQOPEN_ERROR=""
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
    say "installing $REQ into $VENV"
    PIPLOG=$VENV/pip-install.log
    if "$PY" -m pip install --disable-pip-version-check -q -r "$REQ" >"$PIPLOG" 2>&1; then
        printf '%s\n' "$WANT" >"$STAMP"
    else
        tail -n 20 "$PIPLOG" >&2
        # Keep going with numpy alone; pqopen-lib is reported as failed (no stamp: retried next run).
        PQOPEN_ERROR="pip install -r $REQ failed: $(grep -v '^\s*$' "$PIPLOG" | tail -n 1)"
        say "full install failed; installing numpy only"
        NUMPY_PIN=$(grep -E '^numpy==' "$REQ") || die "no numpy pin in $REQ"
        "$PY" -m pip install --disable-pip-version-check -q "$NUMPY_PIN" >&2 \
            || die "cannot install $NUMPY_PIN into $VENV"
    fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/percycle-peers.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# --- numpy peer (mandatory) -------------------------------------------------------------
say "numpy peer on $INPUT"
"$PY" "$PEERS/numpy_pipeline.py" "$INPUT" --out "$TMP/numpy.json" \
    || die "numpy peer failed on $INPUT (see the message above)"

# --- pqopen-lib peer (optional: failures are recorded, not fatal) ------------------------
if [ -z "$PQOPEN_ERROR" ]; then
    say "pqopen-lib peer on $INPUT"
    set +e
    "$PY" "$PEERS/pqopen_peer.py" "$INPUT" --out "$TMP/pqopen.json" 2>&1 | tee "$TMP/pqopen.err" >&2
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -ne 0 ]; then
        msg=$(grep -E '^pqopen peer: error:' "$TMP/pqopen.err" | tail -n 1 || true)
        [ -n "$msg" ] || msg=$(grep -v '^\s*$' "$TMP/pqopen.err" | tail -n 1 || true)
        PQOPEN_ERROR="exit $rc: ${msg:-no message}"
    fi
fi
if [ -n "$PQOPEN_ERROR" ]; then
    say "pqopen-lib peer failed: $PQOPEN_ERROR"
    rm -f "$TMP/pqopen.json"
fi

# --- combine ----------------------------------------------------------------------------
PQOPEN_ERROR="$PQOPEN_ERROR" "$PY" - "$TMP/numpy.json" "$TMP/pqopen.json" "$OUT.tmp" <<'EOF'
import json, os, sys
numpy_path, pqopen_path, out_path = sys.argv[1:4]
with open(numpy_path, encoding="utf-8") as f:
    peers = [json.load(f)]
if os.path.exists(pqopen_path):
    with open(pqopen_path, encoding="utf-8") as f:
        peers.append(json.load(f))
else:
    peers.append({"peer": "pqopen-lib", "error": os.environ.get("PQOPEN_ERROR") or "no result"})
with open(out_path, "w", encoding="utf-8") as f:
    json.dump({"peers": peers}, f, indent=2)
    f.write("\n")
EOF
mv "$OUT.tmp" "$OUT"
say "wrote $OUT"
