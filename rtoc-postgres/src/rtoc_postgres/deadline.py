"""Cutting a database connection that stops answering.

libpq waits in ``recv()`` for as long as the server does not answer. A server
that hangs (stopped, swapping, stuck on I/O) or a path that swallows packets
while the socket stays open (a hung proxy or NAT) keeps it waiting for ever:
the server's ``statement_timeout`` runs on the clock of the server that is
stuck, and TCP keepalives are answered by whatever holds the other end of the
socket. :data:`DEADLINES` does not depend on either: one thread watches every
guarded call and, when one overruns, shuts its connection's socket down. The
blocked libpq call then fails at once, as if the connection had been cut,
and the caller treats it so.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class Guard:
    """One guarded call; ``expired`` tells afterwards whether it was cut."""

    def __init__(self, fileno: int, due: float) -> None:
        self.fileno = fileno
        self.due = due
        self.expired = False


class Deadlines:
    """Shuts down the socket of a guarded call that outlives its deadline.

    A socket is shut down only while its call is guarded, that is while its
    connection is certainly open, never after: the file descriptor cannot
    belong to something else by then.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._guards: dict[int, Guard] = {}
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    @contextmanager
    def guard(self, fileno: int, seconds: float | None) -> Iterator[Guard]:
        """Cut the socket ``fileno`` if the block runs longer than ``seconds``.

        ``None`` sets no deadline; :meth:`cut` can still end the call.
        """
        guard = Guard(fileno, time.monotonic() + seconds if seconds is not None else float("inf"))
        token = next(self._tokens)
        with self._condition:
            self._guards[token] = guard
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="rtoc-postgres-deadlines", daemon=True
                )
                self._thread.start()
            self._condition.notify()
        try:
            yield guard
        finally:
            with self._condition:
                del self._guards[token]

    def lift(self, guard: Guard) -> None:
        """Take ``guard``'s deadline away (work that may take long and must not be cut)."""
        with self._condition:
            guard.due = float("inf")

    def cut(self, guard: Guard) -> None:
        """End ``guard``'s call now (if it is still running)."""
        with self._condition:
            if guard in self._guards.values() and not guard.expired:
                _shut_down(guard)

    def _watch(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                for guard in self._guards.values():
                    if guard.due <= now and not guard.expired:
                        _shut_down(guard)
                due = min(
                    (guard.due for guard in self._guards.values() if not guard.expired),
                    default=float("inf"),
                )
                self._condition.wait(None if due == float("inf") else due - now)


def _shut_down(guard: Guard) -> None:
    guard.expired = True
    with suppress(OSError):
        sock = socket.socket(fileno=os.dup(guard.fileno))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


#: The one watcher of this process.
DEADLINES = Deadlines()
