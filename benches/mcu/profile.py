#!/usr/bin/env python3
"""Instruction profile of the firmware from a QEMU execution log.

    profile.py ELF LOG [TOP]

LOG is QEMU's `-singlestep -d exec,nochain -D LOG` output (one `Trace` line per executed
instruction). Counts the instructions per address, maps each address to its innermost source
function and line with addr2line (inlined frames resolved), and prints the functions and the
lines with the most instructions, with their share of the total.
"""
import collections
import re
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    elf, log = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    pat = re.compile(r"Trace [0-9]+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
    counts = collections.Counter()
    with open(log, errors="replace") as f:
        for line in f:
            m = pat.match(line)
            if m:
                counts[int(m.group(1), 16)] += 1
    total = sum(counts.values())
    if total == 0:
        sys.exit(f"profile.py: no Trace lines in {log}")
    addrs = sorted(counts)
    out = subprocess.run(
        ["addr2line", "-e", elf, "-f", "-i", "-C", "-a"] + [hex(a) for a in addrs],
        capture_output=True, text=True, check=True).stdout.splitlines()
    # Output per address: the address line, then (function, file:line) pairs, innermost first.
    where = {}
    i = 0
    for a in addrs:
        assert out[i].startswith("0x"), out[i]
        i += 1
        frames = []
        while i < len(out) and not out[i].startswith("0x"):
            frames.append((out[i], out[i + 1]))
            i += 2
        where[a] = frames
    def short(path):
        path = path.split(" ")[0]
        for key in ("/engine/src/", "microfft", "/libm"):
            if key in path:
                return path[path.index(key) + 1:]
        return path.rsplit("/", 1)[-1]
    # The engine's instructions only (the firmware's wire decoding and UART are not the
    # engine's cost): addresses with a frame in the engine's sources, microfft or libm, each
    # attributed to its innermost engine frame.
    by_fn = collections.Counter()
    by_line = collections.Counter()
    everything = total
    total = 0
    for a, n in counts.items():
        frames = where.get(a) or [("??", "??:0")]
        own = [f for f in frames
               if "/engine/src/" in f[1] or "microfft" in f[1] or "/libm" in f[1]]
        if not own:
            continue
        total += n
        fn, loc = own[0]
        by_fn[re.sub(r"::h[0-9a-f]{16}$", "", fn)] += n
        by_line[short(loc)] += n
    print(f"{everything} instructions, {total} in the engine (the shares below are of these)")
    print(f"\n{'share':>6} {'instr':>10}  function (innermost engine frame)")
    for fn, n in by_fn.most_common(top):
        print(f"{100 * n / total:6.2f} {n:10d}  {fn[:110]}")
    print(f"\n{'share':>6} {'instr':>10}  line")
    for loc, n in by_line.most_common(top):
        print(f"{100 * n / total:6.2f} {n:10d}  {loc}")


if __name__ == "__main__":
    main()
