"""The automation page (admin role): global events and actions, switched on and off.

Editing a rule's condition or script is left to ``rtoc`` files and the GUI
for now; this page shows each rule's fields, state and last error.
"""

from __future__ import annotations

import json
from typing import Any

from dash import MATCH, Dash, Input, Output, State, dcc, html, no_update

from rtoc.frontend import LoggerView, RuleState
from rtoc.users import Role
from rtoc_web.guard import Refused, attempt


def layout(control: LoggerView) -> html.Div:
    return html.Div(
        id="page-automation",
        children=[
            html.Button("Refresh", id="automation-refresh"),
            html.Div(id="automation-list", children=rule_list(control)),
        ],
    )


def rule_list(control: LoggerView) -> list:
    try:
        state = control.automation_state()
    except Exception as error:
        return [html.P(f"Cannot read the automation: {error}", className="message")]
    controls = not control.control_unavailable
    blocks: list = []
    if not controls:
        blocks.append(
            html.P(
                f"Rules cannot be switched here: {control.control_unavailable}",
                id="automation-no-control",
            )
        )
    blocks.append(
        html.P(
            f"Global events are {'on' if state.events_active else 'off'} "
            f"(global.globalEventsActivated), global actions are "
            f"{'on' if state.actions_active else 'off'} (global.globalActionsActivated)."
        )
    )
    if not state.rules:
        blocks.append(html.P("No global events or actions."))
        return blocks
    header = html.Tr([html.Th(t) for t in ("Kind", "Name", "Active", "Fields", "Error", "")])
    rows = [_row(rule, controls) for rule in state.rules]
    blocks.append(html.Table([html.Thead(header), html.Tbody(rows)], className="rules"))
    return blocks


def _id(kind: str, rule: str, name: str) -> dict:
    return {"type": kind, "kind": rule, "name": name}


def _row(rule: RuleState, controls: bool) -> html.Tr:
    switch: Any = "on" if rule.active else "off"
    if controls:
        switch = dcc.Checklist(
            id=_id("rule-active", rule.kind, rule.name),
            options=[{"label": "active", "value": "on"}],
            value=["on"] if rule.active else [],
        )
    return html.Tr(
        [
            html.Td(rule.kind),
            html.Td(rule.name),
            html.Td(switch),
            html.Td(html.Code(json.dumps(rule.fields, default=str))),
            html.Td(rule.error, className="message"),
            html.Td(html.Span(id=_id("rule-msg", rule.kind, rule.name), role="alert")),
        ]
    )


def register(app: Dash, control: LoggerView, auth: Any) -> None:
    @app.callback(
        Output("automation-list", "children"),
        Input("automation-refresh", "n_clicks"),
        Input("tabs", "value"),
        prevent_initial_call=True,
    )
    def refresh(_clicks: int | None, tab: str) -> list | object:
        return rule_list(control) if tab == "automation" else no_update

    @app.callback(
        Output(_id("rule-msg", MATCH, MATCH), "children"),
        Output(_id("rule-active", MATCH, MATCH), "value"),
        Input(_id("rule-active", MATCH, MATCH), "value"),
        State(_id("rule-active", MATCH, MATCH), "id"),
        prevent_initial_call=True,
    )
    def switch(value: list | None, ident: dict) -> tuple:
        kind, name = ident["kind"], ident["name"]
        active = bool(value)
        try:
            attempt(
                auth,
                Role.ADMIN,
                f"switch the global {kind} {name} {'on' if active else 'off'}",
                lambda: control.set_rule_active(kind, name, active),
            )
        except Refused as error:
            return str(error), ([] if active else ["on"])  # back to what it is
        now = next(
            (
                r.active
                for r in control.automation_state().rules
                if (r.kind, r.name) == (kind, name)
            ),
            active,
        )
        return f"switched {'on' if now else 'off'}", (["on"] if now else [])
