"""Min/max buckets of long recordings, kept up to date as samples arrive.

A plot of an hour of a 1 kHz signal needs about 2,000 buckets, not 3.6 million
samples. Each stored batch therefore also adds to ``rollups``: per signal and
per width in :data:`WIDTHS` (0.1 s to 10,000 s), the count, minimum, maximum
and sum of y in each bucket ``floor(x / width)``, the smallest and largest x
in it and the x of its minimum and maximum (schema version 5).

:meth:`rtoc_postgres.storage.PostgresStorage.read_buckets` answers the core's
``read_buckets`` (:mod:`rtoc.storage.buckets`) from them: it picks the
coarsest width that is still finer than the buckets asked for, cuts the range
at multiples of that width near the equal edges, and merges whole rollup rows
into buckets; rows that reach across the range's ends (or an edge, which
float rounding can make happen) are replaced by their raw samples. So every
bucket is exact. NaN values are left out, as the core's rules say.
"""

from __future__ import annotations

import numpy as np

from rtoc.storage.buckets import x_where

#: Bucket widths in seconds, finest first.
WIDTHS = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)


def rollup_rows(signal_id: int, x: np.ndarray, y: np.ndarray) -> list[tuple]:
    """Rows ``(signal_id, level, bucket, n, min, max, sum, x_first, x_last, x_of_min,
    x_of_max)`` to add for one batch."""
    usable = np.isfinite(x) & ~np.isnan(y)
    x, y = x[usable], y[usable]
    if not len(x):
        return []
    rows = []
    for level, width in enumerate(WIDTHS):
        buckets = np.floor(x / width).astype(np.int64)
        order = np.argsort(buckets, kind="stable")
        sorted_buckets, sorted_x, sorted_y = buckets[order], x[order], y[order]
        new = np.r_[True, sorted_buckets[1:] != sorted_buckets[:-1]]
        starts = np.flatnonzero(new)
        group = np.cumsum(new) - 1
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
                np.minimum.reduceat(sorted_x, starts).tolist(),
                np.maximum.reduceat(sorted_x, starts).tolist(),
                x_where(sorted_y == minimum[group], sorted_x, group, len(starts)).tolist(),
                x_where(sorted_y == maximum[group], sorted_x, group, len(starts)).tolist(),
                strict=True,
            )
        )
    return rows


def merged(rows: list[tuple]) -> list[tuple]:
    """Rollup rows with one row per (signal, level, bucket): several batches of one
    signal in one write may share buckets, and one INSERT may not touch a row twice."""
    combined: dict[tuple, list] = {}
    for signal_id, level, bucket, *values in rows:
        found = combined.get((signal_id, level, bucket))
        if found is None:
            combined[(signal_id, level, bucket)] = values
            continue
        n, low, high, total, first, last, x_of_min, x_of_max = values
        if low < found[1]:
            found[6] = x_of_min
        if high > found[2]:
            found[7] = x_of_max
        found[0] += n
        found[1] = min(found[1], low)
        found[2] = max(found[2], high)
        found[3] += total
        found[4] = min(found[4], first)
        found[5] = max(found[5], last)
    return [(*key, *values) for key, values in combined.items()]


def cuts(start: float, end: float, count: int) -> tuple[int | None, np.ndarray]:
    """The rollup level to read and the inner bucket edges for ``count`` buckets.

    The edges are multiples of the level's width, each the nearest to an
    equal edge, so that whole rollup rows fall into one bucket. ``None`` as
    the level: the range is too short for the finest rollups (bucket the
    samples themselves).
    """
    wanted = (end - start) / count
    usable = [level for level, width in enumerate(WIDTHS) if width <= wanted]
    if not usable:
        return None, np.empty(0)
    level = usable[-1]
    width = WIDTHS[level]
    equal = start + np.arange(1, count) * wanted
    inner = np.unique(np.round(equal / width)) * width
    return level, inner[(inner > start) & (inner < end)]
