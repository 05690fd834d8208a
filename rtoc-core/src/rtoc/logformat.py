"""How ``rtoc`` writes its log to stderr: for a person at a terminal, or for the journal.

Under systemd (``$JOURNAL_STREAM`` set) or whenever stderr is no terminal,
every record is exactly one line, so a traceback stays one journal entry and
``journalctl -u rtoc`` shows one event per line; the journal gets the level
as a syslog priority prefix (``<3>`` for errors, as sd-daemon(3) describes)
and adds the time itself. rtoc's log has no colour codes anywhere.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

#: Python's levels as syslog priorities (sd-daemon(3): ``<3>`` is SD_ERR).
_PRIORITIES = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}

TERMINAL_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """A record and its traceback on one line: line breaks become `` | ``."""

    def __init__(self, fmt: str, journal: bool) -> None:
        super().__init__(fmt)
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = " | ".join(line for line in super().format(record).splitlines() if line.strip())
        if self.journal:
            priority = _PRIORITIES.get(record.levelno, 6 if record.levelno < logging.WARNING else 3)
            return f"<{priority}>{text}"
        return text


def for_journal() -> bool:
    return bool(os.environ.get("JOURNAL_STREAM"))


def configure_logging(level: int, stream: TextIO | None = None) -> None:
    """Log at ``level`` to ``stream`` (stderr): as a terminal wants it, or one line a record."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    if for_journal():
        handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s", True))
    elif not stream.isatty():
        handler.setFormatter(OneLineFormatter(TERMINAL_FORMAT, False))
    else:
        handler.setFormatter(logging.Formatter(TERMINAL_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
