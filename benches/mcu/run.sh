#!/usr/bin/env bash
# CMSIS-DSP build of the reference metering job on QEMU mps2-an386 (Cortex-M4F), counted in
# instructions the same way the project counts its own firmware (see README.md beside this file).
#
#   benches/mcu/run.sh OUT_JSON
#
# Steps: tools (apt-get if missing) -> CMSIS-DSP sources (PyPI sdist of `cmsisdsp`) -> build ->
# run under QEMU with -icount -> check results -> write OUT_JSON. Progress goes to stderr; a
# failure names its step. Build outputs go to target/bench/mcu/.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUT_JSON" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT_JSON=$1
[[ $OUT_JSON == /* ]] || OUT_JSON="$PWD/$OUT_JSON"
BUILD="$ROOT/target/bench/mcu"

# Pinned CMSIS-DSP: the C sources ship inside the source distribution of the Python wrapper.
CMSISDSP_VERSION=1.10.3
CMSISDSP_SHA256=307d32298faa7c58db912851027fce35f886fec7eb1a27c4b309ce1a97f47519
CMSISDSP_SRC="$BUILD/cmsisdsp-$CMSISDSP_VERSION"

# Counting: the same values as the project's firmware benchmark (hil/src/bench.rs).
MACHINE=mps2-an386
ICOUNT_SHIFT=4
CORE_CLOCK_HZ=25000000
QEMU_TIMEOUT_S=600

ARCH_FLAGS="-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
CFLAGS="$ARCH_FLAGS -Ofast -ffunction-sections -fdata-sections -DARM_MATH_LOOPUNROLL"
# Start-up code runs before the C environment exists: no library calls may be synthesised.
STARTUP_FLAGS="-fno-builtin -fno-tree-loop-distribute-patterns"

# The CMSIS-DSP sources the job needs (compiled one by one; --gc-sections keeps what is used).
CMSIS_SOURCES=(
    TransformFunctions/arm_rfft_fast_f32.c
    TransformFunctions/arm_rfft_fast_init_f32.c
    TransformFunctions/arm_cfft_f32.c
    TransformFunctions/arm_cfft_init_f32.c
    TransformFunctions/arm_cfft_radix8_f32.c
    TransformFunctions/arm_bitreversal2.c
    StatisticsFunctions/arm_rms_f32.c
    BasicMathFunctions/arm_dot_prod_f32.c
    ComplexMathFunctions/arm_cmplx_mag_squared_f32.c
    SupportFunctions/arm_copy_f32.c
    CommonTables/arm_common_tables.c
    CommonTables/arm_const_structs.c
)
HARNESS_SOURCES=(startup.c board.c)
JOB_SOURCES=(job.c waveform.c main.c)

STEP=start
REPORTED=0
log() { echo "[mcu] $*" >&2; }
fail() {
    echo "[mcu] error in step '$STEP': $*" >&2
    REPORTED=1
    exit 1
}
# Any other failure (set -e) still names its step.
trap 'rc=$?; [[ $rc -eq 0 || $REPORTED -eq 1 ]] || echo "[mcu] error in step '\''$STEP'\'' (exit status $rc)" >&2' EXIT

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    else
        sudo "$@"
    fi
}

# Figures from docs/performance.md section 2 (CMSIS-DSP 1.17, GCC 12), used only when the
# sources cannot be obtained. Per mains cycle per channel; subgroups/THD were not published.
write_published_json() {
    cat >"$OUT_JSON" <<EOF
{
  "source": "published",
  "cmsis_dsp": "1.17 (performance.md section 2)",
  "gcc": null,
  "qemu": null,
  "flags": "$CFLAGS",
  "icount_shift": $ICOUNT_SHIFT,
  "core_clock_hz": $CORE_CLOCK_HZ,
  "mains_cycles": null,
  "channels": 7,
  "instructions_per_mains_cycle": 87500.0,
  "instructions_per_mains_cycle_per_channel": 12500.0,
  "parts": {"rms": 640.0, "dot_prod": 380.0, "rfft_2048": 11200.0, "mag_squared": 310.0, "subgroups_thd": null},
  "text_bytes": null,
  "check": {"u1_rms": null, "u1_thd_pct": null}
}
EOF
    log "WARNING: CMSIS-DSP sources not available; wrote the PUBLISHED figures to $OUT_JSON"
}

# ---------------------------------------------------------------------------------------------
STEP=tools
tools_missing() {
    command -v arm-none-eabi-gcc >/dev/null 2>&1 || return 0
    command -v qemu-system-arm >/dev/null 2>&1 || return 0
    # newlib for the hard-float multilib (libm for the untimed signal synthesis)
    local libc
    libc=$(arm-none-eabi-gcc $ARCH_FLAGS -print-file-name=libc.a)
    [[ -f $libc ]] || return 0
    return 1
}
if tools_missing; then
    log "installing gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm (apt-get)"
    PKGS=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y --no-install-recommends "${PKGS[@]}" >&2; then
        as_root apt-get update >&2 || fail "apt-get update failed"
        as_root apt-get install -y --no-install-recommends "${PKGS[@]}" >&2 ||
            fail "apt-get install ${PKGS[*]} failed"
    fi
    tools_missing && fail "tools still missing after apt-get install"
fi
GCC_VERSION=$(arm-none-eabi-gcc --version | head -n1)
QEMU_VERSION=$(qemu-system-arm --version | head -n1 | sed 's/^QEMU emulator version //')
log "gcc: $GCC_VERSION"
log "qemu: $QEMU_VERSION"

# ---------------------------------------------------------------------------------------------
STEP=sources
mkdir -p "$BUILD"
if [[ ! -f "$CMSISDSP_SRC/Source/TransformFunctions/arm_rfft_fast_f32.c" ]]; then
    SDIST="$BUILD/dl/cmsisdsp-$CMSISDSP_VERSION.tar.gz"
    if [[ ! -f $SDIST ]]; then
        log "downloading the cmsisdsp $CMSISDSP_VERSION source distribution (pip)"
        PYTHON=$(command -v python3 || command -v python || true)
        # `--no-binary cmsisdsp` (not `:all:`): pip prepares the sdist's metadata in an isolated
        # build environment, and `:all:` would build numpy and cmake from source for that.
        if [[ -z $PYTHON ]] ||
            ! "$PYTHON" -m pip download --no-deps --no-binary cmsisdsp \
                "cmsisdsp==$CMSISDSP_VERSION" -d "$BUILD/dl" >&2; then
            log "could not download cmsisdsp==$CMSISDSP_VERSION with pip"
            write_published_json
            trap - EXIT
            exit 0
        fi
    fi
    echo "$CMSISDSP_SHA256  $SDIST" | sha256sum -c --status ||
        fail "$SDIST does not have the pinned sha256 $CMSISDSP_SHA256"
    log "unpacking $(basename "$SDIST")"
    tar -xzf "$SDIST" -C "$BUILD"
    [[ -f "$CMSISDSP_SRC/Source/TransformFunctions/arm_rfft_fast_f32.c" ]] ||
        fail "the sdist does not contain the CMSIS-DSP C sources"
fi
# The sdist has no CMSIS Core headers; include/cmsis_compiler.h stands in for them.
if [[ -f "$CMSISDSP_SRC/Include/cmsis_compiler.h" ]]; then
    fail "unexpected cmsis_compiler.h in the sdist: check which one the build picks up"
fi

# ---------------------------------------------------------------------------------------------
STEP=build
OBJ="$BUILD/obj"
ELF="$BUILD/cmsis_job.elf"
MAP="$BUILD/cmsis_job.map"
rm -rf "$OBJ"
mkdir -p "$OBJ/cmsis"
INCLUDES=(-I"$HERE/include" -I"$CMSISDSP_SRC/Include" -I"$CMSISDSP_SRC/PrivateInclude")
log "compiling ${#CMSIS_SOURCES[@]} CMSIS-DSP sources"
for src in "${CMSIS_SOURCES[@]}"; do
    # shellcheck disable=SC2086
    arm-none-eabi-gcc $CFLAGS "${INCLUDES[@]}" -c "$CMSISDSP_SRC/Source/$src" \
        -o "$OBJ/cmsis/$(basename "${src%.c}").o" || fail "compiling $src"
done
log "compiling the harness and the job"
for src in "${HARNESS_SOURCES[@]}"; do
    # shellcheck disable=SC2086
    arm-none-eabi-gcc $CFLAGS $STARTUP_FLAGS -Wall -Wextra -Werror -I"$HERE/src" \
        -c "$HERE/src/$src" -o "$OBJ/${src%.c}.o" || fail "compiling $src"
done
for src in "${JOB_SOURCES[@]}"; do
    # shellcheck disable=SC2086
    arm-none-eabi-gcc $CFLAGS -Wall -Wextra -Werror -I"$HERE/src" "${INCLUDES[@]}" \
        -c "$HERE/src/$src" -o "$OBJ/${src%.c}.o" || fail "compiling $src"
done
log "linking"
# shellcheck disable=SC2086
arm-none-eabi-gcc $ARCH_FLAGS -nostartfiles -nostdlib -T "$HERE/link.ld" -Wl,--gc-sections \
    -Wl,-Map="$MAP" -o "$ELF" "$OBJ"/*.o "$OBJ"/cmsis/*.o -lm -lc -lgcc || fail "linking"

# Code and constant tables of the job itself (CMSIS-DSP objects and job.o) as kept by the
# linker, read from the map; the harness, the synthesis and newlib are left out.
TEXT_BYTES=$(awk -v obj="$OBJ/" '
    function hex(s,    i, v) {
        v = 0
        for (i = 3; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
        return v
    }
    /^Linker script and memory map/ { on = 1; next }
    !on { next }
    /^ \.(text|rodata)[^ ]*$/ { pending = 1; next }
    {
        if (pending) { pending = 0; addr = $1; size = $2; file = $3 }
        else if ($1 ~ /^\.(text|rodata)/ && NF >= 4) { addr = $2; size = $3; file = $4 }
        else next
        if (index(file, obj "cmsis/") == 1 || file == obj "job.o") total += hex(size)
    }
    END { print total + 0 }' "$MAP")
ELF_TEXT_BYTES=$(arm-none-eabi-size -B "$ELF" | awk 'NR == 2 { print $1 }')
log "job code + tables: $TEXT_BYTES bytes (whole ELF text: $ELF_TEXT_BYTES bytes)"

# ---------------------------------------------------------------------------------------------
STEP=run
LOG="$BUILD/qemu.log"
log "running under QEMU $MACHINE with -icount shift=$ICOUNT_SHIFT,align=off,sleep=off"
set +e
timeout "$QEMU_TIMEOUT_S" qemu-system-arm -M "$MACHINE" -display none -monitor none \
    -serial none -semihosting-config enable=on,target=native \
    -icount "shift=$ICOUNT_SHIFT,align=off,sleep=off" -kernel "$ELF" >"$LOG" 2>&1
QEMU_RC=$?
set -e
[[ $QEMU_RC -eq 0 ]] || fail "QEMU exited with status $QEMU_RC; log: $LOG ($(tail -n 3 "$LOG" | tr '\n' ' '))"
grep -q '^DONE$' "$LOG" || fail "the firmware did not finish; log: $LOG"

# ---------------------------------------------------------------------------------------------
STEP=results
value() {
    local v
    v=$(awk -v k="$1" '$1 == "R" && $2 == k { print $3; exit }' "$LOG")
    [[ -n $v ]] || fail "no value '$1' in $LOG"
    echo "$v"
}
# instructions = ticks * (1e9 / CORE_CLOCK_HZ) ns per tick / 2^shift ns per instruction
PER_TICK=$(awk -v hz="$CORE_CLOCK_HZ" -v s="$ICOUNT_SHIFT" 'BEGIN { printf "%.17g", 1e9 / hz / 2 ^ s }')
CYCLES=$(value mains_cycles)
CHANNELS=$(value channels)
[[ $(value core_clock_hz) -eq $CORE_CLOCK_HZ ]] || fail "firmware and script disagree on the core clock"

# Conversion check: a loop of exactly N * 4 instructions, less an empty timed region.
read -r CALIB_MEASURED CALIB_EXPECTED < <(awk -v t="$(value calib_ticks)" \
    -v e="$(value calib_empty_ticks)" -v n="$(value calib_iterations)" \
    -v per="$(value calib_instructions_per_iteration)" -v pt="$PER_TICK" \
    'BEGIN { printf "%.1f %d\n", (t - e) * pt, n * per }')
log "conversion check: known loop of $CALIB_EXPECTED instructions measured as $CALIB_MEASURED"
awk -v m="$CALIB_MEASURED" -v x="$CALIB_EXPECTED" 'BEGIN { d = m - x; exit !(d < 10 && d > -10) }' ||
    fail "conversion check failed: $CALIB_MEASURED instructions measured, $CALIB_EXPECTED expected"

# Result check: the job must compute the right values for the comparison to mean anything.
U1_RMS=$(value u1_rms)
U1_THD=$(value u1_thd_pct)
awk -v r="$U1_RMS" -v t="$U1_THD" 'BEGIN {
    r0 = 230 * sqrt(1 + 0.05^2 + 0.06^2 + 0.05^2); t0 = 100 * sqrt(0.05^2 + 0.06^2 + 0.05^2)
    printf "[mcu] check: U1 rms %.4f V (expected %.4f), U1 THD %.4f %% (expected %.4f)\n", r, r0, t, t0 > "/dev/stderr"
    exit !((r - r0) / r0 < 1e-3 && (r0 - r) / r0 < 1e-3 && t - t0 < 0.01 && t0 - t < 0.01)
}' || fail "the job computed wrong values (U1 rms $U1_RMS V, THD $U1_THD %); log: $LOG"

per_cycle() { # ticks -> instructions per mains cycle (all channels)
    awk -v t="$1" -v pt="$PER_TICK" -v c="$CYCLES" 'BEGIN { printf "%.2f", t * pt / c }'
}
per_cycle_channel() { # ticks -> instructions per mains cycle per channel
    awk -v t="$1" -v pt="$PER_TICK" -v c="$CYCLES" -v n="$CHANNELS" 'BEGIN { printf "%.2f", t * pt / c / n }'
}
# Read every value first: a missing one stops the script here, not halfway through the JSON.
TOTAL=$(value ticks_total)
TICKS_MAX=$(value ticks_max_mains_cycle)
TICKS_RMS=$(value ticks_rms)
TICKS_DOT=$(value ticks_dot_prod)
TICKS_FFT=$(value ticks_rfft_2048)
TICKS_COPY=$(value ticks_fft_copy)
TICKS_MAG=$(value ticks_mag_squared)
TICKS_SUB=$(value ticks_subgroups_thd)
I1_RMS=$(value i1_rms)
I1_THD=$(value i1_thd_pct)
IN_RMS=$(value in_rms)
P1_W=$(value p1_w)
MAX_CYCLE=$(awk -v t="$TICKS_MAX" -v pt="$PER_TICK" 'BEGIN { printf "%.2f", t * pt }')

cat >"$OUT_JSON" <<EOF
{
  "source": "measured",
  "cmsis_dsp": "$CMSISDSP_VERSION (PyPI cmsisdsp sdist, sha256 $CMSISDSP_SHA256)",
  "gcc": "$GCC_VERSION",
  "qemu": "$QEMU_VERSION",
  "flags": "$CFLAGS",
  "icount_shift": $ICOUNT_SHIFT,
  "core_clock_hz": $CORE_CLOCK_HZ,
  "mains_cycles": $CYCLES,
  "channels": $CHANNELS,
  "instructions_per_mains_cycle": $(per_cycle "$TOTAL"),
  "instructions_per_mains_cycle_per_channel": $(per_cycle_channel "$TOTAL"),
  "parts": {
    "rms": $(per_cycle_channel "$TICKS_RMS"),
    "dot_prod": $(per_cycle_channel "$TICKS_DOT"),
    "rfft_2048": $(per_cycle_channel "$TICKS_FFT"),
    "mag_squared": $(per_cycle_channel "$TICKS_MAG"),
    "subgroups_thd": $(per_cycle_channel "$TICKS_SUB")
  },
  "rfft_2048_input_copy": $(per_cycle_channel "$TICKS_COPY"),
  "instructions_max_mains_cycle": $MAX_CYCLE,
  "text_bytes": $TEXT_BYTES,
  "elf_text_bytes": $ELF_TEXT_BYTES,
  "calibration": {"expected_instructions": $CALIB_EXPECTED, "measured_instructions": $CALIB_MEASURED},
  "check": {
    "u1_rms": $U1_RMS,
    "u1_thd_pct": $U1_THD,
    "i1_rms": $I1_RMS,
    "i1_thd_pct": $I1_THD,
    "in_rms": $IN_RMS,
    "p1_w": $P1_W
  }
}
EOF
STEP=done
log "instructions per mains cycle: $(per_cycle "$TOTAL") (7 channels), $(per_cycle_channel "$TOTAL") per channel"
log "wrote $OUT_JSON"
