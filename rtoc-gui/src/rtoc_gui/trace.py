"""What a curve gets of a signal for the visible range: raw samples, or min/max per pixel.

A curve looks no different with more than two points per pixel column, so
it never gets more: the source's bucketed read
(:meth:`rtoc.frontend.LoggerView.read_buckets`, O(buckets) however many
samples the range holds) comes first, and only when its counts show that the
raw samples fit are they read instead. Each bucket's minimum and maximum are
drawn where they occurred, so peaks survive any zoom level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rtoc.storage.buckets import minmax_points

if TYPE_CHECKING:
    from rtoc.frontend import LoggerView
    from rtoc_gui.overview import Overview

#: A curve gets at most this many points per pixel of plot width.
POINTS_PER_PIXEL = 2
#: The range read reaches this share of its width beyond each side, so a
#: curve runs on to the edge of the plot instead of stopping at the last
#: sample inside it, and a small pan needs no new read to look right.
MARGIN = 0.25
MIN_BUCKETS, MAX_BUCKETS = 50, 8000


def read_trace(
    view: LoggerView,
    device: str,
    name: str,
    start: float,
    end: float,
    pixels: int,
    count: int | None = None,
    overview: Overview | None = None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(x, y, aggregated) of ``device.name`` for ``start..end`` drawn ``pixels`` wide.

    ``count``: how many samples the signal has in all, when known; a signal
    that small is read raw at once (one read instead of two: a hundred live
    signals redrawn eight times a second cost half as much). ``overview``:
    the signal's :class:`~rtoc_gui.overview.Overview`, which a wide view is
    drawn from. Raises what the view raises (``LookupError`` for a signal
    it does not have, ``OSError`` when it cannot be reached).
    """
    margin = (end - start) * MARGIN
    start, end = start - margin, end + margin
    buckets = int(min(max(pixels * (1 + 2 * MARGIN), MIN_BUCKETS), MAX_BUCKETS))
    if overview is None or not overview.fine_enough(start, end, buckets):
        return read_range(view, device, name, start, end, buckets, count)
    x, y = minmax_points(overview.points(start, end, buckets))
    if end <= overview.end:
        return x, y, True
    # what arrived since the overview was read
    tail = max(int(buckets * (end - overview.end) / (end - start)), 1)
    x_new, y_new, _ = read_range(view, device, name, overview.end, end, tail, None)
    return np.concatenate([x, x_new]), np.concatenate([y, y_new]), True


def read_range(
    view: LoggerView,
    device: str,
    name: str,
    start: float,
    end: float,
    buckets: int,
    count: int | None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Raw samples of ``start..end`` when at most two per bucket, else min/max per bucket."""
    limit = POINTS_PER_PIXEL * buckets
    if count is not None and count <= limit // 2:  # room for what arrived since it was counted
        raw = view.read(device, name, start, end)
        if len(raw.x) <= limit:
            return raw.x, raw.y, False
    found = view.read_buckets(device, name, start, end, buckets)
    if int(found.count.sum()) <= limit:
        raw = view.read(device, name, start, end)
        if len(raw.x) <= limit:  # more may have arrived since the bucketed read
            return raw.x, raw.y, False
        found = view.read_buckets(device, name, start, end, buckets)
    x, y = minmax_points(found)
    return x, y, True
