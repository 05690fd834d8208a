"""Resampling: one mean sample per 1/rate seconds instead of every sample.

Two users: ``backup.resample`` (:class:`Resampler`, below) thins what goes to
storage as it is recorded, and :meth:`rtoc.frontend.LoggerView.resample_signals`
thins what is recorded already, in memory and storage (:func:`bin_means` and
:func:`thinned`, which every backend uses the same way).

RTOC 2.x resampled signals "before creating a backup"; a 1 kHz signal kept
for a year is 31 billion rows, at 1 Hz it is 31 million. Memory keeps every
sample; only what goes to storage is thinned.

Time is cut into bins of ``1/rate`` seconds on a fixed grid (multiples of the
width, so bins line up across signals and restarts). Each bin becomes one
sample: the mean of its x and the mean of its y. A bin is complete once a
sample of a later bin has arrived; until then its samples are held back, so a
bin split across two writer flushes is still stored once. :meth:`rest` hands
out what is held back when the logger stops. Samples whose time goes
backwards start a new bin rather than being merged out of order.

Resampling what is recorded uses the same grid over a period: every sample
with a finite time in ``start <= x <= end`` belongs to the bin
``floor(x * rate)``; each bin becomes one sample, the mean of its x (so it
lies between the first and last time it replaces, inside the period) and the
mean of its y (NaN if one of them is NaN), put where the bin's first sample
was in the signal's order. Samples outside the period, and those with a NaN
or infinite time, stay as they are.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import attrs
import numpy as np

from rtoc.signals import Samples, SignalKey, in_range
from rtoc.storage.base import SampleBatch


class Resampler:
    """Turns batches into per-bin means, holding back each signal's open bin."""

    def __init__(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError(f"resample rate must be > 0 Hz, got {rate!r}")
        self.rate = rate
        self._held: dict[SignalKey, SampleBatch] = {}  # the open bin of each signal
        self._lock = threading.Lock()

    def take(self, batch: SampleBatch) -> SampleBatch | None:
        """The completed bins of ``batch`` (plus what was held back), or None if none completed."""
        with self._lock:
            return self._take(batch)

    def _take(self, batch: SampleBatch) -> SampleBatch | None:
        held = self._held.pop(batch.key, None)
        x, y = batch.x, batch.y
        if held is not None:
            x, y = np.concatenate([held.x, x]), np.concatenate([held.y, y])
        if not len(x):
            return None
        bins = np.floor(x * self.rate)
        starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
        last = starts[-1]
        self._held[batch.key] = SampleBatch(
            batch.device, batch.name, x[last:], y[last:], batch.unit
        )
        if last == 0:
            return None
        complete = starts[:-1]
        counts = np.diff(starts)
        return SampleBatch(
            batch.device,
            batch.name,
            np.add.reduceat(x[:last], complete) / counts,
            np.add.reduceat(y[:last], complete) / counts,
            batch.unit,
        )

    def forget(self, key: SignalKey) -> None:
        """Drop what is held back of a signal (it was replaced)."""
        with self._lock:
            self._held.pop(key, None)

    def drop_between(self, key: SignalKey, start: float | None, end: float | None) -> None:
        """Drop the held-back samples of a signal with ``start <= x <= end`` (deleted)."""
        with self._lock:
            held = self._held.get(key)
            if held is None:
                return
            keep = ~in_range(held.x, start, end)
            if keep.all():
                return
            if keep.any():
                self._held[key] = attrs.evolve(held, x=held.x[keep], y=held.y[keep])
            else:
                del self._held[key]

    def rename(self, key: SignalKey, new_key: SignalKey) -> None:
        """What is held back of ``key`` is now of ``new_key`` (the signal was renamed)."""
        with self._lock:
            held = self._held.pop(key, None)
            if held is not None:
                self._held[new_key] = attrs.evolve(held, device=new_key[0], name=new_key[1])

    def rest(
        self,
        keys: Iterable[SignalKey] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> list[SampleBatch]:
        """Held-back bins (of every signal, or of ``keys``; with ``start``/``end`` only
        those holding a sample in that period) as one mean sample each.

        They are no longer held back afterwards.
        """
        with self._lock:
            chosen = [
                key
                for key in (self._held if keys is None else keys)
                if key in self._held
                and (
                    (start is None and end is None) or in_range(self._held[key].x, start, end).any()
                )
            ]
            held = [self._held.pop(key) for key in chosen]
        return [
            SampleBatch(
                batch.device,
                batch.name,
                np.array([batch.x.mean()]),
                np.array([batch.y.mean()]),
                batch.unit,
            )
            for batch in held
        ]


@attrs.frozen
class Bins:
    """The bins of some samples (see the module's rule), sorted by bin.

    ``chunk`` and ``index`` say where each bin's first sample is (the chunk
    number given to :func:`bin_means` and its index in that chunk), which is
    where the bin's mean goes.
    """

    number: np.ndarray
    x: np.ndarray
    y: np.ndarray
    count: np.ndarray
    chunk: np.ndarray
    index: np.ndarray

    @property
    def before(self) -> int:
        """Samples the bins replace."""
        return int(self.count.sum())

    @property
    def after(self) -> int:
        """Samples that replace them: one per bin."""
        return len(self.number)


def in_period(x: np.ndarray, start: float | None, end: float | None) -> np.ndarray:
    """Which samples a resampling of ``start..end`` replaces: a finite time in the period."""
    return in_range(x, start, end) & np.isfinite(x)


def bin_means(
    chunks: Iterable[Samples], rate: float, start: float | None, end: float | None
) -> Bins:
    """The bins of the chosen samples of ``chunks`` (a signal's samples in stored
    order, cut anywhere: chunk ``k`` is the ``k``-th given).

    Each chunk is summed up per bin before the next is looked at, so a period
    of many chunks costs memory for its bins, not its samples. Means of x are
    taken as offsets from the bin's start, so a unix time of 1.7e9 s keeps its
    precision, and are kept within the bin's first and last time.
    """
    parts = []
    for number, (x, y) in enumerate(chunks):
        at = np.flatnonzero(in_period(x, start, end))
        if len(at):
            bins = np.floor(x[at] * rate)
            parts.append(
                _per_bin(
                    bins,
                    x[at] - bins / rate,
                    np.ones(len(at), dtype=np.int64),
                    x[at],
                    x[at],
                    y[at],
                    np.full(len(at), number),
                    at,
                )
            )
    if not parts:
        none, where = np.empty(0), np.empty(0, dtype=np.int64)
        return Bins(none, none, none, where, where, where)
    bins, offsets, count, low, high, y_sum, chunk, index = _per_bin(
        *(np.concatenate(column) for column in zip(*parts, strict=True))
    )
    mean_x = np.clip(bins / rate + offsets / count, low, high)
    return Bins(bins, mean_x, y_sum / count, count, chunk, index)


def _per_bin(bins: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rows with the same bin joined, sorted by bin: offset sums, counts, lowest and
    highest x, y sums, and the first row's chunk and index (rows in stored order)."""
    order = np.argsort(bins, kind="stable")
    bins = bins[order]
    offsets, count, low, high, y_sum, chunk, index = (column[order] for column in columns)
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    return (
        bins[starts],
        np.add.reduceat(offsets, starts),
        np.add.reduceat(count, starts),
        np.minimum.reduceat(low, starts),
        np.maximum.reduceat(high, starts),
        np.add.reduceat(y_sum, starts),
        chunk[starts],
        index[starts],
    )


def thinned(
    number: int,
    x: np.ndarray,
    y: np.ndarray,
    bins: Bins,
    start: float | None,
    end: float | None,
) -> Samples:
    """Chunk ``number`` (``x``, ``y``) after resampling: its samples outside the
    period as they were, and the means of the bins whose first sample it held,
    each in that sample's place."""
    keep = ~in_period(x, start, end)
    mine = bins.chunk == number
    positions = np.r_[np.flatnonzero(keep), bins.index[mine]]
    order = np.argsort(positions, kind="stable")
    return Samples(np.r_[x[keep], bins.x[mine]][order], np.r_[y[keep], bins.y[mine]][order])
