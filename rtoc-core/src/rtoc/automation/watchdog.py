"""Stopping scripts that do not stop by themselves.

Python cannot kill a thread, but it can make one raise:
``PyThreadState_SetAsyncExc`` makes the thread raise :class:`Interrupted` at
its next bytecode. A pure-Python ``while True: pass`` stops at once; a call
blocked in C (a long ``time.sleep``, a socket read) stops when it returns.

A run registers with :meth:`Watchdog.begin` and leaves with
:meth:`Watchdog.end`; only registered runs are ever interrupted, and ``end``
clears an interruption that was sent but not yet raised, so it can never hit
code after the run. The watchdog's thread interrupts runs past their time
limit and reports runs that take suspiciously long.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable

#: How often the watchdog looks at the runs, in seconds.
TICK = 0.05
#: An interrupted run that keeps going (it caught the exception) is interrupted again this often.
REPEAT = 1.0


class Interrupted(BaseException):
    """Raised inside a script that is stopped or ran over its time limit.

    A BaseException, so that a script's own ``except Exception`` does not swallow it.
    """


class Run:
    """One guarded run of a script in one thread."""

    __slots__ = ("deadline", "name", "reason", "reported", "sent", "started", "thread_id")

    def __init__(self, name: str, limit: float | None) -> None:
        self.name = name
        self.thread_id = threading.get_ident()
        self.started = time.monotonic()
        self.deadline = None if limit is None else self.started + limit
        self.reason = ""  # why it was interrupted, once it was
        self.sent = 0.0  # when the last interruption was sent
        self.reported = False  # whether a long run was reported

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Make ``thread_id`` raise ``exception`` soon; ``None`` withdraws a pending one."""
    argument = None if exception is None else ctypes.py_object(exception)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), argument)


class Watchdog:
    """Interrupts guarded runs on request or past their limit; reports long ones.

    ``on_long_run(run)`` is called once for a run without a limit that has
    gone on for ``long_run`` seconds.
    """

    def __init__(
        self, on_long_run: Callable[[Run], None] | None = None, long_run: float = 60.0
    ) -> None:
        self._runs: set[Run] = set()
        self._lock = threading.Lock()
        self._on_long_run = on_long_run
        self._long_run = long_run
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def begin(self, name: str, limit: float | None = None) -> Run:
        """Register a run of the calling thread; ``limit`` in seconds, or none."""
        run = Run(name, limit)
        with self._lock:
            self._runs.add(run)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="rtoc-watchdog", daemon=True
                )
                self._thread.start()
        return run

    def end(self, run: Run) -> None:
        """The run is over: never interrupt it, and withdraw an interruption not yet raised.

        Safe to call twice; call it again after catching :class:`Interrupted`.
        """
        with self._lock:
            self._runs.discard(run)
            if run.sent:
                _raise_in(run.thread_id, None)

    def call(self, name: str, limit: float | None, function: Callable[[], object]) -> Run:
        """``function()`` as a guarded run; the Run's ``reason`` says why if it was cut short.

        Other exceptions of ``function`` propagate. Keep loops inside
        ``function``: on CPython 3.11 an interruption raised at a loop's jump
        back is not caught by a ``try`` in the same function, so the guarded
        code must run one call deeper than the ``except``.
        """
        run = self.begin(name, limit)
        try:
            try:
                function()
            finally:
                self.end(run)
        except Interrupted:
            self.end(run)  # again: the interruption may have arrived inside end()
        return run

    def interrupt(self, run: Run, reason: str) -> bool:
        """Make the run raise :class:`Interrupted`; False when it had already ended."""
        with self._lock:
            if run not in self._runs:
                return False
            if not run.reason:
                run.reason = reason
            run.sent = time.monotonic()
            _raise_in(run.thread_id, Interrupted)
            return True

    def stop(self) -> None:
        self._stopped.set()

    def _watch(self) -> None:
        while not self._stopped.wait(TICK):
            now = time.monotonic()
            for run in list(self._runs):
                if run.reason and now - run.sent >= REPEAT:
                    self.interrupt(run, run.reason)  # it caught Interrupted and went on
                elif run.deadline is not None and now >= run.deadline and not run.reason:
                    limit = run.deadline - run.started
                    self.interrupt(run, f"ran longer than its limit of {limit:g} s")
                elif (
                    run.deadline is None
                    and not run.reported
                    and now - run.started >= self._long_run
                    and self._on_long_run is not None
                ):
                    run.reported = True
                    self._on_long_run(run)
