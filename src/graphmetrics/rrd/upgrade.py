"""Existing RRD files gain the data sources a schema added, in place (``rrdtool tune``).

A tracelog file written before the response times (or by the original, whose schema
had ``rpm epm bl spr start`` alone) keeps every archive and its history; the new data
sources start unknown.  The collector runs :func:`upgrade_dir` at start; a marker
in its state directory records that the whole folder has the schema, so later starts
skip the scan.  ``python -m graphmetrics.rrd.upgrade RRD_DIR`` does the same by hand
(on a storage node, where the collector cannot tune files over TCP).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import rrdtool

from graphmetrics.rrd.schema import TRACELOG, Schema

log = logging.getLogger(__name__)


def missing_sources(path: Path, schema: Schema, daemon: str | None = None) -> list[str]:
    """The data sources of ``schema`` that ``path`` lacks; [] when it has them all or is
    not a file of that schema's family (another step, a DS the schema does not know)."""
    args = ["--daemon", daemon] if daemon else []
    info = rrdtool.info(str(path), *args)
    names = {k[3:-6] for k in info if k.startswith("ds[") and k.endswith("].type")}
    if info.get("step") != schema.step or not names <= set(schema.data_sources):
        return []
    return [ds for ds in schema.data_sources if ds not in names]


def upgrade_file(path: Path, schema: Schema, daemon: str | None = None) -> list[str]:
    """Add what ``path`` lacks of ``schema``; returns the data sources added."""
    missing = missing_sources(path, schema, daemon)
    if missing:
        if daemon:
            rrdtool.flushcached("--daemon", daemon, str(path))
        rrdtool.tune(
            str(path),
            *[f"DS:{ds}:GAUGE:{schema.heartbeat}:{schema.minimum!r}:U" for ds in missing],
        )
    return missing


def upgrade_dir(
    folder: Path, schema: Schema, marker: Path | None = None, daemon: str | None = None
) -> int:
    """Upgrade every ``*.rrd`` under ``folder``; returns how many files changed.

    With ``marker``, a file naming the schema's data sources: when it already says
    this schema, nothing is scanned; it is written once every file has them.  A file
    that cannot be read or tuned is logged and left (the store then counts its
    minutes in ``failed_files``), and the marker is not written.
    """
    wanted = " ".join(schema.data_sources)
    if marker is not None and marker.is_file() and marker.read_text().strip() == wanted:
        return 0
    changed = 0
    failed = 0
    for path in sorted(folder.rglob("*.rrd")) if folder.is_dir() else []:
        try:
            added = upgrade_file(path, schema, daemon)
        except rrdtool.OperationalError as exc:
            failed += 1
            log.error("cannot add the new data sources to %s: %s", path, exc)
            continue
        if added:
            changed += 1
    if changed:
        log.info("%d files under %s gained data sources of %s", changed, folder, wanted)
    if marker is not None and not failed:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(wanted + "\n")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m graphmetrics.rrd.upgrade",
        description="Add the tracelog schema's new data sources to existing files, in place.",
    )
    parser.add_argument("rrd_dir", type=Path, help="the RRD directory (its tracelog/ folder)")
    parser.add_argument("--rrdcached", help="flush through this rrdcached first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    changed = upgrade_dir(args.rrd_dir / "tracelog", TRACELOG, daemon=args.rrdcached)
    print(f"{changed} files upgraded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
