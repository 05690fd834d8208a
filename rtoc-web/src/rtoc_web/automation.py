"""The automation page (admin role): global events and actions listed, switched, edited.

Each rule shows its fields, state and last error and is switched on or off
on its own; global events and actions are also switched as a whole. The
editor writes a rule's fields as JSON. Its condition or script is code the
logger runs, so every change here needs the admin role, checked on the
server; the logger checks the entry (a condition that does not parse is
refused with its error, and nothing changes).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update

from rtoc.frontend import LoggerView, RuleState
from rtoc.users import Role
from rtoc_web.guard import Refused, attempt

log = logging.getLogger("rtoc_web")


#: What the editor starts from for a new rule of each kind (RTOC's keys).
TEMPLATES: dict[str, dict[str, Any]] = {
    "event": {
        "cond": "Device.Signal.latest > 0",
        "text": "",
        "priority": 0,
        "id": "",
        "trigger": "rising",
        "active": True,
    },
    "action": {"listenID": [""], "script": "", "active": True},
}


def layout(control: LoggerView) -> html.Div:
    return html.Div(
        id="page-automation",
        children=[
            html.Button("Refresh", id="automation-refresh"),
            html.Div(id="automation-list", children=rule_list(control)),
            editor(control),
        ],
    )


def editor(control: LoggerView) -> html.Div:
    """The form that adds, changes and removes one rule."""
    if control.control_unavailable:
        return html.Div()
    return html.Div(
        className="rule-editor",
        children=[
            html.H3("Edit a global event or action"),
            html.Div(
                className="controls",
                children=[
                    dcc.RadioItems(
                        id="rule-kind",
                        options=[
                            {"label": "event", "value": "event"},
                            {"label": "action", "value": "action"},
                        ],
                        value="event",
                        inline=True,
                    ),
                    dcc.Input(id="rule-name", placeholder="name", debounce=False),
                    html.Button("Save", id="rule-save"),
                    html.Button("Delete", id="rule-delete"),
                ],
            ),
            dcc.Textarea(
                id="rule-fields",
                value=json.dumps(TEMPLATES["event"], indent=2),
                spellCheck=False,
                style={"width": "100%", "height": "14em", "fontFamily": "monospace"},
            ),
            html.Div(id="rule-editor-msg", role="alert", className="message"),
        ],
    )


def parse_fields(text: str) -> dict[str, Any]:
    """The editor's JSON as a rule's fields; ValueError naming the line and column."""
    try:
        fields = json.loads(text or "")
    except json.JSONDecodeError as error:
        raise ValueError(
            f"the fields are not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    if not isinstance(fields, dict):
        raise ValueError('the fields must be one JSON object: {"cond": ..., "text": ...}')
    return fields


def rule_list(control: LoggerView) -> list:
    if control.control_unavailable:  # a view on storage: no rules to read at all
        return [
            html.P(
                f"Global events and actions are not shown here: {control.control_unavailable}",
                id="automation-no-control",
            )
        ]
    try:
        state = control.automation_state()
    except Exception as error:
        return [html.P(f"Cannot read the automation: {error}", className="message")]
    switched_on = [
        kind
        for kind, on in (("events", state.events_active), ("actions", state.actions_active))
        if on
    ]
    blocks: list = [
        html.Div(
            className="controls",
            children=[
                dcc.Checklist(
                    id="automation-switches",
                    options=[
                        {"label": "global events on", "value": "events"},
                        {"label": "global actions on", "value": "actions"},
                    ],
                    value=switched_on,
                    inline=True,
                ),
                html.Span(
                    "(until the logger restarts: global.globalEventsActivated and "
                    "global.globalActionsActivated in config.json decide at start)",
                    className="total",
                ),
                html.Span(id="automation-switch-msg", role="alert"),
            ],
        )
    ]
    if not state.rules:
        blocks.append(html.P("No global events or actions."))
        return blocks
    header = html.Tr([html.Th(t) for t in ("Kind", "Name", "Active", "Fields", "Error", "", "")])
    rows = [_row(rule) for rule in state.rules]
    blocks.append(html.Table([html.Thead(header), html.Tbody(rows)], className="rules"))
    return blocks


def _id(kind: str, rule: str, name: str) -> dict:
    return {"type": kind, "kind": rule, "name": name}


def _row(rule: RuleState) -> html.Tr:
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
            html.Td(html.Button("Edit", id=_id("rule-edit", rule.kind, rule.name))),
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

    @app.callback(
        Output("automation-switch-msg", "children"),
        Input("automation-switches", "value"),
        prevent_initial_call=True,
    )
    def switch_all(value: list | None) -> str:
        chosen = set(value or ())
        events, actions = "events" in chosen, "actions" in chosen
        try:
            attempt(
                auth,
                Role.ADMIN,
                "switch global events and actions",
                lambda: control.set_automation_active(events=events, actions=actions),
            )
        except Refused as error:
            return str(error)
        return f"events {'on' if events else 'off'}, actions {'on' if actions else 'off'}"

    @app.callback(
        Output("rule-kind", "value"),
        Output("rule-name", "value"),
        Output("rule-fields", "value", allow_duplicate=True),
        Input(_id("rule-edit", ALL, ALL), "n_clicks"),
        prevent_initial_call=True,
    )
    def edit(clicks: list[int | None]) -> tuple:
        chosen = ctx.triggered_id
        if not isinstance(chosen, dict) or not any(clicks):
            return no_update, no_update, no_update
        try:
            rules = control.automation_state().rules
        except Exception:  # the source failed: leave the form as it is
            log.exception("cannot read the automation")
            return no_update, no_update, no_update
        rule = next(
            (r for r in rules if (r.kind, r.name) == (chosen["kind"], chosen["name"])), None
        )
        if rule is None:
            return no_update, no_update, no_update
        return rule.kind, rule.name, json.dumps(rule.fields, indent=2, default=str)

    @app.callback(
        Output("rule-fields", "value", allow_duplicate=True),
        Input("rule-kind", "value"),
        State("rule-fields", "value"),
        prevent_initial_call=True,
    )
    def template(kind: str, text: str) -> str | object:
        """A template for the other kind, unless the form holds a rule being edited."""
        if text and text.strip() not in {json.dumps(t, indent=2) for t in TEMPLATES.values()}:
            return no_update
        return json.dumps(TEMPLATES.get(kind, {}), indent=2)

    @app.callback(
        Output("rule-editor-msg", "children"),
        Output("automation-list", "children", allow_duplicate=True),
        Input("rule-save", "n_clicks"),
        Input("rule-delete", "n_clicks"),
        State("rule-kind", "value"),
        State("rule-name", "value"),
        State("rule-fields", "value"),
        prevent_initial_call=True,
    )
    def save_or_delete(
        _save: int | None, _delete: int | None, kind: str, name: str | None, text: str | None
    ) -> tuple:
        name = (name or "").strip()
        if kind not in TEMPLATES:
            return f"Refused: unknown kind {kind!r}", no_update
        if not name:
            return "Give the rule a name.", no_update
        deleting = ctx.triggered_id == "rule-delete"
        try:
            if deleting:
                attempt(
                    auth,
                    Role.ADMIN,
                    f"remove the global {kind} {name}",
                    lambda: control.remove_rule(kind, name),
                )
            else:
                attempt(
                    auth,
                    Role.ADMIN,
                    f"save the global {kind} {name}",
                    lambda: control.set_rule(kind, name, parse_fields(text or "")),
                )
        except Refused as error:
            return str(error), no_update
        return f"{'removed' if deleting else 'saved'} global {kind} {name}", rule_list(control)
