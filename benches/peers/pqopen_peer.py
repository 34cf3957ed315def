"""pqopen-lib peer of the percycle pipeline benchmark.

pqopen-lib (DaqOpen) is a ready-made open-source power-quality engine in Python: zero-crossing
detection with a low-pass filter, per-cycle RMS / P / frequency, 10-cycle resampling
(``np.interp``) + rfft, IEC 61000-4-7 harmonic and interharmonic subgroups, THD, unbalance.
It is "what a user would otherwise pick", so it is the second Python peer.

Setup (as in docs/performance.md §3.4): the three voltages and three currents go into float32
``AcqBuffer``s, one ``PowerSystem(nper=10)`` with three phases (U1/I1, U2/I2, U3/I3),
``enable_harmonic_calculation(50)`` and ``enable_neutral_current_calculation()``. The library
has no input for a measured neutral current: it derives IN from the sum of the phase-current
spectra once per 10-cycle window, so it gives IN THD and a 10-cycle IN rms but no per-cycle
IN rms. The signal is streamed in blocks of 1 s (``put_data`` on every buffer, then
``process()``), as a live acquisition would feed it.

Outputs read back (pqopen-lib 0.10.5 channel names):

* per cycle: ``U{k}_1p_rms``, ``I{k}_1p_rms``, ``P{k}_1p``, ``Freq``;
* per 10-cycle window: ``U{k}_THD``, ``I{k}_THD``, ``IN_THD`` (percent), ``IN_rms``.

Note that pqopen's THD sums harmonics 2..40 (its ``calc_thd`` default), not 2..50.

Timing: the wall time of the streaming loop (``put_data`` + ``process``) over the whole signal,
best of ``--runs`` runs (default 3), each on a fresh ``PowerSystem``. Import, file reading and
the read-back of the results (done between blocks, with the clock stopped) are excluded.

Usage: ``python pqopen_peer.py INPUT_PREFIX [--out FILE.json] [--runs N] [--block-s S]``.
"""

import argparse
import math
import sys
import time
from importlib import metadata

import numpy as np

import peer_input

NPER = 10
N_HARMONICS = 50


class Collector:
    """Accumulates every value written to some pqopen output channels.

    pqopen keeps its outputs in ring buffers (``DataChannelBuffer``, 5000 values by default),
    so values are drained after each processed block rather than once at the end: that keeps
    inputs longer than the ring (100 s of per-cycle values at 50 Hz) correct. The ring position
    is read from ``sample_count`` / ``last_write_idx`` and the ring array ``_data`` of
    pqopen-lib 0.10.5.
    """

    def __init__(self, names):
        self.names = list(names)
        self.seen = {n: 0 for n in self.names}
        self.values = {n: [] for n in self.names}

    def drain(self, channels):
        for name in self.names:
            ch = channels[name]
            new = ch.sample_count - self.seen[name]
            if new <= 0:
                continue
            ring = ch._data
            if new > len(ring):
                raise RuntimeError(f"pqopen channel {name} overflowed between two blocks")
            end = ch.last_write_idx
            idx = np.arange(end - new, end) % len(ring)
            self.values[name].append(np.array(ring[idx], dtype=np.float64))
            self.seen[name] = ch.sample_count

    def array(self, name):
        parts = self.values[name]
        return np.concatenate(parts) if parts else np.empty(0)


def run_once(chans, fs, f0, block):
    """Stream the signal through a fresh PowerSystem; return (wall seconds, Collector)."""
    from daqopen.channelbuffer import AcqBuffer
    from pqopen.powersystem import PowerSystem

    n = chans.shape[1]
    # Each AcqBuffer is a ring too: it must hold one block plus the 10-cycle look-back.
    size = max(100_000, 4 * block)
    bufs = [AcqBuffer(size=size, dtype=np.float32, name=name) for name in peer_input.CHANNELS[:6]]
    ps = PowerSystem(zcd_channel=bufs[0], input_samplerate=fs, nominal_frequency=f0, nper=NPER)
    for k in range(3):
        ps.add_phase(u_channel=bufs[k], i_channel=bufs[3 + k])
    ps.enable_harmonic_calculation(N_HARMONICS)
    ps.enable_neutral_current_calculation()

    names = [f"{q}{k}_1p_rms" for q in "UI" for k in (1, 2, 3)]
    names += [f"P{k}_1p" for k in (1, 2, 3)]
    names += [f"{q}{k}_THD" for q in "UI" for k in (1, 2, 3)]
    names += ["IN_THD", "IN_rms", "Freq"]
    coll = Collector(names)

    wall = 0.0
    for start in range(0, n, block):
        t0 = time.perf_counter()
        for buf, ch in zip(bufs, chans):
            buf.put_data(ch[start:start + block])
        ps.process()
        wall += time.perf_counter() - t0
        # Output channels exist only after the first process() call.
        coll.drain(ps.output_channels)
    return wall, coll


def summarise(coll):
    """Map the collected pqopen channels onto the common result fields."""
    def mean(name):
        a = coll.array(name)
        a = a[np.isfinite(a)]
        return float(a.mean()) if a.size else None

    rms = [mean(f"{q}{k}_1p_rms") for q in "UI" for k in (1, 2, 3)] + [None]
    thd = [mean(f"{q}{k}_THD") for q in "UI" for k in (1, 2, 3)] + [mean("IN_THD")]
    p = [mean(f"P{k}_1p") for k in (1, 2, 3)]
    return {
        "cycles": int(coll.array("U1_1p_rms").size),
        "windows": int(coll.array("U1_THD").size),
        "rms_mean": peer_input.finite_or_none(rms),
        "thd_pct_mean": peer_input.finite_or_none(thd),
        "p_mean": peer_input.finite_or_none(p),
        "f_mean_hz": mean("Freq"),
        "in_rms_10cycle_mean": mean("IN_rms"),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input_prefix", help="path prefix of INPUT.json / INPUT.f32")
    ap.add_argument("--out", default="-", help="output JSON file (default: stdout)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs, best is reported (default 3)")
    ap.add_argument("--block-s", type=float, default=1.0, help="streaming block length in seconds")
    args = ap.parse_args(argv)

    try:
        meta, frames = peer_input.load_input(args.input_prefix)
    except peer_input.InputError as e:
        print(f"pqopen peer: error: {e}", file=sys.stderr)
        return 2
    fs, f0, seconds = meta["fs_hz"], meta["f0_hz"], meta["seconds"]
    block = max(1, int(round(args.block_s * fs)))
    # One contiguous float32 row per channel, as a DAQ driver would hand them over (not timed).
    chans = np.ascontiguousarray(frames[:, :6].T)

    try:
        version = metadata.version("pqopen-lib")
        best, coll = math.inf, None
        for r in range(max(1, args.runs)):
            wall, c = run_once(chans, fs, f0, block)
            peer_input.progress(f"pqopen peer: run {r + 1}: {wall:.3f} s")
            if wall < best:
                best, coll = wall, c
        summary = summarise(coll)
    except Exception as e:  # report any library failure as one line for run.sh
        print(f"pqopen peer: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1

    result = {
        "peer": "pqopen-lib",
        "version": version,
        "python": peer_input.python_version(),
        "seconds_signal": seconds,
        "wall_s": best,
        "runs": max(1, args.runs),
        "rtf": seconds / best,
    }
    result.update(summary)
    result["notes"] = (
        "IN is derived by pqopen from the sum of the phase-current spectra (no per-cycle IN rms; "
        "in_rms_10cycle_mean is its 10-cycle value); THD sums harmonics 2..40"
    )
    peer_input.write_result(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
