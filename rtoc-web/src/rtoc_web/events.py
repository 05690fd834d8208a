"""The events page: a table paged and filtered on the server, newest first.

Only the page shown is ever read (``LoggerView.event_page``), so a log of
100,000 events costs the browser one page.
"""

from __future__ import annotations

import logging

from dash import Dash, Input, Output, dash_table, dcc, html, no_update

from rtoc.events import Priority
from rtoc.frontend import EventQuery, LoggerView
from rtoc_web.config import WebConfig
from rtoc_web.localtime import format_local, zone

log = logging.getLogger("rtoc_web")

#: What the priority column shows, by priority.
PRIORITY_TEXT = {
    Priority.INFO: "🔵 info",
    Priority.WARNING: "⚠️ warning",
    Priority.ERROR: "⛔ error",
}
COLUMNS = [
    ("time", "Time"),
    ("priority", "Priority"),
    ("device", "Device"),
    ("signal", "Signal"),
    ("text", "Text"),
    ("id", "ID"),
    ("value", "Value"),
]


def layout(config: WebConfig) -> html.Div:
    return html.Div(
        id="page-events",
        children=[
            html.Div(
                className="controls",
                children=[
                    dcc.Input(
                        id="events-text",
                        placeholder="filter text, device, signal, id…",
                        debounce=True,
                        style={"width": "22em"},
                    ),
                    dcc.Checklist(
                        id="events-priorities",
                        options=[{"label": PRIORITY_TEXT[p], "value": int(p)} for p in Priority],
                        value=[int(p) for p in Priority],
                        inline=True,
                    ),
                    dcc.Dropdown(
                        id="events-devices",
                        multi=True,
                        placeholder="all devices",
                        options=[],
                        style={"minWidth": "240px"},
                    ),
                    html.Span(id="events-total", className="total"),
                ],
            ),
            html.Div(id="events-message", role="alert", className="message"),
            dash_table.DataTable(
                id="events-table",
                columns=[{"id": key, "name": name} for key, name in COLUMNS],
                data=[],
                page_action="custom",
                page_current=0,
                page_size=config.eventsPageSize,
                page_count=1,
                style_cell={"textAlign": "left", "whiteSpace": "normal", "height": "auto"},
                style_data_conditional=[
                    {
                        "if": {"filter_query": '{priority} contains "warning"'},
                        "backgroundColor": "#fff4e0",
                    },
                    {
                        "if": {"filter_query": '{priority} contains "error"'},
                        "backgroundColor": "#fde2e2",
                    },
                ],
            ),
        ],
    )


def register(app: Dash, view: LoggerView, config: WebConfig) -> None:
    @app.callback(
        Output("events-table", "page_current"),
        Input("events-text", "value"),
        Input("events-priorities", "value"),
        Input("events-devices", "value"),
    )
    def first_page(*_filters: object) -> int:
        return 0  # a new filter shows its newest events

    @app.callback(
        Output("events-table", "data"),
        Output("events-table", "page_count"),
        Output("events-total", "children"),
        Output("events-devices", "options"),
        Output("events-message", "children"),
        Input("events-table", "page_current"),
        Input("events-table", "page_size"),
        Input("events-text", "value"),
        Input("events-priorities", "value"),
        Input("events-devices", "value"),
        Input("clock", "n_intervals"),
        Input("tz", "data"),
    )
    def page(
        page_current: int | None,
        page_size: int | None,
        text: str | None,
        priorities: list | None,
        devices: list | None,
        _tick: int | None,
        tz_name: str | None,
    ) -> tuple:
        size = page_size or config.eventsPageSize
        try:
            query = EventQuery(
                text=text or "",
                priorities=priorities or [],
                devices=devices or None,
                offset=max(int(page_current or 0), 0) * size,
                limit=size,
            )
        except (ValueError, TypeError) as error:
            return [], 1, "", [], str(error)
        try:
            found = view.event_page(query)
        except Exception as error:  # the source failed (storage gone): say so, try next tick
            log.exception("reading events failed")
            return no_update, no_update, no_update, no_update, f"Cannot read events: {error}"
        tz = zone(tz_name)
        rows = [
            {
                "time": format_local(event.time, tz),
                "priority": PRIORITY_TEXT[event.priority],
                "device": event.device,
                "signal": event.signal,
                "text": event.text,
                "id": event.id,
                "value": "" if event.value is None else f"{event.value:g}",
            }
            for event in found.events
        ]
        pages = max(1, -(-found.total // size))
        total = f"{found.total:,} events" if found.total != 1 else "1 event"
        options = [{"label": device or "(none)", "value": device} for device in found.devices]
        return rows, pages, total, options, ""
