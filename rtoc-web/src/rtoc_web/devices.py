"""Devices page (placeholder)."""

from dash import Dash, html


def layout(view):
    return html.Div(id="page-devices")


def register(app: Dash, view, auth) -> None:
    pass
