"""The carbon receiver's hot loop: plaintext lines into samples per file.

Compiled with mypyc (``setup.py``'s ``HOT_MODULES``), as the other collectors' hot
loops are; :class:`~graphmetrics.collect.carbon_wire.Intake` owns the state it fills
and says what its rules mean (docs/inputs.md, "Carbon protocols").

Each file's samples are kept as their ``rrdtool update`` arguments (``ts:value``,
:class:`~graphmetrics.rrd.updates.Formatted`), made here from the value's own text
when it is a plain decimal (``-12.5``: any correctly rounding ``strtod``, rrdtool's,
reads it as Python's ``float`` does): the writer sends them as they are, and no
(time, values) tuple is made per point unless they must be arranged or written
again.  A timestamp's text repeated from the line before (agents send a whole
interval's metrics with one) is parsed once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from graphmetrics.rrd.layout import BadMetricName
from graphmetrics.rrd.schema import Schema
from graphmetrics.rrd.updates import Formatted, format_value

Verdict = tuple[str, Schema] | BadMetricName
Samples = dict[str, Formatted]

#: Longest value text handed on as it was sent (about 1e23 and 1e-22 at the extremes).
PLAIN_BYTES = 24
NEWLINE = 10


def one_line_per_triple(data: bytes, fields: list[bytes]) -> bool:
    """Whether ``fields`` (``data.split()``, a multiple of three) are ``data``'s lines
    three by three: every run of white space one byte (the fields' lengths then add
    up to ``data``'s), each third one a newline and the others not."""
    size = len(data)
    end = -1
    for i in range(0, len(fields), 3):
        first = end + 1 + len(fields[i])
        second = first + 1 + len(fields[i + 1])
        end = second + 1 + len(fields[i + 2])
        if end > size or data[first] == NEWLINE or data[second] == NEWLINE:
            return False
        if end < size and data[end] != NEWLINE:
            return False
    return end == size


def plain_decimal(text: bytes) -> bool:
    """Digits, a point and a leading minus only (``float`` has accepted ``text``)."""
    size = len(text)
    if size > PLAIN_BYTES:
        return False
    for i in range(size):
        c = text[i]
        if not (48 <= c <= 57 or c == 46 or (c == 45 and i == 0)):
            return False
    return True


class LineParser:
    """The points of one chunk of plaintext lines (:meth:`parse`), with what the last line's
    timestamp gave (reused while the next lines repeat its text)."""

    def __init__(
        self,
        now: float,
        latest: float,
        verdicts: dict[bytes, Verdict],
        verdict: Callable[[bytes], Verdict],
        samples: Samples,
        schema_of: dict[str, Schema],
        bad: Callable[[str, str], None],
    ) -> None:
        self.now = now
        self.latest = latest
        self.verdicts = verdicts
        self.verdict = verdict
        self.samples = samples
        self.schema_of = schema_of
        self.bad = bad
        self.accepted = 0
        self.time_text = b""
        """The last timestamp text accepted (b"": none yet), and its second."""
        self.second = 0
        self.step = 0
        """The step the last point was rounded to, its time rounded, and as text."""
        self.rounded = 0
        self.rounded_text = ""

    def parse(self, data: bytes) -> int:
        """Add ``data``'s points (``name value [timestamp]`` lines) to the samples per
        series path, timestamps rounded down to the file's step; ``bad(reason, detail)``
        for each refused line.  Returns how many points were accepted so far."""
        fields = data.split()
        if len(fields) % 3 == 0 and one_line_per_triple(data, fields):
            # the usual data: every line "name value timestamp", one byte between fields
            for i in range(0, len(fields), 3):
                self.point(fields[i], fields[i + 1], fields[i + 2], b"")
            return self.accepted
        for line in data.split(b"\n"):
            parts = line.split()
            count = len(parts)
            if count == 3:
                self.point(parts[0], parts[1], parts[2], line)
            elif count == 2:
                self.point(parts[0], parts[1], b"-1", line)
            elif count != 0:
                self.bad("bad_line", f"{count} fields: {line[:100]!r}")
        return self.accepted

    def point(self, raw: bytes, value_text: bytes, time_text: bytes, line: bytes) -> None:
        """One line's fields (``line``: the line, or b"" to join them for a message)."""
        fresh = time_text != self.time_text
        timestamp = 0.0
        try:
            value = float(value_text)
            if fresh:
                timestamp = float(time_text)
        except ValueError:
            self.bad("bad_number", f"{self.whole(raw, value_text, time_text, line)!r}")
            return
        if not math.isfinite(value):
            self.bad("not_finite", f"{self.whole(raw, value_text, time_text, line)!r}")
            return
        if fresh:
            if timestamp == -1:
                timestamp = self.now
            elif not 0 < timestamp <= self.latest:
                reason = "future_timestamp" if timestamp > self.latest else "bad_timestamp"
                self.bad(reason, f"{self.whole(raw, value_text, time_text, line)!r}")
                return
            self.time_text = time_text
            self.second = int(timestamp)
        found = self.verdicts.get(raw)
        if found is None:
            found = self.verdict(raw)
        if not isinstance(found, tuple):
            self.bad("bad_name", f"{raw[:100]!r}: {found}")
            return
        relative = found[0]
        step = found[1].step
        second = self.second
        if step != self.step or not self.rounded <= second < self.rounded + step:
            self.step = step
            self.rounded = second - second % step
            self.rounded_text = str(self.rounded)
        points = self.samples.get(relative)
        if points is None:
            points = self.samples[relative] = Formatted()
            self.schema_of[relative] = found[1]
        if plain_decimal(value_text):
            points.add(self.rounded, f"{self.rounded_text}:{value_text.decode('ascii')}")
        else:
            points.add(self.rounded, f"{self.rounded_text}:{format_value(value)}")
        self.accepted += 1

    def whole(self, raw: bytes, value_text: bytes, time_text: bytes, line: bytes) -> bytes:
        """The line, for a message (its first 100 bytes)."""
        return (line or b" ".join([raw, value_text, time_text]))[:100]
