"""Shared input loading and result helpers for the Python benchmark peers.

The benchmark input is a pair of files written by the project's signal tool:

* ``PREFIX.json``: metadata ``{"fs_hz", "f0_hz", "channels", "frames", "seconds"}``;
* ``PREFIX.f32``: raw little-endian float32, interleaved frames of 7 channels in the order
  U1, U2, U3, I1, I2, I3, IN (volts and amperes).

Both peers load the input through :func:`load_input`, so a missing or malformed input produces
the same clear error (naming the offending file) whichever peer reads it first.
"""

import json
import math
import os
import platform
import sys

import numpy as np

#: Channel order every peer reports in (and the input must use).
CHANNELS = ["U1", "U2", "U3", "I1", "I2", "I3", "IN"]


class InputError(Exception):
    """The benchmark input is missing or malformed; the message names the file."""


def load_input(prefix):
    """Read and validate ``PREFIX.json`` and ``PREFIX.f32``.

    Returns ``(meta, frames)`` where ``frames`` is a read-only float32 array of shape
    ``(n_frames, 7)`` (interleaved, as stored) and ``meta`` is the parsed metadata dict.
    Raises :class:`InputError` on any inconsistency.
    """
    meta_path = prefix + ".json"
    data_path = prefix + ".f32"
    if not os.path.isfile(meta_path):
        raise InputError(f"input metadata file not found: {meta_path}")
    if not os.path.isfile(data_path):
        raise InputError(f"input sample file not found: {data_path}")
    try:
        with open(meta_path, "r", encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError(f"cannot parse {meta_path}: {e}") from e
    if not isinstance(meta, dict):
        raise InputError(f"{meta_path}: expected a JSON object")

    for key in ("fs_hz", "f0_hz", "channels", "frames", "seconds"):
        if key not in meta:
            raise InputError(f"{meta_path}: missing key '{key}'")
    try:
        fs = float(meta["fs_hz"])
        f0 = float(meta["f0_hz"])
        frames = int(meta["frames"])
        seconds = float(meta["seconds"])
    except (TypeError, ValueError) as e:
        raise InputError(f"{meta_path}: non-numeric fs_hz/f0_hz/frames/seconds: {e}") from e
    if not (fs > 0 and f0 > 0 and frames > 0 and seconds > 0) or not math.isfinite(fs * f0 * seconds):
        raise InputError(f"{meta_path}: fs_hz, f0_hz, frames and seconds must be positive")
    if list(meta["channels"]) != CHANNELS:
        raise InputError(f"{meta_path}: channels must be {CHANNELS}, got {meta['channels']}")

    n_ch = len(CHANNELS)
    expected = frames * n_ch * 4
    actual = os.path.getsize(data_path)
    if actual != expected:
        raise InputError(
            f"{data_path}: size {actual} bytes does not match {frames} frames x {n_ch} channels "
            f"x 4 bytes = {expected} (from {meta_path})"
        )
    data = np.fromfile(data_path, dtype="<f4").reshape(frames, n_ch)
    if not np.all(np.isfinite(data)):
        raise InputError(f"{data_path}: contains NaN or infinite samples")
    data.setflags(write=False)
    meta = dict(meta, fs_hz=fs, f0_hz=f0, frames=frames, seconds=seconds)
    return meta, data


def finite_or_none(values):
    """Convert an iterable of numbers to floats, mapping NaN/inf/None to ``None`` (valid JSON)."""
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        v = float(v)
        out.append(v if math.isfinite(v) else None)
    return out


def python_version():
    return platform.python_version()


def write_result(result, out_path):
    """Write one peer's result object as JSON to ``out_path`` (``-`` for stdout)."""
    text = json.dumps(result, indent=2, allow_nan=False)
    if out_path == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(out_path, "w", encoding="utf-8") as f:
            f.write(text + "\n")


def progress(msg):
    """Progress lines go to stderr so stdout/JSON stay clean."""
    print(msg, file=sys.stderr, flush=True)
