"""``/graphite/render``'s work, away from HTTP: targets evaluated, answered as bytes.

:func:`answer` runs where :mod:`graphmetrics.web.graphite.views` sends it: in the
web process for a light request (under a light :class:`~graphmetrics.graphite.limits.Budget`),
else in a render worker (:func:`answer_in_worker`, a
:class:`~graphmetrics.render.renderpool.Task`), under the pool's deadline and
memory cap like every ``/render`` graph.  A request outgrowing the light budget
raises :class:`~graphmetrics.graphite.limits.NotLight` and is run again as heavy
work, admitted first.  The answer is bytes (JSON, CSV or PNG), cheap to hand back
over the worker's pipe.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from webob.multidict import MultiDict

from graphmetrics.graphite import functions as _functions  # noqa: F401 - registers them
from graphmetrics.graphite.attime import TimeError, parse_attime, zone
from graphmetrics.graphite.evaluator import Context, evaluate_target
from graphmetrics.graphite.grammar import TargetError, parse_target
from graphmetrics.graphite.limits import Budget, NotLight
from graphmetrics.graphite.series import Series
from graphmetrics.render import graph
from graphmetrics.text import quoted
from graphmetrics.web.config import WebSettings
from graphmetrics.web.errors import http_status
from graphmetrics.web.graphite.jsonout import series_json
from graphmetrics.web.graphite.reader import Reader, ReadError

MAX_TARGETS = 100
# the times a series may be read at: rrdtool reads 8-digit numbers as YYYYMMDD dates,
# and a window or shift of 1e300 seconds has nothing to read
MIN_TIME = 100_000_000  # 1973-03-03
MAX_TIME = 4_102_444_800  # 2100-01-01
MAX_POINTS = 1_000_000
# what may be tried as light: few targets, a range of days, a small image
LIGHT_TARGETS = 10
LIGHT_RANGE = 8 * 86400
LIGHT_PIXELS = 1_000_000


class BadRequest(Exception):
    """A request we cannot answer; the message says why, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def text_answer(message: str, status: int = 400) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (message + "\n").encode())


def times(params: Any, clock: int) -> tuple[int, int, int, Any]:
    tz = zone(params.get("tz"))
    try:
        now = parse_attime(params["now"], clock, tz) if params.get("now") else clock
    except (TimeError, ValueError) as exc:
        raise BadRequest(f"now: {exc}") from None
    values = {}
    for name, default in (("until", "now"), ("from", "-1d")):
        text = params.get(name) or default
        try:
            values[name] = parse_attime(text, now, tz)
        except (TimeError, ValueError, OverflowError) as exc:
            raise BadRequest(f"{name}: cannot read {quoted(text)}: {exc}") from None
        if not MIN_TIME <= values[name] <= MAX_TIME:
            raise BadRequest(f"{name}: {quoted(text)} is not between 1973 and 2100")
    start, end = min(values.values()), max(values.values())
    if start == end:
        raise BadRequest("from/until: the time range is empty")
    return start, end, now, tz


def size(params: Any, name: str, default: int) -> int:
    try:
        value = int(params.get(name, default))
    except ValueError:
        raise BadRequest(f"{name}: not an integer: {quoted(params.get(name))}") from None
    if not 100 <= value <= 4000:
        raise BadRequest(f"{name}: must be between 100 and 4000 pixels")
    return value


def targets_of(params: Any) -> list[str]:
    targets = [t for t in params.getall("target") if t.strip()]
    if len(targets) > MAX_TARGETS:
        raise BadRequest(f"target: at most {MAX_TARGETS} targets, got {len(targets)}")
    return targets


def check(params: Any, clock: int) -> bool:
    """Refuse what is wrong without evaluating; True when the request may be light."""
    fmt = params.get("format", "png")
    if fmt not in ("json", "csv", "png"):
        raise BadRequest(f"format: must be json, csv or png, got {quoted(fmt)}")
    targets = targets_of(params)
    start, end, _, _ = times(params, clock)
    pixels = size(params, "width", 330) * size(params, "height", 250)
    return len(targets) <= LIGHT_TARGETS and end - start <= LIGHT_RANGE and pixels <= LIGHT_PIXELS


def evaluate(
    finder: Reader, params: Any, clock: int, budget: Budget
) -> tuple[list[Series], int, int, Any]:
    targets = targets_of(params)
    start, end, now, tz = times(params, clock)
    try:
        factor = float(params.get("xFilesFactor", 0) or 0)
    except ValueError:
        factor_text = quoted(params.get("xFilesFactor"))
        raise BadRequest(f"xFilesFactor: not a number: {factor_text}") from None

    def fetch(pattern: str, s: int, e: int, n: int) -> list[Series]:
        if not (MIN_TIME <= s <= MAX_TIME and MIN_TIME <= e <= MAX_TIME):
            raise TargetError(
                f"it would read {pattern} outside 1973..2100 (a window or shift too large?)"
            )
        return finder.fetch(pattern, s, e, n, factor, budget)

    ctx = Context(start, end, now, fetch, factor, tz=tz, budget=budget)
    series: list[Series] = []
    for i, full in enumerate(targets, 1):
        target = full if len(full) <= 200 else quoted(full)
        try:
            series += evaluate_target(ctx, parse_target(full))
        except TargetError as exc:
            raise BadRequest(f"target {i} ({target}): {exc}") from None
        except ReadError as exc:
            raise BadRequest(f"target {i} ({target}): {exc}", exc.status) from None
        if sum(len(s) for s in series) > MAX_POINTS:
            raise BadRequest(f"more than {MAX_POINTS} points asked for; narrow the targets")
    return series, start, end, tz


def consolidate_for(series: list[Series], max_points: int) -> None:
    """graphite-web's maxDataPoints rule: average runs of points, bands aligned."""
    if not any(series):
        return
    time_range = max(s.end for s in series) - min(s.start for s in series)
    for s in series:
        if max_points == 1:
            s.consolidate(len(s))
            continue
        count = time_range / s.step
        if max_points < count:
            per_point = math.ceil(count / max_points)
            seconds = int(per_point * s.step)
            nudge = seconds + (s.start % s.step) - (s.start % seconds)
            s.start += nudge
            del s[0 : max(0, int(nudge / s.step) - 1)]
            s.consolidate(per_point)


def _json(series: list[Series], params: Any) -> Answer:
    max_points = params.get("maxDataPoints", "")
    # more digits than any series has points: no consolidation
    if max_points.isdigit() and len(max_points) <= 9 and int(max_points) > 0:
        consolidate_for(series, int(max_points))
    drop_nulls = "noNullPoints" in params
    out = []
    for s in series:
        points = s.datapoints()
        if drop_nulls:
            points = [p for p in points if p[0] is not None and not math.isnan(p[0])]
            if not points:
                continue
        out.append((s.name, points))
    return Answer(200, "application/json; charset=utf-8", series_json(out))


def _csv(series: list[Series], tz: Any) -> Answer:
    out = io.StringIO()
    writer = csv.writer(out, dialect="excel")
    for s in series:
        for i, value in enumerate(s):
            moment = datetime.fromtimestamp(s.start + i * s.step, tz)
            writer.writerow((s.name, moment.strftime("%Y-%m-%d %H:%M:%S"), value))
    return Answer(200, "text/csv; charset=utf-8", out.getvalue().encode())


def _png(series: list[Series], params: Any, start: int, end: int) -> Answer:
    lines = [(s.name, s.start, s.step * s.values_per_point, list(s)) for s in series]
    options = [s.options for s in series]
    if not lines:  # rrdtool draws nothing without a line: an empty one, as graphite-web
        lines = [("", start, max((end - start) // 300, 1), [])]
        options = [{}]
    width, height = size(params, "width", 330), size(params, "height", 250)
    try:
        body = graph.draw_lines(lines, start, end, width, height, params.get("title", ""), options)
    except graph.RenderError as exc:
        return text_answer(str(exc), http_status(exc))
    return Answer(200, "image/png", body)


def answer(finder: Reader, params: Any, clock: int, budget: Budget) -> Answer:
    """The whole answer to a ``/graphite/render``; :class:`NotLight` past a light budget."""
    try:
        fmt = params.get("format", "png")
        series, start, end, tz = evaluate(finder, params, clock, budget)
        if fmt == "json":
            return _json(series, params)
        if fmt == "csv":
            return _csv(series, tz)
        return _png(series, params, start, end)
    except BadRequest as exc:
        return text_answer(str(exc), exc.status)


_FINDERS: dict[WebSettings, Reader] = {}


def answer_in_worker(
    web: WebSettings, pairs: list[tuple[str, str]], clock: int, light: bool
) -> Answer | None:
    """:func:`answer` in a render worker, with a finder of its own for ``web``'s
    storage; None when a ``light`` request outgrew the light budget."""
    finder = _FINDERS.get(web)
    if finder is None:
        from graphmetrics.web.services import make_services

        _FINDERS.clear()
        finder = _FINDERS[web] = make_services(web)[2]
    budget = Budget.for_light() if light else Budget()
    try:
        return answer(finder, MultiDict(pairs), clock, budget)
    except NotLight:
        return None
