"""One ``rtoc run`` per home: an advisory lock on ``$RTOC_HOME/rtoc.lock``.

Two loggers on one home would interleave their writes into the same store
(time running backwards in stored signals) and fight over the TCP port. The
lock is ``flock`` on a file that holds the owner's process id, so the second
one can say who holds it. The kernel drops the lock when its process ends,
however it ends (SIGKILL, a crash, the hang guard), so a stale lock file
never blocks a restart.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "rtoc.lock"


class HomeInUse(Exception):
    """Another process holds the home; the message names it."""


class HomeLock:
    """Held from :meth:`acquire` until :meth:`release` or the end of the process."""

    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`HomeInUse` naming the process that has it."""
        file = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (kept open while held)
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "unknown"
            file.close()
            raise HomeInUse(
                f"{self.path.parent} is in use by another rtoc (process {holder}); "
                "stop that one first, or give this one another --home"
            ) from None
        except BaseException:
            file.close()
            raise
        file.truncate(0)
        file.write(f"{os.getpid()}\n")
        file.flush()
        self._file = file

    def release(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.truncate(0)  # no stale process id for the next reader
            file.close()  # closing drops the flock
