"""Validation of CDEF/VDEF RPN expressions before they reach rrdtool; pure.

An expression is a comma separated list of tokens.  Each token must be a plain
number, one of rrdtool's RPN operators (rrdgraph_rpn(1) of rrdtool 1.7), one of the
graph's own variable names, or ``PREV(name)`` of one.  Nothing else gets through, so
a ``:``, a newline, a space, a file name or an option can never be smuggled into the
rrdtool arguments built from the expression.  The stack is simulated, so ``a,+`` is
refused here with a clear message instead of by rrdtool with an obscure one.

Operators whose arity or cost comes from the stack (``n,SORT``, ``n,AVG``,
``x,window,TREND``, the PREDICT family ...) must be given those counts, windows and
shifts as plain numbers, which are bounded: rrdtool's work for one output row of
``<shift>,-n,<window>,x,PREDICT`` is n × window / step values, so
``86400,-1000,157000000,s0,PREDICT`` over five years would take a render worker
for minutes.  :func:`cdef_cost` reports what an expression costs per row, for the
per-request work bound of :func:`graphmetrics.render.graph.estimated_work`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from graphmetrics.text import quoted

MAX_RPN_LENGTH = 1000
MAX_TOKENS = 200
MAX_STACK = 1000
# PREDICT family: shifts per operator, the sliding window, and how far back a shift goes
MAX_PREDICT_SHIFTS = 100
MAX_WINDOW = 7 * 86400
MAX_SHIFT = 10 * 366 * 86400

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
NUMBER_RE = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?")
PREV_RE = re.compile(r"PREV\(([A-Za-z_][A-Za-z0-9_]{0,62})\)")

# operator -> (values popped, values pushed); None = variable (count taken from the stack)
_FIXED: dict[str, tuple[int, int]] = {}
for _ops, _pop, _push in (
    ("LT LE GT GE EQ NE MIN MAX MINNAN MAXNAN + - * / % ADDNAN POW ATAN2", 2, 1),
    ("UN ISINF SIN COS LOG EXP SQRT ATAN FLOOR CEIL DEG2RAD RAD2DEG ABS", 1, 1),
    ("IF LIMIT", 3, 1),
    ("UNKN INF NEGINF PREV COUNT NOW STEPWIDTH NEWDAY NEWWEEK NEWMONTH NEWYEAR", 0, 1),
    ("TIME LTIME DEPTH", 0, 1),
    ("DUP", 1, 2),
    ("POP", 1, 0),
    ("EXC", 2, 2),
):
    for _op in _ops.split():
        _FIXED[_op] = (_pop, _push)

# Operators whose arity or cost depends on numbers on the stack (see _apply_variable).
_VARIABLE = frozenset(
    ("SORT", "REV", "AVG", "SMIN", "SMAX", "MEDIAN", "STDEV", "PERCENT", "PREDICT",
     "PREDICTSIGMA", "PREDICTPERC", "COPY", "INDEX", "ROLL", "TREND", "TRENDNAN")
)  # fmt: skip

OPERATORS: frozenset[str] = frozenset(_FIXED) | _VARIABLE

VDEF_FUNCTIONS = frozenset(
    ("MAXIMUM", "MINIMUM", "AVERAGE", "STDEV", "LAST", "FIRST", "TOTAL", "LSLSLOPE",
     "LSLINT", "LSLCORREL")
)  # fmt: skip
VDEF_PERCENT = frozenset(("PERCENT", "PERCENTNAN"))

# rrdtool matches operators case-sensitively, so only these exact spellings are taken.
RESERVED = {w for w in OPERATORS | VDEF_FUNCTIONS | VDEF_PERCENT if w.isalnum()}


class RPNError(ValueError):
    """An expression rrdtool must not see; the message names the offending token."""


def check_name(name: str) -> str:
    """A variable name usable in DEF/CDEF/VDEF: identifier-like, not an operator."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise RPNError(
            f"bad variable name {quoted(name)}: use a letter or '_' then letters, digits, '_' "
            "(at most 63)"
        )
    if name in RESERVED:
        raise RPNError(f"bad variable name {quoted(name)}: it is an RPN operator")
    return name


def _tokens(expr: str) -> list[str]:
    if not isinstance(expr, str):
        raise RPNError(f"RPN expression must be a string, got {quoted(expr)}")
    if not expr:
        raise RPNError("empty RPN expression")
    if len(expr) > MAX_RPN_LENGTH:
        raise RPNError(f"RPN expression longer than {MAX_RPN_LENGTH} characters")
    tokens = expr.split(",")
    if len(tokens) > MAX_TOKENS:
        raise RPNError(f"RPN expression has more than {MAX_TOKENS} tokens")
    return tokens


@dataclass(frozen=True)
class Cost:
    """What one CDEF costs rrdtool per output row: ``ops`` stack operations, plus
    ``window_seconds`` of data read by sliding windows (divide by the step)."""

    ops: int
    window_seconds: float


Stack = list[float | None]  # plain numbers known; None for data


def validate_cdef(expr: str, variables: Collection[str]) -> list[str]:
    """Check a CDEF expression over ``variables``; returns its tokens.

    Raises :class:`RPNError` for unknown tokens, empty tokens, a stack that
    underflows or does not end with exactly one value, and counts, windows or shifts
    that are not plain numbers within bounds.
    """
    tokens = _tokens(expr)
    _simulate(tokens, variables)
    return tokens


def cdef_cost(expr: str, variables: Collection[str]) -> Cost:
    """The per-row :class:`Cost` of a CDEF expression checked by :func:`validate_cdef`
    or built by the server (an aggregate of hundreds of series: longer than a user's
    expression may be, so the input's length bounds are not applied again)."""
    return _simulate(expr.split(","), variables)


def _simulate(tokens: list[str], variables: Collection[str]) -> Cost:
    stack: Stack = []
    ops, window = 0, 0.0
    for position, token in enumerate(tokens, 1):
        where = f"token {position} {quoted(token)}"
        if NUMBER_RE.fullmatch(token):
            stack.append(float(token))
        elif token in variables:
            stack.append(None)
        elif (prev := PREV_RE.fullmatch(token)) is not None:
            if prev.group(1) not in variables:
                raise RPNError(f"{where}: PREV of unknown variable {quoted(prev.group(1))}")
            stack.append(None)
        elif token in _FIXED:
            _apply_fixed(stack, token, where)
        elif token in _VARIABLE:
            op_cost, op_window = _apply_variable(stack, token, where)
            ops += op_cost
            window += op_window
        elif not token:
            raise RPNError(f"empty token at position {position} (two commas in a row?)")
        else:
            raise RPNError(f"{where} is neither a number, an operator nor a variable")
        if len(stack) > MAX_STACK:
            raise RPNError(f"{where}: more than {MAX_STACK} values on the stack")
        ops += 1
    if len(stack) != 1:
        raise RPNError(f"RPN expression leaves {len(stack)} values on the stack instead of 1")
    return Cost(ops, window)


def _need(stack: Stack, count: int, where: str) -> None:
    if len(stack) < count:
        raise RPNError(f"{where} needs {count} value(s) on the stack, has {len(stack)}")


def _apply_fixed(stack: Stack, token: str, where: str) -> None:
    pop, push = _FIXED[token]
    _need(stack, pop, where)
    if token == "DUP":
        stack.append(stack[-1])
    elif token == "EXC":
        stack[-2:] = stack[-1:-3:-1]
    else:
        del stack[len(stack) - pop :]
        stack.extend([None] * push)


def _number(stack: Stack, where: str, what: str, low: float, high: float) -> float:
    """Pop a plain number between ``low`` and ``high`` (a count, window or shift)."""
    _need(stack, 1, where)
    value = stack.pop()
    if value is None:
        raise RPNError(f"{where}: its {what} must be a plain number, not computed")
    if not low <= value <= high:
        raise RPNError(f"{where}: its {what} must be between {low:g} and {high:g}, got {value:g}")
    return value


def _count(stack: Stack, where: str, low: int = 1) -> int:
    value = _number(stack, where, "count", low, max(low, len(stack) - 1))
    if not value.is_integer():
        raise RPNError(f"{where}: its count must be a whole number, got {value:g}")
    return int(value)


def _apply_variable(stack: Stack, token: str, where: str) -> tuple[int, float]:
    """Apply one variable-arity operator to ``stack``; its (ops, window seconds)."""
    if token in ("TREND", "TRENDNAN"):
        window = _number(stack, where, "window (seconds)", 1, MAX_WINDOW)
        _need(stack, 1, where)
        stack[-1] = None
        return 1, window
    if token.startswith("PREDICT"):
        return _apply_predict(stack, token, where)
    if token == "COPY":
        n = _count(stack, where)
        stack.extend(stack[-n:])
        return n, 0.0
    if token == "INDEX":
        n = _count(stack, where)
        stack.append(stack[-n])
        return 1, 0.0
    if token == "ROLL":
        _number(stack, where, "rotation", -MAX_STACK, MAX_STACK)
        n = _count(stack, where)
        stack[-n:] = [None] * n
        return n, 0.0
    percent = token == "PERCENT"
    n = _count(stack, where)
    if percent:
        _number(stack, where, "percentile", 0, 100)
    _need(stack, n, where)
    del stack[len(stack) - n :]
    stack.extend([None] * (n if token in ("SORT", "REV") else 1))
    return n * max(1, n.bit_length()), 0.0


def _apply_predict(stack: Stack, token: str, where: str) -> tuple[int, float]:
    """``<shifts>,n,<window>,[percentile,]x,PREDICT*``: reads n × window per row."""
    _need(stack, 1, where)
    stack.pop()  # x, the data
    if token == "PREDICTPERC":
        _number(stack, where, "percentile", 0, 100)
    window = _number(stack, where, "window (seconds)", 1, MAX_WINDOW)
    n = _number(stack, where, "shift count", -MAX_PREDICT_SHIFTS, MAX_PREDICT_SHIFTS)
    if n == 0 or not n.is_integer():
        raise RPNError(f"{where}: its shift count must be a non-zero whole number, got {n:g}")
    shifts = int(abs(n))
    if n > 0:
        for _ in range(shifts):
            _number(stack, where, "shift (seconds)", -MAX_SHIFT, MAX_SHIFT)
    else:
        limit = MAX_SHIFT // shifts
        _number(stack, where, "shift multiplier (seconds)", -limit, limit)
    stack.append(None)
    return shifts, shifts * window


def validate_vdef(expr: str, variables: Collection[str]) -> list[str]:
    """Check a VDEF expression: ``name,FUNCTION`` or ``name,N,PERCENT[NAN]``."""
    tokens = _tokens(expr)
    if tokens[0] not in variables:
        raise RPNError(f"VDEF must start with a DEF or CDEF name, got {quoted(tokens[0])}")
    if len(tokens) == 2 and tokens[1] in VDEF_FUNCTIONS:
        return tokens
    if (
        len(tokens) == 3
        and tokens[2] in VDEF_PERCENT
        and NUMBER_RE.fullmatch(tokens[1])
        and 0 <= float(tokens[1]) <= 100
    ):
        return tokens
    functions = ", ".join(sorted(VDEF_FUNCTIONS))
    raise RPNError(f"VDEF must be 'name,FUNCTION' ({functions}) or 'name,N,PERCENT[NAN]'")
