"""``backup.resample``: store one mean sample per 1/rate seconds instead of every sample.

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
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import attrs
import numpy as np

from rtoc.signals import SignalKey, in_range
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

    def rest(self, keys: Iterable[SignalKey] | None = None) -> list[SampleBatch]:
        """Held-back bins (of every signal, or of ``keys``) as one mean sample each.

        They are no longer held back afterwards.
        """
        with self._lock:
            chosen = list(self._held) if keys is None else [k for k in keys if k in self._held]
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
