"""The devices page (write role): start/stop, parameters by their declared type, functions.

Everything is done through the control source (``create_app``'s ``control``,
else the view); every change is checked on the server by :func:`attempt`.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from dash import MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update

from rtoc.device import DeviceDescription, Parameter
from rtoc.frontend import LoggerView
from rtoc.users import Role
from rtoc_web.guard import Refused, attempt

#: Longest result text of a function call shown.
MAX_RESULT = 2000


def layout(control: LoggerView) -> html.Div:
    return html.Div(
        id="page-devices",
        children=[
            html.Button("Refresh", id="devices-refresh"),
            html.Div(id="devices-list", children=device_list(control)),
        ],
    )


def device_list(control: LoggerView) -> list:
    """One block per device; controls only where the source can control."""
    reason = control.control_unavailable
    try:
        described = control.describe_devices()
    except Exception as error:
        return [html.P(f"Cannot list devices: {error}", className="message")]
    blocks: list = []
    if reason:
        blocks.append(
            html.P(f"Devices cannot be controlled here: {reason}", id="devices-no-control")
        )
    if not described:
        blocks.append(html.P("No devices."))
    blocks += [_device(device, controls=not reason) for device in described]
    return blocks


def _status(running: bool) -> str:
    return "running" if running else "stopped"


def _device(device: DeviceDescription, *, controls: bool) -> html.Div:
    name = device.name
    head = [html.H3(name), html.Span(_status(device.running), id=_id("dev-status", name))]
    if controls:
        head += [
            html.Button(
                "Stop" if device.running else "Start",
                id=_id("dev-run", name),
                className="run",
            ),
            html.Span(id=_id("dev-msg", name), className="message", role="alert"),
        ]
    rows = [_parameter(name, parameter, controls) for parameter in device.parameters]
    functions = [_function(name, function, controls) for function in device.functions]
    return html.Div(
        className="device",
        id=f"device-{name}",
        children=[
            html.Div(head, className="device-head"),
            html.P(device.doc, className="doc") if device.doc else None,
            html.Table([html.Tbody(rows)], className="parameters") if rows else None,
            html.Table([html.Tbody(functions)], className="functions") if functions else None,
        ],
    )


def _id(kind: str, device: str, name: str = "") -> dict:
    return {"type": kind, "device": device, "name": name}


def _editor(device: str, parameter: Parameter) -> Any:
    """An input of the parameter's declared type."""
    ident = _id("param-value", device, parameter.name)
    if parameter.type == "bool":
        return dcc.Checklist(
            id=ident,
            options=[{"label": "", "value": "on"}],
            value=["on"] if parameter.value else [],
        )
    if parameter.type in ("int", "float"):
        step = 1 if parameter.type == "int" else "any"
        return dcc.Input(
            id=ident, type="number", value=parameter.value, step=step, style={"width": "10em"}
        )
    return dcc.Input(id=ident, type="text", value=str(parameter.value), style={"width": "14em"})


def _parameter(device: str, parameter: Parameter, controls: bool) -> html.Tr:
    if not controls:
        return html.Tr([html.Td(parameter.name), html.Td(repr(parameter.value))])
    return html.Tr(
        [
            html.Td(parameter.name),
            html.Td(_editor(device, parameter)),
            html.Td(parameter.type, className="type"),
            html.Td(html.Button("Set", id=_id("param-set", device, parameter.name))),
            html.Td(
                html.Span(id=_id("param-msg", device, parameter.name), role="alert"),
                className="message",
            ),
        ]
    )


def _function(device: str, function: Any, controls: bool) -> html.Tr:
    title = html.Td(html.Code(f"{function.name}{function.signature}"), title=function.doc)
    if not controls:
        return html.Tr([title, html.Td(function.doc)])
    return html.Tr(
        [
            title,
            html.Td(
                dcc.Input(
                    id=_id("func-args", device, function.name),
                    type="text",
                    placeholder='arguments: ["square"] or 1, 2',
                    style={"width": "16em"},
                )
            ),
            html.Td(html.Button("Call", id=_id("func-call", device, function.name))),
            html.Td(
                html.Span(id=_id("func-msg", device, function.name), role="alert"),
                className="message",
            ),
        ]
    )


def parse_arguments(text: str | None) -> tuple:
    """A function's arguments as typed: a JSON list, or Python literals (``1, 'a'``).

    Never evaluated as code; ValueError with an example for anything else.
    """
    text = (text or "").strip()
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ValueError(
                f'arguments must be a JSON list or Python literals, e.g. ["square"] or 1, 2.5;'
                f" got {text!r}"
            ) from None
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def parameter_value(kind: str, value: Any) -> Any:
    """An editor's value as the parameter's type expects it (the device checks it)."""
    if kind == "bool":
        return bool(value)
    if kind == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None:
        raise ValueError("enter a value")
    return value


def register(app: Dash, control: LoggerView, auth: Any) -> None:
    @app.callback(
        Output("devices-list", "children"),
        Input("devices-refresh", "n_clicks"),
        Input("tabs", "value"),
        prevent_initial_call=True,
    )
    def refresh(_clicks: int | None, tab: str) -> list | object:
        return device_list(control) if tab == "devices" else no_update

    @app.callback(
        Output(_id("dev-run", MATCH), "children"),
        Output(_id("dev-status", MATCH), "children"),
        Output(_id("dev-msg", MATCH), "children"),
        Input(_id("dev-run", MATCH), "n_clicks"),
        State(_id("dev-run", MATCH), "children"),
        prevent_initial_call=True,
    )
    def run(_clicks: int, label: str) -> tuple:
        device = ctx_device()
        start = label == "Start"
        verb = "start" if start else "stop"
        try:
            attempt(
                auth,
                Role.WRITE,
                f"{verb} {device}",
                lambda: control.start_device(device) if start else control.stop_device(device),
            )
        except Refused as error:
            return no_update, no_update, str(error)
        running = _running(control, device)
        return ("Stop" if running else "Start"), _status(running), f"{device} {verb}ed"

    @app.callback(
        Output(_id("param-msg", MATCH, MATCH), "children"),
        Output(_id("param-value", MATCH, MATCH), "value"),
        Input(_id("param-set", MATCH, MATCH), "n_clicks"),
        State(_id("param-value", MATCH, MATCH), "value"),
        prevent_initial_call=True,
    )
    def set_parameter(_clicks: int, value: Any) -> tuple:
        device, name = ctx_device(), ctx_name()
        kind = _parameter_type(control, device, name)

        def work() -> Any:
            control.set_parameter(device, name, parameter_value(kind, value))
            return control.get_parameter(device, name)

        try:
            now = attempt(auth, Role.WRITE, f"set {device}.{name}", work)
        except Refused as error:
            return str(error), no_update
        shown = (["on"] if now else []) if kind == "bool" else now
        return f"{name} = {now!r}", shown

    @app.callback(
        Output(_id("func-msg", MATCH, MATCH), "children"),
        Input(_id("func-call", MATCH, MATCH), "n_clicks"),
        State(_id("func-args", MATCH, MATCH), "value"),
        prevent_initial_call=True,
    )
    def call(_clicks: int, text: str | None) -> str:
        device, name = ctx_device(), ctx_name()
        try:
            result = attempt(
                auth,
                Role.WRITE,
                f"call {device}.{name}",
                lambda: control.call(device, name, *parse_arguments(text)),
            )
        except Refused as error:
            return str(error)
        shown = repr(result)
        if len(shown) > MAX_RESULT:
            shown = shown[:MAX_RESULT] + "…"
        return f"→ {shown}"


def ctx_device() -> str:
    """The device of the control that triggered the callback."""
    return str(ctx.triggered_id["device"])


def ctx_name() -> str:
    """The parameter or function of the control that triggered the callback."""
    return str(ctx.triggered_id["name"])


def _running(control: LoggerView, device: str) -> bool:
    return any(d.running for d in control.describe_devices() if d.name == device)


def _parameter_type(control: LoggerView, device: str, name: str) -> str:
    for described in control.describe_devices():
        if described.name == device:
            for parameter in described.parameters:
                if parameter.name == name:
                    return parameter.type
    return "str"
