"""The dashboard's live sessions, in ``$RTOC_HOME/web-sessions.json``, so that logout ends one.

A signed cookie alone cannot be taken back: a copy of it would work until it
expires. So each login gets a random id, kept here with its expiry; a cookie
counts only while its id is listed, and logout removes it. The file is
shared by every dashboard on the same home, survives restarts, and is read
again only when it changed (its size, time and inode), so a request costs
one ``stat``.

A file that cannot be read as a list of sessions is logged and counts as
empty — everyone logs in again, nobody gets in — and is written over at the
next login.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rtoc.files import locked, write_atomically

__all__ = ["SESSIONS_FILE", "SessionRegistry"]

SESSIONS_FILE = "web-sessions.json"
LOCK_FILE = "web-sessions.lock"

log = logging.getLogger(__name__)


class SessionRegistry:
    """Session ids and their expiry (unix seconds) in ``home/web-sessions.json``."""

    def __init__(self, home: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(home) / SESSIONS_FILE
        self._lock_path = Path(home) / LOCK_FILE
        self.clock = clock
        self._cache_lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._cached: dict[str, float] = {}

    def open(self, lifetime: float) -> str:
        """A new session id, valid for ``lifetime`` seconds unless closed."""
        sid = secrets.token_urlsafe(24)
        expires = self.clock() + lifetime

        def change(sessions: dict[str, float]) -> None:
            sessions[sid] = expires

        self._update(change)
        return sid

    def close(self, sid: str) -> None:
        """End session ``sid`` (nothing when it is not open)."""
        if sid in self._load():
            self._update(lambda sessions: sessions.pop(sid, None))

    def holds(self, sid: str) -> bool:
        """Whether ``sid`` is open and not expired."""
        expires = self._load().get(sid)
        return expires is not None and self.clock() < expires

    def _update(self, change: Callable[[dict[str, float]], object]) -> None:
        with locked(self._lock_path):
            sessions = self._read()
            change(sessions)
            now = self.clock()
            alive = {sid: expires for sid, expires in sessions.items() if expires > now}
            write_atomically(self.path, json.dumps(alive, indent=1) + "\n")

    def _load(self) -> dict[str, float]:
        """The sessions, from the cache while the file is unchanged."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        seen = (info.st_ino, info.st_size, info.st_mtime_ns)
        with self._cache_lock:
            if seen != self._seen:
                self._cached, self._seen = self._read(), seen
            return self._cached

    def _read(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("%s: not a sessions file (%s); no session counts", self.path, error)
            return {}
        if not isinstance(data, dict) or not all(
            isinstance(expires, (int, float)) for expires in data.values()
        ):
            log.warning("%s: not a sessions file; no session counts", self.path)
            return {}
        return {str(sid): float(expires) for sid, expires in data.items()}
