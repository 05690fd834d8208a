"""Putting stored signals and events back into memory at start (``backup.loadOnOpen``).

When the storage cannot be reached at start (it raises
:class:`~rtoc.storage.base.StorageUnavailable`: the PostgreSQL server is down,
say), rtoc starts all the same and records; the writer keeps what it gets
for the storage as it always does. A thread tries the load again, 1 s
doubling to 30 s apart, and once the storage answers it puts the stored
samples in front of those recorded since, as many as ``recordLength`` leaves
room for. Only stored samples older than the oldest one held are taken: the
newer ones were recorded by this run and are held already. Events are merged
by their uid. Both are marked as stored, so nothing is written twice.
"""

from __future__ import annotations

import threading

import numpy as np

from rtoc.events import EventLog
from rtoc.signals import SignalStore
from rtoc.storage.base import Storage, StorageError, StorageUnavailable
from rtoc.storage.writer import Report


class StoredData:
    """Loads what ``storage`` holds into ``store`` and ``events``, now or later."""

    def __init__(
        self,
        storage: Storage,
        store: SignalStore,
        events: EventLog,
        report: Report,
        first_retry: float = 1.0,
        max_retry: float = 30.0,
    ) -> None:
        self.storage = storage
        self.store = store
        self.events = events
        self._report = report
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Load now; True when done. When the storage is unavailable, say so and
        keep trying in a thread. Any other :class:`StorageError` is raised."""
        try:
            self.load()
        except StorageUnavailable as error:
            self._report(
                1,
                f"stored data not loaded yet ({error}); recording goes on, and what is "
                "stored is loaded once the storage answers",
            )
            self._thread = threading.Thread(
                target=self._retry, name="rtoc-load-stored", daemon=True
            )
            self._thread.start()
            return False
        return True

    def load(self) -> tuple[int, int]:
        """Put stored samples and events in front of those held; return how many of each."""
        samples = 0
        for info in self.storage.signals():
            signal = self.store.signal(info.device, info.name, info.unit)
            x, y = self.storage.read_last(info.device, info.name, signal.capacity)
            oldest = signal.oldest
            if oldest is not None:  # the newer ones are this run's, held already
                older = x < oldest
                x, y = x[older], y[older]
            samples += signal.backfill(np.asarray(x), np.asarray(y))
        return samples, self.events.load(self.storage.events(limit=self.events.capacity))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _retry(self) -> None:
        delay = self._first_retry
        while not self._stop.wait(delay):
            try:
                samples, events = self.load()
            except StorageError:
                delay = min(delay * 2, self._max_retry)
            else:
                self._report(
                    0, f"loaded {samples} stored samples and {events} events: the storage answers"
                )
                return
