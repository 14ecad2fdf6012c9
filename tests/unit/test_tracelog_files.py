"""Reading whole lines of a log file: over-long lines are refused and skipped."""

from __future__ import annotations

from pathlib import Path

from graphmetrics.collect.files import READ_BYTES, FileState, LineReader, new_state, read_head

LIMIT = 64


def state_of(path: Path) -> FileState:
    return new_state(path, path.stat(), read_head(path))


def read_all(reader: LineReader, final: bool = False) -> list[str]:
    out: list[str] = []
    while lines := reader.read_lines(final=final, limit=LIMIT):
        out += lines
    return out


def test_a_line_longer_than_a_read_is_refused_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_bytes(b"one\n" + b"x" * 200 + b"\ntwo\n" + b"y" * LIMIT + b"\nthree\n")
    reader = LineReader(state_of(path), path)
    assert read_all(reader) == ["one", "two", "three"]
    assert reader.long_lines == 2
    assert reader.state.offset == path.stat().st_size


def test_a_long_line_spanning_two_reads_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_bytes(b"a" * 40 + b"\n" + b"b" * 70 + b"\nc\n")  # b's start in the first read
    reader = LineReader(state_of(path), path)
    assert read_all(reader) == ["a" * 40, "c"]
    assert reader.long_lines == 1


def test_a_long_line_still_being_written_is_skipped_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_bytes(b"one\n" + b"x" * 100)
    state = state_of(path)
    reader = LineReader(state, path)
    assert read_all(reader) == ["one"]
    assert reader.long_lines == 1 and state.skipping and state.offset == path.stat().st_size
    reader.close()
    with open(path, "ab") as f:
        f.write(b"x" * 10 + b"\ntwo\n")
    restored = FileState.load(state.dump())
    reader = LineReader(restored, path)
    assert read_all(reader) == ["two"]
    assert reader.long_lines == 0 and not restored.skipping


def test_short_lines_and_a_last_line_without_newline_when_final(tmp_path: Path) -> None:
    path = tmp_path / "t.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(30)) + b"tail")
    reader = LineReader(state_of(path), path)
    assert read_all(reader) == [f"line {i}" for i in range(30)]
    assert read_all(reader, final=True) == ["tail"]
    assert reader.long_lines == 0


def test_a_line_longer_than_one_read_but_under_the_limit_is_kept(tmp_path: Path) -> None:
    """Reads are READ_BYTES long; a line may span several of them up to CHUNK_BYTES."""
    long = "z" * (READ_BYTES * 2 + 17)
    path = tmp_path / "t.log"
    path.write_text(f"one\n{long}\ntwo\n{long}")
    reader = LineReader(state_of(path), path)
    got: list[str] = []
    while lines := reader.read_lines():
        got += lines
    assert got == ["one", long, "two"]
    assert reader.long_lines == 0
    assert reader.read_lines(final=True) == [long]
    assert reader.state.offset == path.stat().st_size
