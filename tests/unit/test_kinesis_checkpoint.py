"""Per-shard checkpoint files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphmetrics.collect.checkpoint import Checkpoint, CheckpointError, CheckpointStore


def test_round_trip_and_layout(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "metrics-stream")
    assert store.load_all() == {}
    store.save("shardId-000000000000", Checkpoint("4968", closed=False))
    store.save("shardId-000000000001", Checkpoint(None))
    store.save("shardId-000000000000", Checkpoint("4969", closed=True))
    path = tmp_path / "metrics-stream" / "shardId-000000000000.json"
    assert json.loads(path.read_text()) == {
        "shard_id": "shardId-000000000000",
        "sequence_number": "4969",
        "closed": True,
    }
    assert CheckpointStore(tmp_path, "metrics-stream").load_all() == {
        "shardId-000000000000": Checkpoint("4969", True),
        "shardId-000000000001": Checkpoint(None, False),
    }
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "shardId-000000000000.json",
        "shardId-000000000001.json",
    ]


def test_unreadable_checkpoint_names_the_file(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "s")
    store.save("shardId-1", Checkpoint("1"))
    store.path("shardId-1").write_text("{trunc")
    with pytest.raises(CheckpointError, match=r"shardId-1\.json: unreadable checkpoint"):
        store.load_all()


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", "", "x\x00"])
def test_unsafe_names_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(CheckpointError):
        CheckpointStore(tmp_path, bad)
    with pytest.raises(CheckpointError):
        CheckpointStore(tmp_path, "s").path(bad)


def test_save_failure_is_reported_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "s").write_text("a file where the directory should be")
    with pytest.raises(CheckpointError, match="cannot save checkpoint"):
        CheckpointStore(tmp_path, "s").save("shardId-1", Checkpoint("1"))
    assert [p.name for p in tmp_path.iterdir()] == ["s"]


def test_failed_replace_leaves_the_old_state_and_no_temporary_file(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "s")
    store.path("shardId-1").mkdir(parents=True)  # rename over a directory fails
    with pytest.raises(CheckpointError, match=r"shardId-1\.json: cannot save checkpoint"):
        store.save("shardId-1", Checkpoint("1"))
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["shardId-1.json"]


def test_save_many_writes_each_file_whole(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "s")
    store.save("shardId-1", Checkpoint("1"))
    store.save_many({"shardId-1": Checkpoint("2"), "shardId-2": Checkpoint("7", closed=True)})
    assert store.load_all() == {"shardId-1": Checkpoint("2"), "shardId-2": Checkpoint("7", True)}
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "shardId-1.json",
        "shardId-2.json",
    ]


def test_save_many_failing_on_one_file_leaves_each_old_or_new(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path, "s")
    store.save_many({"shardId-1": Checkpoint("1"), "shardId-3": Checkpoint("3")})
    store.path("shardId-2").mkdir()  # its rename fails after shardId-1's succeeded
    with pytest.raises(CheckpointError, match="cannot save checkpoint"):
        store.save_many(
            {
                "shardId-1": Checkpoint("11"),
                "shardId-2": Checkpoint("2"),
                "shardId-3": Checkpoint("33"),
            }
        )
    assert CheckpointStore(tmp_path, "s")._load(store.path("shardId-1")) == Checkpoint("11")
    assert CheckpointStore(tmp_path, "s")._load(store.path("shardId-3")) == Checkpoint("3")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "shardId-1.json",
        "shardId-2.json",
        "shardId-3.json",
    ]
