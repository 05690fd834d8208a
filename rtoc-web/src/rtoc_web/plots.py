"""The plot page: choose signals and a range; zoom and pan re-aggregate on the server.

Per-browser state lives in the page (``dcc.Store``): the selection, the
zoomed range and the newest sample already shown. The server keeps nothing
between requests, so two users zooming see only their own view.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import numpy as np
from dash import Dash, Input, Output, State, dcc, html, no_update

from rtoc.frontend import EventQuery, LoggerView
from rtoc_web.aggregate import TraceData, clamp_width, read_last, read_trace, trace_label
from rtoc_web.config import WebConfig
from rtoc_web.figure import Trace, build_figure, plot_area_width
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

log = logging.getLogger("rtoc_web")

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


def signal_options(view: LoggerView) -> list[dict]:
    """The dropdown's choices: every signal as ``Device.Signal [unit]``, sorted by device."""
    return [
        {
            "label": f"{info.device}.{info.name}" + (f" [{info.unit}]" if info.unit else ""),
            "value": signal_value(info.key),
        }
        for info in view.signal_infos()
    ]


def layout(config: WebConfig, view: LoggerView) -> html.Div:
    """The page, with the signals to choose from already in it: a dropdown opened before
    the first refresh would otherwise show "no options" until it is opened again."""
    try:
        options = signal_options(view)
    except Exception:  # the source failed: the refresh and the plot say why
        log.exception("cannot list the signals")
        options = []
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
                        options=options,
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
                    dcc.Input(
                        id="plot-from",
                        placeholder="from 2026-12-06 08:00",
                        debounce=True,
                        style={"width": "13em"},
                    ),
                    dcc.Input(
                        id="plot-to",
                        placeholder="to 2026-12-06 20:00",
                        debounce=True,
                        style={"width": "13em"},
                    ),
                ],
            ),
            html.Div(id="plot-message", role="alert", className="message"),
            dcc.Graph(
                id="plot-graph",
                figure={"data": [], "layout": {"height": 300}},
                config={"displaylogo": False, "doubleClick": "autosize"},
            ),
            dcc.Store(id="plot-shown", data={}),
            dcc.Store(id="plot-zoom", data=None),
            dcc.Store(id="plot-tick", data=None),
            dcc.Store(id="plot-ack", data=None),
            dcc.Store(id="plot-width", data=None),
            dcc.Interval(id="plot-interval", interval=int(1000 / config.plotRate)),
        ],
    )


def register(app: Dash, view: LoggerView, config: WebConfig) -> None:
    """The plot page's callbacks on ``app``, reading ``view``.

    Dash drops the answer of a callback that is triggered again before it
    returned, so nothing here relies on one answer arriving: the page keeps
    what it wants (``plot-zoom``, the controls) apart from what it shows
    (``plot-shown``), and each tick of ``plot-interval`` renders again while
    they differ. A tick is held back while the previous one is unanswered
    (``plot-ack``), so a slow read never piles up requests.
    """

    marks = EventMarks(view)
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
    app.clientside_callback(
        """function(relayout, signals, mode, last, start, end) {
            const trigger = window.dash_clientside.callback_context.triggered_id;
            if (trigger !== 'plot-graph') { return null; }
            const keep = {};
            for (const [key, value] of Object.entries(relayout || {})) {
                if (/^xaxis[0-9]*[.](range|autorange)/.test(key)) { keep[key] = value; }
            }
            return Object.keys(keep).length ? keep : window.dash_clientside.no_update;
        }""",
        Output("plot-zoom", "data"),
        Input("plot-graph", "relayoutData"),
        Input("plot-signals", "value"),
        Input("plot-mode", "value"),
        Input("plot-last", "value"),
        Input("plot-from", "value"),
        Input("plot-to", "value"),
    )
    app.clientside_callback(
        """function(n, ack) {
            const trigger = window.dash_clientside.callback_context.triggered_id;
            if (trigger === 'plot-ack') {
                window.rtocPlotBusy = 0;
                return window.dash_clientside.no_update;
            }
            if (window.rtocPlotBusy && Date.now() - window.rtocPlotBusy < 10000) {
                return window.dash_clientside.no_update;
            }
            window.rtocPlotBusy = Date.now();
            return n;
        }""",
        Output("plot-tick", "data"),
        Input("plot-interval", "n_intervals"),
        Input("plot-ack", "data"),
    )

    @app.callback(
        Output("plot-signals", "options"),
        Input("clock", "n_intervals"),
        State("plot-signals", "options"),
    )
    def refresh_options(_n: int, current: list | None) -> list | object:
        options = signal_options(view)
        return no_update if options == current else options

    @app.callback(
        Output("plot-graph", "figure"),
        Output("plot-message", "children"),
        Output("plot-shown", "data"),
        Output("plot-download", "href"),
        Output("plot-ack", "data"),
        Input("plot-signals", "value"),
        Input("plot-mode", "value"),
        Input("plot-last", "value"),
        Input("plot-from", "value"),
        Input("plot-to", "value"),
        Input("plot-live", "value"),
        Input("plot-tick", "data"),
        Input("plot-zoom", "data"),
        Input("tz", "data"),
        Input("plot-width", "data"),
        State("plot-shown", "data"),
    )
    def update(
        values: list | None,
        mode: str,
        last: object,
        start_text: str | None,
        end_text: str | None,
        live: list | None,
        tick: int | None,
        zoom_event: dict | None,
        tz_name: str | None,
        width: int | None,
        shown: dict | None,
    ) -> tuple:
        ack = time.monotonic()
        if not tz_name or not width:  # the browser has not told its zone and width yet
            return no_update, no_update, no_update, no_update, ack
        wanted = {
            "signals": values or [],
            "mode": mode,
            "last": last,
            "from": start_text,
            "to": end_text,
            "live": bool(live),
            "zoom": zoom_event,
            "tz": tz_name,
            "width": width,
        }
        shown = shown or {}
        tz = zone(tz_name)
        try:
            keys = parse_signals(values)
            zoom = zoom_from_relayout(zoom_event, tz)
        except BadInput as error:
            return no_update, str(error), {"wanted": wanted}, no_update, ack
        try:
            newest = _newest(view, keys)
        except Exception as error:
            log.exception("reading the newest samples failed")
            return no_update, f"Cannot read the data: {error}", {"wanted": None}, no_update, ack
        if shown.get("wanted") == wanted:
            static = zoom not in (None, "reset") or mode == "between" or not live
            if static or newest == shown.get("newest"):
                return no_update, no_update, no_update, no_update, ack
        window = zoom if isinstance(zoom, tuple) else None
        try:
            figure, problems, link = plot_figure(
                view, marks, config, keys, mode, last, start_text, end_text, window, tz, width
            )
        except Exception as error:  # the source failed (storage gone): say so, try next tick
            log.exception("plot update failed")
            return no_update, f"Cannot read the data: {error}", {"wanted": None}, no_update, ack
        return figure, " ".join(problems), {"wanted": wanted, "newest": newest}, link, ack


def _newest(view: LoggerView, keys: list) -> float | None:
    readings = view.latest(keys)
    return max((reading.x for reading in readings.values()), default=None)


def plot_figure(
    view: LoggerView,
    marks: EventMarks,
    config: WebConfig,
    keys: list,
    mode: str,
    last: object,
    start_text: str | None,
    end_text: str | None,
    zoom: tuple[float, float] | None,
    tz: ZoneInfo,
    width: int,
) -> tuple[dict, list[str], str]:
    """The figure, the problems to show and the download link.

    ``width`` is the graph element's; a trace gets at most two points per pixel
    of the plot area inside its margins.
    """
    width = clamp_width(plot_area_width(clamp_width(width)))
    problems: list[str] = []
    infos = {info.key: info for info in view.signal_infos()}
    window: tuple[float, float] | None = None
    count = 0
    try:
        if zoom:
            window = zoom
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
    events = marks(shown) if shown else []
    figure = build_figure(traces, events, tz, window if zoom else None)
    return figure, problems, _download_link(keys, window, count)


def _span(traces: list[Trace]) -> tuple[float, float] | None:
    xs = [t.data.x[np.isfinite(t.data.x)] for t in traces]
    xs = [x for x in xs if len(x)]
    if not xs:
        return None
    return float(min(x.min() for x in xs)), float(max(x.max() for x in xs))


class EventMarks:
    """The newest events of a time range, read at most once a second per range.

    Live plots ask several times a second, and a source may page its events
    by sorting them all; the range is widened to whole seconds so that the
    ticks of one second share one read.
    """

    def __init__(self, view: LoggerView, ttl: float = 1.0) -> None:
        self.view, self.ttl = view, ttl
        self._cache: dict[tuple[float, float], tuple[float, list]] = {}
        self._lock = threading.Lock()

    def __call__(self, window: tuple[float, float]) -> list:
        if not all(math.isfinite(v) for v in window):
            return []
        key = (float(math.floor(window[0])), float(math.ceil(window[1])))
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        query = EventQuery(start=key[0], end=key[1], limit=MAX_EVENT_MARKS)
        events = list(self.view.event_page(query).events)
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self.ttl}
            self._cache[key] = (now, events)
        return events


def _download_link(keys: list, window: tuple[float, float] | None, count: int) -> str:
    if not keys:
        return ""
    query: list[tuple[str, str]] = [("signal", signal_value(key)) for key in keys]
    if window is not None:
        query += [("start", repr(window[0])), ("end", repr(window[1]))]
    elif count:
        query.append(("last", str(count)))
    return "download?" + urlencode(query)
