"""Evaluating parsed targets: the function registry, argument checks, the request context."""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from graphmetrics.graphite.grammar import Call, Const, Node, Path, TargetError
from graphmetrics.graphite.limits import Budget
from graphmetrics.graphite.series import EmptyResult, Series

Fetch = Callable[[str, int, int, int], list[Series]]


@dataclass
class Context:
    """One render request: its time range, clock, reader and xFilesFactor.

    ``args`` holds the raw arguments of the call being evaluated: functions that
    need more data than the range (movingAverage, timeShift) evaluate them again
    in a shifted context, as graphite-web does.  ``memo`` (shared by every context
    of one request) keeps each sub-expression's series per range, so evaluating an
    argument again costs a copy, not the work: without it nested ``timeShift`` cost
    2^depth.  ``budget`` counts the request's calls and points
    (:mod:`graphmetrics.graphite.limits`).
    """

    start: int
    end: int
    now: int
    fetch: Fetch
    xff: float = 0.0
    args: tuple[Node, ...] = field(default=())
    tz: Any = None
    # shared by every call of the request, as graphite-web's requestContext dict is:
    # setXFilesFactor's factor, stacked's running totals
    state: dict[str, Any] = field(default_factory=dict)
    memo: dict[tuple[Node, int, int, float], list[Series]] = field(default_factory=dict)
    budget: Budget = field(default_factory=Budget)

    def shifted(self, start: int, end: int) -> Context:
        return replace(self, start=start, end=end)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False
    multiple: bool = False
    default: Any = None
    options: tuple[str, ...] = ()
    suggestions: tuple[Any, ...] = ()

    def signature(self) -> str:
        """How graphite-web's ``function`` text shows it: ``*nodes``, ``n=1``."""
        if self.multiple:
            return f"*{self.name}"
        if self.required:
            return self.name
        return f"{self.name}={self.default!r}"

    def json(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.required:
            info["required"] = True
        if self.default is not None:
            info["default"] = self.default
        if self.multiple:
            info["multiple"] = True
        if self.options:
            info["options"] = list(self.options)
        if self.suggestions:
            info["suggestions"] = list(self.suggestions)
        return info


@dataclass(frozen=True)
class Function:
    name: str
    group: str
    params: tuple[Param, ...]
    impl: Callable[..., Any]
    description: str
    aggregator: bool = False
    # reads or changes the request's shared state (``stacked``'s running totals):
    # never memoised, nor is any expression containing it
    stateful: bool = False

    def json(self) -> dict[str, Any]:
        args = ", ".join(p.signature() for p in self.params)
        return {
            "name": self.name,
            "function": f"{self.name}({args})",
            "description": self.description,
            "module": "graphmetrics.graphite.functions",
            "group": self.group,
            "params": [p.json() for p in self.params],
        }


FUNCTIONS: dict[str, Function] = {}


def function(
    name: str, group: str, *params: Param, aggregator: bool = False, stateful: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Graphite function under its Graphite name."""

    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        doc = (impl.__doc__ or "").strip()
        FUNCTIONS[name] = Function(name, group, params, impl, doc, aggregator, stateful)
        return impl

    return register


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "seriesList": lambda v: isinstance(v, list),
    "seriesLists": lambda v: isinstance(v, list),
    "float": _is_number,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "interval": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, str) or _is_number(v),
    "boolean": lambda v: isinstance(v, bool),
    "intOrInterval": lambda v: isinstance(v, str) or (_is_number(v) and float(v).is_integer()),
    "intOrInf": lambda v: _is_number(v) and (float(v).is_integer() or math.isinf(v)),
    "nodeOrTag": lambda v: isinstance(v, str | int) and not isinstance(v, bool),
    "aggFunc": lambda v: isinstance(v, str),
    "aggOrSeriesFunc": lambda v: isinstance(v, str),
    "node": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "any": lambda v: True,
}


def _listed(param: Param, value: Any) -> bool:
    """A value graphite-web lists among a parameter's options whatever its type
    (smartSummarize's ``alignTo`` takes ``true``/``false`` too)."""
    return any(value is option for option in param.options if not isinstance(option, str))


def _series_form(param: Param, value: Any) -> bool:
    """graphite-web takes ``sumSeries`` for the aggregation function ``sum``."""
    return param.type == "aggFunc" and str(value).endswith("Series") and value[:-6] in param.options


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a series list"
    return repr(value)


def bind(func: Function, args: Sequence[Any], kwargs: dict[str, Any]) -> list[Any]:
    """The positional arguments for ``func.impl``, checked against its parameters."""
    bound: list[Any] = []
    params = list(func.params)
    rest = list(args)
    for i, param in enumerate(params):
        if param.multiple:
            values = rest
            rest = []
        elif rest:
            values = [rest.pop(0)]
        elif param.name in kwargs:
            values = [kwargs.pop(param.name)]
        elif param.required:
            raise TargetError(f"{func.name}: missing argument {param.name!r} (number {i + 1})")
        else:
            values = [param.default]
            if param.default is None and not any(
                p.name in kwargs or p.multiple for p in params[i + 1 :]
            ):
                break
        for value in values:
            if value is None and not param.required:
                continue
            if not _CHECKS[param.type](value) and not _listed(param, value):
                raise TargetError(
                    f"{func.name}: argument {param.name!r} must be {param.type}, "
                    f"got {_describe(value)}"
                )
            if param.options and value not in param.options and not _series_form(param, value):
                raise TargetError(
                    f"{func.name}: {param.name} must be one of "
                    f"{', '.join(map(str, param.options))}, got {value!r}"
                )
        if param.multiple and param.required and not values:
            raise TargetError(f"{func.name}: at least one {param.name!r} is required")
        bound.extend(values)
    if rest:
        raise TargetError(f"{func.name}: takes at most {len(params)} arguments, got {len(args)}")
    if kwargs:
        raise TargetError(f"{func.name}: unknown argument {next(iter(kwargs))!r}")
    return bound


def copy_series(series: Series) -> Series:
    """An independent copy: values, and attributes such as a tags dict, copied."""
    new = list.__new__(type(series))
    list.extend(new, series.raw())  # raw: its __iter__ may consolidate
    for name, value in vars(series).items():
        setattr(new, name, copy.copy(value) if isinstance(value, dict | list | set) else value)
    return new


def evaluate(ctx: Context, node: Node) -> Any:
    """A list of series for a path or call (computed once per request and range);
    the value for a literal."""
    if isinstance(node, Const):
        return node.value
    # the factor setXFilesFactor left for what follows is part of what was computed
    key = (node, ctx.start, ctx.end, ctx.state.get("xFilesFactor", ctx.xff))
    known = ctx.memo.get(key)
    if known is not None:
        ctx.budget.charge_points(sum(len(s) for s in known), "a repeated sub-expression")
        return [copy_series(s) for s in known]
    if isinstance(node, Path):
        result = ctx.fetch(node.pattern, ctx.start, ctx.end, ctx.now)
    else:
        result = _call(ctx, node)
    if (
        isinstance(result, list)
        and all(isinstance(s, Series) for s in result)
        and not _stateful(node)
    ):
        # functions change their arguments' series in place: keep a copy of our own
        ctx.memo[key] = [copy_series(s) for s in result]
    return result


@functools.lru_cache(maxsize=4096)
def _stateful(node: Node) -> bool:
    """Whether ``node`` calls a function that uses the request's shared state, so
    evaluating it again may give another answer (``stacked`` twice stacks twice)."""
    if not isinstance(node, Call):
        return False
    func = FUNCTIONS.get(node.name)
    if func is not None and func.stateful:
        return True
    return any(_stateful(arg) for arg in (*node.args, *(arg for _, arg in node.kwargs)))


def _call(ctx: Context, node: Call) -> Any:
    func = FUNCTIONS.get(node.name)
    if func is None:
        raise TargetError(f"unknown function {node.name!r}")
    ctx.budget.charge_call(node.name)
    args = [evaluate(ctx, arg) for arg in node.args]
    kwargs = {name: evaluate(ctx, arg) for name, arg in node.kwargs}
    bound = bind(func, args, kwargs)
    inner = replace(
        ctx,
        args=node.args or _first_keyword(func, node),
        xff=ctx.state.get("xFilesFactor", ctx.xff),
    )
    try:
        result = func.impl(inner, *bound)
    except EmptyResult:
        return []
    _charge_made(ctx, node.name, [*args, *kwargs.values()], result)
    return result


def _charge_made(ctx: Context, name: str, inputs: list[Any], result: Any) -> None:
    """Charge the points of the series ``name`` made (not passed through) to the budget."""
    if not isinstance(result, list):
        return
    given = {id(s) for value in inputs if isinstance(value, list) for s in value}
    made = sum(len(s) for s in result if isinstance(s, Series) and id(s) not in given)
    if made:
        ctx.budget.charge_points(made, name)


def _first_keyword(func: Function, node: Call) -> tuple[Node, ...]:
    """The first parameter's node when it was passed by name (``seriesList=a.b``), so
    functions that evaluate it again over another range find it."""
    if not func.params:
        return ()
    return tuple(arg for name, arg in node.kwargs if name == func.params[0].name)


def evaluate_target(ctx: Context, node: Node) -> list[Series]:
    result = evaluate(ctx, node)
    if isinstance(result, Series):
        return [result]
    if not isinstance(result, list):
        raise TargetError(f"the target is a {type(result).__name__} value, not series")
    return result
