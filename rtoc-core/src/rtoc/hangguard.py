"""Ending ``rtoc run`` when its interpreter stops running Python, and saying why at the restart.

A script such as ``sum(iter(int, 1))`` never returns to the interpreter: the
C loop holds the GIL, so no other thread runs any Python again. The script
watchdog (:mod:`rtoc.automation.watchdog`) cannot interrupt it, TCP goes
unanswered and SIGTERM's handler never runs. Only code that needs no GIL can
still act, and the standard library has one such thing: faulthandler's
timer, a C thread that writes every thread's traceback and calls ``_exit(1)``.

:class:`HangGuard` keeps that timer at ``limit`` seconds in the future from a
heartbeat thread of its own. While Python runs, the heartbeat re-arms it; once
the GIL is held for ``limit`` seconds without pause, the timer fires: the
tracebacks go to ``$RTOC_HOME/hang.log`` and the process exits with status 1,
which a service manager (``Restart=on-failure``) restarts on. Nothing else can
be flushed at that point: samples accepted since the storage's last write are
lost, as on a power cut.

At the next start :func:`previous_hang` reads that file (and moves it to
``hang.log.old``), so that the runner can report the hang and switch off the
global events and actions that were running, which would otherwise hang every
restart again.
"""

from __future__ import annotations

import faulthandler
import re
import threading
from pathlib import Path
from typing import IO

import attrs

HANG_FILE = "hang.log"
#: How often the heartbeat re-arms the timer, as a share of the limit.
BEAT_SHARE = 0.25

# the first (most recent) frame of each thread, when it is a script's or a condition's
_TOP_FRAME = re.compile(
    r'^Thread [^\n]*\n  File "<(?P<kind>condition|script) (?P<name>.*)>", line (?P<line>\d+)',
    re.MULTILINE,
)


@attrs.frozen
class HangReport:
    """What the hang guard wrote when it ended a run."""

    path: Path  # where the report is kept now
    text: str
    #: (``"condition"`` or ``"script"``, name, line) of user code running at the hang
    running: tuple[tuple[str, str, int], ...]


class HangGuard:
    """Ends the process when no Python has run for ``limit`` seconds; see the module doc."""

    def __init__(self, limit: float, home: Path) -> None:
        self.limit = limit
        self.path = home / HANG_FILE
        self._file: IO[str] | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 (the C timer's)
        self._arm()  # armed before anything else can hold the GIL
        self._stopped.clear()
        self._thread = threading.Thread(target=self._beat, name="rtoc-hang-guard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        faulthandler.cancel_dump_traceback_later()
        if self._file is not None:
            self._file.close()
            self._file = None
            self.path.unlink(missing_ok=True)  # empty: no hang to report

    def _arm(self) -> None:
        faulthandler.dump_traceback_later(self.limit, exit=True, file=self._file)

    def _beat(self) -> None:
        while not self._stopped.wait(self.limit * BEAT_SHARE):
            self._arm()


def previous_hang(home: Path) -> HangReport | None:
    """The report of a run the guard ended, moved aside to ``hang.log.old``; None if none."""
    path = home / HANG_FILE
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    kept = path.with_name(HANG_FILE + ".old")
    if not text.strip():
        path.unlink()
        return None
    path.replace(kept)
    running = tuple(
        dict.fromkeys(
            (match["kind"], match["name"], int(match["line"]))
            for match in _TOP_FRAME.finditer(text)
        )
    )
    return HangReport(kept, text, running)
