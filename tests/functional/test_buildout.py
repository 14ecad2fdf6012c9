"""buildout.cfg keeps working for sites that deploy graphmetrics with zc.buildout."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO

#: eggs are kept between runs (the first run downloads and builds them)
EGGS = REPO / ".venv" / "buildout-eggs"


def test_buildout_builds_working_scripts(tmp_path: Path) -> None:
    work = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("*.so", "__pycache__", "*.egg-info", "build")
    shutil.copytree(REPO / "src", work / "src", ignore=ignore)
    for name in ("setup.py", "pyproject.toml", "README.md", "buildout.cfg"):
        shutil.copy(REPO / name, work / name)
    buildout = REPO / ".venv" / "bin" / "buildout"
    result = subprocess.run(
        [str(buildout), f"buildout:eggs-directory={EGGS}"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for script in (
        "graphmetrics-tracelog",
        "graphmetrics-kinesis",
        "graphmetrics-web",
        "pserve",
        "supervisord",
    ):
        assert (work / "bin" / script).exists(), script

    logs, rrds = tmp_path / "logs", tmp_path / "rrd"
    logs.mkdir()
    (logs / "t.log").write_text(
        "a b c : I 1 2024-05-01 10:00:01 0\na b c : C 1 2024-05-01 10:00:01\n"
        "a b c : A 1 2024-05-01 10:00:02 200 1\na b c : B 2 2024-05-01 10:01:00 GET /\n"
    )
    run = subprocess.run(
        [
            str(work / "bin" / "graphmetrics-tracelog"),
            "--once",
            "--log-dir",
            str(logs),
            "--rrd-dir",
            str(rrds),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert (rrds / "tracelog" / "a__b__c.rrd").exists()
