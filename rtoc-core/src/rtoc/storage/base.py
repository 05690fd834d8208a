"""The storage protocol every backend implements.

A backend keeps samples and events for the long term. The logger never calls
it on the hot path: a :class:`~rtoc.storage.writer.WriteBehind` writer hands it
batches from a background thread. Backends need not be thread-safe beyond that
one writer thread plus readers that call in from frontends; they are opened by
their factory and closed with :meth:`Storage.close`.

Contract (checked by :mod:`rtoc.testing.storage_contract`):

- ``append_samples`` stores every sample of every batch; reads return samples
  in the order they were appended (timestamps need not be monotonic), NaN and
  inf kept as they are. A batch whose ``x`` and ``y`` differ in length raises
  ``ValueError`` before anything of that call is stored.
- ``append_events`` is idempotent per ``Event.uid``.
- ``read`` filters ``start <= x <= end`` (either bound may be None).
- ``read_buckets`` answers at most N buckets of min/max/count/first/last for a
  range, by the rules in :mod:`rtoc.storage.buckets` (NaN values are gaps; bad
  arguments are ``ValueError``, a signal never stored :class:`UnknownSignal`).
- ``delete`` removes a signal's samples and its entry in ``signals()``.
- ``delete_samples`` removes the samples with ``start <= x <= end`` (a None
  bound does not limit; NaN timestamps fail a bound as in ``read``); the
  signal's count and span follow (one left with no samples may drop out of
  ``signals()``). Returns how many went.
- ``resample_samples`` replaces the samples with a finite time in
  ``start <= x <= end`` by one per bin of ``1/rate`` s, by the rule of
  :mod:`rtoc.storage.resample` (the mean of each bin's x and y, in the place
  of its first sample); the count, span and buckets follow. Returns (samples
  before, samples after); (0, 0) for a signal never stored.
- ``delete_events`` removes the events with the given uids; returns how many.
- ``rename_signal`` moves every sample and the unit to a new key, and
  ``copy_signal`` duplicates them there; both raise ``ValueError`` naming the
  new key when a signal is stored under it, and do nothing for a signal that
  was never stored. ``set_unit`` changes a stored signal's unit.
- A failing write raises :class:`StorageError` (or a subclass) and leaves
  what was stored before intact.

A backend with troubles of its own to tell (the PostgreSQL spool takes over
from the database, and later hands back) has an attribute ``report``; the
logger sets it to a function ``report(priority 0..2, message)`` that records
an event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs
import numpy as np

from rtoc.events import Event
from rtoc.signals import Samples, SignalKey
from rtoc.storage.buckets import Buckets

if TYPE_CHECKING:
    from rtoc.config import Config


class StorageError(Exception):
    """A backend could not store or read; the message says what and why."""


class AlreadyStored(StorageError):
    """``append_atomically`` was told to store nothing if an event uid is stored already,
    and it is."""


class StorageUnavailable(StorageError):
    """The backend cannot be reached now (a database server that is down), but may
    be later: rtoc starts all the same and loads stored data once it answers."""


@attrs.frozen
class SampleBatch:
    """Samples of one signal to store, as equally long float64 arrays.

    ``uid`` stays the same when the writer retries the batch, so a backend
    that cannot tell whether a failed write reached the database (a
    connection lost during commit) can recognise the batch and not store it
    twice.
    """

    device: str
    name: str
    x: np.ndarray = attrs.field(eq=False)
    y: np.ndarray = attrs.field(eq=False)
    unit: str = ""
    uid: str = attrs.field(factory=lambda: uuid.uuid4().hex, eq=False)

    @property
    def key(self) -> SignalKey:
        return (self.device, self.name)


def batch_arrays(batch: SampleBatch) -> Samples:
    """``batch``'s x and y as float64 arrays; ValueError when their lengths differ.

    Backends call this for every batch before storing any, so a bad batch
    leaves the store untouched.
    """
    x = np.asarray(batch.x, dtype=np.float64).reshape(-1)
    y = np.asarray(batch.y, dtype=np.float64).reshape(-1)
    if len(x) != len(y):
        raise ValueError(
            f"batch {batch.device}.{batch.name}: x has {len(x)} samples but y has {len(y)}"
        )
    return Samples(x, y)


#: An event as a table row, in this order (``event_row`` / ``event_from_row``).
EVENT_COLUMNS = "uid, time, text, device, signal, priority, id, value"

EventRow = tuple[str, float, str, str, str, int, str, float | None]


def event_row(event: Event) -> EventRow:
    return (
        event.uid,
        event.time,
        event.text,
        event.device,
        event.signal,
        int(event.priority),
        event.id,
        event.value,
    )


def event_from_row(row: Sequence[object]) -> Event:
    uid, time, text, device, signal, priority, event_id, value = row
    return Event(
        uid=uid,
        time=time,
        text=text,
        device=device,
        signal=signal,
        priority=priority,
        id=event_id,
        value=value,
    )


def taken(device: str, name: str) -> ValueError:
    """The error for a rename or copy onto a key that is stored already."""
    return ValueError(f"a signal {device}.{name} exists already; choose another name")


def time_bounds(x: np.ndarray) -> tuple[float | None, float | None]:
    """Smallest and largest timestamp in ``x``, NaN ignored; None when there is none."""
    if not len(x) or np.isnan(x).all():
        return None, None
    return float(np.nanmin(x)), float(np.nanmax(x))


@attrs.frozen
class SignalInfo:
    """What a backend knows of one stored signal.

    ``first`` and ``last`` are its smallest and largest timestamp (NaN
    ignored; None when it has none), not the first and last appended.
    """

    device: str
    name: str
    unit: str
    count: int
    first: float | None
    last: float | None

    @property
    def key(self) -> SignalKey:
        return (self.device, self.name)


@runtime_checkable
class Storage(Protocol):
    """Long-term storage of samples and events."""

    #: Human-readable location, printed by ``rtoc run`` ("/home/u/.RTOC/rtoc.sqlite").
    location: str

    def append_samples(self, batches: Sequence[SampleBatch]) -> None: ...

    def append_events(self, events: Sequence[Event]) -> None: ...

    def read(
        self, device: str, name: str, start: float | None = None, end: float | None = None
    ) -> Samples: ...

    def read_last(self, device: str, name: str, count: int) -> Samples: ...

    def read_buckets(
        self, device: str, name: str, start: float, end: float, buckets: int
    ) -> Buckets:
        """At most ``buckets`` buckets of ``start <= x <= end``: see :mod:`rtoc.storage.buckets`."""
        ...

    def signals(self) -> list[SignalInfo]: ...

    def events(
        self, start: float | None = None, end: float | None = None, limit: int | None = None
    ) -> list[Event]:
        """Events with ``start <= time <= end``, oldest first; ``limit`` keeps the newest."""
        ...

    def delete(self, device: str, name: str) -> None: ...

    def delete_samples(
        self, device: str, name: str, start: float | None, end: float | None
    ) -> int: ...

    def resample_samples(
        self, device: str, name: str, rate: float, start: float | None, end: float | None
    ) -> tuple[int, int]: ...

    def rename_signal(self, device: str, name: str, new_device: str, new_name: str) -> None: ...

    def copy_signal(self, device: str, name: str, new_device: str, new_name: str) -> None: ...

    def set_unit(self, device: str, name: str, unit: str) -> None: ...

    def delete_events(self, uids: Iterable[str]) -> int: ...

    def clear_events(self) -> None: ...

    def close(self) -> None: ...


class StorageFactory(Protocol):
    """What ``rtoc_storage_backends`` maps a backend name to."""

    def __call__(self, config: Config, home: Path) -> Storage: ...
