"""Atomic JSON state files and the single-writer lock of a daemon."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` so a crash leaves the old or the new file, never half.

    On an error the temporary file is removed and the exception propagates.
    """
    write_json_files_atomic({path: data})


def write_json_files_atomic(files: Mapping[Path, Any]) -> None:
    """Replace several files, each as :func:`write_json_atomic` does: every file is
    written and fsynced to a temporary, then each is renamed into place, then each
    directory is fsynced once (not once per file).  A crash leaves every file old or
    new, never half; on an error the temporaries left are removed and it propagates.
    """
    tmps: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = tmps[path] = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                # dumps, not dump: only the one-shot form uses the C encoder (~10x faster)
                f.write(json.dumps(data, separators=(",", ":")))
                f.flush()
                os.fsync(f.fileno())
        for path in list(tmps):
            os.replace(tmps[path], path)
            del tmps[path]
    except BaseException:
        for tmp in tmps.values():
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        raise
    for directory in {path.parent for path in files}:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def read_json(path: Path) -> Any | None:
    """The JSON in ``path``, or None when there is no such file."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


class StateLockedError(RuntimeError):
    pass


def lock_state_dir(state_dir: Path, name: str) -> IO[str]:
    """Hold an exclusive lock so two daemons never share one state (and its RRDs)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / f"{name}.lock"
    f = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        f.close()
        raise StateLockedError(f"{path} is locked: another {name} daemon uses {state_dir}") from exc
    return f
