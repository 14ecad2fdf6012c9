"""Validation of CDEF/VDEF RPN expressions before they reach rrdtool; pure.

An expression is a comma separated list of tokens.  Each token must be a plain
number, one of rrdtool's RPN operators (rrdgraph_rpn(1) of rrdtool 1.7), one of the
graph's own variable names, or ``PREV(name)`` of one.  Nothing else gets through, so
a ``:``, a newline, a space, a file name or an option can never be smuggled into the
rrdtool arguments built from the expression.  The stack depth is simulated for the
fixed-arity operators, so ``a,+`` is refused here with a clear message instead of by
rrdtool with an obscure one.
"""

from __future__ import annotations

import re
from collections.abc import Collection

MAX_RPN_LENGTH = 1000
MAX_TOKENS = 200

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
NUMBER_RE = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d{1,3})?")
PREV_RE = re.compile(r"PREV\(([A-Za-z_][A-Za-z0-9_]{0,62})\)")

# operator -> (values popped, values pushed); None = variable (count taken from the stack)
_FIXED: dict[str, tuple[int, int]] = {}
for _ops, _pop, _push in (
    ("LT LE GT GE EQ NE MIN MAX MINNAN MAXNAN + - * / % ADDNAN POW ATAN2", 2, 1),
    ("UN ISINF SIN COS LOG EXP SQRT ATAN FLOOR CEIL DEG2RAD RAD2DEG ABS", 1, 1),
    ("IF LIMIT", 3, 1),
    ("TREND TRENDNAN", 2, 1),
    ("UNKN INF NEGINF PREV COUNT NOW STEPWIDTH NEWDAY NEWWEEK NEWMONTH NEWYEAR", 0, 1),
    ("TIME LTIME DEPTH", 0, 1),
    ("DUP", 1, 2),
    ("POP", 1, 0),
    ("EXC", 2, 2),
):
    for _op in _ops.split():
        _FIXED[_op] = (_pop, _push)

# Operators whose arity depends on values on the stack: the depth check stops there.
_VARIABLE = frozenset(
    ("SORT", "REV", "AVG", "SMIN", "SMAX", "MEDIAN", "STDEV", "PERCENT", "PREDICT",
     "PREDICTSIGMA", "PREDICTPERC", "COPY", "INDEX", "ROLL")
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
            f"bad variable name {name!r}: use a letter or '_' then letters, digits, '_' "
            "(at most 63)"
        )
    if name in RESERVED:
        raise RPNError(f"bad variable name {name!r}: it is an RPN operator")
    return name


def _tokens(expr: str) -> list[str]:
    if not isinstance(expr, str):
        raise RPNError(f"RPN expression must be a string, got {expr!r}")
    if not expr:
        raise RPNError("empty RPN expression")
    if len(expr) > MAX_RPN_LENGTH:
        raise RPNError(f"RPN expression longer than {MAX_RPN_LENGTH} characters")
    tokens = expr.split(",")
    if len(tokens) > MAX_TOKENS:
        raise RPNError(f"RPN expression has more than {MAX_TOKENS} tokens")
    return tokens


def validate_cdef(expr: str, variables: Collection[str]) -> list[str]:
    """Check a CDEF expression over ``variables``; returns its tokens.

    Raises :class:`RPNError` for unknown tokens, empty tokens and a stack that
    underflows or does not end with exactly one value.
    """
    depth: int | None = 0
    tokens = _tokens(expr)
    for position, token in enumerate(tokens, 1):
        where = f"token {position} {token!r}"
        if token in variables or NUMBER_RE.fullmatch(token):
            pop, push = 0, 1
        elif (prev := PREV_RE.fullmatch(token)) is not None:
            if prev.group(1) not in variables:
                raise RPNError(f"{where}: PREV of unknown variable {prev.group(1)!r}")
            pop, push = 0, 1
        elif token in _FIXED:
            pop, push = _FIXED[token]
        elif token in _VARIABLE:
            depth = None
            continue
        elif not token:
            raise RPNError(f"empty token at position {position} (two commas in a row?)")
        else:
            raise RPNError(f"{where} is neither a number, an operator nor a variable")
        if depth is not None:
            if depth < pop:
                raise RPNError(f"{where} needs {pop} value(s) on the stack, has {depth}")
            depth += push - pop
    if depth is not None and depth != 1:
        raise RPNError(f"RPN expression leaves {depth} values on the stack instead of 1")
    return tokens


def validate_vdef(expr: str, variables: Collection[str]) -> list[str]:
    """Check a VDEF expression: ``name,FUNCTION`` or ``name,N,PERCENT[NAN]``."""
    tokens = _tokens(expr)
    if tokens[0] not in variables:
        raise RPNError(f"VDEF must start with a DEF or CDEF name, got {tokens[0]!r}")
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
