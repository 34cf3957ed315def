#!/usr/bin/env bash
# Max RSS and wall time of `percycle analyze` on a long 7-channel, 10.24 kHz CSV recording.
#
#   benches/analyze_memory.sh [SECONDS]      (default 3600: one hour, 36 864 000 rows)
#
# 1. builds `target/release/percycle` (skip with ANALYZE_MEMORY_NO_BUILD=1 to measure the
#    binary already there);
# 2. writes target/analyze-memory/rec_<SECONDS>s.csv with benches/analyze_memory_csv.py, unless
#    it is there already with its marker rec_<SECONDS>s.csv.done (length, size and generator
#    hash must match);
# 3. runs `/usr/bin/time -v percycle analyze <csv> --out target/analyze-memory/out
#    --aggregate-s 600 --quiet` (without --quiet if the binary does not know it);
# 4. prints one line (file size, signal length, wall time, max RSS, speed as a multiple of real
#    time, PASS/FAIL against the limit) and writes it as JSON to
#    target/analyze-memory/result.json.
#
# MB are 10^6 bytes; the limit is 150 MB of max RSS.
# Exit status: 0 within the limit, 1 over it, 2 a missing tool, a bad argument or a failed
# build, 3 the analyzer failed (exit status or signal) while staying within the limit.
set -euo pipefail

readonly LIMIT_MB=150
readonly FS=10240
readonly CHANNELS=7
readonly BYTES_PER_ROW_ESTIMATE=90 # the generator writes about 86

# Not `SECONDS`: bash's own variable of that name counts the seconds since the shell started.
seconds="${1:-3600}"
if [[ $# -gt 1 || ! "$seconds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [SECONDS]   (whole seconds of signal, > 0; default 3600)" >&2
    exit 2
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -f Cargo.toml || ! -f benches/analyze_memory_csv.py ]]; then
    echo "analyze-memory: cannot find the repository root from $0" >&2
    exit 2
fi

if [[ ! -x /usr/bin/time ]]; then
    echo "analyze-memory: /usr/bin/time (GNU time) is missing; install it with" >&2
    echo "    apt-get install time" >&2
    exit 2
fi
if ! command -v python3 >/dev/null; then
    echo "analyze-memory: python3 is missing (it writes the recording)" >&2
    exit 2
fi

target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/release/percycle"
work="$target_dir/analyze-memory"
csv="$work/rec_${seconds}s.csv"
marker="$csv.done"
out="$work/out"
time_log="$work/time.txt"
run_log="$work/analyze.log"
result="$work/result.json"
mkdir -p "$work"

# 1. the binary
if [[ "${ANALYZE_MEMORY_NO_BUILD:-0}" == 1 ]]; then
    echo "analyze-memory: ANALYZE_MEMORY_NO_BUILD=1, measuring the existing $bin" >&2
else
    echo "analyze-memory: cargo build --release -p percycle-cli --bin percycle" >&2
    if ! cargo build --release -p percycle-cli --bin percycle; then
        echo "analyze-memory: the build failed; ANALYZE_MEMORY_NO_BUILD=1 measures the binary" \
            "already in $bin" >&2
        exit 2
    fi
fi
if [[ ! -x "$bin" ]]; then
    echo "analyze-memory: $bin does not exist" >&2
    exit 2
fi

# 2. the recording
rows=$((seconds * FS))
generator_sha="$(sha256sum benches/analyze_memory_csv.py | cut -d' ' -f1)"
expected_marker() {
    printf 'seconds=%s\nrows=%s\nbytes=%s\ngenerator_sha256=%s\n' \
        "$seconds" "$rows" "$(stat -c %s "$csv")" "$generator_sha"
}
if [[ -f "$csv" && -f "$marker" ]] && [[ "$(cat "$marker")" == "$(expected_marker)" ]]; then
    echo "analyze-memory: reusing $csv ($marker matches)" >&2
else
    rm -f "$csv" "$marker"
    need=$((rows * BYTES_PER_ROW_ESTIMATE))
    avail="$(df --output=avail -B1 "$work" | tail -1 | tr -d ' ')"
    if ((avail < need + 1000000000)); then
        echo "analyze-memory: $csv needs about $((need / 1000000)) MB and $work has" \
            "$((avail / 1000000)) MB free (1 GB kept spare)" >&2
        exit 2
    fi
    python3 benches/analyze_memory_csv.py "$csv" --seconds "$seconds"
    expected_marker >"$marker"
fi
file_bytes="$(stat -c %s "$csv")"

# 3. the measurement
help="$("$bin" analyze --help 2>&1 || true)"
quiet_flag=()
if grep -q -- '--quiet' <<<"$help"; then
    quiet_flag=(--quiet)
else
    echo "analyze-memory: this percycle has no --quiet; running without it" >&2
fi
rm -rf "$out"
cmd=("$bin" analyze "$csv" --out "$out" --aggregate-s 600 "${quiet_flag[@]}")
echo "analyze-memory: /usr/bin/time -v ${cmd[*]}" >&2
status=0
/usr/bin/time -v -o "$time_log" "${cmd[@]}" >"$run_log" 2>&1 || status=$?

rss_kib="$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): *//p' "$time_log")"
elapsed="$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time.*: *//p' "$time_log")"
if [[ -z "$rss_kib" || -z "$elapsed" ]]; then
    echo "analyze-memory: no measurement in $time_log:" >&2
    cat "$time_log" >&2
    exit 3
fi
killed_by="$(sed -n 's/^Command terminated by signal //p' "$time_log")"
# h:mm:ss or m:ss.ss
wall_s="$(awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' \
    <<<"$elapsed")"

read -r file_mb rss_mb speed pass < <(awk -v b="$file_bytes" -v k="$rss_kib" -v s="$seconds" \
    -v w="$wall_s" -v lim="$LIMIT_MB" 'BEGIN {
        rss = k * 1024 / 1e6
        speed = (w > 0) ? s / w : 0
        printf "%.1f %.1f %.1f %s\n", b / 1e6, rss, speed, (rss <= lim) ? "true" : "false"
    }')
verdict=PASS
[[ "$pass" == true ]] || verdict=FAIL
if [[ $status -ne 0 ]]; then
    echo "analyze-memory: percycle analyze failed (exit status $status${killed_by:+, signal $killed_by});" \
        "last lines of $run_log:" >&2
    tail -n 20 "$run_log" >&2
fi

# 4. the result
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ "$commit" != unknown && -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
    commit="$commit-dirty"
fi
failed_note=""
[[ $status -eq 0 ]] ||
    failed_note=", but percycle analyze failed (exit status $status${killed_by:+, signal $killed_by})"
quiet_json=false
[[ ${#quiet_flag[@]} -eq 0 ]] || quiet_json=true
printf 'analyze-memory: %s %s MB, %s s of signal (%s ch, 10.24 kHz): wall %s s, max RSS %s MB, %sx real time -> %s (limit %s MB)%s\n' \
    "$(basename "$csv")" "$file_mb" "$seconds" "$CHANNELS" "$wall_s" "$rss_mb" "$speed" \
    "$verdict" "$LIMIT_MB" "$failed_note"
cat >"$result" <<EOF
{
  "file": "$(basename "$csv")",
  "file_bytes": $file_bytes,
  "file_mb": $file_mb,
  "signal_s": $seconds,
  "rows": $rows,
  "channels": $CHANNELS,
  "sample_rate_hz": $FS,
  "wall_s": $wall_s,
  "max_rss_kib": $rss_kib,
  "max_rss_mb": $rss_mb,
  "speed_x_real_time": $speed,
  "limit_mb": $LIMIT_MB,
  "pass": $pass,
  "analyzer_exit_status": $status,
  "quiet": $quiet_json,
  "commit": "$commit"
}
EOF
echo "analyze-memory: wrote $result" >&2

if [[ "$pass" != true ]]; then
    exit 1
fi
if [[ $status -ne 0 ]]; then
    exit 3
fi
