"""Import the original's saved charts into the saved-graph store, page by page.

Everything goes through :class:`~graphmetrics.saved.services.SavedGraphService`, so
names, quotas and sizes are checked as for a page saved in the browser.  A page is
written only when it is new, empty, or (with ``replace``) holds other graphs; a page
already holding exactly the imported graphs is left alone, so a second run changes
nothing.  A dry run only reads.  What cannot be moved is reported with the user,
page and chart (imgid) and the reason; what was adjusted on the way is a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from graphmetrics.cutover import chart, names
from graphmetrics.cutover.zodb import Chart
from graphmetrics.saved.models import Page
from graphmetrics.saved.services import (
    DEFAULT_PAGE,
    MAX_GRAPHS,
    GraphInput,
    InvalidInput,
    SavedGraphService,
    parse_graph,
)

SECTION = "metrics"


@dataclass(frozen=True)
class Problem:
    user: str
    page: str
    graph: str  # the original's imgid, "" for the whole page
    reason: str

    def __str__(self) -> str:
        where = "/".join(p for p in (self.user, self.page, self.graph) if p)
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class PageResult:
    user: str
    page: str
    account: str
    name: str
    graphs: int
    state: str  # created, filled, replaced, unchanged (with "would " on a dry run)


@dataclass
class Report:
    pages: list[PageResult] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        for p in self.pages:
            yield (
                f"{p.state}\t{p.user}/{p.page} -> {p.account}/{p.name} "
                f"({SECTION}): {p.graphs} graphs"
            )
        for problem in self.skipped:
            yield f"skipped\t{problem}"
        for problem in self.notes:
            yield f"note\t{problem}"
        written = sum(1 for p in self.pages if p.state != "unchanged")
        verb = "to write" if any(p.state.startswith("would") for p in self.pages) else "written"
        yield (
            f"{len(self.pages)} pages ({written} {verb}, {len(self.pages) - written} "
            f"unchanged), {sum(p.graphs for p in self.pages)} graphs, "
            f"{len(self.skipped)} skipped, {len(self.notes)} notes"
        )


def _graph_inputs(charts: list[Chart], report: Report, rrd_dir: Path | None) -> list[GraphInput]:
    graphs: list[GraphInput] = []
    for item in charts:
        where = (item.user, item.page, item.imgid)
        if item.error:
            report.skipped.append(Problem(*where, item.error))
            continue
        try:
            converted = chart.convert(item.params)
        except chart.Unmappable as exc:
            report.skipped.append(Problem(*where, str(exc)))
            continue
        if len(graphs) >= MAX_GRAPHS:
            report.skipped.append(Problem(*where, f"the page already has {MAX_GRAPHS} graphs"))
            continue
        try:
            checked = parse_graph({"definition": converted.definition, "view": converted.view})
        except InvalidInput as exc:
            report.skipped.append(Problem(*where, str(exc)))
            continue
        report.notes += [Problem(*where, note) for note in converted.notes]
        if rrd_dir is not None:
            for s in converted.definition["series"]:
                if not (rrd_dir / f"{s['path']}.rrd").is_file():
                    report.notes.append(Problem(*where, f"no RRD file {s['path']} in {rrd_dir}"))
        graphs.append(checked)
    return graphs


def _stored(page: Page) -> list[tuple[Any, Any]]:
    return [(g.definition, g.view or {}) for g in page.graphs]


def _write(
    service: SavedGraphService, account: str, name: str, graphs: list[GraphInput], replace: bool
) -> str:
    page = service.page(account, SECTION, name)
    state = "created"
    if page is None:
        if name == DEFAULT_PAGE:
            page = service.ensure_default_page(account, SECTION)
        else:
            page = service.create_page(account, SECTION, name)
    elif _stored(page) == [(g.definition, g.view) for g in graphs]:
        return "unchanged"
    elif page.graphs and not replace:
        raise InvalidInput(
            f"{account} already has a page {name!r} with other graphs (--replace overwrites it)"
        )
    else:
        state = "replaced" if page.graphs else "filled"
    service.save_graphs(page, page.generation, graphs)
    return state


def _plan(service: SavedGraphService | None, account: str, name: str, graphs: list[GraphInput],
          replace: bool) -> str:  # fmt: skip
    page = service.page(account, SECTION, name) if service else None
    if page is None:
        return "would create"
    if _stored(page) == [(g.definition, g.view) for g in graphs]:
        return "unchanged"
    if page.graphs and not replace:
        raise InvalidInput(
            f"{account} already has a page {name!r} with other graphs (--replace overwrites it)"
        )
    return "would replace" if page.graphs else "would fill"


def run(
    service: SavedGraphService | None,
    charts: Iterable[Chart],
    *,
    dry_run: bool = False,
    replace: bool = False,
    rrd_dir: Path | None = None,
) -> Report:
    """Import ``charts`` (grouped by user and page, as :func:`zodb.charts` gives them).

    ``service`` None on a dry run means the database does not exist yet: every page
    would be created.
    """
    report = Report()
    accounts = [name for name, _count in service.users()] if service else []
    for (user, page_name), group in groupby(charts, key=lambda c: (c.user, c.page)):
        account = names.match_account(user, accounts)
        items = list(group)
        if account is None:
            reason = "not a valid user name here (letters, digits, '_', '.', '@', '-')"
            report.skipped += [Problem(user, page_name, c.imgid, reason) for c in items]
            continue
        name = names.page_name(page_name)
        if name != page_name:
            report.notes.append(Problem(user, page_name, "", f"page renamed {name!r}"))
        skipped = len(report.skipped)
        graphs = _graph_inputs(items, report, rrd_dir)
        if not graphs:
            if len(report.skipped) == skipped:
                report.skipped.append(Problem(user, page_name, "", "no graph to import"))
            continue
        try:
            if dry_run or service is None:
                state = _plan(service, account, name, graphs, replace)
            else:
                state = _write(service, account, name, graphs, replace)
        except InvalidInput as exc:
            report.skipped.append(Problem(user, page_name, "", str(exc)))
            continue
        if account not in accounts:
            accounts.append(account)
        report.pages.append(PageResult(user, page_name, account, name, len(graphs), state))
    return report
