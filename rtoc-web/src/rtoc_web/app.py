"""``create_app``: the dashboard for any :class:`LoggerView`, behind the given login.

The pages a user sees depend on their role (devices: write, automation:
admin), but what counts is the check on the server in every callback that
changes something (:mod:`rtoc_web.guard`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask
from dash import ALL, Dash, Input, Output, State, dcc, html

from rtoc.frontend import LoggerView
from rtoc.users import Role
from rtoc_web import automation, devices, download, events, plots
from rtoc_web.config import WebConfig

#: (tab value, label, role needed to see it)
PAGES = (
    ("plots", "Plots", Role.READ),
    ("events", "Events", Role.READ),
    ("devices", "Devices", Role.WRITE),
    ("automation", "Automation", Role.ADMIN),
)

TAB_STYLE = {"padding": "8px 18px", "width": "auto"}


def create_app(
    view: LoggerView,
    *,
    auth: Any,
    config_section: WebConfig | None = None,
    control: LoggerView | None = None,
) -> Dash:
    """The Dash app showing ``view``; devices and automation are controlled through
    ``control`` when given (a logger reached over TCP beside a read-only view), else
    through ``view``.

    ``auth`` is :class:`rtoc_web.auth.Auth` or anything with its ``install``,
    ``current_user`` and ``require``.
    """
    config = config_section or WebConfig()
    server = flask.Flask("rtoc_web")
    auth.install(server)
    app = Dash(
        "rtoc_web",
        server=server,
        assets_folder=str(Path(__file__).with_name("assets")),
        title="rtoc",
        update_title=None,
        suppress_callback_exceptions=True,  # pages a role does not see are not in its layout
    )
    controller = control if control is not None else view

    def page_layout() -> html.Div:
        user = auth.current_user()
        allowed = [page for page in PAGES if user is not None and user.may(page[2])]
        builders = {
            "plots": lambda: plots.layout(config, view),
            "events": lambda: events.layout(config),
            "devices": lambda: devices.layout(controller),
            "automation": lambda: automation.layout(controller),
        }
        return html.Div(
            [
                html.Div(
                    className="header",
                    children=[
                        html.Span("rtoc", className="brand"),
                        dcc.Tabs(
                            id="tabs",
                            value="plots",
                            children=[
                                dcc.Tab(label=label, value=value, style=TAB_STYLE)
                                for value, label, _ in allowed
                            ],
                        ),
                        html.Span(
                            f"{user.name} ({user.role})" if user else "",
                            id="user",
                            className="user",
                        ),
                        html.Form(
                            html.Button("Log out", type="submit"),
                            action="/logout",
                            method="POST",
                            className="logout",
                        ),
                    ],
                ),
                *(
                    html.Div(
                        builders[value](),
                        id={"type": "page", "name": value},
                        hidden=value != "plots",
                    )
                    for value, _, _ in allowed
                ),
                dcc.Store(id="tz", data=None),
                dcc.Interval(id="clock", interval=2000),
            ]
        )

    app.layout = page_layout
    app.clientside_callback(
        """function(n) {
            return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
        }""",
        Output("tz", "data"),
        Input("tabs", "id"),
    )
    app.clientside_callback(
        """function(value, ids) {
            setTimeout(() => window.dispatchEvent(new Event('resize')), 50);
            return ids.map(id => id.name !== value);
        }""",
        Output({"type": "page", "name": ALL}, "hidden"),
        Input("tabs", "value"),
        State({"type": "page", "name": ALL}, "id"),
    )
    plots.register(app, view, config)
    events.register(app, view, config)
    devices.register(app, controller, auth)
    automation.register(app, controller, auth)
    download.register(server, view, auth, config)
    return app
