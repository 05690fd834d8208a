"""Min/max/mean buckets of long recordings, kept up to date as samples arrive.

A plot of an hour of a 1 kHz signal needs about 2,000 buckets, not 3.6 million
samples. Each stored batch therefore also adds to ``rollups``: per signal and
per width in :data:`WIDTHS` (0.1 s to 10,000 s), the count, minimum, maximum
and sum of y in each bucket ``floor(x / width)``. A range read picks the
coarsest width that still gives the buckets asked for and merges whole rollup
rows, so its answer is exact for every bucket (NaN values are left out of
min/max/mean, as a plot would).

Buckets are aligned to multiples of their width, so the first and the last
may hold samples up to one width outside the range asked for.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

#: Bucket widths in seconds, finest first.
WIDTHS = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)


class Buckets(NamedTuple):
    """Equal time buckets: start time, count of values, min, max and mean of y."""

    start: np.ndarray
    count: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    mean: np.ndarray


def rollup_rows(signal_id: int, x: np.ndarray, y: np.ndarray) -> list[tuple]:
    """Rows ``(signal_id, level, bucket, n, min, max, sum)`` to add for one batch."""
    usable = np.isfinite(x) & ~np.isnan(y)
    x, y = x[usable], y[usable]
    if not len(x):
        return []
    rows = []
    for level, width in enumerate(WIDTHS):
        buckets = np.floor(x / width).astype(np.int64)
        order = np.argsort(buckets, kind="stable")
        sorted_buckets, sorted_y = buckets[order], y[order]
        starts = np.flatnonzero(np.r_[True, sorted_buckets[1:] != sorted_buckets[:-1]])
        counts = np.diff(np.r_[starts, len(sorted_y)])
        minimum = np.minimum.reduceat(sorted_y, starts)
        maximum = np.maximum.reduceat(sorted_y, starts)
        with np.errstate(invalid="ignore"):  # inf + -inf: the mean is NaN, as it should be
            total = np.add.reduceat(sorted_y, starts)
        rows.extend(
            zip(
                [signal_id] * len(starts),
                [level] * len(starts),
                sorted_buckets[starts].tolist(),
                counts.tolist(),
                minimum.tolist(),
                maximum.tolist(),
                total.tolist(),
                strict=True,
            )
        )
    return rows


def merged(rows: list[tuple]) -> list[tuple]:
    """Rollup rows with one row per (signal, level, bucket): several batches of one
    signal in one write may share buckets, and one INSERT may not touch a row twice."""
    combined: dict[tuple, list] = {}
    for signal_id, level, bucket, n, low, high, total in rows:
        found = combined.get((signal_id, level, bucket))
        if found is None:
            combined[(signal_id, level, bucket)] = [n, low, high, total]
        else:
            found[0] += n
            found[1] = min(found[1], low)
            found[2] = max(found[2], high)
            found[3] += total
    return [(*key, *values) for key, values in combined.items()]


def plan(start: float, end: float, count: int) -> tuple[int | None, float]:
    """Which rollup level to read and the bucket width of the answer.

    ``None`` as the level: the range is too short for the finest rollups;
    aggregate raw samples instead.
    """
    wanted = (end - start) / count
    usable = [level for level, width in enumerate(WIDTHS) if width <= wanted]
    if not usable:
        return None, wanted
    level = usable[-1]
    width = WIDTHS[level] * math.ceil(wanted / WIDTHS[level])  # ceil: at most count buckets
    return level, width


def empty_buckets() -> Buckets:
    nothing = np.empty(0)
    return Buckets(nothing, np.empty(0, dtype=np.int64), nothing, nothing, nothing)
