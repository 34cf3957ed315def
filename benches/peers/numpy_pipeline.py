"""Vectorised numpy (float64) peer of the percycle pipeline benchmark.

It does the same job as the engine's full pipeline on a 7-channel 3P4W signal, written the way
a numpy user would write it: no Python loop over cycles or windows.

1. Cycles: rising zero crossings of U1 (sign change from < 0 to >= 0). The crossing instant is
   linearly interpolated (used for the mean frequency only); segment boundaries are the integer
   sample index of the first non-negative sample after each crossing.
2. Per-cycle RMS of all 7 channels and per-cycle active power P = mean(u*i) of the pairs
   U1*I1, U2*I2, U3*I3, each with one ``np.add.reduceat`` over the cycle boundaries.
3. Harmonics: fixed-length consecutive windows of ``round(10*fs/f0)`` samples (2048 at 50 Hz,
   10.24 kHz, i.e. 10 cycles) from sample 0, one batched ``np.fft.rfft`` over all windows and
   channels, amplitude spectrum scaled to rms (|X|*sqrt(2)/N), harmonic subgroups
   g_h = sqrt(|X[10h-1]|^2 + |X[10h]|^2 + |X[10h+1]|^2) for h = 1..50, and
   THD = sqrt(sum_{h=2..50} g_h^2) / g_1 in percent.

Timing: the pipeline (including the deinterleave / float32 -> float64 conversion of the raw
frames, which the engine also has to do) is run K times and the best wall time is reported,
with K chosen so that the runs take at least ``--min-seconds`` in total (and K >= 3). File
reading is excluded.

Usage: ``python numpy_pipeline.py INPUT_PREFIX [--out FILE.json]`` (stdout if no --out).
"""

import argparse
import math
import sys
import time

import numpy as np

import peer_input

#: Cycles per harmonic window (IEC 61000-4-7 at 50 Hz).
NPER = 10
#: Highest harmonic order analysed.
N_HARMONICS = 50


def rising_zero_crossings(u, min_gap):
    """Rising zero crossings of ``u``.

    Returns ``(idx, pos)``: ``idx`` are the integer indices k with u[k-1] < 0 <= u[k] (segment
    boundaries), ``pos`` the linearly interpolated crossing instants in samples. Candidates
    closer than ``min_gap`` samples to the previous candidate are dropped, so that noise
    chattering around zero does not split a cycle.
    """
    neg = u < 0.0
    idx = np.flatnonzero(neg[:-1] & ~neg[1:]) + 1
    if idx.size > 1:
        keep = np.empty(idx.size, dtype=bool)
        keep[0] = True
        np.greater(np.diff(idx), min_gap, out=keep[1:])
        idx = idx[keep]
    before = u[idx - 1]
    after = u[idx]
    pos = (idx - 1) + before / (before - after)
    return idx, pos


def harmonic_bins(nper, n_harm):
    """FFT bin indices of the harmonic subgroups, shape (n_harm, 3): nper*h - 1, nper*h, nper*h + 1."""
    centre = nper * np.arange(1, n_harm + 1)
    return centre[:, None] + np.array([-1, 0, 1])[None, :]


def pipeline(frames, fs, f0):
    """Run the full pipeline on interleaved float32 frames of shape (n, 7).

    Returns a dict of numpy arrays: ``rms`` (7, cycles), ``p`` (3, cycles), ``thd`` (7, windows)
    in percent, ``harm`` (7, windows, 50) subgroup rms values, ``freq`` (cycles,) in Hz.
    """
    # Channel-major float64 copy: one contiguous row per channel.
    x = np.ascontiguousarray(frames.T, dtype=np.float64)

    # --- cycles from U1 -----------------------------------------------------------------
    period = fs / f0
    zc, zc_pos = rising_zero_crossings(x[0], 0.5 * period)
    if zc.size < 2:
        raise ValueError("fewer than two rising zero crossings of U1: no complete cycle")
    seg = x[:, zc[0]:zc[-1]]
    starts = zc[:-1] - zc[0]
    lengths = np.diff(zc).astype(np.float64)

    # --- per-cycle RMS (7 ch) and active power (3 phases) --------------------------------
    rms = np.sqrt(np.add.reduceat(seg * seg, starts, axis=1) / lengths)
    p = np.add.reduceat(seg[0:3] * seg[3:6], starts, axis=1) / lengths
    freq = fs / np.diff(zc_pos)

    # --- 10-cycle harmonic analysis -------------------------------------------------------
    win = int(round(NPER * period))
    n_win = x.shape[1] // win
    bins = harmonic_bins(NPER, N_HARMONICS)
    if n_win > 0 and bins[-1, -1] <= win // 2:
        spec = np.fft.rfft(x[:, : n_win * win].reshape(x.shape[0], n_win, win), axis=-1)
        picked = spec[..., bins]  # (7, windows, 50, 3)
        # |X|^2 scaled to rms^2: (|X| * sqrt(2) / N)^2
        power = (picked.real ** 2 + picked.imag ** 2) * (2.0 / (win * win))
        harm = np.sqrt(power.sum(axis=-1))  # (7, windows, 50)
        with np.errstate(divide="ignore", invalid="ignore"):
            thd = 100.0 * np.sqrt((harm[..., 1:] ** 2).sum(axis=-1)) / harm[..., 0]
    else:
        harm = np.empty((x.shape[0], 0, N_HARMONICS))
        thd = np.empty((x.shape[0], 0))
    return {"rms": rms, "p": p, "thd": thd, "harm": harm, "freq": freq}


def best_time(fn, min_seconds, min_runs):
    """Best wall time of ``fn()`` over K runs, K such that the runs total >= min_seconds."""
    t0 = time.perf_counter()
    fn()  # warm-up; also estimates one run's cost
    first = time.perf_counter() - t0
    runs = max(min_runs, int(math.ceil(min_seconds / max(first, 1e-6))))
    runs = min(runs, 100_000)
    best = math.inf
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best, runs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input_prefix", help="path prefix of INPUT.json / INPUT.f32")
    ap.add_argument("--out", default="-", help="output JSON file (default: stdout)")
    ap.add_argument("--min-seconds", type=float, default=3.0, help="minimum total timed seconds")
    ap.add_argument("--min-runs", type=int, default=3, help="minimum number of timed runs")
    args = ap.parse_args(argv)

    try:
        meta, frames = peer_input.load_input(args.input_prefix)
    except peer_input.InputError as e:
        print(f"numpy peer: error: {e}", file=sys.stderr)
        return 2
    fs, f0 = meta["fs_hz"], meta["f0_hz"]

    try:
        res = pipeline(frames, fs, f0)
    except ValueError as e:
        print(f"numpy peer: error: {args.input_prefix}.f32: {e}", file=sys.stderr)
        return 2

    peer_input.progress(f"numpy peer: {res['rms'].shape[1]} cycles, {res['thd'].shape[1]} windows; timing ...")
    wall, runs = best_time(lambda: pipeline(frames, fs, f0), args.min_seconds, max(1, args.min_runs))
    peer_input.progress(f"numpy peer: best {wall * 1e3:.3f} ms of {runs} runs")

    seconds = meta["seconds"]
    thd = res["thd"]
    result = {
        "peer": "numpy-vectorized",
        "version": np.__version__,
        "python": peer_input.python_version(),
        "seconds_signal": seconds,
        "wall_s": wall,
        "runs": runs,
        "rtf": seconds / wall,
        "cycles": int(res["rms"].shape[1]),
        "windows": int(thd.shape[1]),
        "rms_mean": peer_input.finite_or_none(res["rms"].mean(axis=1)),
        # A window whose fundamental is zero has no THD (inf/NaN); it becomes null.
        "thd_pct_mean": peer_input.finite_or_none(thd.mean(axis=1) if thd.shape[1] else [None] * 7),
        "p_mean": peer_input.finite_or_none(res["p"].mean(axis=1)),
        "f_mean_hz": float(res["freq"].mean()) if res["freq"].size else None,
    }
    peer_input.write_result(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
