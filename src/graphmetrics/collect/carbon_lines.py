"""The carbon receiver's hot loop: plaintext lines into samples per file.

Compiled with mypyc (``setup.py``'s ``HOT_MODULES``), as the other collectors' hot
loops are; :class:`~graphmetrics.collect.carbon_wire.Intake` owns the state it fills
and says what its rules mean (docs/inputs.md, "Carbon protocols").
"""

from __future__ import annotations

import math
from collections.abc import Callable

from graphmetrics.rrd.layout import BadMetricName
from graphmetrics.rrd.schema import Schema

Verdict = tuple[str, Schema] | BadMetricName
Samples = dict[str, list[tuple[int, tuple[float]]]]


def parse_lines(
    data: bytes,
    now: float,
    latest: float,
    verdicts: dict[bytes, Verdict],
    verdict: Callable[[bytes], Verdict],
    samples: Samples,
    schema_of: dict[str, Schema],
    bad: Callable[[str, str], None],
) -> int:
    """Add ``data``'s points (``name value [timestamp]`` lines) to ``samples`` per
    series path, timestamps rounded down to the file's step; ``bad(reason, detail)``
    for each refused line.  Returns how many points were accepted."""
    accepted = 0
    for line in data.split(b"\n"):
        parts = line.split()
        count = len(parts)
        if count == 3:
            raw, value_text, time_text = parts[0], parts[1], parts[2]
        elif count == 2:
            raw, value_text, time_text = parts[0], parts[1], b"-1"
        elif count == 0:
            continue
        else:
            bad("bad_line", f"{count} fields: {line[:100]!r}")
            continue
        try:
            value = float(value_text)
            timestamp = float(time_text)
        except ValueError:
            bad("bad_number", f"{line[:100]!r}")
            continue
        if not math.isfinite(value):
            bad("not_finite", f"{line[:100]!r}")
            continue
        if timestamp == -1:
            timestamp = now
        elif not 0 < timestamp <= latest:
            bad("future_timestamp" if timestamp > latest else "bad_timestamp", f"{line[:100]!r}")
            continue
        found = verdicts.get(raw)
        if found is None:
            found = verdict(raw)
        if isinstance(found, tuple):
            relative = found[0]
            schema = found[1]
            second = int(timestamp)
            points = samples.get(relative)
            if points is None:
                points = []
                samples[relative] = points
                schema_of[relative] = schema
            points.append((second - second % schema.step, (value,)))
            accepted += 1
        else:
            bad("bad_name", f"{raw[:100]!r}: {found}")
    return accepted
