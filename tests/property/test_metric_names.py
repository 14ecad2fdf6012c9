"""Property: a metric name never leads to a file outside ``<rrd_dir>/metrics/``.

Checked on a real RRD directory whose ``metrics/`` holds symlinks leading out of it
(to the tracelog directory, outside the RRD directory, to ``/``, in a loop, a
symlinked file) and one leading to a directory inside it, with the RRD directory
given by its real path and through a symlink.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from graphmetrics.metrics.batch import PathCache
from graphmetrics.rrd.layout import BadMetricName, metric_path
from graphmetrics.rrd.store import RRDStore

SEGMENTS = [
    "h",
    "linkdir",  # metrics/h/linkdir -> a directory outside the RRD directory
    "up",  # metrics/up -> the RRD directory's tracelog/
    "root",  # metrics/root -> /
    "loop",  # metrics/loop -> metrics/loop
    "inside",  # metrics/inside -> metrics/real: stays in metrics/, allowed
    "real",
    "secret",  # metrics/h/secret.rrd -> a file outside
    "etc",
    "passwd",
    "..",
    ".",
    "",
    "x:y",
    ":",
    "a#b",
]
SEGMENT = st.sampled_from(SEGMENTS) | st.text(max_size=6)
NAMES = st.builds(
    lambda lead, parts, seps: lead + "".join(s + p for s, p in zip(seps, parts, strict=False))[1:],
    st.sampled_from(["//", "", "/", "///"]),
    st.lists(SEGMENT, min_size=1, max_size=6),
    st.lists(st.sampled_from(["/", "/", "#", "//"]), min_size=6, max_size=6),
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the RRD directory, a symlink to it) with symlinks below ``metrics/``."""
    base = tmp_path_factory.mktemp("names")
    rrd = base / "rrd"
    metrics = rrd / "metrics"
    (metrics / "h").mkdir(parents=True)
    (metrics / "real").mkdir()
    (rrd / "tracelog").mkdir()
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.rrd").write_bytes(b"not yours")
    (metrics / "h" / "linkdir").symlink_to(outside)
    (metrics / "up").symlink_to(rrd / "tracelog")
    (metrics / "root").symlink_to("/")
    (metrics / "loop").symlink_to(metrics / "loop")
    (metrics / "inside").symlink_to("real")
    (metrics / "h" / "secret.rrd").symlink_to(outside / "secret.rrd")
    link = base / "rrd-link"
    link.symlink_to(rrd)
    return rrd, link


def inside(path: str, directory: Path) -> bool:
    real = os.path.realpath(directory)
    return os.path.realpath(path).startswith(real + os.sep)


@given(NAMES | st.text())
@example("//h/linkdir#secret")
@example("//up#x")
@example("//h#secret")
def test_a_valid_name_maps_to_a_path_below_metrics(name: str) -> None:
    try:
        path = metric_path(name)
    except BadMetricName:
        return
    segments = path.split("/")
    assert all(s not in ("", ".", "..") and "\x00" not in s for s in segments)
    assert os.path.normpath(path) == path and not os.path.isabs(path)


@given(name=NAMES)
@example(name="//h/linkdir#secret")
@example(name="//up#x")
@example(name="//root/etc#passwd")
@example(name="//loop#x")
@example(name="//h#secret")
@example(name="//inside#x")
@pytest.mark.parametrize("through_link", [False, True])
def test_store_paths_never_leave_metrics(
    tree: tuple[Path, Path], through_link: bool, name: str
) -> None:
    rrd_dir = tree[through_link]
    cache = PathCache(RRDStore(rrd_dir))
    verdict = cache.verdict(name)
    if isinstance(verdict, BadMetricName):
        return
    assert verdict.startswith("metrics/")
    assert inside(str(rrd_dir / f"{verdict}.rrd"), rrd_dir / "metrics")
    assert inside(str(cache.store.path_for(verdict)), rrd_dir / "metrics")
