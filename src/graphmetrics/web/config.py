"""The web app's typed settings, read from its ini file and GRAPHMETRICS_* variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from graphmetrics.settings import (
    REQUIRED,
    SettingsError,
    non_negative_float,
    non_negative_int,
    option,
    parse_bool,
    parse_optional_str,
    parse_path,
    positive_float,
    positive_int,
)
from graphmetrics.web.readonly import ReadOnlyRoot, parse_readonly_roots

MIN_RENDER_WORKERS = 2


def render_worker_count(configured: int, cores: int | None) -> int:
    """``render_workers``, where 0 means one per core (at least 2)."""
    return configured or max(cores or 1, MIN_RENDER_WORKERS)


# src/graphmetrics/web/config.py -> the repository (or source tree) root
SOURCE_ROOT = Path(__file__).resolve().parents[3]


def parse_optional_url(text: str) -> str | None:
    """An http(s) URL, or None for an empty value."""
    value = text.strip()
    if not value:
        return None
    if not value.startswith(("https://", "http://")) or len(value.split("/", 3)[2]) == 0:
        raise ValueError(f"not an http(s) URL: {text!r}")
    return value


def parse_list(text: str) -> tuple[str, ...]:
    """Comma- or space-separated values (``a.com, b.com``); empty gives ()."""
    return tuple(v for v in text.replace(",", " ").split() if v)


READERS = ("local", "rrdcached")


def parse_reader(text: str) -> str:
    """Where RRD data is read: ``local`` files or an ``rrdcached`` storage node."""
    value = text.strip().lower()
    if value not in READERS:
        raise ValueError(f"must be one of {', '.join(READERS)}, got {text!r}")
    return value


@dataclass(frozen=True)
class WebSettings:
    rrd_dir: Path = option(
        REQUIRED, "directory holding tracelog/ and metrics/ RRD files", parse=parse_path
    )
    db_url: str = option(
        "sqlite:///var/graphmetrics.sqlite", "SQLAlchemy URL of the saved-graph database"
    )
    db_pool_size: int = option(
        5,
        "database connections each process keeps open (PostgreSQL; give pool_size plus "
        "db_max_overflow at least waitress's threads)",
        parse=positive_int,
    )
    db_max_overflow: int = option(
        10,
        "connections opened beyond db_pool_size under load, closed after",
        parse=non_negative_int,
    )
    db_pool_timeout: float = option(
        30.0, "seconds a request waits for a free database connection", parse=positive_float
    )
    web_processes: int = option(
        1,
        "how many web processes serve the same users (behind a load balancer); more than "
        "one needs an explicit auth_secret, the same in every process, and a shared database",
        parse=positive_int,
    )
    rrdcached: str | None = option(
        None,
        "rrdcached address: flushed before reading (reader = local), or the storage node "
        "every read goes to (reader = rrdcached)",
        parse=parse_optional_str,
    )
    reader: str = option(
        "local",
        "where RRD data is read: local (files under rrd_dir) or rrdcached (the storage "
        "node at the rrdcached address, relative paths, no local disk)",
        parse=parse_reader,
    )
    dev_login: bool = option(
        False, "allow /login?user=NAME without an identity provider", parse=parse_bool
    )
    auth_secret: str | None = option(
        None,
        "secret signing the login cookie (a random one per process when unset: "
        "everyone is signed out on restart); required with web_processes > 1 or a "
        "database other than SQLite",
        parse=parse_optional_str,
    )
    cookie_secure: bool = option(False, "send the login cookie over HTTPS only", parse=parse_bool)
    auth_timeout: float = option(
        86400.0,
        "seconds a sign-in lasts without being used; the server refuses older tickets",
        parse=positive_float,
    )
    auth_reissue_time: float = option(
        600.0,
        "seconds after which a ticket in use is replaced by a fresh one (less than auth_timeout)",
        parse=positive_float,
    )
    auth_recheck: float = option(
        10.0,
        "seconds a user's sign-out state is remembered: a sign-out from elsewhere "
        "(graphmetrics-web signout) takes effect within this time; 0 checks every request",
        parse=non_negative_float,
    )
    max_pages_per_user: int = option(
        200, "pages one user may have (both sections together)", parse=positive_int
    )
    max_page_bytes: int = option(
        256_000, "bytes of graph definitions and views one saved page may hold", parse=positive_int
    )
    static_dir: Path = option(
        SOURCE_ROOT / "static", "folder of the CSS/JS files", parse=parse_path
    )
    templates_dir: Path = option(
        SOURCE_ROOT / "templates", "folder of the Jinja2 templates", parse=parse_path
    )
    static_max_age: int = option(
        3600,
        "Cache-Control max-age of static files, seconds (their URLs change with their "
        "contents, so a year is safe in production)",
        parse=non_negative_int,
    )
    render_cache_entries: int = option(
        256,
        "rendered graphs kept in memory (LRU) by /render; 0 turns the cache off",
        parse=non_negative_int,
    )
    render_workers: int = option(
        0,
        "worker processes drawing graphs for /render, started as needed; 0 = one per "
        "CPU core (at least 2)",
        parse=non_negative_int,
    )
    render_deadline: float = option(
        10.0,
        "seconds a /render request may wait for a render worker (then a 503), and then "
        "for its graph: past it the worker is killed and replaced and the request gets "
        "a 504",
        parse=positive_float,
    )
    render_worker_memory: int = option(
        1536,
        "MiB of address space each render worker may use (RLIMIT_AS); a request needing "
        "more is a 413 and the worker is replaced; 0 = no cap",
        parse=non_negative_int,
    )
    render_heavy_per_user: int = option(
        2,
        "heavy graphs and Graphite requests one user (or address) may have running or "
        "waiting at once; more is a 503 with Retry-After",
        parse=positive_int,
    )
    render_max_work: int = option(
        200_000_000,
        "most values rrdtool may compute or read for one /render request (estimated from "
        "the range, size, series and CDEFs, PREDICT windows included); more is a 400",
        parse=positive_int,
    )
    readonly_roots: tuple[ReadOnlyRoot, ...] = option(
        (),
        "existing RRD trees served read-only beside rrd_dir, as name=/path entries "
        "separated by spaces (e.g. collectd=/var/lib/collectd/rrd munin=/var/lib/munin): "
        "series name/<path in the tree>, Graphite name.<path with dots>; reader = local only",
        parse=parse_readonly_roots,
    )
    series_check_interval: float = option(
        5.0,
        "seconds between two looks at the RRD folders for new or removed series "
        "(/series); 0 looks at every search",
        parse=non_negative_float,
    )
    oidc_issuer: str | None = option(
        None,
        "OpenID Connect issuer URL (its /.well-known/openid-configuration is read); "
        "setting it enables 'Sign in with ...'",
        parse=parse_optional_url,
    )
    oidc_client_id: str | None = option(
        None, "client id registered at the OpenID Connect provider", parse=parse_optional_str
    )
    oidc_client_secret: str | None = option(
        None,
        "client secret from the provider (unset: a public client, PKCE only)",
        parse=parse_optional_str,
    )
    oidc_redirect_url: str | None = option(
        None,
        "callback URL registered at the provider (https://<host>/login/oidc/callback), "
        "required with oidc_issuer: never derived from the request's headers",
        parse=parse_optional_url,
    )
    oidc_scopes: str = option("openid profile email", "scopes asked for at sign-in")
    oidc_user_claim: str = option(
        "preferred_username",
        "ID token claim a new account is named after (then 'email', then 'sub' when it "
        "is absent), made unique with -2, -3...; the account itself is the token's "
        "iss + sub, never this name",
    )
    oidc_provider_name: str | None = option(
        None,
        "name on the 'Sign in with ...' button (default: the issuer's host name)",
        parse=parse_optional_str,
    )
    trusted_proxies: tuple[str, ...] = option(
        (),
        "addresses or networks (127.0.0.1, 10.0.0.0/8) of the reverse proxies whose "
        "X-Forwarded-For/-Proto/-Host/-Port headers are believed; from anyone else "
        "they are dropped (none by default)",
        parse=parse_list,
    )
    oidc_timeout: float = option(
        10.0, "seconds to wait for the provider on each request", parse=positive_float
    )
    oidc_allowed_domains: tuple[str, ...] = option(
        (),
        "e-mail domains allowed to sign in (the ID token's email, only when email_verified "
        "is true), comma-separated",
        parse=parse_list,
    )
    oidc_allowed_groups: tuple[str, ...] = option(
        (),
        "groups allowed to sign in: the groups claim must hold at least one of them",
        parse=parse_list,
    )
    oidc_groups_claim: str = option("groups", "ID token claim listing the user's groups")
    oidc_allowed_emails: tuple[str, ...] = option(
        (),
        "e-mail addresses allowed to sign in whatever their domain or groups (only when "
        "the provider marks them verified)",
        parse=parse_list,
    )
    oidc_allowed_subjects: tuple[str, ...] = option(
        (),
        "ID token subjects ('sub', the provider's stable user id) allowed to sign in "
        "whatever their e-mail or groups",
        parse=parse_list,
    )
    oidc_allowed_users: tuple[str, ...] = option(
        (),
        "no longer accepted: it matched a name users may choose themselves; use "
        "oidc_allowed_emails or oidc_allowed_subjects",
        parse=parse_list,
    )
    oidc_allow_any: bool = option(
        False,
        "let anyone the provider signs in in (without it, OpenID Connect needs an allow-list)",
        parse=parse_bool,
    )


def database_url(settings: WebSettings) -> URL:
    try:
        return make_url(settings.db_url)
    except ArgumentError as exc:
        raise SettingsError(f"bad value for db_url: {exc}") from None


def shared_secret_problem(settings: WebSettings) -> str | None:
    """Why these settings cannot run without an explicit ``auth_secret`` (None: they can).

    Sign-in and OpenID Connect state cookies are signed with ``auth_secret``; a random
    one per process signs a user out as soon as the load balancer sends the next
    request to another process.  A shared database (anything but SQLite) means
    several processes, whatever ``web_processes`` says.
    """
    if settings.auth_secret:
        return None
    backend = database_url(settings).get_backend_name()
    if settings.web_processes > 1:
        why = f"web_processes = {settings.web_processes}"
    elif backend != "sqlite":
        why = f"db_url is a shared {backend} database"
    else:
        return None
    return (
        f"{why}: set auth_secret (GRAPHMETRICS_AUTH_SECRET) to one long random value, "
        "the same in every web process, or sign-ins break when requests change process"
    )


def shared_database_problem(settings: WebSettings) -> str | None:
    """Why ``db_url`` cannot be shared by ``web_processes`` processes (None: it can)."""
    url = database_url(settings)
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if settings.web_processes > 1 and in_memory:
        return (
            f"web_processes = {settings.web_processes} with db_url = {settings.db_url}: an "
            "in-memory database is private to each process; use PostgreSQL "
            "(postgresql+psycopg://USER:PASSWORD@HOST/DB)"
        )
    return None
