"""Running the window: the Qt application, the theme, and the logger it shows.

``rtoc gui`` shows a logger running in this process (built as ``rtoc run``
builds it, with ``autorun_devices``); ``rtoc gui --remote HOST[:PORT]``
shows one running elsewhere, through :class:`rtoc.net.remote.RemoteLogger`.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PyQt5 import QtWidgets

from rtoc_gui import theme
from rtoc_gui.collector import collect_in_gui_thread
from rtoc_gui.layout import FILE as LAYOUT_FILE
from rtoc_gui.link import Link
from rtoc_gui.mainwindow import MainWindow
from rtoc_gui.styles import FILE as STYLES_FILE
from rtoc_gui.styles import StyleBook

if TYPE_CHECKING:
    from pathlib import Path

    from rtoc.config import GuiConfig
    from rtoc.frontend import LoggerView
    from rtoc.plugins import PluginRegistry


def no_display() -> str:
    """Why Qt cannot open a window here ("" when it can): Qt would abort the process."""
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return (
        "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
        "on a headless machine use the web dashboard (pip install rtoc-web, web.active) "
        "or run under xvfb-run"
    )


log = logging.getLogger("rtoc_gui")

#: The QApplication made here: PyQt deletes one that no Python name holds.
_made: list[QtWidgets.QApplication] = []


def application(config: GuiConfig) -> QtWidgets.QApplication:
    """The one QApplication, styled as ``GUI.darkmode`` and ``GUI.antiAliasing`` say."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        _made.append(app)
    app.setApplicationName("rtoc")
    theme.apply(app, dark=config.darkmode, antialias=config.antiAliasing)
    collect_in_gui_thread()
    return app


def build_window(
    view: LoggerView,
    where: str,
    config: GuiConfig,
    *,
    local: bool = True,
    home: Path | None = None,
    plugins: PluginRegistry | None = None,
) -> MainWindow:
    """The main window on ``view`` (``local``: a logger in this process), shown and filling
    itself; its layout kept in ``home`` when ``GUI.restoreWidgetPosition`` says so, the
    signals' styles in ``home``'s ``plotStyles.json``, and its menus changing ``home``'s
    config.json (with the sections ``plugins`` register)."""
    application(config)
    layout_file = None if home is None else home / LAYOUT_FILE
    styles = StyleBook(None if home is None else home / STYLES_FILE)
    window = MainWindow(
        Link(view, where, local=local), config, layout_file, styles, home=home, plugins=plugins
    )
    window.show()
    window.start()
    return window


def run(
    view: LoggerView,
    where: str,
    config: GuiConfig,
    *,
    local: bool,
    home: Path,
    plugins: PluginRegistry | None = None,
    echo: Callable[[str], object] = print,
) -> int:
    """Show the window until it is closed (or Ctrl-C / SIGTERM); the exit code."""
    app = application(config)
    # PyQt5 aborts the process on an exception no slot caught (a device's own widget can
    # raise, a plugin's loadGUI code was written for RTOC): log it, keep the logger running
    sys.excepthook = lambda *error: log.error("unhandled error in the GUI", exc_info=error)
    window = build_window(view, where, config, local=local, home=home, plugins=plugins)
    echo(f"Showing the logger on {where}: close the window or press Ctrl-C to stop.")
    # Qt's loop runs no Python signal handler itself; the window's timers let Python run.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: window.close())
    return app.exec_()
