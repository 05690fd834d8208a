"""The local spool: batches and events waiting for the database, in a SQLite file.

While PostgreSQL is unreachable or refuses writes, what the logger hands over
goes here, in order, and is replayed from here once the database is back. The
file survives a restart of rtoc. It holds at most ``limit`` samples; past
that it keeps the newest (or, by choice, the oldest) and says how many it gave
up, but it never blocks the logger.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from rtoc.events import Event
from rtoc.storage.base import SampleBatch, batch_arrays, event_from_row, event_row

Keep = Literal["newest", "oldest"]
_BLOB = np.dtype("<f8")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL,
    device TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    count INTEGER NOT NULL,
    x BLOB NOT NULL,
    y BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL
);
"""


class Spool:
    """Batches and events in arrival order, at most ``limit`` samples."""

    def __init__(self, path: Path, limit: int, keep: Keep = "newest") -> None:
        self.path = path
        self.limit = limit
        self.keep = keep
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        (self._samples,) = self._db.execute(
            "SELECT coalesce(sum(count), 0) FROM batches"
        ).fetchone()
        (self._events,) = self._db.execute("SELECT count(*) FROM events").fetchone()

    @property
    def samples(self) -> int:
        """Samples waiting."""
        return self._samples

    @property
    def empty(self) -> bool:
        return not self._samples and not self._events

    def put_samples(self, batches: Sequence[SampleBatch]) -> int:
        """Add batches at the end; return how many samples the limit made it give up."""
        rows = []
        for batch in batches:
            x, y = batch_arrays(batch)
            if len(x):
                rows.append(
                    (
                        batch.uid,
                        batch.device,
                        batch.name,
                        batch.unit,
                        len(x),
                        x.astype(_BLOB).tobytes(),
                        y.astype(_BLOB).tobytes(),
                    )
                )
        if not rows:
            return 0
        with self._lock:
            incoming = sum(row[4] for row in rows)
            if self.keep == "oldest" and self._samples + incoming > self.limit:
                return incoming  # full: the new samples are the ones given up
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT INTO batches (uid, device, name, unit, count, x, y)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
            self._samples += incoming
            return self._drop_oldest() if self._samples > self.limit else 0

    def _drop_oldest(self) -> int:  # call with _lock held
        dropped = 0
        with self._db:
            self._db.execute("BEGIN")
            for seq, count in self._db.execute("SELECT seq, count FROM batches ORDER BY seq"):
                if self._samples - dropped <= self.limit:
                    break
                self._db.execute("DELETE FROM batches WHERE seq = ?", (seq,))
                dropped += count
        self._samples -= dropped
        return dropped

    def put_events(self, events: Sequence[Event]) -> None:
        if not events:
            return
        rows = [(json.dumps(event_row(event)),) for event in events]
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO events (event) VALUES (?)", rows)
            self._events += len(rows)

    def oldest_samples(self, most: int) -> tuple[int, list[SampleBatch]]:
        """The oldest batches, about ``most`` samples (at least one batch); and the last seq."""
        batches: list[SampleBatch] = []
        last, total = 0, 0
        with self._lock:
            cursor = self._db.execute(
                "SELECT seq, uid, device, name, unit, count, x, y FROM batches ORDER BY seq"
            )
            for seq, uid, device, name, unit, count, x, y in cursor:
                if batches and total + count > most:
                    break
                batches.append(
                    SampleBatch(
                        device, name, np.frombuffer(x, _BLOB), np.frombuffer(y, _BLOB), unit, uid
                    )
                )
                last, total = seq, total + count
        return last, batches

    def forget_samples(self, up_to: int) -> None:
        """Remove the batches up to and including seq ``up_to`` (they are stored now)."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            (count,) = self._db.execute(
                "SELECT coalesce(sum(count), 0) FROM batches WHERE seq <= ?", (up_to,)
            ).fetchone()
            self._db.execute("DELETE FROM batches WHERE seq <= ?", (up_to,))
            self._samples -= count

    def oldest_events(self) -> tuple[int, list[Event]]:
        with self._lock:
            rows = self._db.execute("SELECT seq, event FROM events ORDER BY seq").fetchall()
        return (rows[-1][0] if rows else 0), [
            event_from_row(json.loads(event)) for _, event in rows
        ]

    def forget_events(self, up_to: int) -> None:
        with self._lock, self._db:
            self._db.execute("BEGIN")
            removed = self._db.execute("DELETE FROM events WHERE seq <= ?", (up_to,)).rowcount
            self._events -= removed

    def close(self) -> None:
        with self._lock:
            self._db.close()
