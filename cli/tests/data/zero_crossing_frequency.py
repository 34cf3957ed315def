#!/usr/bin/env python3
"""Power frequency of a mono 16-bit WAV per 10-s clock interval, by rising zero crossings.

usage: zero_crossing_frequency.py WAV   -> one line per 10-s interval: START_S FREQUENCY_HZ

Standard library only, independent of percycle: the signal's mean is removed, each rising
zero crossing is placed by linear interpolation between the two samples around it, and the
frequency of an interval is (crossings - 1) / (last - first crossing) over the crossings that
fall inside it.
"""
import struct
import sys
import wave


def main(path):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, "mono 16-bit expected"
        fs = w.getframerate()
        raw = w.readframes(w.getnframes())
    x = struct.unpack("<%dh" % (len(raw) // 2), raw)
    mean = sum(x) / len(x)
    crossings = []
    for k in range(1, len(x)):
        a, b = x[k - 1] - mean, x[k] - mean
        if a < 0 <= b:
            crossings.append((k - 1 + a / (a - b)) / fs)
    start = 0.0
    while start + 10.0 <= len(x) / fs:
        inside = [t for t in crossings if start <= t < start + 10.0]
        if len(inside) > 2:
            f = (len(inside) - 1) / (inside[-1] - inside[0])
            print("%.1f %.6f" % (start, f))
        start += 10.0


main(sys.argv[1])
