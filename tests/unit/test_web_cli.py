"""``graphmetrics-web``: the listen address and the paste server options."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphmetrics.cli.web import listen_address, main, server_options
from tests.conftest import REPO


def test_listen_address_overrides() -> None:
    assert listen_address({}, None, None) == "127.0.0.1:6543"
    assert listen_address({"listen": "0.0.0.0:8080"}, None, 9000) == "0.0.0.0:9000"
    assert listen_address({"host": "::1", "port": "81"}, "127.0.0.2", None) == "127.0.0.2:81"


def test_server_options_of_development_ini() -> None:
    options = server_options(REPO / "etc" / "development.ini")
    assert options["listen"] == "127.0.0.1:6543"
    assert "use" not in options


def test_missing_config_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--config", str(tmp_path / "nope.ini")])
    assert info.value.code == 2
    assert "config file not found" in capsys.readouterr().err


def test_ini_files_share_a_layout() -> None:
    import configparser

    for name in ("development.ini", "production.ini", "testing.ini"):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(REPO / "etc" / name)
        assert {"app:main", "server:main", "graphmetrics", "loggers"} <= set(parser.sections()), (
            name
        )
    production = configparser.ConfigParser(interpolation=None)
    production.read(REPO / "etc" / "production.ini")
    assert production["app:main"]["dev_login"] == "false"
    assert production["graphmetrics"]["dev_login"] == "false"


def test_production_ini_documents_usable_oidc_settings() -> None:
    """Uncommenting production.ini's OIDC placeholders gives settings the app accepts."""
    from graphmetrics import settings
    from graphmetrics.web.config import WebSettings

    lines = (REPO / "etc" / "production.ini").read_text().splitlines()
    values = dict(
        line.removeprefix("# ").split(" = ", 1) for line in lines if line.startswith("# oidc_")
    )
    assert {"oidc_issuer", "oidc_client_id", "oidc_redirect_url", "oidc_user_claim"} <= set(values)
    web = settings.from_mapping(WebSettings, {"rrd_dir": "/tmp", **values}, environ={})
    assert web.oidc_issuer == "https://sso.example.com/realms/example"
    assert web.oidc_user_claim == "preferred_username"
    assert web.oidc_allowed_domains == ("example.com",)
    from graphmetrics.web.oidc.allow import check_settings

    check_settings(web)  # an allow-list is there: the app starts


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("render_cache_entries", "-1"),
        ("series_check_interval", "-2"),
        ("series_check_interval", "nan"),
    ],
)
def test_cache_and_index_settings_are_checked(key: str, value: str) -> None:
    from graphmetrics import settings
    from graphmetrics.web.config import WebSettings

    web = settings.from_mapping(
        WebSettings, {"rrd_dir": "/tmp", "render_cache_entries": "0"}, environ={}
    )
    assert (web.render_cache_entries, web.series_check_interval) == (0, 5.0)
    with pytest.raises(settings.SettingsError, match=key):
        settings.from_mapping(WebSettings, {"rrd_dir": "/tmp", key: value}, environ={})
