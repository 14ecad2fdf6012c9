"""Series paths resolved inside the RRD directory, with directories remembered safely."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from graphmetrics.rrd.files import FileError, RRDFiles
from graphmetrics.web.errors import http_status


def touch(path: Path, data: bytes = b"rrd") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def resolve(files: RRDFiles, *rels: str) -> dict[str, str]:
    return files.resolve((rel, f"s{i}") for i, rel in enumerate(rels)).paths


def refused(files: RRDFiles, rel: str) -> FileError:
    with pytest.raises(FileError) as caught:
        resolve(files, rel)
    return caught.value


def test_paths_and_stamp(rrd_dir: Path) -> None:
    touch(rrd_dir / "tracelog" / "b.rrd", b"12345")
    touch(rrd_dir / "tracelog" / "a.rrd")
    found = RRDFiles(rrd_dir).resolve(
        [("tracelog/b", "x"), ("tracelog/a", "y"), ("tracelog/b", "z")]
    )
    real = os.path.realpath(rrd_dir)
    assert found.paths == {
        "tracelog/b": f"{real}/tracelog/b.rrd",
        "tracelog/a": f"{real}/tracelog/a.rrd",
    }
    assert [(rel, size) for rel, _, size in found.stamp] == [("tracelog/a", 3), ("tracelog/b", 5)]
    mtime = (rrd_dir / "tracelog" / "a.rrd").stat().st_mtime_ns
    assert found.stamp[0][1] == mtime


@pytest.mark.parametrize("rel", ["/etc/passwd", "a/../b", "a//b", "./a", "a/.", "a\x00b"])
def test_bad_paths_are_400(rrd_dir: Path, rel: str) -> None:
    assert http_status(refused(RRDFiles(rrd_dir), rel)) == 400


def test_missing_file_directory_and_rrd_dir_are_404(rrd_dir: Path, tmp_path: Path) -> None:
    touch(rrd_dir / "tracelog" / "a.rrd")
    files = RRDFiles(rrd_dir)
    assert http_status(refused(files, "tracelog/none")) == 404
    assert http_status(refused(files, "metrics/nodir/a")) == 404
    assert http_status(refused(files, "tracelog/a/deeper")) == 404
    (rrd_dir / "tracelog" / "d.rrd").mkdir()
    assert http_status(refused(files, "tracelog/d")) == 404
    assert http_status(refused(RRDFiles(tmp_path / "absent"), "tracelog/a")) == 404


def test_a_remembered_directory_swapped_for_a_symlink_out_is_refused(
    rrd_dir: Path, tmp_path: Path
) -> None:
    touch(rrd_dir / "metrics" / "host" / "m.rrd")
    touch(tmp_path / "outside" / "host" / "m.rrd")
    files = RRDFiles(rrd_dir)
    assert resolve(files, "metrics/host/m")
    shutil.rmtree(rrd_dir / "metrics")
    os.symlink(tmp_path / "outside", rrd_dir / "metrics")
    error = refused(files, "metrics/host/m")
    assert http_status(error) == 400 and "leaves the RRD directory" in str(error)


def test_a_remembered_directory_recreated_is_resolved_again(rrd_dir: Path) -> None:
    touch(rrd_dir / "tracelog" / "a.rrd")
    files = RRDFiles(rrd_dir)
    first = resolve(files, "tracelog/a")
    shutil.rmtree(rrd_dir / "tracelog")
    assert http_status(refused(files, "tracelog/a")) == 404
    touch(rrd_dir / "tracelog" / "a.rrd")
    assert resolve(files, "tracelog/a") == first


def test_symlinks_inside_are_followed_and_out_refused(rrd_dir: Path, tmp_path: Path) -> None:
    touch(rrd_dir / "store" / "a.rrd")
    touch(tmp_path / "outside.rrd")
    os.symlink(rrd_dir / "store", rrd_dir / "tracelog")
    os.symlink(rrd_dir / "store" / "a.rrd", rrd_dir / "store" / "b.rrd")
    os.symlink(tmp_path / "outside.rrd", rrd_dir / "store" / "c.rrd")
    files = RRDFiles(rrd_dir)
    real = os.path.realpath(rrd_dir)
    assert resolve(files, "tracelog/a", "tracelog/b") == {
        "tracelog/a": f"{real}/store/a.rrd",
        "tracelog/b": f"{real}/store/a.rrd",
    }
    assert http_status(refused(files, "tracelog/c")) == 400


def test_only_the_known_kinds_are_read(rrd_dir: Path) -> None:
    touch(rrd_dir / "store" / "a.rrd")
    touch(rrd_dir / "top.rrd")
    files = RRDFiles(rrd_dir)
    for rel in ("store/a", "top", "tracelogx/a"):
        error = refused(files, rel)
        assert http_status(
            error
        ) == 400 and "is not under carbon/, metrics/, pool/, tracelog/" in str(error)
    assert resolve(RRDFiles(rrd_dir, kinds=("store",)), "store/a")


def test_rrd_dir_symlink_retargeted(tmp_path: Path) -> None:
    touch(tmp_path / "one" / "tracelog" / "a.rrd")
    touch(tmp_path / "two" / "tracelog" / "a.rrd")
    link = tmp_path / "rrd"
    link.symlink_to(tmp_path / "one")
    files = RRDFiles(link)
    assert resolve(files, "tracelog/a")["tracelog/a"].endswith("/one/tracelog/a.rrd")
    link.unlink()
    link.symlink_to(tmp_path / "two")
    assert resolve(files, "tracelog/a")["tracelog/a"].endswith("/two/tracelog/a.rrd")
