"""systemd's notify protocol without systemd's library: ``READY=1``, ``STOPPING=1`` and
``WATCHDOG=1`` as datagrams to the AF_UNIX socket in ``$NOTIFY_SOCKET``.

A unit with ``Type=notify`` counts rtoc as started once ``rtoc run`` sends
READY=1 (the logger records, devices and frontends are up); with
``WatchdogSec`` systemd restarts an rtoc whose pings stop. The pings come from
a thread, so they stop when no Python runs any more (a C call holding the
interpreter); ``global.hangLimit`` (rtoc.hangguard) covers the same from
inside. Without ``$NOTIFY_SOCKET`` (not under systemd) everything here does
nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading

log = logging.getLogger("rtoc")


def _address(path: str) -> str:
    """``@name`` is an abstract socket: its address starts with a NUL byte."""
    return "\0" + path[1:] if path.startswith("@") else path


def notify(state: str) -> bool:
    """Send ``state`` (``"READY=1"``, lines of ``KEY=value``) to systemd; True when sent."""
    path = os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(_address(path))
            sock.sendall(state.encode())
    except OSError as error:
        log.warning("cannot tell systemd %r through %s: %s", state, path, error)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between two watchdog pings (half of ``$WATCHDOG_USEC``), or None when
    systemd watches no process or another one (``$WATCHDOG_PID``)."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2e6


class Watchdog:
    """Sends ``WATCHDOG=1`` every half of ``WatchdogSec`` until stopped."""

    def __init__(self) -> None:
        self.interval = watchdog_interval()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rtoc-watchdog", daemon=True)

    def start(self) -> Watchdog:
        if self.interval is not None:
            self._thread.start()
        return self

    def _run(self) -> None:
        assert self.interval is not None
        while notify("WATCHDOG=1") and not self._stop.wait(self.interval):
            pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
