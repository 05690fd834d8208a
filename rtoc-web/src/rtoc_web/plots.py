"""The plot page: choose signals and a range; zoom and pan re-aggregate on the server.

Per-browser state lives in the page (``dcc.Store``): the selection, the
zoomed range and the newest sample already shown. The server keeps nothing
between requests, so two users zooming see only their own view.
"""

from __future__ import annotations

import math
import time
from urllib.parse import urlencode

import numpy as np
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from rtoc.frontend import EventQuery, LoggerView
from rtoc_web.aggregate import TraceData, clamp_width, read_last, read_trace, trace_label
from rtoc_web.config import WebConfig
from rtoc_web.figure import Trace, build_figure
from rtoc_web.localtime import zone
from rtoc_web.plotrange import (
    SPANS,
    BadInput,
    between,
    parse_last,
    parse_signals,
    signal_value,
    zoom_from_relayout,
)

#: Most event marks one figure shows (the newest in its range).
MAX_EVENT_MARKS = 200

MODE_OPTIONS = [
    {"label": "latest values", "value": "last"},
    {"label": "last 1 h", "value": "1h"},
    {"label": "last 24 h", "value": "24h"},
    {"label": "last 7 d", "value": "7d"},
    {"label": "all", "value": "all"},
    {"label": "from-to", "value": "between"},
]


def layout(config: WebConfig) -> html.Div:
    return html.Div(
        id="page-plots",
        children=[
            html.Div(
                className="controls",
                children=[
                    dcc.Dropdown(
                        id="plot-signals",
                        multi=True,
                        searchable=True,
                        placeholder="Select signals…",
                        options=[],
                        value=[],
                        style={"minWidth": "320px", "flex": "1"},
                    ),
                    dcc.Checklist(
                        id="plot-live", options=[{"label": "live", "value": "live"}], value=["live"]
                    ),
                    html.A("Download CSV", id="plot-download", href="", target="_blank"),
                ],
            ),
            html.Div(
                className="controls",
                children=[
                    dcc.RadioItems(id="plot-mode", options=MODE_OPTIONS, value="last", inline=True),
                    html.Label(
                        [
                            "latest ",
                            dcc.Input(
                                id="plot-last",
                                type="number",
                                value=1000,
                                min=1,
                                debounce=True,
                                style={"width": "9em"},
                            ),
                            " values",
                        ]
                    ),
                    dcc.Input(id="plot-from", placeholder="from 2026-12-06 08:00", debounce=True),
                    dcc.Input(id="plot-to", placeholder="to 2026-12-06 20:00", debounce=True),
                ],
            ),
            html.Div(id="plot-message", role="alert", className="message"),
            dcc.Graph(
                id="plot-graph",
                figure={"data": [], "layout": {"height": 300}},
                config={"displaylogo": False, "doubleClick": "autosize"},
            ),
            dcc.Store(id="plot-state", data={}),
            dcc.Store(id="plot-width", data=None),
            dcc.Interval(id="plot-interval", interval=int(1000 / config.plotRate)),
        ],
    )


def register(app: Dash, view: LoggerView, config: WebConfig) -> None:
    """The plot page's callbacks on ``app``, reading ``view``."""

    app.clientside_callback(
        """function(n, current) {
            const graph = document.getElementById('plot-graph');
            const width = graph ? Math.round(graph.getBoundingClientRect().width) : 0;
            return (width > 0 && width !== current) ? width : window.dash_clientside.no_update;
        }""",
        Output("plot-width", "data"),
        Input("clock", "n_intervals"),
        State("plot-width", "data"),
    )

    @app.callback(
        Output("plot-signals", "options"),
        Input("clock", "n_intervals"),
        State("plot-signals", "options"),
    )
    def signal_options(_n: int, current: list | None) -> list | object:
        options = [
            {
                "label": f"{info.device}.{info.name}" + (f" [{info.unit}]" if info.unit else ""),
                "value": signal_value(info.key),
            }
            for info in view.signal_infos()
        ]
        return no_update if options == current else options

    @app.callback(
        Output("plot-interval", "disabled"),
        Input("plot-live", "value"),
        Input("plot-mode", "value"),
    )
    def follow(live: list | None, mode: str) -> bool:
        return not live or mode == "between"

    @app.callback(
        Output("plot-graph", "figure"),
        Output("plot-message", "children"),
        Output("plot-state", "data"),
        Output("plot-download", "href"),
        Input("plot-signals", "value"),
        Input("plot-mode", "value"),
        Input("plot-last", "value"),
        Input("plot-from", "value"),
        Input("plot-to", "value"),
        Input("plot-interval", "n_intervals"),
        Input("plot-graph", "relayoutData"),
        Input("tz", "data"),
        Input("plot-width", "data"),
        State("plot-state", "data"),
    )
    def update(
        values: list | None,
        mode: str,
        last: object,
        start_text: str | None,
        end_text: str | None,
        _tick: int | None,
        relayout: dict | None,
        tz_name: str | None,
        width: int | None,
        state: dict | None,
    ) -> tuple:
        if not tz_name or not width:  # the browser has not told its zone and width yet
            return no_update, no_update, no_update, no_update
        state = dict(state or {})
        tz = zone(tz_name)
        trigger = ctx.triggered_id
        try:
            keys = parse_signals(values)
        except BadInput as error:
            return no_update, str(error), state, ""
        if trigger == "plot-interval":
            newest = _newest(view, keys)
            if state.get("zoom") or newest is None or newest == state.get("newest"):
                return no_update, no_update, no_update, no_update
        elif trigger == "plot-graph":
            try:
                zoom = zoom_from_relayout(relayout, tz)
            except BadInput as error:
                return no_update, str(error), state, no_update
            if zoom is None:
                return no_update, no_update, no_update, no_update
            state["zoom"] = None if zoom == "reset" else list(zoom)
        elif trigger != "plot-width":
            state["zoom"] = None  # new signals or range: start from the chosen range
        state["newest"] = _newest(view, keys)
        figure, problems, link = _figure(
            view, config, keys, mode, last, start_text, end_text, state.get("zoom"), tz, width
        )
        return figure, " ".join(problems), state, link


def _newest(view: LoggerView, keys: list) -> float | None:
    readings = view.latest(keys)
    return max((reading.x for reading in readings.values()), default=None)


def _figure(
    view: LoggerView,
    config: WebConfig,
    keys: list,
    mode: str,
    last: object,
    start_text: str | None,
    end_text: str | None,
    zoom: list | None,
    tz,
    width: int,
) -> tuple[dict, list[str], str]:
    """The figure, the problems to show and the download link."""
    width = clamp_width(width)
    problems: list[str] = []
    infos = {info.key: info for info in view.signal_infos()}
    window: tuple[float, float] | None = None
    count = 0
    try:
        if zoom:
            window = (float(zoom[0]), float(zoom[1]))
        elif mode == "last":
            count = parse_last(last, config.maxLatest)
        elif mode in SPANS:
            now = time.time()
            window = (now - SPANS[mode], now)
        elif mode == "between":
            window = between(start_text, end_text, tz)
        else:  # all
            spans = [v for key in keys if key in infos for v in (infos[key].first, infos[key].last)]
            spans = [v for v in spans if v is not None]
            window = (min(spans), max(spans)) if spans else None
    except BadInput as error:
        return {"data": [], "layout": {"height": 300}}, [str(error)], ""
    traces = []
    for device, name in keys:
        info = infos.get((device, name))
        if info is None:
            problems.append(f"{device}.{name}: no such signal.")
            continue
        try:
            if window is not None:
                data = read_trace(view, device, name, window[0], window[1], width)
            elif count:
                data = read_last(view, device, name, count, width)
            else:
                data = TraceData(np.empty(0), np.empty(0))
        except (LookupError, ValueError) as error:
            problems.append(f"{device}.{name}: {error}.")
            continue
        traces.append(Trace(trace_label(device, name, data), info.unit, data))
    shown = window if window is not None else _span(traces)
    events = _events(view, shown) if shown else []
    figure = build_figure(traces, events, tz, window if zoom else None)
    return figure, problems, _download_link(keys, window, count)


def _span(traces: list[Trace]) -> tuple[float, float] | None:
    xs = [t.data.x[np.isfinite(t.data.x)] for t in traces]
    xs = [x for x in xs if len(x)]
    if not xs:
        return None
    return float(min(x.min() for x in xs)), float(max(x.max() for x in xs))


def _events(view: LoggerView, window: tuple[float, float]) -> list:
    if not all(math.isfinite(v) for v in window):
        return []
    page = view.event_page(EventQuery(start=window[0], end=window[1], limit=MAX_EVENT_MARKS))
    return list(page.events)


def _download_link(keys: list, window: tuple[float, float] | None, count: int) -> str:
    if not keys:
        return ""
    query: list[tuple[str, str]] = [("signal", signal_value(key)) for key in keys]
    if window is not None:
        query += [("start", repr(window[0])), ("end", repr(window[1]))]
    elif count:
        query.append(("last", str(count)))
    return "download?" + urlencode(query)
