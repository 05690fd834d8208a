"""The write-behind writer: moves samples and events from memory to storage.

It runs in its own thread and, every ``interval`` seconds, collects from each
signal what arrived since its last visit (see :meth:`rtoc.signals.Signal.collect`)
and hands it to the backend in one call. Ingest never waits for the database.

When the backend fails (locked file, full disk, server gone) nothing is dropped:
the operations stay queued in order and are retried with back-off; the
failure is reported once, and again when it is over. Only if the queue grows
past ``max_backlog`` samples are the oldest queued samples given up, and that
is reported as an error with the count.

:attr:`WriteBehind.backlog` counts every accepted sample that is not stored
yet, wherever it waits: still in its signal (while the writer backs off),
queued, or in a write that has not returned (a locked file, a stalled server).
Collecting and queueing happen under one lock that the count takes too, so no
sample is ever between two places the count looks at.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import attrs
import numpy as np

from rtoc.events import Event, Priority
from rtoc.signals import Signal, SignalKey, SignalStore
from rtoc.storage.base import SampleBatch, Storage, StorageError
from rtoc.storage.resample import Resampler

log = logging.getLogger("rtoc.storage")

#: What the writer tells its owner: (priority 0..2, message).
Report = Callable[[int, str], None]


@attrs.frozen
class _Delete:
    """Drop a signal's stored samples (it was replaced by ``plot``)."""

    key: SignalKey


_Operation = SampleBatch | _Delete


@attrs.define
class WriterStats:
    samples_written: int = 0
    events_written: int = 0
    flushes: int = 0
    failures: int = 0
    samples_dropped: int = 0
    last_error: str | None = None


class WriteBehind:
    """Batches samples and events into a :class:`Storage` from a background thread."""

    def __init__(
        self,
        store: SignalStore,
        storage: Storage,
        interval: float = 1.0,
        report: Report | None = None,
        max_backlog: int = 20_000_000,
        max_retry_delay: float = 30.0,
        resample: float = 0.0,
    ) -> None:
        """``resample``: store one mean sample per 1/resample s (0 stores every sample)."""
        self.store = store
        self.storage = storage
        self.interval = interval
        self.max_backlog = max_backlog
        self.max_retry_delay = max_retry_delay
        self._resampler = Resampler(resample) if resample > 0 else None
        self.stats = WriterStats()
        self._report = report or (
            lambda priority, message: log.log(Priority(priority).log_level, message)
        )
        self._operations: list[_Operation] = []  # queued, oldest first
        self._events: list[Event] = []
        self._writing = 0  # samples handed to the backend in a write not yet returned
        # guards _operations, _events and _writing, and is held while samples move
        # from signals to _operations
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    # -- feeding ---------------------------------------------------------------

    def add_event(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)

    def retire(self, signal: Signal) -> None:
        """Queue what the writer has not yet taken from a signal leaving the store."""
        with self._lock:
            operations = self._resampled(self._collected(signal))
            if self._resampler is not None:
                operations.extend(self._resampler.rest([signal.key]))
            self._enqueue(operations)

    @property
    def backlog(self) -> int:
        """Samples accepted but not yet in storage: not yet collected from their
        signals, queued, or being written."""
        with self._lock:
            return (
                sum(signal.pending for signal in self.store)
                + self._queued_samples()
                + self._writing
            )

    def _queued_samples(self) -> int:  # call with _lock held
        return _samples(self._operations)

    # -- running ---------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rtoc-write-behind", daemon=True)
        self._thread.start()

    def stop(self) -> bool:
        """Stop the thread and flush what is left; True when everything was stored."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return self.flush(final=True)

    def _run(self) -> None:
        delay = self.interval
        while not self._stop.wait(delay):
            if self.flush():
                delay = self.interval
            else:  # back off while the backend is failing
                delay = min(max(delay * 2, self.interval), self.max_retry_delay)

    # -- flushing --------------------------------------------------------------

    def flush(self, final: bool = False) -> bool:
        """Collect from every signal and write; True when nothing is left queued.

        ``final``: also write what resampling holds back (the logger is stopping).
        """
        with self._flush_lock:
            return self._flush(final)

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Write everything queued, then keep the writer off the storage until the
        block ends: for changes to stored data (deleting, renaming) that no queued
        sample or event may overtake or undo.

        StorageError when what is queued cannot be written now; the block does
        not run then. (Resampling's held-back bins stay held: see
        :meth:`forget`, :meth:`drop_between` and :meth:`renamed`.)
        """
        with self._flush_lock:
            if not self._flush():
                raise StorageError(
                    f"storage {self.storage.location} cannot be written now, so stored data "
                    f"cannot be changed: {self.stats.last_error}"
                )
            yield

    def forget(self, key: SignalKey) -> None:
        """A signal was deleted: what resampling holds back of it goes too."""
        if self._resampler is not None:
            self._resampler.forget(key)

    def drop_between(self, key: SignalKey, start: float | None, end: float | None) -> None:
        """Samples of a signal were deleted: resampling's held-back ones too."""
        if self._resampler is not None:
            self._resampler.drop_between(key, start, end)

    def settle(self, keys: list[SignalKey], start: float | None, end: float | None) -> None:
        """Samples of ``keys`` in ``start..end`` are about to be resampled in storage:
        store what resampling holds back of them now (call it within :meth:`holding`),
        so that they are resampled too rather than land in the period afterwards."""
        if self._resampler is not None:
            rest = self._resampler.rest(keys, start, end)
            if rest:
                self.storage.append_samples(rest)
                self.stats.samples_written += _samples(rest)

    def renamed(self, key: SignalKey, new_key: SignalKey) -> None:
        if self._resampler is not None:
            self._resampler.rename(key, new_key)

    def _flush(self, final: bool = False) -> bool:  # call with _flush_lock held
        with self._lock:
            self._collect()
            if final and self._resampler is not None:
                self._enqueue(self._resampler.rest())
            operations, self._operations = self._operations, []
            events, self._events = self._events, []
            self._writing = _samples(operations)
        done, error = self._write(operations)
        if error is None and events:
            try:
                self.storage.append_events(events)
            except Exception as failure:
                error = failure
            else:
                self.stats.events_written += len(events)
                events = []
        if error is None:
            self._on_success()
        else:
            self._on_failure(error)
        with self._lock:
            self._operations[:0] = operations[done:]
            self._events[:0] = events
            self._writing = 0
        self._limit_backlog()
        self.stats.flushes += 1
        with self._lock:
            return not self._operations and not self._events

    def _collect(self) -> None:  # call with _lock held
        operations: list[_Operation] = []
        for signal in self.store:
            operations.extend(self._collected(signal))
        self._enqueue(self._resampled(operations))

    def _resampled(self, operations: list[_Operation]) -> list[_Operation]:
        """``operations`` with each batch thinned to per-bin means (``backup.resample``)."""
        resampler = self._resampler
        if resampler is None:
            return operations
        thinned: list[_Operation] = []
        for operation in operations:
            if isinstance(operation, _Delete):
                resampler.forget(operation.key)
                thinned.append(operation)
            elif (batch := resampler.take(operation)) is not None:
                thinned.append(batch)
        return thinned

    def _enqueue(self, operations: list[_Operation]) -> None:  # call with _lock held
        for operation in operations:
            if isinstance(operation, _Delete):  # queued samples of it are moot now
                self._operations = [
                    op
                    for op in self._operations
                    if not (isinstance(op, SampleBatch) and op.key == operation.key)
                ]
            self._operations.append(operation)

    @staticmethod
    def _collected(signal: Signal) -> list[_Operation]:
        """What a signal has for storage: a delete if it was replaced, new samples."""
        collected = signal.collect()
        operations: list[_Operation] = [_Delete(signal.key)] if collected.replaced else []
        if collected.chunks:
            if len(collected.chunks) == 1:
                x, y = collected.chunks[0]
            else:
                x = np.concatenate([chunk.x for chunk in collected.chunks])
                y = np.concatenate([chunk.y for chunk in collected.chunks])
            operations.append(SampleBatch(signal.device, signal.name, x, y, signal.unit))
        return operations

    def _write(self, operations: list[_Operation]) -> tuple[int, Exception | None]:
        """Write operations in order; return how many succeeded, and the failure if any.

        Any exception counts as a backend failure: the data stays queued.
        """
        done = 0
        try:
            while done < len(operations):
                operation = operations[done]
                if isinstance(operation, _Delete):
                    self.storage.delete(*operation.key)
                    done += 1
                    continue
                end = done
                while end < len(operations) and isinstance(operations[end], SampleBatch):
                    end += 1
                batches: list[SampleBatch] = operations[done:end]  # type: ignore[assignment]
                self.storage.append_samples(batches)
                written = _samples(batches)
                self.stats.samples_written += written
                with self._lock:
                    self._writing -= written
                done = end
        except Exception as error:
            return done, error
        return done, None

    def _on_failure(self, error: Exception) -> None:
        self.stats.failures += 1
        self.stats.last_error = f"{type(error).__name__}: {error}"
        if not self._failing:
            self._failing = True
            self._report(
                2,
                f"storage {self.storage.location} failed, keeping data in memory "
                f"and retrying: {self.stats.last_error}",
            )

    def _on_success(self) -> None:
        if self._failing:
            self._failing = False
            self._report(0, f"storage {self.storage.location} works again, backlog written")

    def _limit_backlog(self) -> None:
        with self._lock:
            excess = self._queued_samples() - self.max_backlog
            if excess <= 0:
                return
            dropped = 0
            kept: list[_Operation] = []
            for operation in self._operations:
                if isinstance(operation, SampleBatch) and dropped < excess:
                    dropped += len(operation.x)
                    continue
                kept.append(operation)
            self._operations = kept
        self.stats.samples_dropped += dropped
        self._report(
            2,
            f"storage backlog over {self.max_backlog} samples: gave up the oldest "
            f"{dropped} samples ({self.stats.samples_dropped} in all)",
        )


def _samples(operations: Sequence[_Operation]) -> int:
    """How many samples the batches among ``operations`` hold."""
    return sum(len(op.x) for op in operations if isinstance(op, SampleBatch))
