"""Render worker processes: graphs drawn beside the web process, each under a deadline.

librrd's graph code is not thread-safe (fonts), so a web process drawing in its own
threads must draw one graph at a time: one slow graph then holds every user's.
Here each graph goes to one of ``size`` single-threaded worker processes instead
(started on demand, at most ``size``, which also puts every core to work).  A
request waits at most ``deadline`` seconds for an idle worker (else
:class:`RenderBusy`: waiting costs nothing, so a busy moment is not cut
short by another request's drawing time), then at most ``deadline`` seconds for
its graph: past it the worker is killed (a graph cannot be interrupted otherwise),
a new one is started by the next request that needs it, and the request gets
:class:`RenderTimeout`.

A light job (:func:`~graphmetrics.render.graph.is_light`: milliseconds of work) is
done in the web process itself when no other light job of its kind is being done
there: handing it to a worker would cost more than doing it (two context switches,
more on a busy machine).  Else it goes to an idle light worker; when there is none
either, it waits for whichever comes free first, this process's turn or a worker
(:meth:`RenderPool.light`), so under a crowd the workers and the web process are
all kept busy.

Besides graphs, a worker runs :class:`Task` s (a module-level function and its
arguments): the Graphite API evaluates its targets and draws its PNGs that way, so
every graph and series computation is under the same deadline and memory cap.
Heavy work is admitted first (:mod:`graphmetrics.render.admission`: few at a time,
a short queue, a share per user).  Each worker's address space is capped
(``memory`` bytes, ``RLIMIT_AS``): a job that needs more is a
:class:`RenderTooLarge` (413) and its worker is replaced.

Workers come from multiprocessing's *forkserver*, a clean single-threaded process
that has imported rrdtool: forking the web process itself, with its threads and
their locks, is not safe.  A worker exits when the web process goes away.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import queue
import resource
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from graphmetrics.render.admission import Admission, RenderBusy
from graphmetrics.render.graph import GRAPH_LOCK, Job, Rendered, RenderError, draw

__all__ = ["RenderBusy", "RenderPool", "RenderTimeout", "RenderTooLarge", "Task"]


class RenderTimeout(RenderError):
    """The graph was not drawn by the deadline; its worker was killed."""


class RenderTooLarge(RenderError):
    """The job needed more memory than a render worker may use; its worker is replaced."""


@dataclass(frozen=True)
class Task:
    """``func(*args)`` in a worker: ``func`` a module-level function (pickled by name),
    its answer small (bytes, not arrays of points)."""

    func: Callable[..., Any]
    args: tuple[Any, ...]


def _run(job: Job | Task) -> Any:
    if isinstance(job, Task):
        return job.func(*job.args)
    return draw(job)


def _serve(conn: Connection, memory: int, nice: int = 0) -> None:
    """A worker's loop: a :class:`Job` or :class:`Task` in, ``("ok", answer)`` or
    ``("error", RenderError)`` out.

    It caps its address space at ``memory`` bytes (0: no cap), lowers its CPU
    priority by ``nice``, draws a small image
    (loading fonts takes a while the first time) and says it is ready: starting up
    is not counted in a request's deadline.  After a :class:`MemoryError` it answers
    and exits, for the pool to start a fresh one.
    """
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if nice:
        os.nice(nice)
    with contextlib.suppress(RenderError):
        draw(_WARM_UP)
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple = ("ok", _run(job))
        except RenderError as exc:
            answer = ("error", exc)
        except MemoryError:
            answer = ("error", _too_large(memory))
        except Exception as exc:  # a bug: the request is told to retry, the worker goes on
            answer = ("error", RenderBusy(f"render worker failed: {type(exc).__name__}: {exc}"))
        conn.send(answer)
        if isinstance(answer[1], RenderTooLarge):
            return


def _too_large(memory: int) -> RenderTooLarge:
    gc.collect()
    limit = f"{memory // 2**20} MiB" if memory else "its memory"
    return RenderTooLarge(
        f"the request needs more than {limit} to compute: narrow the targets, shorten "
        "the range or use a smaller size"
    )


_WARM_UP = Job(
    "png", ("--start", "end-1h", "--end", "now", "--width", "50", "HRULE:0#000000"), (), ()
)
# CPU priority of the workers running heavy jobs: they yield to everything else.
HEAVY_NICE = 10
# Seconds a new worker may take to start and warm up before it counts as broken.
START_TIMEOUT = 60.0
# Seconds a light job waiting for a turn or a worker looks again even if not woken
# (a worker started in the background, a turn taken and given back by a newcomer).
WAKE_EVERY = 0.05
# This process draws one light /render graph at a time (librrd: GRAPH_LOCK).
_DRAW_HERE = threading.Lock()


class _Worker:
    def __init__(self, ctx: multiprocessing.context.BaseContext, memory: int, nice: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(  # type: ignore[attr-defined]
            target=_serve, args=(child, memory, nice), name="graphmetrics-render", daemon=True
        )
        self.process.start()
        child.close()

    def ready(self) -> bool:
        """Wait until the worker has started and warmed up."""
        try:
            return self.conn.poll(START_TIMEOUT) and self.conn.recv() == ("ready",)
        except (EOFError, OSError):
            return False

    def stop(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


def _stop_all(*lanes: set[_Worker]) -> None:
    for workers in lanes:
        for worker in list(workers):
            worker.stop()
        workers.clear()


class _Lane:
    """Up to ``size`` workers of one kind, started on demand, at CPU priority ``nice``."""

    def __init__(
        self, kind: str, ctx: multiprocessing.context.BaseContext, size: int, memory: int, nice: int
    ) -> None:
        self.kind = kind
        self.size = size
        self.memory = memory
        self.nice = nice
        self.started = 0  # workers started so far, replacements included
        self.workers: set[_Worker] = set()
        self._ctx = ctx
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self.on_idle: Callable[[], None] = lambda: None  # told when a worker is idle

    def acquire(self, until: float, deadline: float) -> _Worker:
        """An idle worker, or a new one while there are fewer than ``size``, by ``until``."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            new = len(self.workers) < self.size
            if new:
                worker = _Worker(self._ctx, self.memory, self.nice)
                self.workers.add(worker)
                self.started += 1
        if new:
            if not worker.ready():
                self.discard(worker)
                raise RenderBusy("a render worker failed to start; try again")
            return worker
        try:
            return self._idle.get(timeout=max(until - time.monotonic(), 0))
        except queue.Empty:
            raise RenderBusy(
                f"all {self.size} {self.kind} render workers stayed busy for {deadline:g} s; "
                "try again shortly"
            ) from None

    def try_acquire(self) -> _Worker | None:
        """An idle worker now, else None (starting one in the background while there
        are fewer than ``size``, for the next request)."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self.workers) >= self.size:
                return None
            worker = _Worker(self._ctx, self.memory, self.nice)
            self.workers.add(worker)
            self.started += 1
        threading.Thread(target=self._warm, args=(worker,), daemon=True).start()
        return None

    def _warm(self, worker: _Worker) -> None:
        if worker.ready():
            self.release(worker)
        else:
            self.discard(worker)

    def release(self, worker: _Worker) -> None:
        self._idle.put(worker)
        self.on_idle()

    def discard(self, worker: _Worker) -> None:
        with self._lock:
            self.workers.discard(worker)
        worker.stop()


class _Waiting:
    """Light jobs waiting for their turn here or for any light worker: one waiter is
    woken for each thing freed, one that can use it (waking them all made each
    release a stampede of threads fighting for the GIL: a third of the web
    process's time under 8 clients, py-spy)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._turns: dict[threading.Lock, threading.Condition] = {}
        self._count: Counter[threading.Lock] = Counter()

    def wait(self, turn: threading.Lock, timeout: float) -> None:
        """Sleep (``lock`` held) until woken or ``timeout`` s (a worker started in
        the background is not announced)."""
        cond = self._turns.get(turn)
        if cond is None:
            cond = self._turns[turn] = threading.Condition(self.lock)
        self._count[turn] += 1
        try:
            cond.wait(timeout)
        finally:
            self._count[turn] -= 1

    def turn_freed(self, turn: threading.Lock) -> None:
        with self.lock:
            if self._count[turn] > 0:
                self._turns[turn].notify()

    def worker_freed(self) -> None:
        with self.lock:
            for turn, count in self._count.items():
                if count > 0:
                    self._turns[turn].notify()
                    return


class RenderPool:
    """Worker processes in two lanes; :meth:`render` answers within ``deadline`` s.

    Light jobs go to up to ``size`` workers at normal CPU priority; heavy jobs, once
    admitted by ``admission`` (default: ``size - 1`` running, ``size`` waiting, 2
    per user), to as many workers as it has slots, at nice :data:`HEAVY_NICE`: on a
    busy machine they get what the light ones leave.  ``memory`` caps each worker's
    address space (bytes, 0 for none).
    """

    def __init__(
        self, size: int, deadline: float, memory: int = 0, admission: Admission | None = None
    ) -> None:
        if size < 1 or deadline <= 0:
            raise ValueError(f"need size >= 1 and deadline > 0, got {size}, {deadline}")
        self.size = size
        self.deadline = deadline
        self.memory = memory
        self.admission = admission or Admission(max(size - 1, 1), size, 2)
        self.drawn_here = 0  # light graphs drawn in this process
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["graphmetrics.render.graph"])
        self._light = _Lane("light", ctx, size, memory, 0)
        self._heavy = _Lane("heavy", ctx, self.admission.slots, memory, HEAVY_NICE)
        self._waiting = _Waiting()
        self._light.on_idle = self._waiting.worker_freed
        self._finalizer = weakref.finalize(
            self, _stop_all, self._light.workers, self._heavy.workers
        )

    def __len__(self) -> int:
        return len(self._light.workers) + len(self._heavy.workers)

    @property
    def started(self) -> int:
        """Workers started so far, replacements included."""
        return self._light.started + self._heavy.started

    def render(self, job: Job, light: bool = False, user: str = "") -> Rendered:
        """Draw ``job`` in a worker (a ``light`` one here when it is this process's
        turn); :class:`RenderError` for rrdtool's complaints, :class:`RenderBusy` /
        :class:`RenderTimeout` past the deadline.  A heavy job is admitted for
        ``user`` first."""
        if not light:
            heavy: Rendered = self.call(job, heavy=True, user=user)
            return heavy
        rendered: Rendered = self.light(_DRAW_HERE, lambda: self._here(job), job)
        return rendered

    def _here(self, job: Job) -> Rendered:
        self.drawn_here += 1
        with GRAPH_LOCK:
            return draw(job)

    def light(self, turn: threading.Lock, here: Callable[[], Any], job: Job | Task) -> Any:
        """A light job's answer: ``here()`` in this process while holding ``turn`` (one
        such job at a time), else ``job`` in an idle light worker, whichever is free
        first within the deadline (a worker is started for later when none is)."""
        until = time.monotonic() + self.deadline
        with self._waiting.lock:
            while True:
                mine = turn.acquire(blocking=False)
                worker = None if mine else self._light.try_acquire()
                if mine or worker is not None:
                    break
                left = until - time.monotonic()
                if left <= 0:
                    raise RenderBusy(
                        f"no light graph could be drawn within {self.deadline:g} s; try again"
                    )
                self._waiting.wait(turn, min(left, WAKE_EVERY))
        if worker is not None:
            return self._on(self._light, worker, job)
        try:
            return here()
        finally:
            turn.release()
            self._waiting.turn_freed(turn)

    def call(self, job: Job | Task, heavy: bool = True, user: str = "") -> Any:
        """``job``'s answer from a worker within the deadline (heavy jobs admitted first)."""
        until = time.monotonic() + self.deadline
        if not heavy:
            return self._in_worker(self._light, job, until)
        with self.admission.heavy(user, until):
            return self._in_worker(self._heavy, job, until)

    def _in_worker(self, lane: _Lane, job: Job | Task, wait_until: float) -> Any:
        return self._on(lane, lane.acquire(wait_until, self.deadline), job)

    def _on(self, lane: _Lane, worker: _Worker, job: Job | Task) -> Any:
        until = time.monotonic() + self.deadline
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(until - time.monotonic(), 0)):
                lane.discard(worker)
                raise RenderTimeout(
                    f"the request took longer than {self.deadline:g} s to compute and was "
                    "stopped: shorten the range, use fewer series or lighter functions"
                )
            answer = worker.conn.recv()
        except (EOFError, OSError):
            lane.discard(worker)
            raise RenderBusy("the render worker stopped unexpectedly; try again") from None
        if answer[0] == "ok":
            lane.release(worker)
            return answer[1]
        error: RenderError = answer[1]
        if isinstance(error, RenderTooLarge):
            lane.discard(worker)
        else:
            lane.release(worker)
        raise error

    def close(self) -> None:
        """Stop every worker (they also stop on their own when this process ends)."""
        self._finalizer()
