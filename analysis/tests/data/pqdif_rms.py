#!/usr/bin/env python3
"""Rms and sample rate of waveform channels of one PQDIF (IEEE 1159.3) observation, with the
standard library only (struct, zlib), as a check on percycle's reader that shares no code with it.

usage: pqdif_rms.py FILE.pqd OBSERVATION_INDEX [--span T0:T1] CHANNEL_NAME...

With --span (seconds from the first sample of each channel), the rms is that of the integral
of x^2 from T0 to T1 by the trapezoid rule, x^2 interpolated linearly at both ends.

OBSERVATION_INDEX counts the observation records of the file from 0. A CHANNEL_NAME is the
channel's name in the data source ("Waveform VAB") or that name without its leading "Waveform "
("VAB"). Prints one line per channel: NAME RMS RATE, the rms over the channel's own samples
(scaled, in the file's units) and the sample rate in Hz from its time series.
"""
import struct
import sys
import zlib


def guid(text):
    """The 16 bytes of a GUID as a file stores it (first three fields little-endian)."""
    h = text.replace("-", "")
    raw = bytes.fromhex(h)
    return raw[3::-1] + raw[5:3:-1] + raw[7:5:-1] + raw[8:]


SIGNATURE = guid("4a111440-e49f-11cf-9900-505144494600")
REC_CONTAINER = guid("89738606-f1c3-11cf-9d89-0080c72e70a3")
REC_DATASOURCE = guid("89738619-f1c3-11cf-9d89-0080c72e70a3")
REC_OBSERVATION = guid("8973861a-f1c3-11cf-9d89-0080c72e70a3")
COMPRESSION_STYLE = guid("8973861b-f1c3-11cf-9d89-0080c72e70a3")
COMPRESSION_ALGORITHM = guid("8973861c-f1c3-11cf-9d89-0080c72e70a3")
CHANNEL_DEFNS = guid("b48d858d-f5f5-11cf-9d89-0080c72e70a3")
CHANNEL_NAME = guid("b48d8590-f5f5-11cf-9d89-0080c72e70a3")
SERIES_DEFNS = guid("b48d8598-f5f5-11cf-9d89-0080c72e70a3")
VALUE_TYPE = guid("b48d859c-f5f5-11cf-9d89-0080c72e70a3")
STORAGE_METHOD = guid("b48d85a1-f5f5-11cf-9d89-0080c72e70a3")
CHANNEL_INSTANCES = guid("3d786f91-f76e-11cf-9d89-0080c72e70a3")
CHANNEL_DEFN_IDX = guid("b48d858f-f5f5-11cf-9d89-0080c72e70a3")
SERIES_INSTANCES = guid("3d786f93-f76e-11cf-9d89-0080c72e70a3")
SERIES_VALUES = guid("3d786f99-f76e-11cf-9d89-0080c72e70a3")
SERIES_SCALE = guid("3d786f96-f76e-11cf-9d89-0080c72e70a3")
SERIES_OFFSET = guid("3d786f97-f76e-11cf-9d89-0080c72e70a3")
SHARE_CHANNEL = guid("8973861f-f1c3-11cf-9d89-0080c72e70a3")
SHARE_SERIES = guid("89738620-f1c3-11cf-9d89-0080c72e70a3")
VALUE_TYPE_TIME = guid("c690e862-f755-11cf-9d89-0080c72e70a3")
VALUE_TYPE_VAL = guid("67f6af97-f753-11cf-9d89-0080c72e70a3")

# physical type -> struct format of one value (booleans and integers, reals)
FORMATS = {1: "B", 2: "H", 3: "I", 20: "b", 21: "h", 22: "i", 30: "B", 31: "H", 32: "I",
           40: "f", 41: "d"}
SIZES = {1: 1, 2: 2, 3: 4, 10: 1, 11: 2, 20: 1, 21: 2, 22: 4, 30: 1, 31: 2, 32: 4, 40: 4,
         41: 8, 42: 8, 43: 16, 50: 12, 60: 16}


def records(data):
    """(tag, stored body) of each record, following the links."""
    out = []
    pos, seen = 0, set()
    while True:
        if pos in seen or pos + 64 > len(data):
            sys.exit("bad record link to byte %d" % pos)
        seen.add(pos)
        head = data[pos:pos + 64]
        if head[:16] != SIGNATURE:
            sys.exit("no record signature at byte %d" % pos)
        header_size, body_size, link = struct.unpack("<iii", head[32:44])
        out.append((head[16:32], data[pos + header_size:pos + header_size + body_size]))
        if link == 0:
            return out
        pos = link


def tree(body, at=0):
    """A collection as a list of (tag, value); a value is a list (collection) or a tuple
    (physical type, count, bytes) for scalars (count None) and vectors."""
    (n,) = struct.unpack_from("<i", body, at)
    items = []
    for k in range(n):
        head = at + 4 + 28 * k
        tag = body[head:head + 16]
        kind, phys, embedded = body[head + 16], body[head + 17], body[head + 18]
        if kind == 1:
            (link,) = struct.unpack_from("<i", body, head + 20)
            items.append((tag, tree(body, link)))
        elif kind == 2:
            size = SIZES.get(phys, 0)
            if embedded:
                raw = body[head + 20:head + 20 + size]
            else:
                (link,) = struct.unpack_from("<i", body, head + 20)
                raw = body[link:link + size]
            items.append((tag, (phys, None, raw)))
        elif kind == 3:
            (link,) = struct.unpack_from("<i", body, head + 20)
            (count,) = struct.unpack_from("<i", body, link)
            size = SIZES.get(phys, 0)
            items.append((tag, (phys, count, body[link + 4:link + 4 + count * size])))
    return items


def get(items, tag):
    for t, v in items:
        if t == tag:
            return v
    return None


def every(items, tag):
    return [v for t, v in items if t == tag]


def numbers(value):
    phys, count, raw = value
    fmt = FORMATS[phys]
    n = 1 if count is None else count
    return list(struct.unpack("<%d%s" % (n, fmt), raw[:n * struct.calcsize(fmt)]))


def text(value):
    phys, count, raw = value
    if phys == 11:
        return raw.decode("utf-16-le").split("\0")[0]
    return raw.decode("latin-1").split("\0")[0]


def series_values(obs_channels, defns, c, s, depth=0):
    """Values of series s of channel instance c, after storage method and scaling."""
    if depth > 8:
        sys.exit("shared series loop")
    channel = obs_channels[c]
    defn = defns[numbers(get(channel, CHANNEL_DEFN_IDX))[0]]
    series = every(get(channel, SERIES_INSTANCES), guid("3d786f94-f76e-11cf-9d89-0080c72e70a3"))
    inst = series[s]
    raw = get(inst, SERIES_VALUES)
    if raw is None:
        sc = numbers(get(inst, SHARE_CHANNEL))[0]
        ss = numbers(get(inst, SHARE_SERIES))[0]
        return series_values(obs_channels, defns, sc, ss, depth + 1)
    values = numbers(raw)
    sdef = every(get(defn, SERIES_DEFNS), guid("b48d859a-f5f5-11cf-9d89-0080c72e70a3"))[s]
    storage = get(sdef, STORAGE_METHOD)
    storage = numbers(storage)[0] if storage is not None else 1
    if storage & 4:
        pairs = int(values[0])
        expanded, t = [], 0.0
        for p in range(pairs):
            count, step = int(values[1 + 2 * p]), values[2 + 2 * p]
            for _ in range(count):
                expanded.append(t)
                t += step
        values = expanded
    if storage & 2:
        scale = get(inst, SERIES_SCALE)
        offset = get(inst, SERIES_OFFSET)
        a = numbers(scale)[0] if scale is not None else 1.0
        b = numbers(offset)[0] if offset is not None else 0.0
        values = [v * a + b for v in values]
    return values


def span_rms(t, v, t0, t1):
    """sqrt of (1 / (t1 - t0)) * integral of x^2 over [t0, t1], trapezoids on the samples."""
    total = 0.0
    for k in range(len(t) - 1):
        a, b = t[k], t[k + 1]
        lo, hi = max(a, t0), min(b, t1)
        if hi <= lo:
            continue
        ya, yb = v[k] * v[k], v[k + 1] * v[k + 1]
        at = lambda x: ya + (yb - ya) * (x - a) / (b - a)
        total += 0.5 * (at(lo) + at(hi)) * (hi - lo)
    return (total / (t1 - t0)) ** 0.5


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    data = open(sys.argv[1], "rb").read()
    wanted_obs = int(sys.argv[2])
    names = sys.argv[3:]
    span = None
    if names and names[0] == "--span":
        span = tuple(float(x) for x in names[1].split(":"))
        names = names[2:]
    recs = records(data)
    if recs[0][0] != REC_CONTAINER:
        sys.exit("first record is not a container")
    container = tree(recs[0][1])
    style = get(container, COMPRESSION_STYLE)
    algorithm = get(container, COMPRESSION_ALGORITHM)
    zipped = (style is not None and numbers(style)[0] == 2
              and algorithm is not None and numbers(algorithm)[0] == 1)
    defns = None
    seen = -1
    for tag, stored in recs[1:]:
        if tag not in (REC_DATASOURCE, REC_OBSERVATION):
            continue
        body = zlib.decompress(stored) if zipped else stored
        top = tree(body)
        if tag == REC_DATASOURCE:
            defns = every(get(top, CHANNEL_DEFNS), guid("b48d858e-f5f5-11cf-9d89-0080c72e70a3"))
            continue
        seen += 1
        if seen != wanted_obs:
            continue
        chans = every(get(top, CHANNEL_INSTANCES), guid("3d786f92-f76e-11cf-9d89-0080c72e70a3"))
        for name in names:
            for c, channel in enumerate(chans):
                defn = defns[numbers(get(channel, CHANNEL_DEFN_IDX))[0]]
                full = text(get(defn, CHANNEL_NAME))
                short = full[len("Waveform "):] if full.startswith("Waveform ") else full
                if name not in (full, short):
                    continue
                sdefs = every(get(defn, SERIES_DEFNS), guid("b48d859a-f5f5-11cf-9d89-0080c72e70a3"))
                kinds = [get(sd, VALUE_TYPE)[2] for sd in sdefs]
                t = series_values(chans, defns, c, kinds.index(VALUE_TYPE_TIME))
                v = series_values(chans, defns, c, kinds.index(VALUE_TYPE_VAL))
                rate = (len(t) - 1) / (t[-1] - t[0])
                if span is None:
                    rms = (sum(x * x for x in v) / len(v)) ** 0.5
                else:
                    rms = span_rms([ti - t[0] for ti in t], v, span[0], span[1])
                print("%s %.9g %.9g" % (name, rms, rate))
                break
            else:
                sys.exit("no channel %s in observation %d" % (name, wanted_obs))
        return
    sys.exit("observation %d out of range (%d observations)" % (wanted_obs, seen + 1))


main()
