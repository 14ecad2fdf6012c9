"""PNG answers draw Graphite's drawing functions with rrdtool: the pixels show the
colour, the stacked area, the ticks; JSON keeps graphite-web's names and values."""

from __future__ import annotations

import pytest
import webtest

from graphmetrics.rrd.store import RRDStore
from tests.functional.web_render.conftest import T0, make_app, minute, write_data
from tests.png import colors

RPM = "tracelog.app1__acme__inst1.rpm"
RANGE = {"from": str(minute(10)), "until": str(minute(110)), "now": str(T0 + 7200)}
RED = (200, 0, 50)  # graphite-web's "red"
BLUE = (100, 100, 255)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> webtest.TestApp:
    rrd_dir = tmp_path_factory.mktemp("rrd")
    write_data(RRDStore(rrd_dir))
    return make_app(rrd_dir)


def png(app: webtest.TestApp, *targets: str) -> bytes:
    query = [("target", t) for t in targets] + [*RANGE.items(), ("format", "png")]
    res = app.get("/graphite/render", query + [("width", "250"), ("height", "150")])
    assert res.content_type == "image/png"
    return bytes(res.body)


def test_color_and_line_width_are_drawn(app: webtest.TestApp) -> None:
    plain = colors(png(app, RPM))
    red = colors(png(app, f"color({RPM},'red')"))
    wide = colors(png(app, f"lineWidth(color({RPM},'red'),4)"))
    assert plain[RED] == 0 and red[RED] > 50
    assert wide[RED] > 2 * red[RED]


def test_stacked_series_fill_an_area(app: webtest.TestApp) -> None:
    line = colors(png(app, f"color({RPM},'blue')"))
    area = colors(png(app, f"color(stacked({RPM}),'blue')"))
    assert area[BLUE] > 5 * line[BLUE]


def test_dashes_alpha_second_axis_and_infinite_draw(app: webtest.TestApp) -> None:
    solid = colors(png(app, f"color({RPM},'red')"))
    dashed = colors(png(app, f"dashed(color({RPM},'red'),6)"))
    assert 0 < dashed[RED] < solid[RED]
    faded = colors(png(app, f"alpha(color({RPM},'red'),0.3)"))
    assert faded[RED] == 0
    ticks = colors(png(app, f"color(drawAsInfinite({RPM}),'red')"))
    assert ticks[RED] > solid[RED]
    both = png(app, RPM, f"color(secondYAxis(scale({RPM},1000)),'red')")
    assert colors(both)[RED] > 50


def test_area_between_fills_between_two_series(app: webtest.TestApp) -> None:
    line = colors(png(app, f"color({RPM},'red')"))
    drawn = colors(png(app, f"color(areaBetween(group(offset({RPM},-10),{RPM})),'red')"))
    assert drawn[RED] > 2 * line[RED]
