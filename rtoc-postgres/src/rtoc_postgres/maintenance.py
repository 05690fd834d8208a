"""``postgresql.keepDays`` and ``resampleAfterDays``, applied while rtoc runs.

A background thread thins and prunes the database at start and then every
hour, over a connection of its own so that the writer never waits for it. A
run that fails (the database is away) is logged and tried again an hour
later; nothing else depends on it. A run may take as long as it needs (its
connection has no ``postgresql.timeout``); closing cuts a run in progress, so
that stopping rtoc never waits for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import attrs

from rtoc_postgres.storage import PostgresStorage

log = logging.getLogger("rtoc.postgresql")

DAY = 86_400.0


@attrs.frozen
class Policy:
    """How long to keep raw samples and data at all; 0 days switches a rule off."""

    keep_days: float = 0.0
    resample_after_days: float = 0.0
    resample_rate: float = 0.1

    @property
    def active(self) -> bool:
        return self.keep_days > 0 or self.resample_after_days > 0


@attrs.frozen
class Outcome:
    """What one maintenance run did."""

    deleted: int = 0
    resampled_from: int = 0
    resampled_to: int = 0

    def describe(self, policy: Policy) -> str:
        parts = []
        if policy.resample_after_days > 0:
            parts.append(
                f"resampled {self.resampled_from} samples older than "
                f"{policy.resample_after_days:g} days to {self.resampled_to} "
                f"({policy.resample_rate:g} Hz)"
            )
        if policy.keep_days > 0:
            parts.append(f"deleted {self.deleted} samples older than {policy.keep_days:g} days")
        return "; ".join(parts)


def apply(database: PostgresStorage, policy: Policy, now: float) -> Outcome:
    """Resample, then delete, as ``policy`` says, relative to ``now`` (unix seconds)."""
    resampled = (0, 0)
    if policy.resample_after_days > 0:
        resampled = database.resample_before(
            now - policy.resample_after_days * DAY, policy.resample_rate
        )
    deleted = database.delete_before(now - policy.keep_days * DAY) if policy.keep_days > 0 else 0
    return Outcome(deleted, *resampled)


class Maintenance:
    """Runs :func:`apply` at start and every ``period`` seconds in its own thread."""

    def __init__(
        self,
        connect: Callable[[], PostgresStorage],
        policy: Policy,
        period: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.period = period
        self.last: Outcome | None = None
        self.runs = 0
        self._connect = connect
        self._clock = clock
        self._stop = threading.Event()
        self._database: PostgresStorage | None = None  # of the run in progress
        self._thread = threading.Thread(target=self._loop, name="rtoc-postgres-maintenance")
        self._thread.daemon = True

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        database = self._database
        if database is not None:
            database.abort()
        if self._thread.is_alive():
            self._thread.join()

    def run_once(self) -> Outcome:
        """One run now; StorageError when the database cannot be reached."""
        database = self._database = self._connect()
        try:
            outcome = apply(database, self.policy, self._clock())
        finally:
            self._database = None
            database.close()
        self.last = outcome
        self.runs += 1
        return outcome

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                outcome = self.run_once()
            except Exception as error:  # StorageError, or a bug: log it and try next time
                log.warning(
                    "postgresql maintenance failed, next try in %g s: %s", self.period, error
                )
            else:
                log.info("postgresql maintenance: %s", outcome.describe(self.policy))
            self._stop.wait(self.period)
