"""RPN validation: only numbers, rrdtool operators and the graph's own names pass."""

from __future__ import annotations

from typing import Any

import pytest

from graphmetrics.rrd import rpn

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
