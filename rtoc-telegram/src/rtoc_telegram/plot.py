"""Plots as PNG pictures: the chosen signals over a period, from aggregated reads.

Each signal is read as at most ``BUCKETS`` min/max buckets
(``LoggerView.read_buckets``), so ten million samples draw as fast as ten
thousand: each bucket is drawn by its minimum and maximum at the times they
occurred, which keeps every peak. One axis per unit, stacked, sharing time;
events in the period are vertical lines with their text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # headless; before pyplot is imported anywhere
import numpy as np
from matplotlib.figure import Figure

from rtoc.frontend import EventQuery, LoggerView
from rtoc.signals import SignalKey

#: Buckets per signal: about two per pixel column of the picture.
BUCKETS = 1000
#: Events drawn at most; the newest ones.
MAX_EVENTS = 30
SIZE = (10.0, 6.0)  # inches
DPI = 100


def _times(seconds: np.ndarray) -> np.ndarray:
    return (seconds * 1000).astype("datetime64[ms]")


def render(
    view: LoggerView,
    keys: Sequence[SignalKey],
    start: float,
    end: float,
    events: bool = True,
) -> bytes:
    """A PNG of ``keys`` from ``start`` to ``end`` (unix seconds), times in UTC."""
    units: dict[str, list[SignalKey]] = {}
    infos = {info.key: info for info in view.signal_infos()}
    for key in keys:
        units.setdefault(infos[key].unit if key in infos else "", []).append(key)
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    axes = figure.subplots(max(1, len(units)), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (unit, members) in zip(axes, units.items(), strict=False):
        for device, name in members:
            buckets = view.read_buckets(device, name, start, end, BUCKETS)
            if not len(buckets):
                ax.plot([], [], label=f"{device}.{name} (no data)")
                continue
            x = np.column_stack([buckets.x_of_min, buckets.x_of_max])
            y = np.column_stack([buckets.minimum, buckets.maximum])
            order = np.argsort(x, axis=1)
            x = np.take_along_axis(x, order, axis=1).ravel()
            y = np.take_along_axis(y, order, axis=1).ravel()
            ax.plot(_times(x), y, linewidth=1, label=f"{device}.{name}")
        ax.set_ylabel(unit or "(no unit)")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize="small")
    if events:
        page = view.event_page(EventQuery(start=start, end=end, limit=MAX_EVENTS))
        colours = ("tab:gray", "tab:orange", "tab:red")  # info, warning, error
        for event in page.events:
            when = _times(np.array([event.time]))[0]
            for ax in axes:
                ax.axvline(when, color=colours[event.priority], linewidth=0.8, alpha=0.7)
            axes[0].annotate(
                event.text[:40],
                (when, 1.0),
                xycoords=("data", "axes fraction"),
                rotation=90,
                fontsize="x-small",
                va="top",
                ha="right",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.8, "lw": 0},
            )
    axes[-1].set_xlim(_times(np.array([start, end])))
    axes[-1].set_xlabel("time (UTC)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def warm_up() -> None:
    """Draw one throwaway picture the way :func:`render` does (fonts, a time axis, an
    annotation, the PNG encoder), so that the first plot a user asks for does not pay
    matplotlib's start-up, about half a second. For a thread of its own at start."""
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    ax = figure.subplots(1, 1)
    times = _times(np.array([0.0, 60.0]))
    ax.plot(times, [0.0, 1.0], linewidth=1, label="warm-up")
    ax.set_ylabel("(no unit)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    ax.axvline(times[0], color="tab:gray", linewidth=0.8, alpha=0.7)
    ax.annotate("event", (times[0], 1.0), xycoords=("data", "axes fraction"), rotation=90)
    ax.set_xlabel("time (UTC)")
    figure.savefig(io.BytesIO(), format="png")
