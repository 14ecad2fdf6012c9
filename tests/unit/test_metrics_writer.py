"""The Kinesis collector's writers: in this process, or in a child process of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import rrdtool

from graphmetrics.metrics.writer import InlineWriter, ProcessWriter, Writer, WriterFailed
from graphmetrics.rrd.store import RRDStore
from graphmetrics.rrd.writer import WriteResult
from tests.disk import locked_by_another_process

T0 = 1_700_000_100


def last(path: Path) -> tuple[int, float | None]:
    info = rrdtool.lastupdate(str(path))
    return int(info["date"].timestamp()), info["ds"]["data"]


@pytest.fixture(params=["inline", "process"])
def writer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Writer]:
    made: Writer
    if request.param == "inline":
        made = InlineWriter(RRDStore(tmp_path))
    else:
        made = ProcessWriter(tmp_path)
    yield made
    made.close()


def write(writer: Writer, samples: dict[str, list[tuple[int, tuple[float]]]]) -> WriteResult:
    writer.start(samples)
    return writer.wait()


def test_both_writers_create_write_and_skip_old_samples(writer: Writer, tmp_path: Path) -> None:
    first = write(writer, {"metrics/a/x": [(T0, (1.0,)), (T0 + 300, (2.0,))], "metrics/b": []})
    assert (first.written, first.skipped_old, first.failed_files, first.retry) == (2, 0, 0, {})
    again = write(writer, {"metrics/a/x": [(T0 + 300, (9.0,)), (T0 + 600, (3.5,))]})
    assert (again.written, again.skipped_old) == (1, 1)
    assert last(tmp_path / "metrics/a/x.rrd") == (T0 + 600, 3.5)


def test_an_unusable_file_is_dropped_and_the_others_written(writer: Writer, tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/bad.rrd").write_text("not an RRD file")
    result = write(writer, {"metrics/bad": [(T0, (1.0,))], "metrics/good": [(T0, (2.0,))]})
    assert (result.written, result.failed_files, result.retry) == (1, 1, {})
    assert last(tmp_path / "metrics/good.rrd") == (T0, 2.0)


def test_the_writer_process_logs_to_the_same_stderr(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/bad.rrd").write_text("not an RRD file")
    writer = ProcessWriter(tmp_path)
    try:
        assert write(writer, {"metrics/bad": [(T0, (1.0,))]}).failed_files == 1
    finally:
        writer.close()
    assert "dropping 1 samples of metrics/bad" in capfd.readouterr().err


def test_a_locked_file_comes_back_to_be_retried(writer: Writer, tmp_path: Path) -> None:
    write(writer, {"metrics/a": [(T0, (1.0,))]})
    with locked_by_another_process(tmp_path / "metrics/a.rrd"):
        result = write(writer, {"metrics/a": [(T0 + 300, (2.0,))], "metrics/b": [(T0, (5.0,))]})
    assert result.written == 1
    assert result.retry == {"metrics/a": [(T0 + 300, (2.0,))]}
    assert "could not lock" in result.error
    assert write(writer, result.retry).written == 1
    assert last(tmp_path / "metrics/a.rrd") == (T0 + 300, 2.0)


def test_what_failed_for_now_is_kept_and_written_first_by_the_next_round(
    writer: Writer, tmp_path: Path
) -> None:
    write(writer, {"metrics/a": [(T0, (1.0,))]})
    with locked_by_another_process(tmp_path / "metrics/a.rrd"):
        kept = write(writer, {"metrics/a": [(T0 + 300, (2.0,))]})
        assert (kept.written, kept.write_retries, list(kept.retry)) == (0, 0, ["metrics/a"])
        still = write(writer, {})  # a round of nothing new retries what was kept
        assert (still.written, still.write_retries, list(still.retry)) == (0, 1, ["metrics/a"])
    done = write(writer, {"metrics/b": [(T0, (5.0,))]})
    assert (done.written, done.write_retries, done.retry, done.error) == (2, 1, {}, "")
    assert last(tmp_path / "metrics/a.rrd") == (T0 + 300, 2.0)


def test_one_write_in_flight_at_a_time(writer: Writer) -> None:
    with pytest.raises(RuntimeError, match="no write in flight"):
        writer.wait()
    writer.start({"metrics/a": [(T0, (1.0,))]})
    with pytest.raises(RuntimeError, match="already in flight"):
        writer.start({"metrics/a": [(T0 + 300, (1.0,))]})
    assert writer.wait().written == 1


def test_the_writer_process_ignores_stop_signals_and_exits_on_close(tmp_path: Path) -> None:
    writer = ProcessWriter(tmp_path)
    assert writer.pid is not None
    write(writer, {"metrics/a": [(T0, (1.0,))]})  # the child is up and serving
    os.kill(writer.pid, signal.SIGINT)
    os.kill(writer.pid, signal.SIGTERM)
    assert write(writer, {"metrics/a": [(T0 + 300, (2.0,))]}).written == 1
    writer.close()
    assert writer._process.exitcode == 0


def test_a_dead_writer_process_is_an_error_not_a_silent_loss(tmp_path: Path) -> None:
    writer = ProcessWriter(tmp_path)
    assert writer.pid is not None
    writer.start({"metrics/a": [(T0, (1.0,))]})
    writer.wait()
    os.kill(writer.pid, signal.SIGKILL)
    writer._process.join(10)
    with pytest.raises(WriterFailed, match="died|gone"):
        writer.start({"metrics/a": [(T0 + 300, (2.0,))]})
        writer.wait()
    writer.close()


def test_an_unexpected_error_in_the_child_comes_back_to_the_parent(tmp_path: Path) -> None:
    writer = ProcessWriter(tmp_path)
    try:
        writer.start({"metrics/a": [(None, (1.0,))]})  # type: ignore[dict-item]
        with pytest.raises(WriterFailed, match="failed: Traceback"):
            writer.wait()
        assert write(writer, {"metrics/a": [(T0, (1.0,))]}).written == 1  # still serving
    finally:
        writer.close()


def test_the_writer_process_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from graphmetrics.metrics.writer import ProcessWriter\n"
        "if __name__ == '__main__':\n"
        "    w = ProcessWriter(Path(sys.argv[1]))\n"
        "    print(w.pid, flush=True)\n"
        "    sys.stdin.read()\n"
    )
    script = tmp_path / "parent.py"
    script.write_text(code)
    parent = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        # reap it if it became our zombie (it is the parent's child, so normally init's)
        time.sleep(0.05)
    pytest.fail(f"writer process {child} outlived its parent")
