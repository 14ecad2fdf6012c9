"""Per-shard Kinesis checkpoints: one small JSON file per shard, replaced atomically.

Layout: ``<checkpoint_dir>/<stream>/<shard id>.json`` holding
``{"shard_id": ..., "sequence_number": ..., "closed": ...}``.  ``sequence_number`` is
the last record whose samples are safely in the RRD files (the consumer saves only
after the write); ``closed`` marks a shard read to its end after a split or merge,
so its children may start and it is never read again.  Files are replaced with
:func:`~graphmetrics.collect.state.write_json_files_atomic` (temporary file, fsync,
rename, directory fsync), so a crash leaves either the old or the new checkpoint, never a torn
one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from graphmetrics.collect.state import write_json_files_atomic

#: Kinesis stream names and shard ids, which become file names here.
SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")


#: Beside the checkpoints: the creation budget's journal and the samples held for
#: files that may not be created yet (docs/storage.md, "New-file limits").
CREATIONS_FILE = "creations.log"
HELD_FILE = "held.state"


class CheckpointError(RuntimeError):
    """A checkpoint file cannot be read or written; the message names the file."""


@dataclass(frozen=True)
class Checkpoint:
    sequence_number: str | None
    closed: bool = False


def _safe(kind: str, name: str) -> str:
    if not SAFE_NAME.fullmatch(name) or name in (".", ".."):
        raise CheckpointError(f"{kind} {name!r} cannot be used as a file name")
    return name


class CheckpointStore:
    """Checkpoints of one stream below ``root``."""

    def __init__(self, root: Path, stream: str) -> None:
        self.directory = root / _safe("stream name", stream)

    def path(self, shard_id: str) -> Path:
        return self.directory / (_safe("shard id", shard_id) + ".json")

    def load_all(self) -> dict[str, Checkpoint]:
        """Every saved checkpoint by shard id (none when the directory does not exist)."""
        if not self.directory.is_dir():
            return {}
        return {path.stem: self._load(path) for path in sorted(self.directory.glob("*.json"))}

    def _load(self, path: Path) -> Checkpoint:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            sequence_number = data["sequence_number"]
            closed = data.get("closed", False)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(
                f"{path}: unreadable checkpoint ({exc}); remove the file to re-read the "
                "shard from its start (re-written samples are skipped, nothing is counted twice)"
            ) from exc
        if not (sequence_number is None or isinstance(sequence_number, str)) or not isinstance(
            closed, bool
        ):
            raise CheckpointError(f"{path}: unexpected checkpoint content {data!r}")
        return Checkpoint(sequence_number, closed)

    def save(self, shard_id: str, checkpoint: Checkpoint) -> None:
        """Replace the shard's checkpoint atomically and durably."""
        self.save_many({shard_id: checkpoint})

    def save_many(self, checkpoints: Mapping[str, Checkpoint]) -> None:
        """Replace several shards' checkpoints, each atomically, with one directory fsync."""
        files = {
            self.path(shard_id): {
                "shard_id": shard_id,
                "sequence_number": checkpoint.sequence_number,
                "closed": checkpoint.closed,
            }
            for shard_id, checkpoint in checkpoints.items()
        }
        try:
            write_json_files_atomic(files)
        except OSError as exc:
            where = ", ".join(str(path) for path in files)
            raise CheckpointError(f"{where}: cannot save checkpoint: {exc}") from exc

    def remove(self, shard_id: str) -> None:
        """Forget a shard that no longer exists (past the stream's retention)."""
        path = self.path(shard_id)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise CheckpointError(f"{path}: cannot remove checkpoint: {exc}") from exc
