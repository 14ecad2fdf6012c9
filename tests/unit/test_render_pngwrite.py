"""rrdtool's PNGs written with cheaper libpng settings (graphmetrics.render.pngwrite):
in this process and the render workers, the same pixels, and a safe fallback."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from graphmetrics.render import graph, pngwrite
from graphmetrics.render.renderpool import RenderPool, Task
from tests.helpers import REPO
from tests.pngs import decode, same_image

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("graphmetrics.render._pngwrite") is None,
    reason="the C helper is not built (GRAPHMETRICS_PURE_PYTHON install)",
)

IMAGE = graph.Job(
    "png",
    ("--start", "1700000000", "--end", "1700003600", "--width", "300", "--height", "100",
     "--full-size-mode", "HRULE:5#1f77b4:five"),
    (), (),
)  # fmt: skip


def test_this_process_writes_pngs_unfiltered() -> None:
    assert pngwrite.install()  # graphmetrics was imported before rrdtool
    before = pngwrite.tuned()
    image = decode(graph.draw(IMAGE).body)
    assert pngwrite.tuned() == before + 1
    assert (image.height, set(image.filters)) == (100, {0})


def test_render_workers_write_pngs_unfiltered() -> None:
    pool = RenderPool(1, 30)
    try:
        assert pool.call(Task(pngwrite.tuned, ()), heavy=False) >= 1  # its warm-up image
        image = decode(pool.call(Task(graph.draw, (IMAGE,)), heavy=False).body)
        assert set(image.filters) == {0}
    finally:
        pool.close()


def test_rrdtool_loaded_first_means_libpngs_defaults_and_the_same_pixels() -> None:
    code = (
        "import sys, rrdtool\n"
        "from graphmetrics.render import graph, pngwrite\n"
        "from tests.unit.test_render_pngwrite import IMAGE\n"
        "print(pngwrite.install(), pngwrite.tuned(), file=sys.stderr)\n"
        "sys.stdout.buffer.write(graph.draw(IMAGE).body)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, check=True)
    assert out.stderr.split()[-2:] == [b"False", b"0"]
    assert len(set(decode(out.stdout).filters)) > 1  # libpng's adaptive filters
    assert same_image(out.stdout, graph.draw(IMAGE).body)
