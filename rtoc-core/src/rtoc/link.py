"""``Link``: a device's connection to its hardware, reopened by itself with back-off.

Every device driver has the same three cases to handle, and gets them wrong in
the same ways when each writes its own:

* the port or socket cannot be opened, or the instrument stops answering:
  say so once as a warning event, close what is left, try again later with a
  growing delay (1 s, 2 s, 4 s ... up to ``max_delay``), and say when it is back;
* the instrument answers with garbage (bad checksum, torn frame, value out of
  range): drop that answer with a warning, never store it, keep the connection;
* a user calls a device function while the link is down: refuse with an error
  that says so, rather than hanging or pretending it worked.

A driver decides which exceptions mean which (``lost_on`` and ``garbage_on``)
and reads through :meth:`Link.poll` in ``sample()`` and :meth:`Link.require`
in its functions::

    class Meter(rtoc.Device):
        def __init__(self, logger=None, name=None):
            super().__init__(logger, name)
            self._link = Link(self, open=lambda: serial.Serial(self.port, 2400, timeout=1),
                              what=lambda: self.port, lost_on=(serial.SerialException,))

        def sample(self):
            reading = self._link.poll(read_one_value)
            if reading is not None:
                self.stream(reading, "Voltage", unit="V")

        def on_stop(self):
            self._link.close()
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from rtoc.device import DeviceError
from rtoc.events import Priority, RepeatFilter

if TYPE_CHECKING:
    from rtoc.device import Device

Connection = TypeVar("Connection")
Result = TypeVar("Result")


class ConnectionLost(Exception):
    """The instrument stopped answering or the line broke (raise it from a driver)."""


class BadAnswer(Exception):
    """The instrument answered with something that is not a valid reading."""


def close_quietly(connection: object) -> None:
    """Call ``connection.close()`` if it has one; a failure to close changes nothing."""
    close = getattr(connection, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):  # the connection is being given up anyway
            close()


class Link(Generic[Connection]):
    """Opens a connection on first use, and again after it was lost, with back-off.

    Thread-safe: the sampling loop and a function called by a user share one
    connection, one use at a time.
    """

    def __init__(
        self,
        device: Device,
        open: Callable[[], Connection],
        *,
        what: Callable[[], str],
        close: Callable[[Connection], None] = close_quietly,
        lost_on: tuple[type[BaseException], ...] = (OSError,),
        garbage_on: tuple[type[BaseException], ...] = (),
        min_delay: float = 1.0,
        max_delay: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = device
        self._open = open
        self._close = close
        self._what = what
        # ConnectionLost and BadAnswer always mean what they say; a driver's own
        # garbage types are checked before its lost types (some are subclasses).
        self._garbage_on = (BadAnswer, *garbage_on)
        self._lost_on = (ConnectionLost, *lost_on)
        self.min_delay = min_delay
        self.max_delay = max_delay
        self._clock = clock
        self._connection: Connection | None = None
        self._lock = threading.RLock()
        self._delay = 0.0
        self._retry_at = 0.0
        self._down_since: float | None = None
        self._garbage = RepeatFilter(60.0)
        #: Times the link was lost or could not be opened, and answers dropped.
        self.failures = 0
        self.dropped_answers = 0

    # -- state -------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def retry_in(self) -> float:
        """Seconds until the next attempt to open (0 when connected or due)."""
        if self._connection is not None:
            return 0.0
        return max(0.0, self._retry_at - self._clock())

    # -- using it --------------------------------------------------------------------

    def poll(self, use: Callable[[Connection], Result]) -> Result | None:
        """``use(connection)``, or None when the link is down or the answer was garbage.

        For ``sample()``: a failure is reported as an event and never raised.
        """
        try:
            return self._use(use)
        except _Unavailable:
            return None

    def require(self, use: Callable[[Connection], Result]) -> Result:
        """``use(connection)``; raises :class:`DeviceError` when that cannot be done.

        For device functions a user calls: "set the voltage" must either happen
        or say why not. An attempt to open is made now, even while backing off.
        """
        with self._lock:
            if self._connection is None:
                self._retry_at = self._clock()
            try:
                return self._use(use)
            except _Unavailable as unavailable:
                raise DeviceError(f"{self.device.name}: {unavailable}") from None

    def close(self) -> None:
        """Close the connection (from ``on_stop``); the next use opens it again at once."""
        with self._lock:
            connection, self._connection = self._connection, None
            self._delay = 0.0
            self._retry_at = 0.0
            self._down_since = None
            if connection is not None:
                self._close(connection)

    # -- the state machine ---------------------------------------------------------

    def _use(self, use: Callable[[Connection], Result]) -> Result:
        with self._lock:
            connection = self._connection if self._connection is not None else self._reopen()
            try:
                result = use(connection)
            except self._garbage_on as error:
                self._dropped(error)
                raise _Unavailable(f"dropped an invalid answer: {_text(error)}") from error
            except self._lost_on as error:
                reason = self._lost(f"lost the connection to {self._what()}", error)
                raise _Unavailable(reason) from error
            if self._down_since is not None:
                self._recovered()
            return result

    def _reopen(self) -> Connection:
        now = self._clock()
        if now < self._retry_at:
            raise _Unavailable(
                f"not connected to {self._what()} (next attempt in {self._retry_at - now:.1f} s)"
            )
        try:
            self._connection = self._open()
        except Exception as error:
            reason = self._lost(f"cannot connect to {self._what()}", error)
            raise _Unavailable(reason) from error
        return self._connection

    def _lost(self, what_happened: str, error: BaseException) -> str:
        """Give the connection up and schedule the next attempt; the reason, for errors."""
        reason = f"{what_happened}: {_text(error)}"
        connection, self._connection = self._connection, None
        if connection is not None:
            self._close(connection)
        self.failures += 1
        self._delay = min(max(self._delay * 2, self.min_delay), self.max_delay)
        self._retry_at = self._clock() + self._delay
        if self._down_since is None:  # say it once per outage, not on every retry
            self._down_since = self._clock()
            self.device.event(
                f"{reason}; retrying with back-off", priority=Priority.WARNING, id="connection"
            )
        return reason

    def _recovered(self) -> None:
        assert self._down_since is not None
        seconds = self._clock() - self._down_since
        self._down_since = None
        self._delay = 0.0
        self.device.event(
            f"connected to {self._what()} again after {seconds:.1f} s",
            priority=Priority.INFO,
            id="connection",
        )

    def _dropped(self, error: BaseException) -> None:
        self.dropped_answers += 1
        held_back = self._garbage.admit(type(error))
        if held_back is not None:
            self.device.event(
                f"dropped an invalid answer from {self._what()}: "
                f"{_text(error)}{RepeatFilter.suffix(held_back)}",
                priority=Priority.WARNING,
                id="invalid-answer",
            )


class _Unavailable(Exception):
    """Internal: this use gave no result; the message says why."""


def _text(error: BaseException) -> str:
    return str(error) or type(error).__name__
