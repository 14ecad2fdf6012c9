"""graphite-web's own function metadata, as JSON on stdout: run by Debian's python3.

``python3 graphite_functions.py STORAGE_DIR`` prints ``{name: {"group": ...,
"params": [...]}}`` for every function graphite-web registers, each parameter as its
``Param.toJSON()`` (what graphite-web's ``/functions`` would serve; that view itself
fails on Python 3.11, it calls ``inspect.getargspec``).
"""

import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import graphite_web  # noqa: E402


def _finite(value):
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def main():
    graphite_web.setup(sys.argv[1])
    from graphite.render.functions import SeriesFunctions

    info = {}
    for name, func in SeriesFunctions.items():
        params = []
        for param in getattr(func, "params", None) or []:
            data = param.toJSON()
            if "default" in data:
                data["default"] = _finite(data["default"])
            params.append(data)
        info[name] = {"group": getattr(func, "group", None), "params": params}
    json.dump(info, sys.stdout)


if __name__ == "__main__":
    main()
