"""The plot page's figure: one stacked panel per unit, x axes linked, events as marks.

Built as a plain dict (no plotly.graph_objects) from :class:`TraceData`, so
building it costs little beside the reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import attrs
import numpy as np

from rtoc.events import Event
from rtoc_web.aggregate import TraceData
from rtoc_web.localtime import to_plot

#: Height of one unit's panel in pixels.
PANEL_HEIGHT = 280
#: Line colour of an event mark by priority (info, warning, error).
EVENT_COLOURS = ("#1f77b4", "#ff7f0e", "#d62728")
PRIORITY_NAMES = ("info", "warning", "error")


@attrs.frozen
class Trace:
    """One signal's points with the name the legend shows."""

    label: str
    unit: str
    data: TraceData


def units_in_order(traces: Sequence[Trace]) -> list[str]:
    """Each unit once, in the order its first signal was selected."""
    return list(dict.fromkeys(trace.unit for trace in traces))


def _axis(index: int, suffix: str) -> str:
    return suffix if index == 0 else f"{suffix}{index + 1}"


#: The figure's margins in pixels: the traces are drawn in what is left of the width.
MARGIN = {"l": 70, "r": 20, "t": 30, "b": 50}


def plot_area_width(graph_width: int) -> int:
    """The width of the plot area, in which the traces are drawn, in a graph this wide."""
    return graph_width - MARGIN["l"] - MARGIN["r"]


def build_figure(
    traces: Sequence[Trace],
    events: Sequence[Event],
    tz: ZoneInfo,
    x_range: tuple[float, float] | None,
) -> dict:
    """The figure: a panel per unit from the top, the time axis (in ``tz``) at the bottom.

    ``x_range`` (epoch seconds) fixes the shown range after a zoom; None fits the data.
    """
    units = units_in_order(traces)
    panels = max(len(units), 1)
    gap = 0.04 if panels > 1 else 0.0
    height = (1.0 - gap * (panels - 1)) / panels
    layout: dict = {
        "height": 120 + PANEL_HEIGHT * panels,
        "margin": MARGIN,
        "showlegend": True,
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        "hovermode": "closest",
        "shapes": [],
    }
    shown = None if x_range is None else [float(v) for v in to_plot(np.array(x_range), tz)]
    for index, unit in enumerate(units or [""]):
        top = 1.0 - index * (height + gap)
        x_axis = {
            "type": "date",
            "anchor": _axis(index, "y"),
            "showticklabels": index == panels - 1,
        }
        if index:
            x_axis["matches"] = "x"
        if index == panels - 1:
            x_axis["title"] = {"text": f"Time ({tz.key})"}
        if shown is not None:
            x_axis["range"] = shown
            x_axis["autorange"] = False
        layout[f"{_axis(index, 'xaxis')}"] = x_axis
        layout[f"{_axis(index, 'yaxis')}"] = {
            "domain": [max(top - height, 0.0), top],
            "anchor": _axis(index, "x"),
            "title": {"text": unit or "(no unit)"},
        }
    data = []
    for trace in traces:
        index = units.index(trace.unit)
        data.append(
            {
                "type": "scattergl" if len(trace.data.x) > 5000 else "scatter",
                "mode": "lines",
                "name": trace.label,
                "x": to_plot(trace.data.x, tz),
                "y": np.asarray(trace.data.y, dtype=np.float64),
                "xaxis": _axis(index, "x"),
                "yaxis": _axis(index, "y"),
                "meta": {"aggregated": trace.data.aggregated, "buckets": trace.data.buckets},
            }
        )
    if events:
        data.append(_event_marks(events, traces, units, tz))
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": EVENT_COLOURS[int(event.priority)], "width": 1, "dash": "dot"},
            }
            for event, x in zip(
                events, to_plot(np.array([e.time for e in events]), tz), strict=True
            )
        ]
    return {"data": data, "layout": layout}


def _event_marks(
    events: Sequence[Event], traces: Sequence[Trace], units: list[str], tz: ZoneInfo
) -> dict:
    """A marker per event at the top of the first panel, its text on hover."""
    first = [t.data.y for t in traces if units and t.unit == units[0] and len(t.data.y)]
    values = np.concatenate(first) if first else np.array([0.0])
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    return {
        "type": "scatter",
        "mode": "markers",
        "name": "Events",
        "x": to_plot(np.array([event.time for event in events]), tz),
        "y": np.full(len(events), top),
        "marker": {
            "symbol": "triangle-down",
            "size": 10,
            "color": [EVENT_COLOURS[int(event.priority)] for event in events],
        },
        "hovertext": [
            f"{PRIORITY_NAMES[int(event.priority)]}: {event.where + ': ' if event.where else ''}"
            f"{event.text}"
            for event in events
        ],
        "hoverinfo": "text+x",
        "xaxis": "x",
        "yaxis": "y",
        "meta": {"events": True},
    }
