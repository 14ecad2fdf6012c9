"""``python -m bench [NAME...]``: run the benchmarks (all of them by default)."""

from __future__ import annotations

import importlib
import sys
import time

ALL = [
    "tracelog",
    "kinesis",
    "kcl",
    "carbon",
    "render",
    "side_by_side",
    "dashboard",
    "load",
    "graphite_functions",
]


def main(argv: list[str]) -> int:
    names = argv or ALL
    failed = []
    for name in names:
        print(f"\n=== bench/{name}.py ===", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"skipped: {exc}")
            continue
        if module.main() not in (None, 0):
            failed.append(name)
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)
    if failed:
        print("\nbelow target:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
