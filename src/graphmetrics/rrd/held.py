"""Samples held for files that may not be created yet, bounded, and how they are saved.

The creation limits (:mod:`graphmetrics.rrd.limits`) delay new files; they never drop
their samples.  :class:`Held` keeps them per file, in the order the files were first
refused (the oldest is created first), up to ``bound`` samples in all.  Past the
bound, what does not fit is dropped and counted (``refused_files``,
``refused_samples``): the one place a flood of invented names costs samples, and only
samples of files that do not exist yet.  Collectors save the held samples with their
progress (:meth:`dump`, :meth:`load`), so checkpoints may move past records whose
samples are only held: after a restart they are held again, and written once the
budget allows.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from graphmetrics.rrd.backend import Sample
from graphmetrics.rrd.schema import Archive, Schema

HELD_VERSION = 1


def schema_dump(schema: Schema) -> dict[str, Any]:
    return asdict(schema)


def schema_load(data: dict[str, Any]) -> Schema:
    return Schema(
        step=int(data["step"]),
        data_sources=tuple(data["data_sources"]),
        heartbeat=int(data["heartbeat"]),
        archives=tuple(Archive(int(a["steps"]), int(a["rows"])) for a in data["archives"]),
        minimum=None if data["minimum"] is None else float(data["minimum"]),
        xff=float(data["xff"]),
        consolidations=tuple(data["consolidations"]),
    )


class Held:
    """Per file (relative path), the schema and the samples waiting for its creation."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.files: dict[str, tuple[Schema, list[Sample]]] = {}
        self.samples = 0
        self.dropped_files = 0
        """Times samples of a file were dropped because the bound was reached."""
        self.dropped_samples = 0
        self.changed = False
        """Something was added or taken since :meth:`dump` (the saved copy is stale)."""

    def __bool__(self) -> bool:
        return bool(self.files)

    def __contains__(self, relative: str) -> bool:
        return relative in self.files

    def add(self, relative: str, schema: Schema, samples: list[Sample]) -> None:
        """Hold ``samples`` of ``relative`` (after those held already), as far as the
        bound allows; the rest is dropped and counted."""
        if not samples:
            return
        room = self.bound - self.samples
        if room < len(samples):
            self.dropped_files += 1
            self.dropped_samples += len(samples) - max(room, 0)
            samples = samples[: max(room, 0)]
            if not samples:
                return
        self.changed = True
        kept = self.files.get(relative)
        if kept is None:
            self.files[relative] = (schema, samples)
        else:
            kept[1].extend(samples)
        self.samples += len(samples)

    def take(self, relative: str) -> None:
        """Forget ``relative``'s samples (written, or kept elsewhere to retry)."""
        kept = self.files.pop(relative, None)
        if kept is not None:
            self.samples -= len(kept[1])
            self.changed = True

    def dump(self) -> dict[str, Any]:
        """JSON: schemas once each, then per file its schema's index and samples."""
        schemas: list[Schema] = []
        files = []
        for relative, (schema, samples) in self.files.items():
            if schema not in schemas:
                schemas.append(schema)
            files.append([relative, schemas.index(schema), [[int(t), list(v)] for t, v in samples]])
        self.changed = False
        return {
            "version": HELD_VERSION,
            "schemas": [schema_dump(s) for s in schemas],
            "files": files,
        }

    def load(self, data: dict[str, Any] | None) -> None:
        """Hold again what :meth:`dump` saved (raises ValueError, KeyError, TypeError)."""
        self.files.clear()
        self.samples = 0
        if not data:
            return
        if data.get("version") != HELD_VERSION:
            raise ValueError(f"unknown held samples version {data.get('version')!r}")
        schemas = [schema_load(s) for s in data["schemas"]]
        for relative, index, samples in data["files"]:
            rows: list[Sample] = [(int(t), tuple(v)) for t, v in samples]
            self.files[str(relative)] = (schemas[index], rows)
            self.samples += len(rows)
        self.changed = False


def load_held_file(held: Held, path: Path) -> None:
    """Hold again what :func:`save_held_file` saved in ``path`` (none: nothing).

    Raises :class:`HeldFileError` naming the file when it cannot be used.
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        raise HeldFileError(f"cannot read {path}: {exc}") from exc
    try:
        held.load(data)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise HeldFileError(f"{path}: unusable held samples ({exc})") from exc


def save_held_file(held: Held, path: Path) -> None:
    """Replace ``path`` with the held samples, atomically and durably, when they
    changed since the last save (a crash leaves the old or the new file)."""
    if not held.changed:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(held.dump(), separators=(",", ":")))  # the C encoder
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class HeldFileError(RuntimeError):
    """A saved file of held samples cannot be read; the message names it."""
