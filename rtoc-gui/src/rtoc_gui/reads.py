"""The timers' reads of a window: at once for a logger in this process, on one worker
thread for a remote one.

A remote read is a TCP round trip: on the GUI thread a slow network would
stall every tick, and a stalled server would freeze the window until the
connection's timeout. So the timers ask :class:`Reads` by name ("signals",
"latest", a plot's curves...), and for a remote link it runs the reads one
at a time on one worker thread (a ``RemoteLogger`` has one connection, which
its lock keeps to one request at a time anyway; a script run, on the script
runner's thread, holds it meanwhile) and hands each answer to the GUI thread
through a queued signal.

- At most one read of a name is in flight: a tick that comes meanwhile is
  skipped (:attr:`Reads.skipped`), so a slow or stalled server gathers no
  queue.
- A name whose question changed (a pan, another filter) is *invalidated*:
  its generation goes up, the answer of the read in flight is dropped when it
  comes (:attr:`Reads.dropped`), and the newest ask since then runs after it.
- A read that finds the logger unreachable marks the link offline; the reads
  queued behind it are then not sent (each would wait out the timeout), and
  none are asked until the link's next probe is due.

A logger in this process answers in microseconds, and the pan/zoom frame time
depends on it: there the same calls run at once, in the caller's thread, and
``done`` is called before :meth:`Reads.ask` returns.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import attrs
from PyQt5 import QtCore

if TYPE_CHECKING:
    from rtoc.frontend import LoggerView
    from rtoc_gui.link import Link

log = logging.getLogger("rtoc_gui")


class NotSent(Exception):
    """A queued read that was not sent: the logger did not answer one asked before it."""


@attrs.define(eq=False)
class Read:
    """One read: what to ask, whom to tell, and (once run) what came back."""

    name: str
    generation: int
    ask: Callable[[LoggerView], Any]
    done: Callable[[Any], None]
    failed: Callable[[Exception], None] | None
    #: the worker's count of unreachable-logger failures when this was asked
    failures: int
    answer: Any = None
    error: Exception | None = None


class Reads(QtCore.QObject):
    """The reads of one link, by name; see the module's docstring."""

    _answered = QtCore.pyqtSignal(object)  # a Read, from the worker thread

    def __init__(
        self, link: Link, *, immediate: bool, parent: QtCore.QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.link = link
        self._worker = (
            None if immediate else ThreadPoolExecutor(1, thread_name_prefix="rtoc-gui-reads")
        )
        self._flying: dict[str, Read] = {}
        #: per name, the newest ask made while a stale read of it was in flight
        self._waiting: dict[str, Read] = {}
        self._generations: dict[str, int] = {}
        self._failures = 0  # written by the worker thread only (or the GUI thread, immediate)
        self._closed = False
        #: reads handed to the worker (or run at once)
        self.sent = 0
        #: asks skipped because a read of the same name was in flight
        self.skipped = 0
        #: answers dropped because their name was invalidated since they were asked
        self.dropped = 0
        self._answered.connect(self._deliver)

    def ask(
        self,
        name: str,
        ask: Callable[[LoggerView], Any],
        done: Callable[[Any], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> bool:
        """Read ``ask(view)`` and hand the answer to ``done`` in the GUI thread.

        ``failed`` gets any error but an unreachable logger (that one shows as
        the link going offline); without it such an error is logged. False when
        nothing was asked: a read of ``name`` is in flight, the link is
        offline until its next probe, or the reads are closed.
        """
        if self._closed or not self.link.due():
            return False
        read = Read(name, self._generations.get(name, 0), ask, done, failed, self._failures)
        flying = self._flying.get(name)
        if flying is None:
            self._send(read)
        elif flying.generation == read.generation:
            self.skipped += 1
            return False
        else:
            self._waiting[name] = read
        return True

    def invalidate(self, name: str) -> None:
        """What ``name`` asks has changed: the answer of a read of it in flight is dropped."""
        self._generations[name] = self._generations.get(name, 0) + 1

    def in_flight(self, name: str) -> bool:
        return name in self._flying

    def close(self) -> None:
        """Send no more reads; one under way ends by itself (at most the connection's timeout)."""
        self._closed = True
        self._waiting.clear()
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)

    def join(self) -> None:
        """Wait (in any thread but the GUI's) until the worker has run what it was given."""
        if self._worker is not None:
            self._worker.shutdown(wait=True)

    def _send(self, read: Read) -> None:
        self.sent += 1
        if self._worker is None:
            self._run(read)
            self._deliver(read)
            return
        self._flying[read.name] = read
        self._worker.submit(self._work, read)

    def _run(self, read: Read) -> None:
        if read.failures != self._failures:
            read.error = NotSent(read.name)
            return
        try:
            read.answer = read.ask(self.link.view)
        except OSError as error:
            self._failures += 1
            read.error = error
        except Exception as error:  # the caller's to show, in the GUI thread
            read.error = error

    def _work(self, read: Read) -> None:
        """In the worker thread."""
        self._run(read)
        with contextlib.suppress(RuntimeError):  # the window is gone: nobody to tell
            self._answered.emit(read)

    def _deliver(self, read: Read) -> None:
        """In the GUI thread: the link's state, then the answer to whoever asked."""
        if self._flying.get(read.name) is read:
            del self._flying[read.name]
        waiting = self._waiting.pop(read.name, None)
        if self._closed:  # the window closed while this was under way: nobody to tell
            return
        error = read.error
        if isinstance(error, OSError):
            self.link.lost(error)
        elif not isinstance(error, NotSent):
            self.link.answered()
        if read.generation != self._generations.get(read.name, 0):
            self.dropped += 1
        elif error is None:
            read.done(read.answer)
        elif not isinstance(error, OSError | NotSent):
            if read.failed is None:
                log.warning("cannot read %s: %s", read.name, error)
            else:
                read.failed(error)
        if waiting is None or not self.link.due():
            return
        if read.name in self._flying:  # ``done`` asked again meanwhile: that ask is newer
            return
        if waiting.generation != self._generations.get(read.name, 0):  # stale already
            self.dropped += 1
            return
        waiting.failures = self._failures
        self._send(waiting)
