"""PostgreSQL that may go away: writes fall back to the local spool and are replayed.

:class:`SpooledStorage` is what ``rtoc run`` gets. While the database takes
writes, they go straight to it. When a write fails (server down, network cut,
write refused), that write and every later one go to the :class:`Spool`, in
order, and a replay thread retries with back-off (1 s doubling to 30 s).
Once the database answers again, it moves the spool over oldest first, and
only then do writes go direct again. Replayed batches keep their ``uid``, so
a batch whose first write did reach the database is not stored twice.

The logger never waits for the database longer than ``postgresql.timeout``
(a database that stops answering is cut off then, see
:mod:`rtoc_postgres.deadline`) and never sees a write fail. It is told, as
events, when spooling starts, how much is waiting (every 30 s), and when the
spool is empty again; without a logger these go to the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from rtoc.events import Event, Priority
from rtoc.signals import Samples
from rtoc.storage.base import SampleBatch, SignalInfo, StorageError, StorageUnavailable
from rtoc.storage.buckets import Buckets
from rtoc_postgres.maintenance import Maintenance
from rtoc_postgres.spool import Spool
from rtoc_postgres.storage import PostgresStorage

log = logging.getLogger("rtoc.postgres")

_T = TypeVar("_T")

#: Samples moved from the spool in one database transaction.
REPLAY_CHUNK = 200_000
#: How often, while spooling, the backlog is logged.
BACKLOG_REPORT = 30.0


class SpooledStorage:
    """A :class:`PostgresStorage` behind a local spool. Reads go to the database."""

    def __init__(
        self,
        connect: Callable[[], PostgresStorage],
        spool: Spool,
        location: str,
        *,
        first_retry: float = 1.0,
        max_retry: float = 30.0,
        maintenance: Maintenance | None = None,
    ) -> None:
        """``maintenance``: started here and closed with this storage."""
        self.location = location
        self.maintenance = maintenance
        self.spool = spool
        self._connect = connect
        self._database: PostgresStorage | None = None
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._lock = threading.Lock()  # orders writes: direct, or into the spool
        self._wake = threading.Event()
        self._closing = False
        self._last_report = 0.0
        self.dropped = 0
        #: Where to tell about outages, as (priority 0..2, message); the logger
        #: sets it to record events. Until then they go to the log.
        self.report: Callable[[int, str], None] | None = None
        self._thread = threading.Thread(
            target=self._replay, name="rtoc-postgres-spool", daemon=True
        )
        try:
            self._database = connect()
        except StorageError as error:
            self._spooling(error)
        if not spool.empty:
            log.warning("%d samples from an earlier run wait in %s", spool.samples, spool.path)
        self._thread.start()
        self._wake.set()
        if maintenance is not None:
            maintenance.start()

    @property
    def backlog(self) -> int:
        """Samples in the spool, not yet in the database."""
        return self.spool.samples

    # -- writes ----------------------------------------------------------------------

    def append_samples(self, batches: Sequence[SampleBatch]) -> None:
        # a bad batch raises ValueError from either path before anything is stored
        with self._lock:
            if self.spool.empty and self._database is not None:
                try:
                    self._database.append_samples(batches)
                    return
                except StorageError as error:
                    self._spooling(error)
            dropped = self.spool.put_samples(batches)
        if dropped:
            self._gave_up(dropped)
        self._wake.set()

    def append_events(self, events: Sequence[Event]) -> None:
        with self._lock:
            if self.spool.empty and self._database is not None:
                try:
                    self._database.append_events(events)
                    return
                except StorageError as error:
                    self._spooling(error)
            self.spool.put_events(events)
        self._wake.set()

    def delete(self, device: str, name: str) -> None:
        self._changing(lambda database: database.delete(device, name))

    def delete_samples(self, device: str, name: str, start: float | None, end: float | None) -> int:
        return self._changing(lambda database: database.delete_samples(device, name, start, end))

    def resample_samples(
        self, device: str, name: str, rate: float, start: float | None, end: float | None
    ) -> tuple[int, int]:
        return self._changing(
            lambda database: database.resample_samples(device, name, rate, start, end)
        )

    def rename_signal(self, device: str, name: str, new_device: str, new_name: str) -> None:
        self._changing(lambda database: database.rename_signal(device, name, new_device, new_name))

    def copy_signal(self, device: str, name: str, new_device: str, new_name: str) -> None:
        self._changing(lambda database: database.copy_signal(device, name, new_device, new_name))

    def set_unit(self, device: str, name: str, unit: str) -> None:
        self._changing(lambda database: database.set_unit(device, name, unit))

    def delete_events(self, uids: Iterable[str]) -> int:
        wanted = list(uids)
        return self._changing(lambda database: database.delete_events(wanted))

    def _changing(self, change: Callable[[PostgresStorage], _T]) -> _T:
        """Run a change of stored data once the spool is empty, so that nothing
        replayed later brings back what it deleted or lands under an old name.

        StorageUnavailable while the database is away or samples still wait.
        """
        self.drain()
        with self._lock:  # no write can go to the spool meanwhile
            if not self.spool.empty:
                raise StorageUnavailable(
                    f"{self.location}: {self.spool.samples} samples still wait in the spool "
                    f"{self.spool.path}; try again once the database has them"
                )
            return change(self._db())

    def delete_before(self, cutoff: float) -> int:
        return self._db().delete_before(cutoff)

    def clear_events(self) -> None:
        self._changing(lambda database: database.clear_events())

    # -- reads: the database's -------------------------------------------------------

    def read(
        self, device: str, name: str, start: float | None = None, end: float | None = None
    ) -> Samples:
        return self._db().read(device, name, start, end)

    def read_last(self, device: str, name: str, count: int) -> Samples:
        return self._db().read_last(device, name, count)

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets:
        return self._db().read_buckets(device, name, start, end, buckets)

    def signals(self) -> list[SignalInfo]:
        return self._db().signals()

    def events(
        self, start: float | None = None, end: float | None = None, limit: int | None = None
    ) -> list[Event]:
        return self._db().events(start, end, limit)

    def _db(self) -> PostgresStorage:
        database = self._database
        if database is None:
            raise StorageUnavailable(f"{self.location}: the database is not reachable now")
        return database

    # -- replay ----------------------------------------------------------------------

    def _replay(self) -> None:
        delay = self._first_retry
        while True:
            self._wake.wait(delay if not self.spool.empty or self._database is None else None)
            self._wake.clear()
            if self._closing:
                return
            if self.drain():
                delay = self._first_retry
            else:
                delay = min(delay * 2, self._max_retry)
                self._report_backlog()

    def drain(self, deadline: float | None = None) -> bool:
        """Move the spool to the database, oldest first; True when it is empty.

        Stops at the first failure, or at ``deadline`` (``time.monotonic()``).
        """
        moved = 0
        while True:
            with self._lock:
                try:
                    if self._database is None:
                        self._database = self._connect()
                    last, batches = self.spool.oldest_samples(REPLAY_CHUNK)
                    if batches:
                        self._database.append_samples(batches)
                        self.spool.forget_samples(last)
                        moved += sum(len(batch.x) for batch in batches)
                    else:
                        last, events = self.spool.oldest_events()
                        if events:
                            self._database.append_events(events)
                            self.spool.forget_events(last)
                        if moved:
                            self._say(0, f"{self.location} is back: replayed {moved} samples")
                        return True
                except StorageError as error:
                    self._spooling(error)
                    return False
            if deadline is None and self._closing:  # close() takes over, with a deadline
                return self.spool.empty
            if deadline is not None and time.monotonic() > deadline:
                return self.spool.empty

    def _spooling(self, error: StorageError) -> None:
        if self._database is not None or not self._last_report:
            self._say(
                1,
                f"{self.location} failed, keeping data in the spool {self.spool.path} "
                f"and retrying: {error}",
            )
            self._last_report = time.monotonic()
        if self._database is not None:
            self._database.close()
        self._database = None

    def _report_backlog(self) -> None:
        if time.monotonic() - self._last_report >= BACKLOG_REPORT:
            self._last_report = time.monotonic()
            self._say(
                1,
                f"{self.location} still unreachable: {self.spool.samples} samples wait "
                f"in the spool {self.spool.path}",
            )

    def _gave_up(self, count: int) -> None:
        self.dropped += count
        which = "newest" if self.spool.keep == "oldest" else "oldest"
        self._say(
            2,
            f"the spool {self.spool.path} is full (postgresql.spoolLimit = "
            f"{self.spool.limit} samples): gave up the {which} {count} samples "
            f"({self.dropped} in all); keeping the {self.spool.keep}",
        )

    def _say(self, priority: int, message: str) -> None:
        if self.report is None:
            log.log(Priority(priority).log_level, message)
        else:
            self.report(priority, message)

    # -- closing ---------------------------------------------------------------------

    def close(self, wait: float = 10.0) -> None:
        """Try for ``wait`` seconds to empty the spool; what is left stays for next time.

        The replay thread stops first, after the attempt it may be making, so
        that two attempts never wait for the database at once. Each attempt is
        bounded by the connect and statement timeouts of the database.
        """
        if self.maintenance is not None:
            self.maintenance.close()
        self._closing = True
        self._wake.set()
        self._thread.join()
        if not self.spool.empty:
            self.drain(deadline=time.monotonic() + wait)
        if not self.spool.empty:
            log.error(
                "%d samples stay in %s until rtoc runs again with the database reachable",
                self.spool.samples,
                self.spool.path,
            )
        self.spool.close()
        if self._database is not None:
            self._database.close()
