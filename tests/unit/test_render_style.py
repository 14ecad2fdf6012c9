"""render.style: which zones need a TZ change (a render worker) and which do not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graphmetrics.render import style
from graphmetrics.render.graph import Graph, RenderRequest, Series, is_light


@pytest.fixture
def started_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    style._own_zone.cache_clear()
    yield
    monkeypatch.undo()
    style._own_zone.cache_clear()


def request(tz: str, fmt: str = "png") -> RenderRequest:
    graph = Graph((Series("a", "tracelog/h__c__i", "rpm"),))
    return RenderRequest(graph, 1_700_000_000, 1_700_003_600, format=fmt, tz=tz)


def test_the_process_zone_is_drawn_in_the_web_process(
    started_in: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(style, "_STARTED_IN", "Europe/Paris")
    assert style.is_own_zone("Europe/Paris") and not style.is_own_zone("UTC")
    assert is_light(request("Europe/Paris")) and is_light(request(""))
    assert not is_light(request("America/New_York"))
    # CSV times are written by zoneinfo, never through TZ: any zone is light
    assert is_light(request("America/New_York", "csv"))


def test_utc_under_any_of_its_names(started_in: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(style, "_STARTED_IN", "")
    assert style.is_own_zone("UTC") and style.is_own_zone("Etc/UTC")
    assert not style.is_own_zone("Asia/Tokyo") and not style.is_own_zone("")


def test_zone_names_and_iso_times() -> None:
    assert style.zone_error("America/New_York") is None
    assert "unknown time zone" in (style.zone_error("../etc/passwd") or "")
    assert style.iso_time(1_700_000_000) == "2023-11-14T22:13:20Z"
    assert style.iso_time(1_700_000_000, "Asia/Kolkata") == "2023-11-15T03:43:20+05:30"
