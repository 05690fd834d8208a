"""A backend that keeps everything in process: for tests and when backup is off."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np

from rtoc.events import Event
from rtoc.signals import Samples, SignalKey, between, empty_samples, in_range
from rtoc.storage.base import SampleBatch, SignalInfo, batch_arrays, taken, time_bounds
from rtoc.storage.buckets import Buckets, UnknownSignal, bucket_samples, check_range
from rtoc.storage.resample import bin_means, in_period, thinned

if TYPE_CHECKING:
    from rtoc.config import Config


def newest_events(events: list[Event], limit: int | None) -> list[Event]:
    """The newest ``limit`` of ``events`` (sorted oldest first), all when None."""
    if limit is None:
        return events
    return events[len(events) - limit :] if limit > 0 else []


@attrs.define
class _Chunk:
    x: np.ndarray
    y: np.ndarray
    first: float | None
    last: float | None


@attrs.define
class _Stored:
    unit: str
    chunks: list[_Chunk] = attrs.Factory(list)


class MemoryStorage:
    """Samples as lists of numpy chunks per signal, events in a dict by uid.

    Nothing survives the process. Every method takes one lock, so a writer
    thread and reader threads may share it.
    """

    location = "memory"

    def __init__(self) -> None:
        self._signals: dict[SignalKey, _Stored] = {}
        self._events: dict[str, Event] = {}
        self._lock = threading.Lock()

    def append_samples(self, batches: Sequence[SampleBatch]) -> None:
        arrays = [batch_arrays(batch) for batch in batches]
        with self._lock:
            for batch, (x, y) in zip(batches, arrays, strict=True):
                if not len(x):
                    continue
                stored = self._signals.setdefault(batch.key, _Stored(batch.unit))
                if batch.unit:
                    stored.unit = batch.unit
                # copies: the caller may reuse its buffers
                stored.chunks.append(_Chunk(x.copy(), y.copy(), *time_bounds(x)))

    def append_events(self, events: Sequence[Event]) -> None:
        with self._lock:
            for event in events:
                self._events.setdefault(event.uid, event)

    def read(
        self, device: str, name: str, start: float | None = None, end: float | None = None
    ) -> Samples:
        with self._lock:
            stored = self._signals.get((device, name))
            if stored is None or not stored.chunks:
                return empty_samples()
            x = np.concatenate([chunk.x for chunk in stored.chunks])
            y = np.concatenate([chunk.y for chunk in stored.chunks])
        return between(x, y, start, end)

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets:
        """Exact equal buckets, from the raw samples in the range."""
        check_range(start, end, buckets)
        with self._lock:
            if (device, name) not in self._signals:
                raise UnknownSignal(device, name)
        x, y = self.read(device, name, start, end)
        return bucket_samples(x, y, start, end, buckets)

    def read_last(self, device: str, name: str, count: int) -> Samples:
        with self._lock:
            stored = self._signals.get((device, name))
            if stored is None or count <= 0:
                return empty_samples()
            chosen: list[_Chunk] = []
            found = 0
            for chunk in reversed(stored.chunks):
                chosen.append(chunk)
                found += len(chunk.x)
                if found >= count:
                    break
            if not chosen:
                return empty_samples()
            chosen.reverse()
            x = np.concatenate([chunk.x for chunk in chosen])
            y = np.concatenate([chunk.y for chunk in chosen])
        skip = max(0, len(x) - count)
        return Samples(x[skip:], y[skip:])

    def signals(self) -> list[SignalInfo]:
        with self._lock:
            return [self._info(key, stored) for key, stored in sorted(self._signals.items())]

    @staticmethod
    def _info(key: SignalKey, stored: _Stored) -> SignalInfo:
        firsts = [chunk.first for chunk in stored.chunks if chunk.first is not None]
        lasts = [chunk.last for chunk in stored.chunks if chunk.last is not None]
        return SignalInfo(
            device=key[0],
            name=key[1],
            unit=stored.unit,
            count=sum(len(chunk.x) for chunk in stored.chunks),
            first=min(firsts, default=None),
            last=max(lasts, default=None),
        )

    def events(
        self, start: float | None = None, end: float | None = None, limit: int | None = None
    ) -> list[Event]:
        with self._lock:
            events = list(self._events.values())
        chosen = [
            event
            for event in events
            if (start is None or event.time >= start) and (end is None or event.time <= end)
        ]
        chosen.sort(key=lambda event: event.time)  # stable: ties stay in insertion order
        return newest_events(chosen, limit)

    def delete(self, device: str, name: str) -> None:
        with self._lock:
            self._signals.pop((device, name), None)

    def delete_samples(self, device: str, name: str, start: float | None, end: float | None) -> int:
        removed = 0
        with self._lock:
            stored = self._signals.get((device, name))
            if stored is None:
                return 0
            kept = []
            for chunk in stored.chunks:
                gone = in_range(chunk.x, start, end)
                count = int(gone.sum())
                removed += count
                if not count:
                    kept.append(chunk)
                elif count < len(chunk.x):
                    x, y = chunk.x[~gone], chunk.y[~gone]
                    kept.append(_Chunk(x, y, *time_bounds(x)))
            stored.chunks = kept
        return removed

    def resample_samples(
        self, device: str, name: str, rate: float, start: float | None, end: float | None
    ) -> tuple[int, int]:
        with self._lock:
            stored = self._signals.get((device, name))
            if stored is None:
                return 0, 0
            bins = bin_means(((chunk.x, chunk.y) for chunk in stored.chunks), rate, start, end)
            if not bins.before:
                return 0, 0
            kept = []
            for number, chunk in enumerate(stored.chunks):
                if not in_period(chunk.x, start, end).any():
                    kept.append(chunk)  # untouched: shared with copies, never changed in place
                    continue
                x, y = thinned(number, chunk.x, chunk.y, bins, start, end)
                if len(x):
                    kept.append(_Chunk(x, y, *time_bounds(x)))
            stored.chunks = kept
        return bins.before, bins.after

    def rename_signal(self, device: str, name: str, new_device: str, new_name: str) -> None:
        with self._lock:
            if (device, name) not in self._signals:
                return
            if (new_device, new_name) in self._signals:
                raise taken(new_device, new_name)
            self._signals[(new_device, new_name)] = self._signals.pop((device, name))

    def copy_signal(self, device: str, name: str, new_device: str, new_name: str) -> None:
        with self._lock:
            stored = self._signals.get((device, name))
            if stored is None:
                return
            if (new_device, new_name) in self._signals:
                raise taken(new_device, new_name)
            # chunks are never changed in place (delete_samples makes new ones): share them
            self._signals[(new_device, new_name)] = _Stored(stored.unit, list(stored.chunks))

    def set_unit(self, device: str, name: str, unit: str) -> None:
        with self._lock:
            stored = self._signals.get((device, name))
            if stored is not None:
                stored.unit = unit

    def delete_events(self, uids: Iterable[str]) -> int:
        with self._lock:
            return sum(self._events.pop(uid, None) is not None for uid in set(uids))

    def clear_events(self) -> None:
        with self._lock:
            self._events.clear()

    def close(self) -> None:
        """Nothing to release: the data lives as long as this object."""


def open_memory(config: Config, home: Path) -> MemoryStorage:
    """The ``memory`` backend factory: ``config`` and ``home`` are not needed."""
    return MemoryStorage()
