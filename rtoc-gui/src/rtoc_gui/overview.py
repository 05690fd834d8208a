"""An overview of a long signal, read once, that wide views are drawn from.

Bucketing a range of samples held in memory costs O(samples): 10 M samples
take half a second, too slow for every frame of a pan. So a signal of at
least :data:`MIN_SAMPLES` gets an :class:`Overview`: :data:`BUCKETS`
min/max buckets over its whole span, read once through the source's
``read_buckets``. A view wide enough that each pixel column covers at least
two overview buckets is drawn from the overview (O(overview buckets)), the
samples that arrived since it was read are read from the source; a narrower
view reads the source, where its range is small. An overview is read again
when the signal grew by :data:`REGROWTH` or lost its oldest samples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from rtoc.storage.buckets import Buckets

if TYPE_CHECKING:
    from rtoc.frontend import LoggerView
    from rtoc.storage.base import SignalInfo

BUCKETS = 1 << 16
MIN_SAMPLES = 1_000_000
REGROWTH = 0.05


@attrs.frozen
class Overview:
    """Min/max buckets of a signal from ``start`` to ``end`` (its span when read)."""

    start: float
    end: float
    count: int
    buckets: Buckets

    @property
    def width(self) -> float:
        """Seconds one overview bucket spans."""
        return (self.end - self.start) / BUCKETS

    @classmethod
    def read(cls, view: LoggerView, info: SignalInfo) -> Overview:
        assert info.first is not None and info.last is not None
        start, end = info.first, float(np.nextafter(info.last, np.inf))
        found = view.read_buckets(info.device, info.name, start, end, BUCKETS)
        return cls(start, end, info.count, found)

    def stale(self, info: SignalInfo) -> bool:
        """Whether the signal changed so much since that the overview must be read again."""
        if info.first is None or info.count < self.count:
            return True
        return info.first > self.start + self.width or info.count > self.count * (1 + REGROWTH)

    def fine_enough(self, start: float, end: float, buckets: int) -> bool:
        """Whether ``buckets`` buckets over ``start..end`` can be drawn from this overview."""
        return (end - start) / buckets >= 2 * self.width

    def points(self, start: float, end: float, buckets: int) -> Buckets:
        """Up to ``buckets`` buckets over ``start..min(end, self.end)``, from the overview.

        Each is the union of the overview buckets that begin in it: the
        minimum and maximum, and where they occurred, of all of them.
        """
        found = self.buckets
        inside = (found.bucket_stop >= start) & (found.bucket_start <= end)
        if not inside.any():
            return Buckets.empty()
        part = {field.name: getattr(found, field.name)[inside] for field in attrs.fields(Buckets)}
        size = (end - start) / buckets
        group = np.floor((part["bucket_start"] - start) / size).astype(np.int64)
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        ids = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(group)]))
        minimum = np.minimum.reduceat(part["minimum"], starts)
        maximum = np.maximum.reduceat(part["maximum"], starts)
        return Buckets(
            bucket_start=part["bucket_start"][starts],
            bucket_stop=np.maximum.reduceat(part["bucket_stop"], starts),
            count=np.add.reduceat(part["count"], starts),
            minimum=minimum,
            maximum=maximum,
            first=part["first"][starts],
            last=np.maximum.reduceat(part["last"], starts),
            x_of_min=_where(part["minimum"] == minimum[ids], ids, part["x_of_min"], len(starts)),
            x_of_max=_where(part["maximum"] == maximum[ids], ids, part["x_of_max"], len(starts)),
        )


def would_draw(info: SignalInfo, start: float, end: float, pixels: int) -> bool:
    """Whether an overview of ``info`` would draw ``start..end`` ``pixels`` wide (so a
    plot waiting for one need not bucket the whole range itself meanwhile)."""
    if info.first is None or info.last is None or pixels < 1:
        return False
    return (end - start) / pixels >= 2 * (info.last - info.first) / BUCKETS


def _where(hit: np.ndarray, ids: np.ndarray, x: np.ndarray, groups: int) -> np.ndarray:
    """Per group, the x of its first bucket where ``hit`` is true."""
    result = np.full(groups, np.nan)
    chosen, first = np.unique(ids[hit], return_index=True)
    result[chosen] = x[np.flatnonzero(hit)[first]]
    return result
