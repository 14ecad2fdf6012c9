"""Typed settings, loaded once from the command line, the environment and a config file.

Every daemon describes its options as a frozen dataclass whose fields are made with
:func:`option`.  :func:`from_command_line` builds the ``argparse`` parser from those
fields, so ``--help`` documents everything, and resolves each option in this order:
command line, then ``GRAPHMETRICS_<OPTION>`` in the environment, then the
``[graphmetrics]`` section of ``--config FILE``, then the field's default.
The web app uses :func:`from_mapping` with its ini settings the same way.
"""

from __future__ import annotations

import argparse
import configparser
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

ENV_PREFIX = "GRAPHMETRICS_"
SECTION = "graphmetrics"


class SettingsError(ValueError):
    """A setting is missing or has a value that cannot be used; the message says which."""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

T = TypeVar("T")


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_path(text: str) -> Path:
    return Path(text).expanduser()


def parse_optional_path(text: str) -> Path | None:
    return parse_path(text) if text.strip() else None


def parse_optional_str(text: str) -> str | None:
    return text.strip() or None


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"must be at least 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"must be >= 0, got {text!r}")
    return value


BYTE_SUFFIXES = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_byte_size(text: str) -> int:
    """Bytes: ``1048576``, ``512K``, ``500M``, ``2G``, ``1T`` (binary units, ``B`` optional)."""
    value = text.strip().upper().removesuffix("B")
    factor = BYTE_SUFFIXES.get(value[-1:], 1)
    if factor > 1:
        value = value[:-1]
    size = float(value) * factor
    if not 0 <= size < 1 << 62:
        raise ValueError(f"not a size in bytes: {text!r}")
    return int(size)


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:  # NaN too
        raise ValueError(f"must be >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"must be > 0, got {text!r}")
    return value


def option(
    default: Any,
    help: str,
    *,
    parse: Callable[[str], Any] = str,
    flag: bool = False,
    metavar: str | None = None,
) -> Any:
    """A settings field: its default, its ``--help`` text and how to parse it from text."""
    meta = {"help": help, "parse": parse, "flag": flag, "metavar": metavar}
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(cls) if "parse" in f.metadata]


def read_config_section(path: Path | str) -> dict[str, str]:
    """The ``[graphmetrics]`` section of an ini file (``%(here)s`` is the file's folder)."""
    path = Path(path)
    if not path.is_file():
        raise SettingsError(f"config file not found: {path}")
    parser = configparser.ConfigParser(defaults={"here": str(path.resolve().parent)})
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    if not parser.has_section(SECTION):
        return {}
    return {k: v for k, v in parser.items(SECTION) if k != "here"}


def environ_values(environ: Mapping[str, str]) -> dict[str, str]:
    """``GRAPHMETRICS_RRD_DIR=x`` becomes ``{"rrd_dir": "x"}``."""
    return {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX)
    }


def build(cls: type[T], *sources: Mapping[str, Any]) -> T:
    """Make ``cls`` from the first source naming each field; text values are parsed.

    Values that are not strings (from argparse flags, say) are taken as they are.
    """
    values: dict[str, Any] = {}
    for f in _fields(cls):
        for source in sources:
            if f.name in source and source[f.name] is not None:
                raw = source[f.name]
                if isinstance(raw, str):
                    try:
                        raw = f.metadata["parse"](raw)
                    except (TypeError, ValueError) as exc:
                        raise SettingsError(f"bad value for {f.name}: {exc}") from exc
                values[f.name] = raw
                break
        else:
            if f.default is dataclasses.MISSING:
                env = ENV_PREFIX + f.name.upper()
                raise SettingsError(
                    f"{f.name} is required (--{f.name.replace('_', '-')}, {env}, "
                    f"or '{f.name}' in the [{SECTION}] section of --config)"
                )
    return cls(**values)


def from_mapping(
    cls: type[T], settings: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> T:
    """Settings from a paste/ini mapping, the environment winning over the file."""
    env = environ_values(os.environ if environ is None else environ)
    return build(cls, env, settings)


def make_parser(cls: type, prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog=(
            f"Every option may also be set as {ENV_PREFIX}<OPTION> in the environment or in "
            f"the [{SECTION}] section of --config; the command line wins, then the "
            "environment, then the file."
        ),
    )
    parser.add_argument("--config", metavar="FILE", help="ini file with a [graphmetrics] section")
    for f in _fields(cls):
        name = "--" + f.name.replace("_", "-")
        help_text = f.metadata["help"]
        if f.default not in (dataclasses.MISSING, None) and not f.metadata["flag"]:
            help_text += " (default: {})".format(str(f.default).replace("%", "%%"))
        if f.metadata["flag"]:
            parser.add_argument(
                name, dest=f.name, action="store_true", default=None, help=help_text
            )
        else:
            parser.add_argument(
                name, dest=f.name, default=None, metavar=f.metadata["metavar"], help=help_text
            )
    return parser


def from_command_line(
    cls: type[T],
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str,
    environ: Mapping[str, str] | None = None,
) -> T:
    """Parse ``argv``; bad or missing settings exit with status 2 and a clear message."""
    parser = make_parser(cls, prog, description)
    args = parser.parse_args(argv)
    try:
        file_values = read_config_section(args.config) if args.config else {}
        env = environ_values(os.environ if environ is None else environ)
        cli = {k: v for k, v in vars(args).items() if k != "config"}
        return build(cls, cli, env, file_values)
    except SettingsError as exc:
        parser.error(str(exc))
