"""What a plot trace gets of a signal: raw samples, or min/max per bucket when there are too many.

A browser draws a trace no better with more points than twice its width in
pixels, so a trace never gets more: when a range holds more samples, the
source's exact bucketed read (:meth:`rtoc.frontend.LoggerView.read_buckets`)
gives one bucket per pixel column and each bucket's minimum and maximum are
drawn where they occurred. Peaks therefore survive any zoom level. Pure
functions of a :class:`LoggerView`, tested without a browser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from rtoc.storage.buckets import minmax_points

if TYPE_CHECKING:
    from rtoc.frontend import LoggerView

#: A trace gets at most this many points per pixel of plot width.
POINTS_PER_PIXEL = 2
#: Widths outside this range (a hidden tab measures 0) are clamped.
MIN_WIDTH, MAX_WIDTH = 100, 8000


@attrs.frozen
class TraceData:
    """Points of one trace (x in unix seconds) and how they were made."""

    x: np.ndarray
    y: np.ndarray
    #: 0 for raw samples, else the number of buckets asked for.
    buckets: int = 0
    #: The length of one bucket in seconds (0 for raw samples).
    bucket_seconds: float = 0.0

    @property
    def aggregated(self) -> bool:
        return self.buckets > 0


def clamp_width(width: object) -> int:
    """A plot width in pixels as the browser reported it, made usable."""
    try:
        value = int(float(width))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 1000
    return min(max(value, MIN_WIDTH), MAX_WIDTH)


def read_trace(
    view: LoggerView, device: str, name: str, start: float, end: float, width: int
) -> TraceData:
    """The points of ``device.name`` in ``start..end`` for a plot ``width`` pixels wide.

    The bucketed read comes first: it costs O(buckets) and its counts tell
    whether the raw samples fit. Raises what the view raises
    (``UnknownSignal``/``KeyError``, ``ValueError`` for a bad range).
    """
    width = clamp_width(width)
    buckets = view.read_buckets(device, name, start, end, width)
    limit = POINTS_PER_PIXEL * width
    if int(buckets.count.sum()) <= limit:
        raw = view.read(device, name, start, end)
        if len(raw.x) <= limit:  # more may have arrived since the bucketed read
            return TraceData(raw.x, raw.y)
        buckets = view.read_buckets(device, name, start, end, width)
    x, y = minmax_points(buckets)
    return TraceData(x, y, width, (end - start) / width)


def read_last(view: LoggerView, device: str, name: str, last: int, width: int) -> TraceData:
    """The newest ``last`` samples of a signal, aggregated like :func:`read_trace` when many."""
    width = clamp_width(width)
    raw = view.read(device, name, last=last)
    if len(raw.x) <= POINTS_PER_PIXEL * width:
        return TraceData(raw.x, raw.y)
    finite = raw.x[np.isfinite(raw.x)]
    return read_trace(view, device, name, float(finite.min()), float(finite.max()), width)


def duration_text(seconds: float) -> str:
    """A bucket length for a legend: ``1.8 s``, ``250 ms``, ``3.5 min``, ``2 h``, ``1.5 d``."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def trace_label(device: str, name: str, data: TraceData) -> str:
    """``DPS.U``, or ``DPS.U (min/max of 2,000 buckets, 1.8 s each)`` when aggregated."""
    label = f"{device}.{name}"
    if not data.aggregated:
        return label
    return (
        f"{label} (min/max of {data.buckets:,} buckets, {duration_text(data.bucket_seconds)} each)"
    )
