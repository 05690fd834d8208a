"""Colours: the dark or light palette (``GUI.darkmode``), curve colours, event colours."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt5 import QtGui, QtWidgets

#: Curve colours, assigned in the order signals first appear (then repeating).
CURVE_COLOURS = (
    "#4e9bff", "#ff8c42", "#3ddc84", "#ff5c7a", "#b18cff",
    "#ffd166", "#2ec4d6", "#f78fb3", "#a0d468", "#e0e0e0",
)  # fmt: skip
#: Event line colours by priority (info, warning, error).
EVENT_COLOURS = ("#7aa7d9", "#f0b429", "#ef4444")
#: A signal button's background once no sample came for ``signalInactivityTimeout``.
STALE = "#e5c13a"


def apply(app: QtWidgets.QApplication, dark: bool, antialias: bool) -> None:
    """Style the whole program: Fusion with a dark or light palette, plots to match."""
    app.setStyle("Fusion")
    if dark:
        palette = QtGui.QPalette()
        colours = {
            QtGui.QPalette.Window: "#232629",
            QtGui.QPalette.WindowText: "#e6e6e6",
            QtGui.QPalette.Base: "#1b1d20",
            QtGui.QPalette.AlternateBase: "#2a2d31",
            QtGui.QPalette.ToolTipBase: "#2a2d31",
            QtGui.QPalette.ToolTipText: "#e6e6e6",
            QtGui.QPalette.Text: "#e6e6e6",
            QtGui.QPalette.Button: "#2f3337",
            QtGui.QPalette.ButtonText: "#e6e6e6",
            QtGui.QPalette.BrightText: "#ff5c5c",
            QtGui.QPalette.Link: "#4e9bff",
            QtGui.QPalette.Highlight: "#3a6ea5",
            QtGui.QPalette.HighlightedText: "#ffffff",
            QtGui.QPalette.Light: "#4a4f55",
            QtGui.QPalette.Midlight: "#3f444a",
            QtGui.QPalette.Mid: "#3a3f44",
            QtGui.QPalette.Dark: "#1e2023",
            QtGui.QPalette.Shadow: "#111214",
        }
        for role, colour in colours.items():
            palette.setColor(role, QtGui.QColor(colour))
        for role in (QtGui.QPalette.Text, QtGui.QPalette.ButtonText, QtGui.QPalette.WindowText):
            palette.setColor(QtGui.QPalette.Disabled, role, QtGui.QColor("#7f8388"))
        app.setPalette(palette)
    else:
        app.setPalette(app.style().standardPalette())
    pg.setConfigOptions(
        background="#14161a" if dark else "w",
        foreground="#c8c8c8" if dark else "#303030",
        antialias=antialias,
    )


def restyle(plot: pg.PlotWidget) -> None:
    """Give a plot made before the theme changed the colours :func:`apply` set."""
    plot.setBackground(pg.getConfigOption("background"))
    foreground = pg.getConfigOption("foreground")
    item = plot.getPlotItem()
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(foreground)
        axis.setTextPen(foreground)


def curve_colour(index: int) -> str:
    return CURVE_COLOURS[index % len(CURVE_COLOURS)]
