"""Aggregated reads: at most N buckets of min/max for a signal and a time range.

A plot 2,000 pixels wide needs about 2,000 buckets, not 100 million samples.
:class:`Buckets` is the answer of ``Storage.read_buckets`` and
``Logger.read_buckets``: per bucket the count, min and max of y, the smallest
and largest x, and the x of the min and of the max (enough to draw M4: the
first, min, max and last point of each pixel column).

Rules every source keeps (checked by :mod:`rtoc.testing.storage_contract`):

- ``start`` and ``end`` are finite and ``start <= end``, ``buckets >= 1``;
  anything else is a ``ValueError``. A signal the source has never seen is
  :class:`UnknownSignal`.
- The samples with ``start <= x <= end`` and a y that is not NaN are split
  into at most ``buckets`` buckets by x; every such sample is in exactly one
  bucket, and every other sample in none. A NaN y is a gap: it is neither
  counted nor taken into min/max. A sample with NaN x is in no range.
- Only buckets holding a sample are listed, in x order. Bucket ``i`` covers
  ``bucket_start[i] <= x < bucket_stop[i]`` (the last one includes ``end``).
  The memory and SQLite backends cut the range into ``buckets`` equal parts;
  a backend may align inner edges to a grid of its own (PostgreSQL's rollups)
  as long as it keeps to the rules.
- ``count``, ``minimum``, ``maximum``, ``first`` and ``last`` are exact for
  the samples in the bucket (``first``/``last``: their smallest and largest x,
  which for a signal logged in time order are its first and last sample).
  ``x_of_min``/``x_of_max`` are the x of a sample holding the min/max, NaN
  where the backend does not keep it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
import numpy as np


class UnknownSignal(LookupError):
    """A bucketed read of a signal the source does not have."""

    def __init__(self, device: str, name: str) -> None:
        super().__init__(f"no signal {device}.{name}")
        self.device = device
        self.name = name


def _floats(values: object) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def _counts(values: object) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


@attrs.frozen
class Buckets:
    """Non-empty buckets of one signal, oldest first, as equally long arrays."""

    bucket_start: np.ndarray = attrs.field(converter=_floats, eq=False)
    bucket_stop: np.ndarray = attrs.field(converter=_floats, eq=False)
    count: np.ndarray = attrs.field(converter=_counts, eq=False)
    minimum: np.ndarray = attrs.field(converter=_floats, eq=False)
    maximum: np.ndarray = attrs.field(converter=_floats, eq=False)
    first: np.ndarray = attrs.field(converter=_floats, eq=False)
    last: np.ndarray = attrs.field(converter=_floats, eq=False)
    x_of_min: np.ndarray = attrs.field(converter=_floats, eq=False)
    x_of_max: np.ndarray = attrs.field(converter=_floats, eq=False)

    def __len__(self) -> int:
        return len(self.count)

    @classmethod
    def empty(cls) -> Buckets:
        return cls(*([()] * 9))

    @classmethod
    def joined(cls, parts: Sequence[Buckets]) -> Buckets:
        """``parts`` (each oldest first, in x order and not overlapping) as one."""
        if not parts:
            return cls.empty()
        return cls(
            *(
                np.concatenate([getattr(part, field.name) for part in parts])
                for field in attrs.fields(cls)
            )
        )


def minmax_points(buckets: Buckets) -> tuple[np.ndarray, np.ndarray]:
    """Each bucket's minimum and maximum as two points ``(x, y)`` in x order: what a plot
    draws so that no peak is lost at any zoom (two points per pixel column).

    A point sits at the x where its value occurred; where the source does not
    know that x (NaN), at the middle of the bucket's samples.
    """
    middle = (buckets.first + buckets.last) / 2
    x_min = np.where(np.isnan(buckets.x_of_min), middle, buckets.x_of_min)
    x_max = np.where(np.isnan(buckets.x_of_max), middle, buckets.x_of_max)
    min_first = x_min <= x_max
    x = np.empty(2 * len(buckets))
    y = np.empty(2 * len(buckets))
    x[0::2] = np.where(min_first, x_min, x_max)
    x[1::2] = np.where(min_first, x_max, x_min)
    y[0::2] = np.where(min_first, buckets.minimum, buckets.maximum)
    y[1::2] = np.where(min_first, buckets.maximum, buckets.minimum)
    return x, y


def check_range(start: float, end: float, buckets: int) -> tuple[float, float, int]:
    """The arguments of a bucketed read as (float, float, int); ValueError naming the bad one."""
    if isinstance(buckets, bool) or not isinstance(buckets, (int, np.integer)) or buckets < 1:
        raise ValueError(f"buckets must be a whole number >= 1, got {buckets!r}")
    try:
        low, high = float(start), float(end)
    except (TypeError, ValueError):
        raise ValueError(f"start and end must be numbers, got {start!r} and {end!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"start and end must be finite, got {low!r} and {high!r}")
    if low > high:
        raise ValueError(f"start must not be after end, got start {low!r} > end {high!r}")
    return low, high, int(buckets)


class Grid:
    """``count`` equal buckets from ``start`` to ``end`` (the last one closed)."""

    def __init__(self, start: float, end: float, count: int) -> None:
        self.start, self.end, self.count = start, end, count
        self.width = (end - start) / count

    def index(self, x: np.ndarray) -> np.ndarray:
        """The bucket of each x (x within start..end), as int64."""
        if self.width == 0:
            return np.zeros(len(x), dtype=np.int64)
        index = np.clip(np.floor((x - self.start) / self.width), 0, self.count - 1)
        # the division may round across an edge: agree with edges() exactly
        index = index.astype(np.int64)
        start, stop = self.edges(index)
        index -= (x < start) & (index > 0)
        index += (x >= stop) & (index < self.count - 1)
        return index

    def edges(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start = self.start + index * self.width
        stop = np.where(index == self.count - 1, self.end, self.start + (index + 1) * self.width)
        return start, stop


class Cuts:
    """Buckets of ``start..end`` cut at the ``inner`` edges (sorted, inside the range).

    For a backend whose aggregates are aligned to a grid of its own.
    """

    def __init__(self, start: float, end: float, inner: np.ndarray) -> None:
        self.start, self.end, self.inner = start, end, inner

    def index(self, x: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.inner, x, side="right").astype(np.int64)

    def edges(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bounds = np.r_[self.start, self.inner, self.end]
        return bounds[index], bounds[index + 1]


@attrs.frozen
class Summaries:
    """Partial aggregates of disjoint groups of samples, to be merged into buckets.

    A raw sample is a summary of one (count 1, min = max = y, first = last =
    x_of_min = x_of_max = x). Groups of count 0 must be left out.
    """

    count: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    first: np.ndarray
    last: np.ndarray
    x_of_min: np.ndarray
    x_of_max: np.ndarray

    @classmethod
    def of_samples(cls, x: np.ndarray, y: np.ndarray) -> Summaries:
        """Each sample with a non-NaN y as a summary of its own."""
        keep = ~np.isnan(y) & ~np.isnan(x)
        x, y = x[keep], y[keep]
        return cls(np.ones(len(x), dtype=np.int64), y, y, x, x, x, x)

    @classmethod
    def joined(cls, parts: Sequence[Summaries]) -> Summaries:
        return cls(
            *(
                np.concatenate([getattr(part, field.name) for part in parts])
                for field in attrs.fields(cls)
            )
        )

    def __len__(self) -> int:
        return len(self.count)

    def taken(self, keep: np.ndarray) -> Summaries:
        return Summaries(*(getattr(self, field.name)[keep] for field in attrs.fields(Summaries)))


def merge(summaries: Summaries, index: np.ndarray, edges: Grid | Cuts) -> Buckets:
    """Merge ``summaries`` whose bucket is ``index`` into :class:`Buckets`.

    O(n) when ``index`` is sorted already (samples logged in time order),
    O(n log n) otherwise.
    """
    if not len(summaries):
        return Buckets.empty()
    if len(index) > 1 and (np.diff(index) < 0).any():
        order = np.argsort(index, kind="stable")
        summaries, index = summaries.taken(order), index[order]
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    group = np.cumsum(np.r_[False, index[1:] != index[:-1]])
    minimum = np.minimum.reduceat(summaries.minimum, starts)
    maximum = np.maximum.reduceat(summaries.maximum, starts)
    bucket_start, bucket_stop = edges.edges(index[starts])
    return Buckets(
        bucket_start,
        bucket_stop,
        np.add.reduceat(summaries.count, starts),
        minimum,
        maximum,
        np.minimum.reduceat(summaries.first, starts),
        np.maximum.reduceat(summaries.last, starts),
        x_where(summaries.minimum == minimum[group], summaries.x_of_min, group, len(starts)),
        x_where(summaries.maximum == maximum[group], summaries.x_of_max, group, len(starts)),
    )


def x_where(hit: np.ndarray, x: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Per group (numbered 0..groups-1), the x of its first hit; NaN for a group without."""
    positions = np.flatnonzero(hit)
    found = np.full(groups, np.nan)
    hit_groups, first = np.unique(group[positions], return_index=True)
    found[hit_groups] = x[positions[first]]
    return found


def bucket_samples(x: np.ndarray, y: np.ndarray, start: float, end: float, count: int) -> Buckets:
    """Raw samples into at most ``count`` equal buckets of ``start..end`` (checked)."""
    start, end, count = check_range(start, end, count)
    inside = (x >= start) & (x <= end)
    if not inside.all():  # a read of the range already holds only what is inside: no copy
        x, y = x[inside], y[inside]
    grid = Grid(start, end, count)
    if len(x) > 1 and (x[1:] >= x[:-1]).all():
        return _bucket_sorted(x, y, grid)
    summaries = Summaries.of_samples(x, y)
    return merge(summaries, grid.index(summaries.first), grid)


def _bucket_sorted(x: np.ndarray, y: np.ndarray, grid: Grid) -> Buckets:
    """:func:`bucket_samples` of samples in x order (how a logger holds them), without
    the arrays per sample that :func:`merge` builds: the buckets are runs of ``x``,
    cut where :meth:`Grid.edges` puts the edges, and reduced in place. The same
    answer, at a fraction of the memory (10 M samples in memory: a tenth)."""
    inner = grid.start + np.arange(1, grid.count) * grid.width  # as Grid.edges computes
    cuts = np.r_[0, np.searchsorted(x, inner, side="left"), len(x)]
    begins, ends = cuts[:-1], cuts[1:]
    gaps = np.isnan(y)
    if gaps.any():  # a NaN y is no sample: counted out; a bucket of NaN only is none
        filled = np.r_[0, np.cumsum(~gaps)]
        counts = filled[ends] - filled[begins]
    else:
        counts = ends - begins
    held = np.flatnonzero(counts > 0)
    begins, ends, counts = begins[held], ends[held], counts[held]
    if not len(held):
        return Buckets.empty()
    # a run reaches to the next held run: what lies between is NaN, which fmin/fmax skip
    minimum = np.fmin.reduceat(y, begins)
    maximum = np.fmax.reduceat(y, begins)
    if gaps.any():
        valid = np.flatnonzero(~gaps)
        first = x[valid[np.searchsorted(valid, begins)]]
        last = x[valid[np.searchsorted(valid, ends) - 1]]
    else:
        first, last = x[begins], x[ends - 1]
    # each sample from the first held run on, beside its run's minimum and maximum
    held_x, held_y = x[begins[0] :], y[begins[0] :]
    runs = np.diff(np.r_[begins, len(x)])
    offsets = begins - begins[0]
    bucket_start, bucket_stop = grid.edges(held)
    return Buckets(
        bucket_start,
        bucket_stop,
        counts,
        minimum,
        maximum,
        first,
        last,
        _x_of_first(held_y == np.repeat(minimum, runs), held_x, offsets),
        _x_of_first(held_y == np.repeat(maximum, runs), held_x, offsets),
    )


def _x_of_first(hit: np.ndarray, x: np.ndarray, begins: np.ndarray) -> np.ndarray:
    """The x of the first hit from each of ``begins`` on (each run holds one)."""
    positions = np.flatnonzero(hit)
    return x[positions[np.searchsorted(positions, begins)]]


#: Columns of a block summary row (:func:`summarize_blocks`).
BLOCK_FIELDS = 7


def summarize_blocks(x: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
    """Summaries of consecutive blocks of ``size`` samples, as float64 rows
    ``(count, minimum, maximum, first, last, x_of_min, x_of_max)``.

    Only samples with a finite x and a non-NaN y count (no finite range holds
    the others); a block with none has count 0 and NaN elsewhere.
    """
    blocks = -(-len(x) // size)
    rows = np.full((blocks, BLOCK_FIELDS), np.nan)
    if not blocks:
        return rows
    valid = np.isfinite(x) & ~np.isnan(y)
    starts = np.arange(0, len(x), size)
    group = np.arange(len(x)) // size
    count = np.add.reduceat(valid.astype(np.int64), starts)
    minimum = np.minimum.reduceat(np.where(valid, y, np.inf), starts)
    maximum = np.maximum.reduceat(np.where(valid, y, -np.inf), starts)
    rows[:, 0] = count
    rows[:, 1] = minimum
    rows[:, 2] = maximum
    rows[:, 3] = np.minimum.reduceat(np.where(valid, x, np.inf), starts)
    rows[:, 4] = np.maximum.reduceat(np.where(valid, x, -np.inf), starts)
    rows[:, 5] = x_where(valid & (y == minimum[group]), x, group, blocks)
    rows[:, 6] = x_where(valid & (y == maximum[group]), x, group, blocks)
    rows[count == 0, 1:] = np.nan
    return rows


def block_summaries(rows: np.ndarray) -> Summaries:
    """Block summary rows (count > 0) as :class:`Summaries`."""
    return Summaries(rows[:, 0].astype(np.int64), *(rows[:, column] for column in range(1, 7)))
