#!/usr/bin/env python3
"""Writes waveform CSVs with the standard library only, independently of percycle's own writers.

usage: handmade_csv.py single OUT.csv   -> t,U1,I1: 230 V, 10 A lagging 30 deg, 50.2 Hz, 10 kHz, 2 s
       handmade_csv.py three OUT.csv    -> U1,U2,U3,I1,I2,I3 (no t column): 240 V, 4 A leading 20 deg,
                                           49.8 Hz, 8 kHz, 1.5 s, 3 % 5th harmonic in U
       handmade_csv.py dip OUT.csv      -> t,U1..U3,I1..I3 at 10 kHz for 3 s, L1 at 55 % from 1.0 to 1.15 s
       handmade_csv.py broken OUT.csv   -> a t,U1,I1 file whose line 5 holds a non-number
       handmade_csv.py outlier OUT.csv VALUE -> the single file with U1 = VALUE (e.g. 1e10) at
                                           t = 1 s (sample 10 000, line 10 002)
"""
import math
import sys


def single(path, outlier=None):
    fs, f, n = 10000.0, 50.2, 20000
    phi = math.radians(30.0)
    with open(path, "w") as out:
        out.write("t,U1,I1\n")
        for k in range(n):
            t = k / fs
            w = 2 * math.pi * f * t
            u = math.sqrt(2) * 230.0 * math.sin(w)
            i = math.sqrt(2) * 10.0 * math.sin(w - phi)
            if outlier is not None and k == 10000:
                out.write("%.7f,%s,%.6f\n" % (t, outlier, i))
            else:
                out.write("%.7f,%.6f,%.6f\n" % (t, u, i))


def three(path):
    fs, f, n = 8000.0, 49.8, 12000
    phi = math.radians(-20.0)
    with open(path, "w") as out:
        out.write("U1,U2,U3,I1,I2,I3\n")
        for k in range(n):
            w = 2 * math.pi * f * k / fs
            row = []
            for p in range(3):
                s = -p * 2 * math.pi / 3
                row.append(math.sqrt(2) * 240.0 * (math.sin(w + s) + 0.03 * math.sin(5 * (w + s))))
            for p in range(3):
                s = -p * 2 * math.pi / 3
                row.append(math.sqrt(2) * 4.0 * math.sin(w + s - phi))
            out.write(",".join("%.6f" % v for v in row) + "\n")


def dip(path):
    fs, n = 10000.0, 30000
    with open(path, "w") as out:
        out.write("t,U1,U2,U3,I1,I2,I3\n")
        for k in range(n):
            t = k / fs
            w = 2 * math.pi * 50.0 * t
            row = []
            for p in range(3):
                f = 0.55 if (1.0 <= t < 1.15 and p == 0) else 1.0
                row.append(f * math.sqrt(2) * 230.0 * math.sin(w - 2 * math.pi * p / 3))
            for p in range(3):
                row.append(math.sqrt(2) * 5.0 * math.sin(w - 2 * math.pi * p / 3 - 0.5))
            out.write("%.6f," % t + ",".join("%.5f" % v for v in row) + "\n")


def broken(path):
    with open(path, "w") as out:
        out.write("t,U1,I1\n0.0,0,0\n0.0001,1,1\n0.0002,2,2\n0.0003,x3,3\n")


if sys.argv[1] == "outlier":
    single(sys.argv[2], sys.argv[3])
else:
    {"single": single, "three": three, "dip": dip, "broken": broken}[sys.argv[1]](sys.argv[2])
