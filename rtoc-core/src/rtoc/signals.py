"""Signals: fixed-capacity numpy ring buffers of (x, y) samples.

A :class:`Signal` keeps the newest ``capacity`` samples of one measured quantity
as two float64 arrays (``x`` in unix seconds, ``y`` the value), so a stored
sample costs 16 bytes. Appending never allocates and never blocks for longer
than one copy; when the buffer is full the oldest samples roll off.

Persistence is pull-based so that the hot path stays cheap: a write-behind
writer calls :meth:`Signal.collect` to take everything appended since its last
call. Samples that would roll off before the writer has taken them are first
copied aside ("spilled"), so a slow writer never loses data; it only costs a
copy of the samples it had not yet taken.

A capacity is bounded (:data:`MAX_CAPACITY`) and changing it is all or
nothing: :meth:`SignalStore.set_capacity` allocates every new buffer before
any signal changes, so a capacity memory cannot hold leaves the store as it was.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Callable, Iterator
from typing import Literal, NamedTuple

import attrs
import numpy as np
import psutil

#: ``(device name, signal name)``: how signals are addressed everywhere.
SignalKey = tuple[str, str]

_NEVER = 1 << 62  # a total sample count no signal reaches

#: Most samples one signal keeps in memory (16 bytes each: 1.6 GB). More is a
#: typing error, not a plan: long recordings belong in storage.
MAX_CAPACITY = 100_000_000
#: Bytes one held sample costs (x and y, float64 each).
SAMPLE_BYTES = 16


class CapacityError(ValueError):
    """A capacity that is not a whole number from 1 to :data:`MAX_CAPACITY`, or
    that memory cannot hold; nothing was changed."""


def check_capacity(capacity: object, what: str = "capacity") -> int:
    """``capacity`` if it is a whole number from 1 to MAX_CAPACITY, else CapacityError.

    ``what`` names the setting in the message (e.g. ``recordLength``).
    """
    if isinstance(capacity, bool) or not isinstance(capacity, numbers.Integral):
        raise CapacityError(f"{what} must be a whole number, got {capacity!r}")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise CapacityError(
            f"{what} must be from 1 to {MAX_CAPACITY:,} samples per signal "
            f"({SAMPLE_BYTES} bytes each), got {capacity:,}"
        )
    return int(capacity)


def _buffers(capacity: int) -> tuple[np.ndarray, np.ndarray]:
    return np.empty(capacity, dtype=np.float64), np.empty(capacity, dtype=np.float64)


def as_samples(values: object) -> np.ndarray:
    """Return ``values`` as a 1-d float64 array (no copy when it already is one)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"samples must be one-dimensional, got shape {array.shape}")
    return array


class Samples(NamedTuple):
    """A pair of equally long float64 arrays."""

    x: np.ndarray
    y: np.ndarray


def empty_samples() -> Samples:
    return Samples(np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float64))


def in_range(x: np.ndarray, start: float | None, end: float | None) -> np.ndarray:
    """Which ``x`` lie in ``start <= x <= end`` (a None bound does not filter; NaN
    fails any bound)."""
    mask = np.ones(len(x), dtype=bool)
    if start is not None:
        mask &= x >= start
    if end is not None:
        mask &= x <= end
    return mask


def between(x: np.ndarray, y: np.ndarray, start: float | None, end: float | None) -> Samples:
    """The samples with ``start <= x <= end`` (a None bound does not filter)."""
    if start is None and end is None:
        return Samples(x, y)
    mask = in_range(x, start, end)
    return Samples(x[mask], y[mask])


@attrs.frozen
class Collected:
    """What a write-behind writer takes from a signal in one :meth:`Signal.collect`.

    ``replaced`` is true when :meth:`Signal.replace` ran since the previous
    collect: the stored samples of the signal must be dropped before ``chunks``
    are written.
    """

    chunks: tuple[Samples, ...]
    replaced: bool

    @property
    def count(self) -> int:
        return sum(len(chunk.x) for chunk in self.chunks)


class Signal:
    """One measured quantity: a ring buffer of the newest ``capacity`` samples.

    All methods are thread-safe. Reads return copies in insertion order.
    """

    __slots__ = (
        "_armed",
        "_checked",
        "_cursor",
        "_disorder",
        "_guard",
        "_head",
        "_lock",
        "_replaced",
        "_size",
        "_spilled",
        "_x",
        "_y",
        "capacity",
        "device",
        "listeners",
        "name",
        "total",
        "unit",
    )

    def __init__(
        self, device: str, name: str, capacity: int, unit: str = "", *, collected: bool = False
    ) -> None:
        """``collected=True``: a writer will collect from this signal, so keep every
        sample for it from the first one on (see :meth:`collect`)."""
        capacity = check_capacity(capacity, f"capacity of {device}.{name}")
        self.device = device
        self.name = name
        self.unit = unit
        self.capacity = capacity
        #: Called as ``listener(signal)`` after new samples arrive (see Logger.subscribe_samples).
        self.listeners: tuple[Callable[[Signal], None], ...] = ()
        self._x, self._y = _buffers(capacity)
        self._head = 0  # index the next sample is written to
        self._size = 0
        self.total = 0  # samples ever appended: positions count from here
        self._lock = threading.Lock()
        # write-behind bookkeeping (see collect())
        self._cursor = 0  # first position the writer has not taken yet
        self._armed = collected  # a writer collects from this signal
        self._guard = capacity if collected else _NEVER  # spill when total reaches this
        self._spilled: list[Samples] = []
        self._replaced = False
        # sortedness of x, checked lazily by between() so append() pays nothing:
        # held samples at positions below _checked have been compared with their
        # predecessors; _disorder is the newest position found smaller than (or NaN
        # against) its predecessor. The held x are non-decreasing once
        # _disorder <= the oldest held position, i.e. that pair rolled off.
        self._checked = 0
        self._disorder = 0

    @property
    def key(self) -> SignalKey:
        return (self.device, self.name)

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"<Signal {self.device}.{self.name} [{self.unit}] {self._size}/{self.capacity}>"

    # -- writing ---------------------------------------------------------------

    def append(self, x: float, y: float) -> None:
        """Append one sample: the hot path, kept to a few attribute operations."""
        with self._lock:
            if self.total >= self._guard:
                self._spill(1)
            head = self._head
            self._x[head] = x
            self._y[head] = y
            head += 1
            self._head = 0 if head == self.capacity else head
            if self._size < self.capacity:
                self._size += 1
            self.total += 1

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append many samples given as equally long float64 arrays."""
        self._check_lengths(x, y)
        if len(x):
            with self._lock:
                self._extend(x, y)

    def replace(self, x: np.ndarray, y: np.ndarray) -> None:
        """Drop every sample and hold only the given ones (RTOC's ``plot``)."""
        self._check_lengths(x, y)
        with self._lock:
            self._head = self._size = 0
            self._spilled.clear()
            self._replaced = True
            self._cursor = self.total
            self._checked = self._disorder = self.total  # a new data set: nothing checked
            self._rearm()
            if len(x):
                self._extend(x, y)

    def resize(self, capacity: int) -> None:
        """Change the capacity, keeping the newest samples that fit."""
        capacity = check_capacity(capacity, f"capacity of {self.device}.{self.name}")
        self._resize_into(*_buffers(capacity))

    def _resize_into(self, new_x: np.ndarray, new_y: np.ndarray) -> None:
        """Hold the newest samples that fit in the fresh buffers ``new_x, new_y``
        (allocated beforehand, so nothing here can fail for lack of memory)."""
        capacity = len(new_x)
        with self._lock:
            x, y = self._ordered()
            # samples dropped here that the writer has not taken yet go aside first
            dropped = max(0, len(x) - capacity)
            oldest = self.total - self._size
            if self._armed and dropped and self._cursor < oldest + dropped:
                self._spill_range(self._cursor, oldest + dropped)
            self.capacity = capacity
            self._x, self._y = new_x, new_y
            keep = min(len(x), capacity)
            self._x[:keep] = x[len(x) - keep :]
            self._y[:keep] = y[len(y) - keep :]
            self._size = keep
            self._head = keep % capacity
            # the kept samples keep their positions (oldest = total - keep), so the
            # sortedness bookkeeping (_checked, _disorder) stays valid as it is
            self._rearm()

    # -- reading ---------------------------------------------------------------

    @property
    def latest(self) -> tuple[float, float] | None:
        """The newest ``(x, y)``, or None for an empty signal."""
        with self._lock:
            if not self._size:
                return None
            index = self._head - 1
            return float(self._x[index]), float(self._y[index])

    @property
    def oldest(self) -> float | None:
        """The ``x`` of the oldest held sample, or None for an empty signal."""
        with self._lock:
            if not self._size:
                return None
            return float(self._x[(self._head - self._size) % self.capacity])

    def samples(self) -> Samples:
        """Copies of every held sample, oldest first."""
        with self._lock:
            return self._ordered()

    @property
    def x(self) -> np.ndarray:
        return self.samples().x

    @property
    def y(self) -> np.ndarray:
        return self.samples().y

    def last(self, count: int) -> Samples:
        """Copies of the newest ``count`` samples, oldest first."""
        with self._lock:
            count = max(0, min(count, self._size))
            return self._slice(self._size - count, self._size)

    def between(
        self, start: float | None = None, end: float | None = None, last: int | None = None
    ) -> Samples:
        """Copies of the samples with ``start <= x <= end`` (either bound may be None),
        oldest first; ``last``: only the newest ``last`` of those.

        While the held x are non-decreasing (time stamps) this costs
        O(log n + k) for k returned samples, plus a check of the samples
        appended since the previous call; otherwise it masks every sample.
        """
        if (start is not None and math.isnan(start)) or (end is not None and math.isnan(end)):
            return empty_samples()  # no x compares true against NaN
        with self._lock:
            size = self._size
            if start is None and end is None:
                first = 0 if last is None else max(0, size - max(0, last))
                return self._slice(first, size)
            self._check_order()
            if self._disorder <= self.total - size:  # sorted: binary search
                segments = self._segments(self._x, 0, size)
                lo = 0 if start is None else _search(segments, start, "left")
                hi = size if end is None else _search(segments, end, "right")
                if last is not None:
                    lo = max(lo, hi - max(0, last))
                return self._slice(lo, hi)
            held = self._ordered()
        x, y = between(*held, start, end)
        if last is not None:
            drop = max(0, len(x) - max(0, last))
            if drop:
                x, y = x[drop:].copy(), y[drop:].copy()
        return Samples(x, y)

    def delete_between(self, start: float | None, end: float | None) -> int:
        """Drop every held sample with ``start <= x <= end`` (a None bound does not
        filter); return how many went.

        Samples the writer has not taken yet stay untaken if they are kept
        (moved aside as if spilled, in order) and never reach it if they go.
        """
        with self._lock:
            x, y = self._ordered()
            gone = in_range(x, start, end)
            count = int(gone.sum())
            if not count:
                return 0
            if self._armed:
                pending = self._untaken()
                untaken = [*self._spilled, Samples(x[len(x) - pending :], y[len(y) - pending :])]
                kept_untaken = [
                    Samples(chunk.x[keep], chunk.y[keep])
                    for chunk in untaken
                    if (keep := ~in_range(chunk.x, start, end)).any()
                ]
                self._spilled = kept_untaken
            size = len(x) - count
            self._x[:size] = x[~gone]
            self._y[:size] = y[~gone]
            self._size = size
            self._head = size % self.capacity
            self._cursor = self.total  # the held samples are taken; the rest is in _spilled
            self._checked = self._disorder = self.total - size  # nothing checked for order
            self._rearm()
            return count

    def resample_between(
        self, rate: float, start: float | None, end: float | None
    ) -> tuple[int, int]:
        """Replace the held samples with ``start <= x <= end`` by one mean sample per
        ``1/rate`` s (:mod:`rtoc.storage.resample`); (samples before, after).

        Samples the writer has not taken yet are left as they are, still
        untaken: they reach storage after its resampling, and stay as they
        are there too.
        """
        from rtoc.storage.resample import bin_means, thinned  # storage imports this module

        with self._lock:
            x, y = self._ordered()
            taken = len(x) - (self._untaken() if self._armed else 0)
            old = Samples(x[:taken], y[:taken])
            bins = bin_means([old], rate, start, end)
            if not bins.before:
                return 0, 0
            new_x, new_y = thinned(0, *old, bins, start, end)
            size = len(new_x) + len(x) - taken
            self._x[:size] = np.r_[new_x, x[taken:]]
            self._y[:size] = np.r_[new_y, y[taken:]]
            self._size = size
            self._head = size % self.capacity
            self._cursor = self.total - (len(x) - taken)
            self._checked = self._disorder = self.total - size  # nothing checked for order
            self._rearm()
            return bins.before, bins.after

    # -- write-behind ----------------------------------------------------------

    def collect(self) -> Collected:
        """Take every sample appended since the previous collect.

        The first call arms spilling: from then on samples about to roll off
        untaken are kept aside for the next collect.
        """
        with self._lock:
            chunks = self._spilled
            self._spilled = []
            pending = self._untaken()
            if pending:
                chunks.append(self._slice(self._size - pending, self._size))
            self._cursor = self.total
            replaced, self._replaced = self._replaced, False
            self._armed = True
            self._rearm()
            return Collected(tuple(chunks), replaced)

    def mark_collected(self) -> None:
        """Treat everything held now as already persisted (e.g. loaded from storage)."""
        with self._lock:
            self._cursor = self.total
            self._spilled.clear()
            self._replaced = False
            self._armed = True
            self._rearm()

    def backfill(self, x: np.ndarray, y: np.ndarray) -> int:
        """Put samples older than every held one, already stored, in front of the
        held ones: the newest of them, as many as the capacity leaves room for.

        Returns how many were put. The writer does not take them (they are
        stored); the held samples keep their place for it.
        """
        self._check_lengths(x, y)
        with self._lock:
            count = min(len(x), self.capacity - self._size)
            if count <= 0:
                return 0
            held_x, held_y = self._ordered()
            size = self._size + count
            self._x[:size] = np.concatenate([x[len(x) - count :], held_x])
            self._y[:size] = np.concatenate([y[len(y) - count :], held_y])
            self._size = size
            self._head = size % self.capacity
            # the put samples take the positions from the oldest held one on;
            # the held ones, and the writer's place among them, move up by count
            oldest = self.total - (size - count)
            self.total += count
            self._cursor = max(self._cursor, oldest) + count
            self._armed = True
            self._checked = self._disorder = oldest  # nothing checked for order
            self._rearm()
            return count

    @property
    def pending(self) -> int:
        """Samples appended that no writer has collected yet."""
        with self._lock:
            return self._untaken() + sum(len(chunk.x) for chunk in self._spilled)

    # -- internals (call with the lock held) -------------------------------------

    def _untaken(self) -> int:
        """Samples in the buffer the writer has not taken (those that rolled off
        before any writer collected are gone)."""
        return min(self.total - self._cursor, self._size)

    def _check_lengths(self, x: np.ndarray, y: np.ndarray) -> None:
        if len(x) != len(y):
            raise ValueError(
                f"{self.device}.{self.name}: x has {len(x)} samples but y has {len(y)}"
            )

    def _extend(self, x: np.ndarray, y: np.ndarray) -> None:
        count = len(x)
        capacity = self.capacity
        if self.total + count > self._guard:
            self._spill(count)
        if count >= capacity:  # only the newest `capacity` samples stay in memory
            overflow = count - capacity
            if overflow and self._armed:  # the writer still gets the others
                self._spilled.append(Samples(x[:overflow].copy(), y[:overflow].copy()))
                self._cursor = self.total + overflow
                self._rearm()
            self._x[:] = x[overflow:]
            self._y[:] = y[overflow:]
            self._head = 0
            self._size = capacity
        else:
            head = self._head
            first = min(count, capacity - head)
            self._x[head : head + first] = x[:first]
            self._y[head : head + first] = y[:first]
            rest = count - first
            if rest:
                self._x[:rest] = x[first:]
                self._y[:rest] = y[first:]
            self._head = (head + count) % capacity
            self._size = min(capacity, self._size + count)
        self.total += count

    def _rearm(self) -> None:
        # A sample at position p is overwritten once total reaches p + capacity;
        # the first untaken one is at _cursor.
        self._guard = self._cursor + self.capacity if self._armed else _NEVER

    def _spill(self, incoming: int) -> None:
        """Copy aside untaken samples that the next ``incoming`` appends overwrite."""
        oldest = self.total - self._size
        overwritten_end = oldest + max(0, self._size + incoming - self.capacity)
        # spill a block at least an eighth of the buffer long, so single appends
        # pay for one copy every capacity/8 samples rather than one each
        end = min(self.total, max(overwritten_end, self._cursor + max(1, self.capacity // 8)))
        if end > self._cursor:
            self._spill_range(self._cursor, end)

    def _spill_range(self, start: int, end: int) -> None:
        oldest = self.total - self._size
        self._spilled.append(self._slice(start - oldest, end - oldest))
        self._cursor = end
        self._rearm()

    def _check_order(self) -> None:
        """Compare the x appended since the previous check with their predecessors."""
        total = self.total
        if self._checked >= total:
            return
        oldest = total - self._size
        # start at the newest checked sample, or at the oldest held one when every
        # checked sample rolled off
        begin = max(self._checked - 1, oldest)
        tail = _joined(self._segments(self._x, begin - oldest, self._size))
        if begin == oldest and len(tail) and math.isnan(tail[0]):
            # no predecessor to compare a NaN with: unsorted until it rolls off
            self._disorder = begin + 1
        # a comparison, not np.diff: inf - inf is NaN; NaN compares false both ways
        wrong = np.flatnonzero(~(tail[:-1] <= tail[1:]))
        if len(wrong):
            self._disorder = begin + 1 + int(wrong[-1])
        self._checked = total

    def _segments(self, array: np.ndarray, first: int, stop: int) -> tuple[np.ndarray, ...]:
        """Views of held samples ``first:stop`` (counted from the oldest held one) of
        ``array`` (``_x`` or ``_y``) as at most two contiguous segments, oldest first."""
        count = stop - first
        if count <= 0:
            return (array[:0],)
        start = (self._head - self._size + first) % self.capacity
        end = start + count
        if end <= self.capacity:
            return (array[start:end],)
        return (array[start:], array[: end - self.capacity])

    def _ordered(self) -> Samples:
        return self._slice(0, self._size)

    def _slice(self, first: int, stop: int) -> Samples:
        """Copy held samples ``first:stop``, counted from the oldest held sample."""
        if stop <= first:
            return empty_samples()
        return Samples(
            _joined(self._segments(self._x, first, stop)),
            _joined(self._segments(self._y, first, stop)),
        )


def _joined(segments: tuple[np.ndarray, ...]) -> np.ndarray:
    """One array holding a copy of ``segments`` end to end."""
    return segments[0].copy() if len(segments) == 1 else np.concatenate(segments)


def _search(segments: tuple[np.ndarray, ...], value: float, side: Literal["left", "right"]) -> int:
    """``np.searchsorted`` over the concatenation of sorted, mutually ordered segments."""
    index = 0
    for segment in segments:
        found = int(np.searchsorted(segment, value, side))
        index += found
        if found < len(segment):
            break
    return index


class SignalStore:
    """All signals of a logger, addressed by ``(device, name)``.

    ``collected=True`` when a write-behind writer persists the store: new
    signals then keep every sample for it from the start.
    """

    def __init__(self, capacity: int = 500_000, *, collected: bool = False) -> None:
        self.capacity = check_capacity(capacity)
        self.collected = collected
        self._signals: dict[SignalKey, Signal] = {}
        self._listeners: dict[SignalKey, tuple[Callable[[Signal], None], ...]] = {}
        self._lock = threading.Lock()

    def get(self, device: str, name: str) -> Signal | None:
        return self._signals.get((device, name))

    def signal(
        self, device: str, name: str, unit: str | None = None, capacity: int | None = None
    ) -> Signal:
        """Return the signal, creating it (with ``unit`` and ``capacity``) when new."""
        found = self._signals.get((device, name))
        if found is not None:
            if unit and found.unit != unit:
                found.unit = unit
            return found
        with self._lock:
            found = self._signals.get((device, name))
            if found is None:
                found = Signal(
                    device, name, capacity or self.capacity, unit or "", collected=self.collected
                )
                found.listeners = self._listeners.get((device, name), ())
                # copy-on-write: readers iterate a dict that is never mutated
                self._signals = {**self._signals, (device, name): found}
            return found

    def subscribe(self, key: SignalKey, listener: Callable[[Signal], None]) -> None:
        """Give the signal ``key`` a listener, now or when it is created."""
        with self._lock:
            self._set_listeners(key, (*self._listeners.get(key, ()), listener))

    def unsubscribe(self, key: SignalKey, listener: Callable[[Signal], None]) -> None:
        with self._lock:
            # ==, not is: a bound method is a new object each time it is looked up
            kept = tuple(f for f in self._listeners.get(key, ()) if f != listener)
            self._set_listeners(key, kept)

    def _set_listeners(
        self, key: SignalKey, listeners: tuple[Callable[[Signal], None], ...]
    ) -> None:
        if listeners:
            self._listeners[key] = listeners
        else:
            self._listeners.pop(key, None)
        signal = self._signals.get(key)
        if signal is not None:
            signal.listeners = listeners

    def remove(self, device: str, name: str) -> Signal | None:
        with self._lock:
            signals = dict(self._signals)
            removed = signals.pop((device, name), None)
            self._signals = signals
            return removed

    def rename(self, key: SignalKey, new_key: SignalKey) -> Signal | None:
        """Move the signal ``key`` (with its samples) to ``new_key``; it takes the
        listeners of its new name. None when there is no signal ``key``."""
        with self._lock:
            if new_key in self._signals:
                raise ValueError(f"a signal {new_key[0]}.{new_key[1]} exists already")
            signals = dict(self._signals)
            signal = signals.pop(key, None)
            if signal is None:
                return None
            signal.device, signal.name = new_key
            signal.listeners = self._listeners.get(new_key, ())
            signals[new_key] = signal
            self._signals = signals
            return signal

    def keys(self) -> list[SignalKey]:
        return list(self._signals)

    def __iter__(self) -> Iterator[Signal]:
        return iter(list(self._signals.values()))

    def __len__(self) -> int:
        return len(self._signals)

    def __contains__(self, key: object) -> bool:
        return key in self._signals

    def __getitem__(self, key: SignalKey) -> Signal:
        return self._signals[key]

    def devices(self) -> list[str]:
        return sorted({device for device, _ in self._signals})

    def set_capacity(self, capacity: int, what: str = "capacity") -> None:
        """Change the default capacity and resize every signal to it, all or nothing.

        CapacityError (``what`` names the setting) and nothing changed when
        ``capacity`` is out of bounds, when the new buffers of all signals
        together would need more memory than is available now, or when
        allocating them fails. "Available" is the machine's (psutil): a
        container's own memory limit is not seen, and signals created later
        take memory too, so this refuses the impossible, not every risk.
        """
        capacity = check_capacity(capacity, what)
        with self._lock:  # no signal is created meanwhile
            signals = list(self._signals.values())
            needed = len(signals) * capacity * SAMPLE_BYTES
            available = psutil.virtual_memory().available
            if needed > available:
                raise CapacityError(
                    f"{what} {capacity:,}: {len(signals)} signals would need "
                    f"{_gigabytes(needed)} of memory, {_gigabytes(available)} is available"
                )
            try:
                buffers = [_buffers(capacity) for _ in signals]
            except MemoryError:
                raise CapacityError(
                    f"{what} {capacity:,}: not enough memory for {len(signals)} signals "
                    f"({_gigabytes(needed)})"
                ) from None
            for signal, (x, y) in zip(signals, buffers, strict=True):
                signal._resize_into(x, y)
            self.capacity = capacity


def _gigabytes(count: int) -> str:
    return f"{count / 1e9:.3g} GB"
