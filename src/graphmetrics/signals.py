"""Stop signals for the daemons, installed so they never break a library's I/O.

Python installs its handlers without ``SA_RESTART``: a signal arriving while any
thread is inside a C library's ``read``/``write`` makes that call fail with EINTR.
librrd's rrdcached client does not retry such calls; it loses its place in the
protocol, later answers are misread and the flush on shutdown fails, leaving the
last updates in rrdcached instead of the files.  With ``siginterrupt(sig, False)``
the kernel resumes those calls; Python still runs the handler at the next bytecode.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable
from types import FrameType

Handler = Callable[[int, FrameType | None], None]


def on_signals(
    handler: Handler, signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT)
) -> None:
    """Call ``handler`` on each of ``signals``; interrupted system calls restart."""
    for sig in signals:
        signal.signal(sig, handler)
        signal.siginterrupt(sig, False)
