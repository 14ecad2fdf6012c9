"""RPN validation: only numbers, rrdtool operators and the graph's own names pass."""

from __future__ import annotations

from typing import Any

import pytest

from graphmetrics.render import rpn

VARS = {"a", "b", "spr", "rpm"}


@pytest.mark.parametrize(
    "expr",
    [
        "a",
        "a,b,+",
        "spr,rpm,-,spr,/,100,*",
        "a,UN,0,a,IF",
        "a,0,100,LIMIT",
        "a,-1.5e3,*",
        "a,.5,*",
        "a,b,c,3,AVG".replace("c,", "a,"),
        "a,1800,TREND",
        "PREV(a),UN,0,PREV(a),IF",
        "a,DUP,*",
        "a,b,EXC,-",
        "TIME,NOW,-",
        "a,b,MAXNAN",
        "a,2,POW",
    ],
)
def test_valid_cdef(expr: str) -> None:
    assert rpn.validate_cdef(expr, VARS) == expr.split(",")


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("", "empty RPN"),
        ("a,,+", "empty token at position 2"),
        ("a,c,+", "token 2 'c' is neither"),
        ("a,b", "leaves 2 values"),
        ("a,+", "needs 2 value(s) on the stack, has 1"),
        ("a,1,IF", "needs 3 value(s)"),
        ("+", "needs 2"),
        ("a:LINE1:a#ff0000", "neither a number"),
        ("a\nLINE1:a", "neither a number"),
        ("a,b,+ ", "'+ ' is neither"),
        ("a,--title=x", "neither"),
        ("a,/etc/passwd", "neither"),
        ("a,sqrt", "'sqrt' is neither"),
        ("PREV(zz)", "PREV of unknown variable 'zz'"),
        ("a," * 300 + "a", "more than 200 tokens"),
        ("1" * 1001, "longer than 1000"),
        ("a,1e5000,+", "neither"),
        ("0x10", "neither"),
    ],
)
def test_invalid_cdef(expr: str, reason: str) -> None:
    with pytest.raises(rpn.RPNError) as info:
        rpn.validate_cdef(expr, VARS)
    assert reason in str(info.value)


def test_variable_arity_operators_stop_the_depth_check() -> None:
    # "4,3,22.1,1,4,SORT" style: the count is data, so the check cannot follow it.
    assert rpn.validate_cdef("a,b,a,b,4,SORT,POP,POP,POP", VARS)


@pytest.mark.parametrize("expr", ["a,MAXIMUM", "rpm,AVERAGE", "a,95,PERCENT", "a,5,PERCENTNAN"])
def test_valid_vdef(expr: str) -> None:
    assert rpn.validate_vdef(expr, VARS) == expr.split(",")


@pytest.mark.parametrize(
    "expr", ["x,MAXIMUM", "a,MAX", "a,101,PERCENT", "a,95,MAXIMUM", "a", "a,MAXIMUM,1", "a,b,+"]
)
def test_invalid_vdef(expr: str) -> None:
    with pytest.raises(rpn.RPNError, match="VDEF"):
        rpn.validate_vdef(expr, VARS)


@pytest.mark.parametrize("name", ["a", "rpm", "_x", "inst1__rpm", "A" * 63, "total", "max"])
def test_good_names(name: str) -> None:
    assert rpn.check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "1a", "a-b", "a:b", "a b", "MAX", "TOTAL", "PREV", "TIME", "A" * 64, "a\n", 5]
)
def test_bad_names(name: Any) -> None:
    with pytest.raises(rpn.RPNError, match="bad variable name"):
        rpn.check_name(name)


def test_operator_table_matches_rrdtool_vocabulary() -> None:
    for op in (
        "LT",
        "IF",
        "LIMIT",
        "ADDNAN",
        "ATAN2",
        "TRENDNAN",
        "PREDICTPERC",
        "NEWYEAR",
        "ROLL",
    ):
        assert op in rpn.OPERATORS
    assert "MAXIMUM" not in rpn.OPERATORS  # a VDEF function, not a CDEF operator


@pytest.mark.parametrize(
    "expr",
    [
        "86400,-7,1800,a,PREDICT",
        "172800,86400,2,1800,a,PREDICTSIGMA",
        "86400,-4,3600,95,a,PREDICTPERC",
        "a,b,a,3,SMAX",
        "a,b,95,2,PERCENT",
        "a,b,2,COPY,+,+,+",
        "a,b,2,INDEX,+,+",
        "a,b,a,3,1,ROLL,+,+",
        "a,b,2,REV,-",
        "a,3600,TRENDNAN",
    ],
)
def test_variable_arity_operators_are_followed(expr: str) -> None:
    assert rpn.validate_cdef(expr, VARS) == expr.split(",")


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        # the 45-second CDEF: a five-year window, 1000 shifts
        ("86400,-1000,157000000,a,PREDICT", "window (seconds) must be between 1 and 604800"),
        ("86400,-1000,1800,a,PREDICT", "shift count must be between -100 and 100"),
        ("86400,0,1800,a,PREDICT", "non-zero whole number"),
        ("86400,-1.5,1800,a,PREDICT", "non-zero whole number"),
        ("86400,2,*,-7,1800,a,PREDICT", "shift multiplier (seconds) must be a plain number"),
        ("86400,-7,a,a,PREDICT", "window (seconds) must be a plain number"),
        ("999999999,-7,1800,a,PREDICT", "shift multiplier (seconds) must be between"),
        ("1,2,3,1800,a,PREDICT", "needs 1 value(s)"),
        ("86400,-7,1800,101,a,PREDICTPERC", "percentile must be between 0 and 100"),
        ("a,9999999,TREND", "window (seconds) must be between"),
        ("a,a,TREND", "window (seconds) must be a plain number"),
        ("a,b,5,AVG", "count must be between 1 and 2"),
        ("a,b,a,b,+,SORT", "count must be a plain number"),
        ("a,1,COPY,2,COPY,4,COPY,8,COPY,16,COPY,32,COPY,64,COPY,128,COPY,256,COPY,512,COPY",
         "more than 1000 values"),
        ("a,b,2,SORT", "leaves 2 values"),
    ],
)  # fmt: skip
def test_variable_arity_bounds(expr: str, reason: str) -> None:
    with pytest.raises(rpn.RPNError) as info:
        rpn.validate_cdef(expr, VARS)
    assert reason in str(info.value)


def test_cdef_cost_counts_predict_windows() -> None:
    assert rpn.cdef_cost("a,b,+", VARS) == rpn.Cost(3, 0.0)
    cost = rpn.cdef_cost("86400,-7,1800,a,PREDICT", VARS)
    assert cost.window_seconds == 7 * 1800
    assert rpn.cdef_cost("a,600,TREND", VARS).window_seconds == 600
