"""The logger the widgets talk to, and whether it answers.

Every widget reads and acts through :class:`Link`, which holds one
:class:`rtoc.frontend.LoggerView` (a local Logger or a RemoteLogger). A
connection failure (``OSError``) marks the link offline and is reported
once; reads then return their default, and one probe a second asks again
until the logger answers and the link is online again. Local loggers never
go offline.

:meth:`Link.read` and :meth:`Link.act` answer in the caller's thread: user
actions use them (they are rare and need the answer; the connection's timeout
bounds them). The timers' periodic reads go through :attr:`Link.reads`
(:mod:`rtoc_gui.reads`), which keeps a remote logger's round trips off the
GUI thread. The state changes in the GUI thread only: worker threads ask the
view themselves and hand what happened to :meth:`Link.lost` or
:meth:`Link.answered` there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PyQt5 import QtCore

from rtoc_gui.reads import Reads

if TYPE_CHECKING:
    from rtoc.frontend import LoggerView

T = TypeVar("T")

#: Seconds between two attempts to reach a logger that did not answer.
PROBE_INTERVAL = 1.0


class Offline(ConnectionError):
    """The logger did not answer; the message says where and why."""


class Link(QtCore.QObject):
    """A LoggerView and its connection state, shared by all widgets of one window."""

    #: (online, message) whenever the state changes
    state_changed = QtCore.pyqtSignal(bool, str)

    def __init__(
        self,
        view: LoggerView,
        where: str,
        *,
        local: bool,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        #: "this computer", or "HOST:PORT" of a remote logger
        self.where = where
        #: The logger is in this process: a read costs no network round trip.
        self.local = local
        self.online = True
        self._next_probe = 0.0
        #: the periodic reads: at once for a local logger, on a worker thread for a remote one
        self.reads = Reads(self, immediate=local, parent=self)

    def read(self, ask: Callable[[LoggerView], T], default: T) -> T:
        """``ask(view)``, or ``default`` while the logger does not answer."""
        try:
            return self.act(ask)
        except Offline:
            return default

    def act(self, ask: Callable[[LoggerView], T]) -> T:
        """``ask(view)``; :class:`Offline` when the logger cannot be reached.

        Other errors (a refused value, an unknown signal) pass through for the
        caller to show.
        """
        self.check()
        try:
            result = ask(self.view)
        except OSError as error:
            raise self.lost(error) from None
        self.answered()
        return result

    def check(self) -> None:
        """:class:`Offline` while the logger did not answer and the next probe is not due."""
        if not self.due():
            raise Offline(f"no connection to {self.where}")

    def due(self) -> bool:
        """Whether to ask the logger now: it is online, or the next probe is due."""
        return self.online or time.monotonic() >= self._next_probe

    def answered(self) -> None:
        """The logger answered: online (again)."""
        if not self.online:
            self.online = True
            self.state_changed.emit(True, f"Connected to {self.where} again.")

    def lost(self, error: OSError) -> Offline:
        """The logger could not be reached: offline until a probe gets an answer.

        Returns the :class:`Offline` to raise.
        """
        self._next_probe = time.monotonic() + PROBE_INTERVAL
        if self.online:
            self.online = False
            self.state_changed.emit(
                False,
                f"Connection to {self.where} lost ({error or type(error).__name__}); "
                f"retrying every {PROBE_INTERVAL:g} s.",
            )
        return Offline(f"no connection to {self.where}: {error}")

    def close(self) -> None:
        """No more periodic reads (the window closes)."""
        self.reads.close()
