"""``graphmetrics-web import-original``: a Data.fs of the original into the saved pages."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from graphmetrics.cli.web import main
from graphmetrics.saved.services import SavedGraphService
from tests.webapp import INI


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def states(lines: list[str]) -> dict[str, str]:
    return {line.split("\t")[1].split(" -> ")[0]: line.split("\t")[0]
            for line in lines if " -> " in line}  # fmt: skip


def test_import_moves_every_page_and_reports_what_it_could_not(
    data_fs: Path, run_import: Any, service: SavedGraphService
) -> None:
    service.ensure_user("ann")  # signed in before the move: matched by the e-mail's local part
    before = digest(data_fs)
    lines = run_import(data_fs)
    assert digest(data_fs) == before and sorted(p.name for p in data_fs.parent.iterdir()) == [
        "Data.fs"
    ]
    assert states(lines) == {
        "jim@zope.com/default": "created",
        "jim@zope.com/capacity planning": "created",
        "ann@example.com/default": "created",
    }
    skipped = [line for line in lines if line.startswith("skipped")]
    assert any("jim@zope.com/default/1003: series '../../etc/passwd'" in s for s in skipped)
    assert any("ann@example.com/default/6:" in s and "SYSTEM" in s for s in skipped)
    assert any("bad user!/default/1: not a valid user name" in s for s in skipped)
    assert any("ann@example.com/default/7: not a chart" in s for s in skipped)
    assert any("ann@example.com/damaged: not a page" in s for s in skipped)
    assert len(skipped) == 5
    assert lines[-1].startswith("3 pages (3 written, 0 unchanged), 5 graphs, 5 skipped")

    service.session.expire_all()
    jim = service.page("jim@zope.com", "metrics", "default")
    assert jim is not None and [g.view for g in jim.graphs] == [
        {"trail": 6, "step": 300, "height": 350},
        {"trail": 12},
        {"start": "2014-12-13T15:00:00Z", "end": "2014-12-14T15:00:00Z"},
    ]
    first, second, third = (g.definition for g in jim.graphs)
    assert first["series"] == [
        {"name": "v0", "path": "tracelog/app1__acme__inst1", "ds": "rpm"},
        {"name": "v1", "path": "tracelog/app1__acme__inst1", "ds": "start"},
    ]
    assert [line["type"] for line in first["lines"]] == ["LINE", "TICK"]
    assert first["lines"][0]["width"] == 2 and first["title"] == "acme inst1"
    assert second["cdefs"] == [
        {"name": "v0", "aggregate": "AVERAGE", "of": ["v0_0", "v0_1"]},
        {"name": "v1", "aggregate": "TOTAL", "of": ["v1_0", "v1_1"]},
    ]
    assert second["lines"][0]["legend"] == "moyenne café" and second["lines"][1]["dash"] is True
    assert (second["logarithmic"], second["ymin"], second["ymax"]) == (True, 1.0, 10000.0)
    assert third["cdefs"] == [{"name": "v0", "rpn": "v0_0,v0_1,MAX"}]
    planning = service.pages("jim@zope.com", "metrics")[1]
    assert planning.name.startswith("capacity-planning-") and len(planning.graphs) == 1
    ann = service.page("ann", "metrics", "default")
    assert ann is not None and ann.graphs[0].definition["lines"][0]["legend"] == "été"
    assert service.user("ann@example.com") is None


def test_second_run_changes_nothing(
    data_fs: Path, run_import: Any, service: SavedGraphService
) -> None:
    run_import(data_fs)
    generations = {p.name: p.generation for p in service.pages("jim@zope.com", "metrics")}
    lines = run_import(data_fs)
    assert set(states(lines).values()) == {"unchanged"}
    service.session.expire_all()
    assert {p.name: p.generation for p in service.pages("jim@zope.com", "metrics")} == generations


def test_dry_run_writes_nothing(
    data_fs: Path, run_import: Any, app_settings: dict[str, Any]
) -> None:
    db_file = Path(app_settings["db_url"].removeprefix("sqlite:///"))
    lines = run_import(data_fs, "--dry-run")
    assert not db_file.exists()
    assert set(states(lines).values()) == {"would create"}
    run_import(data_fs)
    before = digest(db_file)
    lines = run_import(data_fs, "--dry-run")
    assert set(states(lines).values()) == {"unchanged"} and digest(db_file) == before


def test_a_page_changed_since_is_kept_unless_replace(
    data_fs: Path, run_import: Any, service: SavedGraphService
) -> None:
    run_import(data_fs)
    page = service.page("jim@zope.com", "metrics", "default")
    assert page is not None
    service.save_graphs(page, page.generation, [])
    service.clone_graph(service.pages("jim@zope.com", "metrics")[1].graphs[0], page)
    lines = run_import(data_fs)
    assert any("jim@zope.com/default: jim@zope.com already has a page" in line for line in lines)
    lines = run_import(data_fs, "--replace")
    assert states(lines)["jim@zope.com/default"] == "replaced"
    service.session.expire_all()
    assert len(service.page("jim@zope.com", "metrics", "default").graphs) == 3  # type: ignore[union-attr]


def test_not_a_zodb_is_a_clear_error(
    tmp_path: Path, app_settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("GRAPHMETRICS_DB_URL", app_settings["db_url"])
    bogus = tmp_path / "Data.fs"
    bogus.write_bytes(b"not a database")
    assert main(["import-original", "--zodb", str(bogus), "--config", str(INI)]) == 1
    assert "not a readable ZODB FileStorage" in capsys.readouterr().err
