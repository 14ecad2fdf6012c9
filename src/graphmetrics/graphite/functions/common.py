"""What the functions share: graphite's null-safe aggregations, xFilesFactor, node keys."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from graphmetrics.graphite.evaluator import Param
from graphmetrics.graphite.grammar import TargetError, first_path, parse_target
from graphmetrics.graphite.series import Series, Value

INF = float("inf")
SERIES = "seriesList"


def non_null(values: Sequence[Value]) -> list[float]:
    return [v for v in values if v is not None]


def safe_sum(values: Sequence[Value]) -> Value:
    known = non_null(values)
    return sum(known) if known else None


def safe_avg(values: Sequence[Value]) -> Value:
    known = non_null(values)
    return sum(known) / len(known) if known else None


def safe_max(values: Sequence[Value]) -> Value:
    known = non_null(values)
    return max(known) if known else None


def safe_min(values: Sequence[Value]) -> Value:
    known = non_null(values)
    return min(known) if known else None


def safe_last(values: Sequence[Value]) -> Value:
    known = non_null(values)
    return known[-1] if known else None


def safe_median(values: Sequence[Value]) -> Value:
    known = sorted(non_null(values))
    if not known:
        return None
    mid = len(known) // 2
    return known[mid] if len(known) % 2 else float(known[mid - 1] + known[mid]) / 2


def safe_stddev(values: Sequence[Value]) -> Value:
    known = non_null(values)
    if not known:
        return None
    avg = sum(known) / len(known)
    return math.sqrt(sum((v - avg) ** 2 for v in known) / len(known))


def safe_diff(values: Sequence[Value]) -> Value:
    known = non_null(values)
    return known[0] - sum(known[1:]) if known else None


def safe_mul(*factors: Value) -> Value:
    if any(f is None for f in factors):
        return None
    product = 1.0
    for f in factors:
        product *= float(f)  # type: ignore[arg-type]
    return product


def safe_div(a: Value, b: Value) -> Value:
    if a is None or b in (0, None):
        return None
    return a / b


def _range(values: Sequence[Value]) -> Value:
    high, low = safe_max(values), safe_min(values)
    return None if high is None or low is None else float(high) - float(low)


AGG_FUNCS: dict[str, Callable[[Sequence[Value]], Value]] = {
    "average": safe_avg,
    "avg_zero": lambda v: sum(0 if x is None else x for x in v) / len(v) if v else None,
    "median": safe_median,
    "sum": safe_sum,
    "min": safe_min,
    "max": safe_max,
    "diff": safe_diff,
    "stddev": safe_stddev,
    "count": lambda v: len(non_null(v)),
    "range": _range,
    "multiply": lambda v: safe_mul(*v),
    "last": safe_last,
    "rangeOf": _range,
    "avg": safe_avg,
    "total": safe_sum,
    "current": safe_last,
}


def agg_func(name: str) -> Callable[[Sequence[Value]], Value]:
    try:
        return AGG_FUNCS[name]
    except KeyError:
        raise TargetError(f"unsupported aggregation function: {name}") from None


def xff(known: int, total: float, factor: float) -> bool:
    return bool(known and total) and known / total >= factor


def path_expressions(series: Sequence[Series]) -> str:
    seen: list[str] = []
    for s in series:
        if s.path_expression not in seen:
            seen.append(s.path_expression)
    return ",".join(seen)


def _first_path_of(name: str) -> str | None:
    try:
        return first_path(parse_target(name))
    except TargetError:
        return None


def agg_key(s: Series, nodes: Sequence[int | str]) -> str:
    path = _first_path_of(s.name) if s.name.endswith(")") else None
    parts = (path or s.name).split(";", 2)[0].split(".")
    keys = []
    for n in nodes:
        if isinstance(n, int):
            try:
                keys.append(parts[n])
                continue
            except IndexError:
                pass
        keys.append(s.name if str(n) == "name" else "")
    return ".".join(keys)


LISTS = Param("seriesLists", SERIES, required=True, multiple=True)
ONE_SERIES = Param("seriesList", SERIES, required=True)

# graphite-web's suggested values, served by /functions for Grafana's editor
INTERVALS = ("10min", "1h", "1d")
SHIFTS = ("1h", "6h", "12h", "1d", "2d", "7d", "14d", "30d")
WINDOWS = (5, 7, 10, "1min", "5min", "10min", "30min", "1hour")
BOOTSTRAPS = ("7d", "30d")
SEASONS = ("1d", "7d")
