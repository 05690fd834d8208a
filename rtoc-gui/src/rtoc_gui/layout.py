"""The main window's layout (size, position, docks) kept in ``$RTOC_HOME/guiLayout.json``.

Saved when the window closes and restored when it opens, while
``GUI.restoreWidgetPosition`` is on (RTOC's setting of the same name). A file
that cannot be read is reported and ignored: the window opens as new.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from PyQt5 import QtCore, QtWidgets

from rtoc.files import write_atomically

log = logging.getLogger("rtoc_gui")

FILE = "guiLayout.json"
#: QMainWindow.saveState's version number: a layout of another version is not restored.
VERSION = 1


def _text(data: QtCore.QByteArray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def save_layout(window: QtWidgets.QMainWindow, path: Path) -> None:
    layout = {
        "geometry": _text(window.saveGeometry()),
        "state": _text(window.saveState(VERSION)),
    }
    try:
        write_atomically(path, json.dumps(layout, indent=2) + "\n")
    except OSError as error:
        log.warning("cannot save the window layout to %s: %s", path, error)


def restore_layout(window: QtWidgets.QMainWindow, path: Path) -> bool:
    """Whether ``window`` now has the layout saved in ``path``."""
    if not path.exists():
        return False
    try:
        layout = json.loads(path.read_text(encoding="utf-8"))
        geometry = QtCore.QByteArray(base64.b64decode(layout["geometry"]))
        state = QtCore.QByteArray(base64.b64decode(layout["state"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ignoring the window layout in %s: %s", path, error)
        return False
    return window.restoreGeometry(geometry) and window.restoreState(state, VERSION)
