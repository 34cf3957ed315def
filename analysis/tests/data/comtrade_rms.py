#!/usr/bin/env python3
"""RMS of COMTRADE analog channels over the whole record, in primary V and A.

Usage: comtrade_rms.py FILE.cfg [--samples FIRST:END] CHANNEL_NAME...

With --samples, only the samples FIRST <= n < END (0-based) count.

A check written apart from the Rust reader, with the standard library only. It reads the
configuration (IEEE C37.111-1991/1999/2013) and the .dat beside it (ASCII, BINARY, BINARY32 or
FLOAT32), turns each code x into a*x + b, multiplies kV/kA by 1000 (mV/mA by 1/1000) and, for a
channel whose PS flag is S, by primary/secondary. Missing samples (-32768 in BINARY,
-2147483648 in BINARY32, NaN in FLOAT32, an empty field in ASCII, or 99999 there before 2013)
are left out of the mean.

Prints '# sample_rate_hz RATE' (the first samp of the configuration), then one line
'NAME RMS' per channel asked for, in the order asked.
"""

import math
import os
import struct
import sys


def cfg_text(path):
    raw = open(path, "rb").read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_cfg(path):
    rows = [r.strip() for r in cfg_text(path).splitlines()]
    pos = 0

    def line():
        nonlocal pos
        pos += 1
        return [c.strip() for c in rows[pos - 1].split(",")]

    head = line()
    year = int(head[2]) if len(head) > 2 and head[2] else 1991
    counts = line()
    n_analog = int(counts[1].rstrip("Aa"))
    n_status = int(counts[2].rstrip("Dd"))
    channels = []
    for _ in range(n_analog):
        c = line()
        unit = c[4].lower()
        factor = {"kv": 1e3, "ka": 1e3, "mv": 1e-3, "ma": 1e-3}.get(unit, 1.0)
        if len(c) >= 13 and c[12].upper() == "S":
            factor *= float(c[10]) / float(c[11])
        channels.append({"name": c[1], "a": float(c[5]), "b": float(c[6]), "factor": factor})
    pos += n_status
    line()  # line frequency
    n_rates = int(line()[0])
    rate = None
    last_sample = None
    for _ in range(max(n_rates, 0)):
        r = line()
        if rate is None:
            rate = float(r[0])
        last_sample = int(r[1])
    line()  # start
    line()  # trigger
    kind = line()[0].upper()
    return {
        "year": year,
        "channels": channels,
        "n_status": n_status,
        "rate": rate,
        "last_sample": last_sample,
        "kind": kind,
    }


def dat_path(cfg_path):
    folder = os.path.dirname(cfg_path) or "."
    stem = os.path.splitext(os.path.basename(cfg_path))[0]
    for name in sorted(os.listdir(folder)):
        base, ext = os.path.splitext(name)
        if base == stem and ext.lower() == ".dat":
            return os.path.join(folder, name)
    raise SystemExit("no .dat beside " + cfg_path)


def codes(cfg, path):
    """Yields the analog codes of each row (None for a missing one)."""
    n = len(cfg["channels"])
    if cfg["kind"] == "ASCII":
        with open(path, "r", encoding="latin-1") as f:
            for text in f:
                if not text.strip():
                    continue
                parts = text.strip().split(",")
                values = []
                for p in parts[2:2 + n]:
                    p = p.strip()
                    missing = not p or (cfg["year"] < 2013 and float(p) == 99999.0)
                    values.append(None if missing else float(p))
                yield values
        return
    words = (cfg["n_status"] + 15) // 16
    letter, marker = {
        "BINARY": ("h", -32768),
        "BINARY32": ("i", -2147483648),
        "FLOAT32": ("f", None),
    }[cfg["kind"]]
    layout = struct.Struct("<II" + letter * n + "H" * words)
    data = open(path, "rb").read()
    rows = len(data) // layout.size
    if cfg["last_sample"] is not None:
        rows = min(rows, cfg["last_sample"])
    for k in range(rows):
        fields = layout.unpack_from(data, k * layout.size)[2:2 + n]
        values = []
        for x in fields:
            if (marker is not None and x == marker) or (marker is None and math.isnan(x)):
                values.append(None)
            else:
                values.append(float(x))
        yield values


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    cfg = parse_cfg(argv[1])
    names = [c["name"] for c in cfg["channels"]]
    first, end = 0, None
    rest = argv[2:]
    if rest and rest[0] == "--samples":
        first, end = (int(x) for x in rest[1].split(":"))
        rest = rest[2:]
    wanted = []
    for name in rest:
        if name not in names:
            raise SystemExit("no channel %r in %s" % (name, argv[1]))
        wanted.append(names.index(name))
    sums = [0.0] * len(wanted)
    counts = [0] * len(wanted)
    for n, values in enumerate(codes(cfg, dat_path(argv[1]))):
        if n < first or (end is not None and n >= end):
            continue
        for j, k in enumerate(wanted):
            x = values[k]
            if x is None:
                continue
            c = cfg["channels"][k]
            v = (c["a"] * x + c["b"]) * c["factor"]
            sums[j] += v * v
            counts[j] += 1
    print("# sample_rate_hz %r" % cfg["rate"])
    for j, k in enumerate(wanted):
        rms = math.sqrt(sums[j] / counts[j]) if counts[j] else float("nan")
        print("%s %.12g" % (names[k], rms))


if __name__ == "__main__":
    main(sys.argv)
