#!/usr/bin/env python3
"""Write a long 3P4W recording as CSV for `benches/analyze_memory.sh`.

    analyze_memory_csv.py OUT.csv [--seconds S]     (S defaults to 3600)

Header `t,U1,U2,U3,I1,I2,I3,IN`, 10 240 rows per second of signal:

- U1..U3: 230 V rms, 50 Hz, 120 degrees apart;
- I1..I3: 10 A rms lagging their voltage by 30 degrees, plus a 5th harmonic of 3 % of the
  fundamental;
- a small deterministic dither on all six (uniform, +-10 mV and +-1 mA);
- IN = -(I1 + I2 + I3).

`t` is printed with 9 decimals, the values with 6. The file is written in chunks of one second,
so the generator's memory stays small whatever S is. numpy is used when it is installed; without
it the same numbers are computed in plain Python: 50 Hz at 10 240 Hz repeats every 1024 samples
and the dither comes from a table, so the file is byte for byte the same either way.

The file is written to OUT.csv.partial and renamed at the end: an interrupted run leaves no
OUT.csv behind. Progress goes to stderr every 60 s of signal.
"""

import argparse
import math
import os
import sys
import time

FS = 10240  # samples per second
F0 = 50  # Hz
PERIOD = 1024  # samples: 5 mains cycles, the smallest whole number of samples that repeats
U_RMS = 230.0
I_RMS = 10.0
LAG_DEG = 30.0
H5 = 0.03  # 5th harmonic of the currents, relative to their fundamental
DITHER_U = 0.010  # V, half-width of the uniform dither on voltages
DITHER_I = 0.001  # A, the same on currents
DITHER_LEN = 10007  # prime, so the dither does not repeat with the 1024-sample period
HEADER = "t,U1,U2,U3,I1,I2,I3,IN\n"
ROW = "%.9f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n"
PROGRESS_EVERY_S = 60

assert FS % PERIOD == 0 and (F0 * PERIOD) % FS == 0


def base_tables():
    """One period (1024 samples) of U1..U3 and I1..I3, without dither."""
    cycles = F0 * PERIOD // FS  # mains cycles per period: 5
    lag = math.radians(LAG_DEG)
    u_pk = U_RMS * math.sqrt(2.0)
    i_pk = I_RMS * math.sqrt(2.0)
    volts, amps = [], []
    for k in range(3):
        phi = math.radians(120.0 * k)
        # the angle as a whole fraction of a turn first, so every period is exactly the same
        u, i = [], []
        for n in range(PERIOD):
            wt = 2.0 * math.pi * ((cycles * n) % PERIOD) / PERIOD
            u.append(u_pk * math.sin(wt - phi))
            a = wt - phi - lag
            i.append(i_pk * (math.sin(a) + H5 * math.sin(5.0 * a)))
        volts.append(u)
        amps.append(i)
    return volts + amps


def dither_tables():
    """DITHER_LEN values per channel in [-w, +w): a 32-bit LCG, the same on every run."""
    state = 0x2545F491
    tables = []
    for ch in range(6):
        width = DITHER_U if ch < 3 else DITHER_I
        t = []
        for _ in range(DITHER_LEN):
            state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
            t.append(width * (2.0 * (state >> 8) / float(1 << 24) - 1.0))
        tables.append(t)
    return tables


def rotated(table, start, n):
    """n values of the cyclic table starting at index start (mod its length)."""
    m = len(table)
    start %= m
    out = table[start:] + table[:start]
    while len(out) < n:
        out = out + out
    return out[:n]


class PurePython:
    def __init__(self):
        base = base_tables()
        reps = FS // PERIOD
        self.base = [b * reps for b in base]  # one second: 10 periods
        self.dither = dither_tables()

    def chunk(self, n0, n):
        t = [(n0 + i) / FS for i in range(n)]
        chans = []
        for b, d in zip(self.base, self.dither):
            dd = rotated(d, n0, n)
            chans.append([x + y for x, y in zip(b[:n], dd)])
        i1, i2, i3 = chans[3], chans[4], chans[5]
        inn = [-((a + b) + c) for a, b, c in zip(i1, i2, i3)]
        return [x for row in zip(t, *chans, inn) for x in row]


class Numpy:
    def __init__(self, np):
        self.np = np
        base = np.array(base_tables())  # (6, 1024)
        self.base = np.tile(base, (1, FS // PERIOD))  # (6, 10240)
        self.dither = np.array(dither_tables())  # (6, DITHER_LEN)

    def chunk(self, n0, n):
        np = self.np
        out = np.empty((n, 8))
        out[:, 0] = np.arange(n0, n0 + n, dtype=np.float64) / FS
        idx = np.arange(n0, n0 + n) % DITHER_LEN
        out[:, 1:7] = (self.base[:, :n] + self.dither[:, idx]).T
        out[:, 7] = -((out[:, 4] + out[:, 5]) + out[:, 6])
        return out.ravel().tolist()


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write a 7-channel 10.24 kHz CSV (t,U1,U2,U3,I1,I2,I3,IN) of S seconds."
    )
    ap.add_argument("out", help="output CSV path")
    ap.add_argument(
        "--seconds", type=int, default=3600, help="length of the signal, s (default 3600)"
    )
    args = ap.parse_args(argv)
    if args.seconds <= 0:
        ap.error("--seconds must be > 0")

    try:
        import numpy as np

        gen = Numpy(np)
        how = "numpy " + np.__version__
    except ImportError:
        gen = PurePython()
        how = "plain Python"
        print(
            "analyze_memory_csv: numpy is not installed, using plain Python "
            "(same file, somewhat slower; `pip install numpy` to speed it up)",
            file=sys.stderr,
        )

    total = args.seconds * FS
    tmp = args.out + ".partial"
    start = time.monotonic()
    print(
        f"analyze_memory_csv: {args.seconds} s, {total} rows -> {args.out} ({how})",
        file=sys.stderr,
    )
    fmt = ROW * FS
    with open(tmp, "w", newline="\n", buffering=1 << 22) as f:
        f.write(HEADER)
        for s in range(args.seconds):
            n0 = s * FS
            f.write(fmt % tuple(gen.chunk(n0, FS)))
            done = s + 1
            if done % PROGRESS_EVERY_S == 0 or done == args.seconds:
                el = time.monotonic() - start
                eta = el / done * (args.seconds - done)
                print(
                    f"  {done}/{args.seconds} s of signal ({100.0 * done / args.seconds:.0f} %), "
                    f"{el:.0f} s elapsed, ~{eta:.0f} s to go",
                    file=sys.stderr,
                )
    os.replace(tmp, args.out)
    size = os.path.getsize(args.out)
    print(
        f"analyze_memory_csv: wrote {size / 1e6:.1f} MB in {time.monotonic() - start:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
